// Core value types of the chained-HotStuff (MonadBFT-like) consensus core: identifiers, block
// header, quorum certificate (QC) and timeout certificate (TC).
//
// Pure C++ (no SimGrid). Everything here is a plain value; messages that carry these values are
// in messages.hpp, the state machine in hotstuff.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <utility>
#include <vector>

#include "models/common/bytes.hpp"

namespace pipesim::consensus {

/// Validator index in [0, n).
using NodeId = std::uint32_t;
/// Consensus round (view). Round 0 is the genesis round; the first proposal is in round 1.
using Round = std::uint64_t;
/// Block height: genesis has height 0, every block is its parent's height + 1.
using Height = std::uint64_t;
/// 64-bit block identifier derived from the header contents by compute_block_id(). It is an
/// identifier for the simulation, NOT a cryptographic commitment (on the wire it is accounted
/// for as a 32-byte hash, see messages.hpp).
using BlockId = std::uint64_t;

/// Number of faults tolerated by n validators: f = floor((n - 1) / 3).
/// Slack (s) under which two simulated times count as equal, so that a timer fired at exactly
/// its deadline counts as due (floating-point sums of delays are not exact).
inline constexpr double kTimeEpsilonS = 1e-9;

constexpr std::uint32_t max_faulty(std::uint32_t n) {
  return n == 0 ? 0 : (n - 1) / 3;
}
/// Quorum size: n - f (= 2f + 1 when n = 3f + 1). Any two quorums intersect in >= f + 1 nodes.
constexpr std::uint32_t quorum_size(std::uint32_t n) {
  return n - max_faulty(n);
}
/// Round-robin leader: leader(r) = r mod n. Requires n > 0.
constexpr NodeId leader_of(Round round, std::uint32_t n) {
  return static_cast<NodeId>(round % n);
}

/// The signers of a certificate: ascending, distinct validator indices, immutable and shared. A
/// QC is copied into every node's block tree, high QC, pacemaker state and messages; at
/// n = 10,000 its 2f + 1 signers take 27 KB, so copies share one list (issue 16: the
/// 10,000-validator gossip run held 4.4 GiB of signer copies). Compares by contents.
class SignerSet {
 public:
  SignerSet() = default;
  // Implicit on purpose: a QC is built from the list it aggregates.
  SignerSet(std::vector<NodeId> ids)  // NOLINT(google-explicit-constructor)
      : ids_(ids.empty() ? nullptr : std::make_shared<const std::vector<NodeId>>(std::move(ids))) {}
  SignerSet(std::initializer_list<NodeId> ids)  // NOLINT(google-explicit-constructor)
      : SignerSet(std::vector<NodeId>(ids)) {}
  const std::vector<NodeId>& ids() const { return ids_ ? *ids_ : empty_ids(); }
  std::size_t size() const { return ids_ ? ids_->size() : 0; }
  bool empty() const { return size() == 0; }
  std::vector<NodeId>::const_iterator begin() const { return ids().begin(); }
  std::vector<NodeId>::const_iterator end() const { return ids().end(); }
  NodeId operator[](std::size_t i) const { return ids()[i]; }
  friend bool operator==(const SignerSet& a, const SignerSet& b) {
    return a.ids_ == b.ids_ || a.ids() == b.ids();
  }
  friend bool operator==(const SignerSet& a, const std::vector<NodeId>& b) { return a.ids() == b; }

 private:
  static const std::vector<NodeId>& empty_ids() {
    static const std::vector<NodeId> kEmpty;
    return kEmpty;
  }
  std::shared_ptr<const std::vector<NodeId>> ids_;
};

/// Quorum certificate: a quorum of votes on (block_id, round), aggregated into one signature.
/// The genesis QC (round 0) has no signers.
struct QuorumCert {
  BlockId block_id = 0;
  Round round = 0;
  Height height = 0;             // height of the certified block (convenience, not signed)
  std::uint32_t validators = 0;  // n, sizes the signer bitmap on the wire
  SignerSet signers;             // ascending, distinct; shared between copies

  bool operator==(const QuorumCert&) const = default;
};

/// Timeout certificate for `round`: a quorum of timeout messages. Following Jolteon, a TC carries
/// the highest QC among its signers' timeout messages (`high_qc`); proposals justified by a TC
/// must extend a QC at least that high.
struct TimeoutCert {
  Round round = 0;
  std::uint32_t validators = 0;
  std::vector<NodeId> signers;  // ascending, distinct
  QuorumCert high_qc;           // highest QC reported by the signers

  bool operator==(const TimeoutCert&) const = default;
};

/// What the pipeline supplies for a proposal (answer to RequestPayload). The consensus core
/// never sees transactions: it only carries these fields in the header.
struct Payload {
  std::uint64_t payload_id = 0;  // chosen by the pipeline (e.g. a batch digest)
  std::uint64_t size_bytes = 0;  // encoded payload size, added to the proposal's size
  Hash32 state_root{};           // whose root this is is the pipeline's business
  std::uint64_t tx_count = 0;
  std::uint64_t gas_used = 0;
};

/// Block header as proposed by the round's leader.
struct BlockHeader {
  BlockId id = 0;  // compute_block_id(*this)
  BlockId parent_id = 0;
  Round round = 0;
  Height height = 0;
  NodeId proposer = 0;
  QuorumCert justify;  // QC of the parent: justify.block_id == parent_id
  std::uint64_t payload_id = 0;
  std::uint64_t payload_size_bytes = 0;
  Hash32 state_root{};
  std::uint64_t tx_count = 0;
  std::uint64_t gas_used = 0;

  bool operator==(const BlockHeader&) const = default;
};

/// Deterministic 64-bit digest of every header field except `id` (and except the QC's signer
/// list, which does not identify the block). A splitmix64-style mix: stable across platforms and
/// runs, collision-resistant enough for simulation, not cryptographic.
BlockId compute_block_id(const BlockHeader& header);

/// The genesis block: round 0, height 0, proposer 0, all payload fields zero; committed by
/// definition at start (never reported in Committed).
const BlockHeader& genesis_header();
/// The genesis QC for n validators: certifies genesis_header() in round 0, no signers.
QuorumCert genesis_qc(std::uint32_t n);

}  // namespace pipesim::consensus
