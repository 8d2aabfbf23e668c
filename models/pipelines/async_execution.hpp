// Asynchronous execution pipeline (Monad-style): consensus orders, execution follows D blocks
// behind on its own lane.
//
// DESIGN.md pipeline 2, after docs.monad.xyz (Asynchronous Execution, Block States, Reserve
// Balance). On chained HotStuff (models/consensus/hotstuff.hpp):
//  - The header of block N carries the state root of block N - D (D = pipeline.d_lag; blocks
//    of height <= D carry the genesis root). Consensus never executes N to vote on N.
//  - Each block passes, at each node, Proposed -> Voted (a QC for it is known) -> Finalized
//    (committed by the 2-chain rule) -> Verified (its root appears in the finalized block D
//    later and equals the node's own execution result). Executed is recorded too.
//  - Root check and backpressure: to vote on N a validator must have executed block
//    M = N - max(D, 1) and checks the root claimed for M (in N's header for D >= 1; in N - 1's
//    header for D = 0); a leader of N must have executed N - D to put its root in the header.
//    So consensus runs at most D blocks (at least 1) ahead of every honest node's execution,
//    and slows down when execution falls behind. D = 0: the leader executes N before proposing
//    (like the interleaved pipeline) and validators check that root one block late, when voting
//    on N + 1 — the interleaved root-in-header check, moved off the voting critical path.
//  - Execution runs blocks in chain order on the node's execution lane: once finalized
//    (speculative_execution = none; also earlier when a root check needs a certified block, as
//    for D <= 1), from receipt of the proposal (on_proposal) or from the node's vote (on_vote).
//    Work on blocks that are never finalized is wasted (reported).
//  - Consensus-time validity: the reserve-balance check (models/execution/reserve_balance.hpp)
//    against the state after block N - max(D, 1) plus the pending transactions of the blocks in
//    between; proposers exclude and validators reject transactions that could overdraw.
//  - Divergent execution (faults.divergent): a node corrupts one write of the block at
//    faults.diverge_at_height; it is caught when its root for N is compared at N + D (at vote
//    time or at finalization, whichever comes first). Detection latency is reported.
#pragma once

#include <memory>

#include "sim/runtime.hpp"
#include "sim/scenario.hpp"

namespace pipesim::pipelines {

std::unique_ptr<sim::Application> make_async_execution(const sim::Scenario& scenario,
                                                       sim::Runtime& runtime);

}  // namespace pipesim::pipelines
