// Polkadot-like relay chain with parachains (`pipeline.kind: "async_backing"`): synchronous or
// asynchronous backing (`polkadot.backing_mode`), modelled end to end on sim::Runtime.
//
// Node layout: the runtime's network.validators nodes are split into R relay-chain validators
// (nodes 0 .. R-1) and P x C collators (the last nodes; parachain p's collator k is node
// R + p * C + k), with P = polkadot.parachains, C = polkadot.collators_per_parachain and
// R = validators - P * C (validated >= max(4, backing_group_size)). Collators are relay-chain
// full nodes: they receive every relay block.
//
// Protocol cores (models/consensus/polkadot/, sans-I/O, effects driven by the kernel's
// drive_effects): every node runs a RelayChainNode (BABE slots, block import, erasure chunks,
// availability bitfields); relay validators also a Backer (validation, statements) and a
// GrandpaVoter; collators a Collator (para slots). Relay blocks, collations, statements,
// bitfields, erasure chunks and GRANDPA votes are real transport messages (one channel; their
// SCALE sizes and sources are in polkadot/messages.hpp), so their latencies and bytes come from
// the network model. The relay chain's runtime (the per-parachain ParachainTracker of
// polkadot/parachain_backing.hpp) is applied by the block author, as the canonical chain's
// state transition. Signatures (statements, bitfields, GRANDPA votes, block seals and, on import,
// the block's inherent) cost consensus.signature_verify_us / signature_sign_us on the node's
// consensus lane (Cpu effects).
//
// Relay chain: slot s (every polkadot.relay_slot_ms) is authored by babe_slot_author(seed, s, R);
// a crashed author leaves the slot empty. The author builds on its best block: if that is not
// the canonical tip (it missed the tip's announcement: a partition or a delay longer than a
// slot), its block is a fork that loses the longest-chain fork choice and is orphaned (metric
// relay_forks_orphaned; the slot counts as empty). Otherwise it applies the availability
// bitfields it holds on its parent and the backing statements it holds to each parachain's
// tracker and broadcasts the block (header, candidate receipts, R signed bitfields) to every
// node. A node that receives a block above its best imports it (the blocks it missed are
// implied: block sync is not modelled).
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
// The collation (PoV = transactions + a 1 KiB header + receipt; state proofs are not modelled)
// goes to one live member of the backing group assigned to the parachain's core at the relay
// parent (BackingGroups, rotation every group_rotation_relay_blocks), which validates it (the
// same execution charged on its host), sends its statement to every relay validator and
// forwards the PoV to the other members, who validate and send theirs.
//
// Availability: when the relay block that backs a candidate reaches one of its backers, the
// backer sends erasure chunks (polkadot/messages.hpp chunk_bytes) to the validators that fetch
// from it (validator i from backer i mod backers); a validator signs its bitfield
// polkadot.bitfield_delay_ms after importing a block, with the bit set when its chunk arrived
// by then, and sends it to every relay validator. The next author counts the bitfields it
// holds: >= supermajority(R) includes the candidate.
//
// GRANDPA (polkadot/grandpa.hpp): a round starts every polkadot.grandpa_round_ms; each relay
// validator prevotes its best block minus grandpa_vote_behind_blocks and sends the prevote to
// every relay validator; at a supermajority of prevotes it precommits the prevote-GHOST; at a
// supermajority of precommits it finalizes. The reference validator (the first relay validator
// that never crashes) gives the finality metrics.
//
// Faults: faults.events crash / recover apply to relay validators and collators alike (a
// recovered node re-arms its slot and GRANDPA clocks; collators build again at the next relay
// block). Byzantine `invalid_candidate`: a collator authors invalid candidates (honest backers
// refuse them: no statement, the PoV is not forwarded); a relay validator attests whatever it
// validates.
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
// included,dropped} and candidates_dropped_<reason>, relay_blocks_authored, relay_slots_empty,
// relay_forks_orphaned; with invalid_candidate scheduled candidates_invalid_authored and
// statements_refused_invalid. Invariants: inclusion_follows_parent_links,
// sync_builds_on_included_head (sync), unincluded_segment_within_bound, relay_chain_linear (no
// voter finalized beyond the canonical head), no_invalid_candidate_backed (with
// invalid_candidate scheduled).
#pragma once

#include <memory>

#include "sim/runtime.hpp"
#include "sim/scenario.hpp"

namespace pipesim::pipelines {

std::unique_ptr<sim::Application> make_async_backing(const sim::Scenario& scenario,
                                                     sim::Runtime& runtime);

}  // namespace pipesim::pipelines
