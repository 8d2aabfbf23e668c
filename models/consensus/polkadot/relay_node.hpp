// Relay-chain node of a Polkadot-like network (a relay validator or a collator, which is a relay
// full node), as a sans-I/O core: BABE slot authorship, block import, availability chunks and
// bitfields. on_message / on_timer return effects (messages.hpp).
//
//  - Slots: every relay validator runs a slot timer (PdTimer::kSlot, value = slot, at
//    slot x slot_s); in slot s relay validator babe_slot_author(seed, s, relay_validators)
//    emits AuthorSlot {s, best}: the pipeline builds the block on the node's best block (the relay
//    chain's runtime, ParachainTracker, is the pipeline's) and hands it back with on_authored,
//    which imports it locally and broadcasts it.
//  - Import: a RelayBlock above the node's best becomes its best (Imported effect; the blocks
//    it missed are implied: their content is not re-sent); older or repeated blocks are
//    ignored.
//    A relay validator that backed a candidate the block put on chain pushes erasure chunks to
//    the validators that fetch from it (validator i from backer i mod backers, backers in
//    statement order; a chunk whose backer is down is lost: no retry is modelled), and every
//    relay validator arms its bitfield timer (PdTimer::kBitfield, value = block number) at
//    import + bitfield_delay_s.
//  - Bitfield: at that timer the validator signs which candidates pending availability in that
//    block it holds a chunk of, and sends the bitfield to every other relay validator.
//  - The author of the next block counts the bitfields it holds on its parent
//    (available_votes()).
//  - Catch-up: an author whose block was orphaned (the pipeline found it built on a stale best
//    block) broadcasts a ForkAnnounce (on_orphaned); every node whose best block is at or above
//    the fork's number answers with its best block, which the stale node imports. Without it a
//    node that missed blocks during a partition (messages dropped, never retransmitted) would
//    stay behind until the next canonical block reached it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "models/consensus/polkadot/messages.hpp"

namespace pipesim::consensus::polkadot {

struct RelayNodeConfig {
  std::uint32_t nodes = 4;             // every node (relay validators + collators), >= relay
  std::uint32_t relay_validators = 4;  // nodes 0 .. relay_validators - 1, >= 1
  std::uint32_t cores = 1;             // availability cores (one per parachain): bitfield width
  std::uint64_t seed = 0;              // BABE slot lottery
  double slot_s = 6.0;                 // > 0
  double bitfield_delay_s = 1.5;       // >= 0
  SignatureCost signatures;  // bitfields verified / signed, block seals and inherent signatures
};

class RelayChainNode {
 public:
  /// Throws std::invalid_argument on relay_validators 0 or > nodes, self >= nodes, slot_s <= 0.
  RelayChainNode(RelayNodeConfig config, NodeId self);

  /// Arms the timer of the first slot after `now` (at start and after a recovery); nothing for
  /// a collator.
  Effects start(double now);
  Effects on_timer(double now, TimerId id);
  /// RelayBlock, Chunk, ChunkRequest, ForkAnnounce and Bitfield messages (others are ignored).
  Effects on_message(double now, NodeId from, const MessagePtr& msg);
  /// The block this node authored in answer to AuthorSlot: imported locally, broadcast.
  Effects on_authored(double now, const std::shared_ptr<const RelayBlock>& block);

  /// The block this node authored in answer to AuthorSlot{slot, parent} forks at parent + 1 and
  /// was orphaned: announce it so that peers ahead send their best block.
  Effects on_orphaned(double now, std::uint64_t number);

  bool is_validator() const { return self_ < config_.relay_validators; }
  std::uint64_t best() const { return best_; }
  /// Bitfields this node holds, signed on block `relay_parent`, with candidate `id` available.
  std::uint32_t available_votes(std::uint64_t relay_parent, CandidateId id) const;
  bool holds_chunk(CandidateId id) const { return chunks_.count(id) != 0; }

 private:
  Effects import(double now, const std::shared_ptr<const RelayBlock>& block);
  void record_bitfield(const Bitfield& b);

  RelayNodeConfig config_;
  NodeId self_;
  std::uint64_t best_ = 0;
  MessagePtr best_block_;  // the message of the best block (nullptr: genesis)
  std::uint64_t last_slot_ = 0;
  std::set<CandidateId> chunks_;
  std::map<CandidateId, std::uint64_t> serves_;  // candidates it backed (holds the PoV): chunk size
  std::map<CandidateId, std::uint32_t> retries_;                // chunk requests sent per candidate
  std::map<std::uint64_t, std::vector<CandidateId>> pending_;   // per imported block
  std::map<std::uint64_t, std::set<NodeId>> bitfield_signers_;  // per relay parent
  std::map<std::uint64_t, std::map<CandidateId, std::uint32_t>> bits_;
};

}  // namespace pipesim::consensus::polkadot
