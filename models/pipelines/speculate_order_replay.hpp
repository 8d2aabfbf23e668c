// speculate_order_replay: Vegeta-style speculation → ordering → replay (Vegeta, NSDI 2025;
// DESIGN.md pipeline 4) on the leaderless DAG BFT (models/consensus/dag_bft.hpp: DAG-Rider,
// PODC 2021; Narwhal and Tusk, EuroSys 2022).
//
// Per validator (docs/pipelines.md has the full description):
//   1. Speculate. When its DagBft core asks for the batch of its next vertex (RequestBatch), the
//      validator takes its pending transactions (those whose sender's home validator it is, in
//      arrival order, within pipeline.block_gas_limit / max_block_txs), speculates them on its
//      latest *replayed* state (execution::speculate: read/write sets, longest-chain-first
//      reordering, WAW/WAR/RAW dependency DAG) and charges the speculation schedule on its
//      execution lane; then the batch is ready and the core proposes ⟨batch, DAG⟩ in a vertex.
//      With pipeline.sor.speculation = "leader" only the leader of the requested round
//      (round mod n) speculates; the other batches go out unspeculated at once.
//   2. Order. The DAG BFT certifies vertices and commits anchors; each committed anchor's newly
//      ordered causal history, in the given order, is one replay block (its batches
//      concatenated, with their speculated sets).
//   3. Replay. execution::replay_block (pipeline.sor.replay_mode basic | improved) on the
//      validator's replayed state; the schedule is charged on its execution lane (FIFO after
//      speculations already queued), then the validator's replayed state advances.
//
// Compute once, charge everywhere: all honest validators order the same anchor sequence (an
// invariant checked at every Ordered), so the replay of anchor k is computed once on the state
// after anchors 0..k-1 and its schedule charged on each validator's lane separately.
//
// Transactions: submitted at the sender's home validator (the never-crashing validators, by the
// sender address's last 4 bytes: the kernel's WorkloadFeed default), which is the only one that
// proposes them (senders are partitioned across proposers; no mempool gossip). included = the
// vertex carrying it got its certificate; committed = its anchor is ordered at the home
// validator; executed = the replay of that anchor finished at the home validator.
#pragma once

#include <memory>

#include "sim/runtime.hpp"
#include "sim/scenario.hpp"

namespace pipesim::pipelines {

/// Throws std::invalid_argument for a scenario the pipeline cannot run (unknown commitment) and
/// the workload loaders' errors.
std::unique_ptr<sim::Application> make_speculate_order_replay(const sim::Scenario& scenario,
                                                              sim::Runtime& runtime);

}  // namespace pipesim::pipelines
