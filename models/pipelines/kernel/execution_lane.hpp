// Kernel: the execution lane, the one place that charges execution-side work on a node.
//
// A job (sim::CpuJob, reference-core seconds) is queued on the node's execution lane
// (Runtime::run_execution). Its CPU time is recorded as `cpu_busy_<stage>_s_per_node` (sum of
// the workers' busy time / the node's own speed factor, Runtime::speed_factor); its duration
// (makespan / speed) as `execution_time_per_block_s` and its share of `budget_s` as
// `execution_budget_utilisation` (when `record_job`); the trace gets a span on `track` and one
// span per worker busy interval (tracks kWorker0 + w), scaled to the job's simulated duration.
// cpu_job turns an executor's schedule into such a job (one definition for ChainState's blocks
// and the speculation and replay schedules of speculate_order_replay).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "models/execution/executor.hpp"

#include "models/pipelines/chain_state.hpp"
#include "sim/recorder.hpp"
#include "sim/runtime.hpp"

namespace pipesim::pipelines {

/// What a charge records besides the CPU time.
struct LaneCharge {
  /// cpu_busy stage name ("execution", "speculation", "replay").
  std::string stage = "execution";
  /// Trace track of the job's span and its label (e.g. "execute 12 txs").
  sim::Track track = sim::Track::kExecution;
  std::string label;
  /// Record the job in execution_time_per_block_s / execution_budget_utilisation against
  /// `budget_s` (s of simulated time, e.g. the block time).
  bool record_job = true;
  double budget_s = 1.0;
};

/// Called when a charged job has finished: `done_s` its end, `duration_s` = makespan / the
/// node's speed factor (simulated seconds).
using LaneDone = std::function<void(double done_s, double duration_s)>;

/// Queues `job` on `node`'s execution lane; `then` runs when it has finished. No worker spans.
void charge_execution(sim::Runtime& rt, sim::NodeId node, sim::CpuJob job, const LaneCharge& charge,
                      LaneDone then);
/// Queues an executed block's job; its per-worker busy intervals (ExecutedBlock::spans) are drawn
/// on the worker tracks. `block` is kept alive until the job ends.
void charge_execution(sim::Runtime& rt, sim::NodeId node,
                      std::shared_ptr<const ExecutedBlock> block, const LaneCharge& charge,
                      LaneDone then);

/// The usual charge of an executed block: stage "execution" on the execution track, label
/// "<verb> <tx_count> txs" (e.g. "execute 12 txs"), recorded against `budget_s` (simulated s:
/// the block time, a collator's authoring time); `then(done_s)` when it has finished.
void charge_block(sim::Runtime& rt, sim::NodeId node, std::shared_ptr<const ExecutedBlock> block,
                  std::string_view verb, double budget_s, std::function<void(double)> then);

/// Sum of a job's worker busy times (reference-core seconds).
double busy_seconds(const sim::CpuJob& job);

/// The lane job of an executor schedule: `threads` (>= 1) workers, worker w busy for the sum of
/// the spans it ran (a span of a worker >= threads counts on the last one), makespan
/// `makespan_s` (both reference-core seconds, as the executor's cost model gives them).
sim::CpuJob cpu_job(std::span<const execution::Span> schedule, double makespan_s,
                    std::uint32_t threads);

}  // namespace pipesim::pipelines
