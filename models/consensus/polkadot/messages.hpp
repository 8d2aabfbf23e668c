// Wire messages of the Polkadot protocol cores (relay chain node, backing, GRANDPA, collator) and
// the effects those cores return. Pure C++ (no SimGrid): the pipeline hands the messages to the
// transport (sim::Runtime::send / broadcast), whose network model gives them their latency from
// `size_bytes()`.
//
// Encoded sizes are SCALE encodings from polkadot-sdk (bytes; hashes 32 B, sr25519 / ed25519
// signatures 64 B, ValidatorIndex u32 4 B, one-byte enum tags, compact length prefixes):
//  - Statement: v2 statement distribution `StatementDistributionMessage::Statement(relay_parent,
//    UncheckedSignedStatement)` (polkadot/node/network/protocol/src/lib.rs, v2): tags 2 +
//    relay parent 32 + CompactStatement (tag 1 + candidate hash 32) + validator index 4 +
//    signature 64 = 135 B. The full candidate receipt of a Seconded statement travels with the
//    collation (below), not with the statement.
//  - Bitfield: `BitfieldDistributionMessage::Bitfield(relay_parent,
//    UncheckedSignedAvailabilityBitfield)` (same file): tags 2 + relay parent 32 + BitVec
//    (compact length 1 + ceil(cores / 8)) + validator index 4 + signature 64 = 103 + ceil(cores/8).
//  - GRANDPA vote: `GossipMessage::Vote(VoteMessage { round u64, set_id u64, message:
//    SignedMessage { Prevote|Precommit { target_hash 32, target_number u32 }, signature 64,
//    id 32 } })` (substrate/client/consensus/grandpa/src/communication/gossip.rs, finality-grandpa
//    crate): tag 1 + 8 + 8 + (tag 1 + 32 + 4) + 64 + 32 = 150 B.
//  - Collation / seconded PoV: the PoV (transactions + a 1 KiB parablock header, state proofs
//    not modelled) plus a CandidateReceipt (~700 B: descriptor with para id, relay parent,
//    collator, hashes and signature, commitments hash, head data).
//  - Erasure chunk (`ErasureChunk { chunk, index u32, proof }`, polkadot/primitives): the chunk
//    (3 x PoV / validators bytes, rate-1/3 coding, >= 1) + index 4 + a Merkle proof of
//    ceil(log2(validators)) hashes of 32 B.
//  - Relay block announcement: a Substrate header (~300 B incl. digests) + the parachain inherent:
//    one signed bitfield per relay validator (64 + ceil(cores / 8) + 4 B) + per backed candidate
//    its receipt (700 B) and two statements.
// Signatures cost CPU on the node's consensus lane (a Cpu effect, first in the handler's effects,
// effects.hpp's ordering contract): each core takes a verify and a sign cost per signature (the
// pipeline passes consensus.signature_verify_us / signature_sign_us, one figure for sr25519 and
// ed25519); 0 (the cores' default) emits no Cpu effect.
#pragma once

#include <cstdint>
#include <memory>
#include <variant>
#include <vector>

#include "models/consensus/effects.hpp"
#include "models/consensus/polkadot/parachain_backing.hpp"

namespace pipesim::consensus::polkadot {

using NodeId = std::uint32_t;

inline constexpr std::uint64_t kStatementBytes = 2 + 32 + 1 + 32 + 4 + 64;  // 135
inline constexpr std::uint64_t kBitfieldBaseBytes = 2 + 32 + 1 + 4 + 64;    // + ceil(cores / 8)
inline constexpr std::uint64_t kGrandpaVoteBytes = 1 + 8 + 8 + 1 + 32 + 4 + 64 + 32;  // 150
inline constexpr std::uint64_t kCandidateReceiptBytes = 700;
inline constexpr std::uint64_t kParablockHeaderBytes = 1024;  // PoV overhead besides the txs
inline constexpr std::uint64_t kRelayHeaderBytes = 300;

/// Erasure chunk size (bytes) of a PoV of `pov_bytes` among `validators` (>= 1), see above.
std::uint64_t chunk_bytes(std::uint64_t pov_bytes, std::uint32_t validators);

/// A candidate put on chain by a relay block (its receipt): who backed it, what to serve.
struct BackedReceipt {
  CandidateId id = 0;
  std::uint64_t pov_bytes = 0;
  std::vector<NodeId> backers;  // validators with a valid statement, in statement order
};

/// A relay block announced by its author (header + body; every node imports it).
struct RelayBlock {
  std::uint64_t number = 0;
  std::uint64_t slot = 0;
  NodeId author = 0;
  std::vector<BackedReceipt> backed;   // put on chain (pending availability) by this block
  std::vector<BackedReceipt> pending;  // pending availability after this block (bitfield bits)
  std::vector<CandidateId> included;   // made available by this block
  std::uint64_t size_bytes = 0;        // encoded size (see the file comment)
  /// Signatures an importer verifies: the block seal, and with the parachain inherent the
  /// signed bitfields and the backing statements it carries (the runtime checks them).
  std::uint32_t signatures = 1;
};

/// A collation: collator -> seconder (`forwarded` false), seconder -> the other group members
/// after seconding (`forwarded` true). Carries the PoV.
struct Collation {
  CandidateId id = 0;
  std::uint32_t group = 0;  // backing group assigned to the candidate's core at its relay parent
  std::uint64_t pov_bytes = 0;
  bool forwarded = false;
};

/// A backer's valid statement (Seconded by the first, Valid by the others) on a candidate.
struct Statement {
  CandidateId id = 0;
  NodeId validator = 0;
  bool seconded = false;
};

/// A relay validator's signed availability bitfield on relay block `relay_parent`: the candidates
/// pending availability there whose erasure chunk it holds (one bit per core on the wire).
struct Bitfield {
  std::uint64_t relay_parent = 0;
  NodeId validator = 0;
  std::vector<CandidateId> available;
};

/// One erasure chunk of candidate `id`, from a backer to the validator that fetches it.
struct Chunk {
  CandidateId id = 0;
};

/// A validator's request for its chunk of `id` to one backer (availability-distribution's
/// ChunkFetchingRequest: candidate hash 32 + validator index 4 + tag 1 = 37 B).
struct ChunkRequest {
  CandidateId id = 0;
};
inline constexpr std::uint64_t kChunkRequestBytes = 37;

/// A block announcement of an author that built on a stale best block (a fork at `number`,
/// which loses the fork choice): header only. Nodes whose best block is at or above `number`
/// answer with their best block (Substrate's block-announce handshake and sync answer a peer
/// that is behind; the request round-trip is folded into this answer).
struct ForkAnnounce {
  std::uint64_t number = 0;
};

enum class VoteKind : std::uint8_t { kPrevote, kPrecommit };
/// A GRANDPA prevote or precommit of `voter` in `round` for relay block number `target`.
struct GrandpaVote {
  std::uint64_t round = 0;
  VoteKind kind = VoteKind::kPrevote;
  std::uint64_t target = 0;
  NodeId voter = 0;
};

struct Message {
  std::variant<RelayBlock, Collation, Statement, Bitfield, Chunk, ChunkRequest, ForkAnnounce,
               GrandpaVote>
      body;
  /// Encoded size in bytes (file comment). Bitfields use `cores`, chunks `chunk_size`.
  std::uint64_t size = 0;
  std::uint64_t size_bytes() const { return size; }
};
using MessagePtr = std::shared_ptr<const Message>;

/// Builds a message with its encoded size: RelayBlock uses its size_bytes; Collation the PoV +
/// receipt; Statement 135 B; Bitfield 103 + ceil(cores / 8); GrandpaVote 150 B; Chunk
/// `chunk_size` (chunk_bytes()).
MessagePtr make_message(RelayBlock b);
MessagePtr make_message(Collation c);
MessagePtr make_message(Statement s);
MessagePtr make_message(Bitfield b, std::uint32_t cores);
MessagePtr make_message(Chunk c, std::uint64_t chunk_size);
MessagePtr make_message(ChunkRequest r);
MessagePtr make_message(ForkAnnounce a);  // kRelayHeaderBytes
MessagePtr make_message(GrandpaVote v);

// ---- effects ----

/// Unicast `msg` to node `to` (never to self: self-delivery is handled inside the cores).
struct Send {
  NodeId to = 0;
  MessagePtr msg;
};
/// Send `msg` to every other node (relay validators and collators: relay blocks).
struct Broadcast {
  MessagePtr msg;
};
/// The node imported relay block `block` (its new best block; ancestors it missed are implied:
/// block sync is not modelled).
struct Imported {
  std::shared_ptr<const RelayBlock> block;
};
/// This relay validator is the BABE author of `slot`: the pipeline builds the block on `parent`
/// (the node's best block) and answers RelayChainNode::on_authored.
struct AuthorSlot {
  std::uint64_t slot = 0;
  std::uint64_t parent = 0;
};
/// This backer must validate candidate `id` (re-execute its PoV) and answer
/// Backer::on_validated. `seconder`: it is the group member the collator chose.
struct ValidateCandidate {
  CandidateId id = 0;
  bool seconder = false;
};
/// This backer issued its valid statement on `id` (the candidate may now become backable).
struct StatementIssued {
  CandidateId id = 0;
};
/// This GRANDPA voter finalized relay block `number` (monotonic per voter).
struct Finalized {
  std::uint64_t number = 0;
};
/// This collator's para slot: build a candidate with relay parent `relay_parent`.
struct BuildCollation {
  std::uint64_t relay_parent = 0;
};

using Effect =
    std::variant<consensus::Cpu, Send, Broadcast, consensus::SetTimer, Imported, AuthorSlot,
                 ValidateCandidate, StatementIssued, Finalized, BuildCollation>;
using Effects = std::vector<Effect>;

/// Signature costs of a core (seconds of reference-core CPU per signature).
struct SignatureCost {
  double verify_s = 0.0;
  double sign_s = 0.0;
};

/// Puts Cpu{verifies x verify_s + signs x sign_s, label} first in `out` when it is > 0.
void charge_signatures(Effects& out, const SignatureCost& cost, std::uint32_t verifies,
                       std::uint32_t signs, const char* label);

/// Timer ids of the Polkadot cores: (value << 2) | kind.
enum class PdTimer : std::uint64_t { kSlot = 0, kBitfield = 1, kGrandpaRound = 2, kVelocity = 3 };
constexpr consensus::TimerId pd_timer(PdTimer kind, std::uint64_t value) {
  return (value << 2) | static_cast<std::uint64_t>(kind);
}
constexpr PdTimer pd_timer_kind(consensus::TimerId id) {
  return static_cast<PdTimer>(id & 3);
}
constexpr std::uint64_t pd_timer_value(consensus::TimerId id) {
  return id >> 2;
}

}  // namespace pipesim::consensus::polkadot
