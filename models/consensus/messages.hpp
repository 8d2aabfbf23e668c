// Wire messages of the chained-HotStuff core and their encoded sizes.
//
// Messages are immutable and shared: the runtime sends one `MessagePtr` object to every receiver
// of a broadcast. `Message::size_bytes()` is the size the network model should charge.
//
// Encoding assumptions (a compact binary encoding in the spirit of MonadBFT's wire format; all
// integers fixed-width, no framing beyond a 1-byte message tag):
//   - hashes and block ids: 32 bytes (real chains carry Keccak-256/Blake3 digests; the 64-bit
//     BlockId used inside the simulator is an identifier only);
//   - round, height, payload size, tx count, gas: 8 bytes each; validator index: 4 bytes;
//   - individual signatures: 96 bytes (BLS12-381, G2 signature, as MonadBFT votes use BLS);
//   - QC: block id 32 + round 8 + signer bitmap ceil(n/8) + aggregate signature 96;
//   - TC: round 8 + signer bitmap ceil(n/8) + aggregate signature 96 + one 8-byte high-QC round
//     per signer (Jolteon's TC format) + the highest QC itself;
//   - header: id 32 + parent 32 + round 8 + height 8 + proposer 4 + payload id 32 + payload size
//     8 + state root 32 + tx count 8 + gas used 8 + timestamp 8 + justify QC;
//   - proposal: tag 1 + header + TC presence byte 1 (+ TC) + proposer signature 96 + the payload
//     itself (`payload_size_bytes`, opaque to consensus);
//   - vote: tag 1 + block id 32 + round 8 + height 8 + voter 4 + signature 96 = 149 bytes;
//   - timeout: tag 1 + round 8 + sender 4 + high QC + signature 96.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

#include "models/consensus/types.hpp"

namespace pipesim::consensus {

/// Encoding constants (bytes); see the file comment.
inline constexpr std::size_t kHashBytes = 32;
inline constexpr std::size_t kSignatureBytes = 96;
inline constexpr std::size_t kU64Bytes = 8;
inline constexpr std::size_t kNodeIdBytes = 4;
inline constexpr std::size_t kTagBytes = 1;

/// Leader's proposal for header.round. If header.justify.round + 1 != header.round the proposal
/// must carry the TC of round header.round - 1 (`last_round_tc`).
struct Proposal {
  BlockHeader header;
  std::optional<TimeoutCert> last_round_tc;
};

/// Vote for (block_id, round), sent to the leader of round + 1.
struct Vote {
  BlockId block_id = 0;
  Round round = 0;
  Height height = 0;
  NodeId voter = 0;
};

/// Local timeout of `round` by `sender`, carrying the sender's highest QC. Broadcast to all.
struct Timeout {
  Round round = 0;
  NodeId sender = 0;
  QuorumCert high_qc;
};

/// One wire message: a tagged union of the message kinds.
struct Message {
  std::variant<Proposal, Vote, Timeout> body;

  /// Encoded size in bytes (see the file comment for the encoding).
  std::size_t size_bytes() const;
  /// "proposal" | "vote" | "timeout" (for traces and per-kind byte counters).
  std::string_view kind() const;
};

using MessagePtr = std::shared_ptr<const Message>;

/// Allocates an immutable shared message.
template <typename Body>
MessagePtr make_message(Body body) {
  return std::make_shared<const Message>(Message{std::move(body)});
}

/// Encoded sizes of the parts (bytes).
std::size_t bitmap_bytes(std::uint32_t validators);
std::size_t qc_size_bytes(const QuorumCert& qc);
std::size_t tc_size_bytes(const TimeoutCert& tc);
/// Header without the payload (includes the justify QC).
std::size_t header_size_bytes(const BlockHeader& header);

}  // namespace pipesim::consensus
