// Polkadot-like relay chain with parachains (`pipeline.kind: "async_backing"`): synchronous or
// asynchronous backing (`polkadot.backing_mode`), modelled end to end on sim::Runtime.
//
// Node layout: the runtime's network.validators nodes are split into R relay-chain validators
// (nodes 0 .. R-1) and P x C collators (the last nodes; parachain p's collator k is node
// R + p * C + k), with P = polkadot.parachains, C = polkadot.collators_per_parachain and
// R = validators - P * C (validated >= max(4, backing_group_size)). Collators are relay-chain
// full nodes: they receive every relay block.
//
// Relay chain (models/consensus/relay_chain.hpp): slot s (every polkadot.relay_slot_ms) is
// authored by babe_slot_author(seed, s, R); a crashed author leaves the slot empty. The author
// builds the next block from what it has received by then: the availability bitfields signed on
// its parent and the backing statements, applies them to each parachain's tracker
// (models/consensus/parachain_backing.hpp) and broadcasts the block (header, candidate receipts,
// R signed bitfields) to every node through the runtime.
//
// Parachains: the workload (make_tx_source) is partitioned by sender: parachain
// low4(sender) mod P, entering at collator (low4(sender) / P) mod C and gossiped to the
// parachain's other collators (visible after their base latency; these bytes are not counted).
// On each relay block N, parachain p's collator k = (N / L) mod C (Aura-like para slots of
// L = 1 relay block in async mode, 2 in sync mode) builds if its tracker allows
// (sync: empty segment, on the included head; async: on the segment tip within the segment
// bound and the velocity): it selects transactions in arrival order within
// pipeline.block_gas_limit, pipeline.max_block_txs and polkadot.pov_size_limit_bytes, executes
// them for real (compute once, pipeline.executor) on its parent's post-state and is charged the
// execution on its host; a block whose execution exceeds the authoring time
// (polkadot.authoring_time_ms, default 0.5 s sync / 2 s async) is cut to the prefix that fits.
// The collation (PoV = transactions + a 1 KiB header; state proofs are not modelled) goes to
// one member of the backing group assigned to the parachain's core at the relay parent
// (BackingGroups, rotation every group_rotation_relay_blocks), which validates it (the same
// execution charged on its host), issues its statement and forwards the PoV to the other
// members, who validate and issue theirs. Statements and bitfields are gossiped: a node holds
// one once the signer's base latency has passed (bytes counted with account_broadcast_bytes).
//
// Availability: when the relay block that backs a candidate reaches one of its backers, the
// backer sends erasure chunks (3 x PoV / R bytes each, rate-1/3 coding) to the validators that
// fetch from it (validator i from backer i mod backers); a validator signs its bitfield
// polkadot.bitfield_delay_ms after importing a block, with the bit set when its chunk arrived
// by then. The next author counts the bitfields it holds: >= supermajority(R) includes the
// candidate.
//
// GRANDPA (relay_chain.hpp): a round starts every polkadot.grandpa_round_ms; each live relay
// validator prevotes its best block minus grandpa_vote_behind_blocks; each voter precommits
// the prevote-GHOST once a supermajority of prevotes reached it; relay validator 0 (or the
// first live one) finalizes the precommit-GHOST once a supermajority of precommits reached it.
// Votes are delivered analytically (base latency), bytes counted.
//
// Transaction times: submitted at arrival; executed when the authoring collator finished the
// block plus the base latency to the transaction's entry collator; included when the relay
// block that backs its candidate on chain is authored; committed when the relay block that
// includes the candidate (availability) reaches the entry collator. Candidates are also traced
// to GRANDPA finality.
//
// Metrics (besides the common ones): parablock_interval_s (pooled, = block_interval_s) and
// parablock_interval_s_para<i>, relay_block_interval_s, finality_lag_s, finality_lag_blocks,
// blockspace_gas_per_relay_block, blockspace_bytes_per_relay_block,
// latency_candidate_authored_to_{backed,backed_on_chain,included,finalized}_s,
// unincluded_segment_length (and unincluded_segment_length_max), candidates_{authored,backed,
// included,dropped} and candidates_dropped_<reason>, relay_blocks_authored, relay_slots_empty.
// Invariants: inclusion_follows_parent_links, sync_builds_on_included_head (sync),
// unincluded_segment_within_bound, relay_chain_linear.
#pragma once

#include <memory>

#include "sim/runtime.hpp"
#include "sim/scenario.hpp"

namespace pipesim::pipelines {

std::unique_ptr<sim::Application> make_async_backing(const sim::Scenario& scenario,
                                                     sim::Runtime& runtime);

}  // namespace pipesim::pipelines
