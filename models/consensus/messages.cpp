#include "models/consensus/messages.hpp"

#include <type_traits>

#include "models/common/splitmix64.hpp"

namespace pipesim::consensus {

BlockId compute_block_id(const BlockHeader& header) {
  std::uint64_t h = 0x70697065'73696d31ULL;  // "pipesim1"
  h = splitmix64_absorb(h, header.parent_id);
  h = splitmix64_absorb(h, header.round);
  h = splitmix64_absorb(h, header.height);
  h = splitmix64_absorb(h, header.proposer);
  h = splitmix64_absorb(h, header.justify.block_id);
  h = splitmix64_absorb(h, header.justify.round);
  h = splitmix64_absorb(h, header.payload_id);
  h = splitmix64_absorb(h, header.payload_size_bytes);
  for (std::size_t i = 0; i < header.state_root.size(); i += 8) {
    std::uint64_t word = 0;
    for (std::size_t j = 0; j < 8; ++j) word = (word << 8) | header.state_root[i + j];
    h = splitmix64_absorb(h, word);
  }
  h = splitmix64_absorb(h, header.tx_count);
  h = splitmix64_absorb(h, header.gas_used);
  return h;
}

const BlockHeader& genesis_header() {
  static const BlockHeader genesis = [] {
    BlockHeader g;
    g.id = compute_block_id(g);
    return g;
  }();
  return genesis;
}

QuorumCert genesis_qc(std::uint32_t n) {
  QuorumCert qc;
  qc.block_id = genesis_header().id;
  qc.round = 0;
  qc.height = 0;
  qc.validators = n;
  return qc;
}

std::size_t bitmap_bytes(std::uint32_t validators) {
  return (validators + 7) / 8;
}

std::size_t qc_size_bytes(const QuorumCert& qc) {
  return kHashBytes + kU64Bytes + bitmap_bytes(qc.validators) + kSignatureBytes;
}

std::size_t tc_size_bytes(const TimeoutCert& tc) {
  return kU64Bytes + bitmap_bytes(tc.validators) + kSignatureBytes + kU64Bytes * tc.signers.size() +
         qc_size_bytes(tc.high_qc);
}

std::size_t header_size_bytes(const BlockHeader& header) {
  // id, parent, payload id, state root: 4 hashes; round, height, payload size, tx count, gas,
  // timestamp: 6 u64; proposer index; justify QC.
  return 4 * kHashBytes + 6 * kU64Bytes + kNodeIdBytes + qc_size_bytes(header.justify);
}

std::size_t Message::size_bytes() const {
  return std::visit(
      [](const auto& m) -> std::size_t {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Proposal>) {
          std::size_t s = kTagBytes + header_size_bytes(m.header) + 1 + kSignatureBytes +
                          static_cast<std::size_t>(m.header.payload_size_bytes);
          if (m.last_round_tc) s += tc_size_bytes(*m.last_round_tc);
          return s;
        } else if constexpr (std::is_same_v<T, Vote>) {
          return kTagBytes + kHashBytes + 2 * kU64Bytes + kNodeIdBytes + kSignatureBytes;
        } else if constexpr (std::is_same_v<T, Timeout>) {
          std::size_t s =
              kTagBytes + kU64Bytes + kNodeIdBytes + qc_size_bytes(m.high_qc) + kSignatureBytes;
          if (m.last_round_tc) s += tc_size_bytes(*m.last_round_tc);
          return s;
        } else if constexpr (std::is_same_v<T, BlockRequest>) {
          return kTagBytes + kHashBytes + kU64Bytes + kNodeIdBytes;
        } else {
          // Count prefix, then per block: header, proposer signature, payload.
          std::size_t s = kTagBytes + kU64Bytes;
          for (const auto& h : m.blocks) {
            s += header_size_bytes(h) + kSignatureBytes +
                 static_cast<std::size_t>(h.payload_size_bytes);
          }
          return s;
        }
      },
      body);
}

std::string_view Message::kind() const {
  switch (body.index()) {
    case 0:
      return "proposal";
    case 1:
      return "vote";
    case 2:
      return "timeout";
    case 3:
      return "block_request";
    default:
      return "block_response";
  }
}

}  // namespace pipesim::consensus
