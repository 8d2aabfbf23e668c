#include "models/consensus/polkadot/messages.hpp"

#include <algorithm>
#include <bit>
#include <utility>

namespace pipesim::consensus::polkadot {

std::uint64_t chunk_bytes(std::uint64_t pov_bytes, std::uint32_t validators) {
  const std::uint32_t n = std::max<std::uint32_t>(1, validators);
  const auto proof_hashes = static_cast<std::uint64_t>(std::bit_width(n - 1));  // ceil(log2 n)
  return std::max<std::uint64_t>(1, 3 * pov_bytes / n) + 4 + 32 * proof_hashes;
}

namespace {
MessagePtr wrap(Message m) {
  return std::make_shared<const Message>(std::move(m));
}
}  // namespace

MessagePtr make_message(RelayBlock b) {
  const std::uint64_t size = b.size_bytes;
  return wrap(Message{std::move(b), size});
}

MessagePtr make_message(Collation c) {
  const std::uint64_t size = c.pov_bytes + kCandidateReceiptBytes;
  return wrap(Message{c, size});
}

MessagePtr make_message(Statement s) {
  return wrap(Message{s, kStatementBytes});
}

MessagePtr make_message(Bitfield b, std::uint32_t cores) {
  return wrap(Message{std::move(b), kBitfieldBaseBytes + (cores + 7) / 8});
}

MessagePtr make_message(Chunk c, std::uint64_t chunk_size) {
  return wrap(Message{c, chunk_size});
}

MessagePtr make_message(ChunkRequest r) {
  return wrap(Message{r, kChunkRequestBytes});
}

MessagePtr make_message(ForkAnnounce a) {
  return wrap(Message{a, kRelayHeaderBytes});
}

void charge_signatures(Effects& out, const SignatureCost& cost, std::uint32_t verifies,
                       std::uint32_t signs, const char* label) {
  const double seconds = verifies * cost.verify_s + signs * cost.sign_s;
  if (seconds > 0.0) out.insert(out.begin(), Cpu{seconds, label});
}

MessagePtr make_message(GrandpaVote v) {
  return wrap(Message{v, kGrandpaVoteBytes});
}

}  // namespace pipesim::consensus::polkadot
