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
#include <vector>

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

/// Local timeout of `round` by `sender`, carrying the sender's highest QC and, when that QC is
/// not of round - 1, the TC of round - 1 that brought the sender into `round` (DiemBFT v4's
/// TimeoutMsg.last_round_tc), so a receiver that missed that TC catches up. Broadcast to all;
/// re-broadcast every local timeout period while the round lasts (lost messages).
struct Timeout {
  Round round = 0;
  NodeId sender = 0;
  QuorumCert high_qc;
  std::optional<TimeoutCert> last_round_tc;
};

/// Block sync request: the blocks from `block_id` back to (excluding) height `have_height`,
/// sent by a node that received a block whose ancestors it lacks (after a crash / recovery,
/// a partition or lost proposals). Encoded: tag 1 + block id 32 + height 8 + requester 4.
struct BlockRequest {
  BlockId block_id = 0;
  Height have_height = 0;
  NodeId requester = 0;
};

/// Block sync response: certified blocks in ascending height (at most kMaxSyncBlocks), each as
/// header + its payload (`payload_size_bytes`), so the bytes a catch-up costs are charged.
struct BlockResponse {
  std::vector<BlockHeader> blocks;
};

/// Most blocks per BlockResponse (the requester asks again for the rest).
inline constexpr std::size_t kMaxSyncBlocks = 64;

/// One wire message: a tagged union of the message kinds.
struct Message {
  std::variant<Proposal, Vote, Timeout, BlockRequest, BlockResponse> body;

  /// Encoded size in bytes (see the file comment for the encoding).
  std::size_t size_bytes() const;
  /// "proposal" | "vote" | "timeout" | "block_request" | "block_response" (traces, counters).
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
