#include "models/pipelines/kernel/execution_lane.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace pipesim::pipelines {
namespace {

void charge(sim::Runtime& rt, sim::NodeId node, sim::CpuJob job,
            std::shared_ptr<const ExecutedBlock> block, const LaneCharge& what, LaneDone then) {
  sim::Recorder& rec = rt.recorder();
  const double speed = rt.speed_factor(node);
  rec.cpu_busy(node, what.stage, busy_seconds(job) / speed);
  const double makespan_ref = job.makespan_s;
  const double duration = makespan_ref / speed;
  rt.run_execution(node, std::move(job),
                   [&rt, node, block = std::move(block), what, duration, makespan_ref,
                    then = std::move(then)](double done) {
                     sim::Recorder& r = rt.recorder();
                     const double start = done - duration;
                     if (what.record_job) r.execution_job(duration, what.budget_s);
                     if (r.traced(node)) {
                       r.span(node, what.track, what.label, start, done);
                       if (block) {
                         const double scale = duration / std::max(makespan_ref, 1e-12);
                         for (const auto& s : block->spans) {
                           const auto track = static_cast<sim::Track>(
                               static_cast<std::uint32_t>(sim::Track::kWorker0) + s.worker);
                           r.span(node, track, "worker", start + s.start_s * scale,
                                  start + s.end_s * scale);
                         }
                       }
                     }
                     then(done, duration);
                   });
}

}  // namespace

void charge_block(sim::Runtime& rt, sim::NodeId node, std::shared_ptr<const ExecutedBlock> block,
                  std::string_view verb, double budget_s, std::function<void(double)> then) {
  LaneCharge what;
  what.label = fmt::format("{} {} txs", verb, block->tx_count);
  what.budget_s = budget_s;
  charge_execution(rt, node, std::move(block), what,
                   [then = std::move(then)](double done, double) { then(done); });
}

double busy_seconds(const sim::CpuJob& job) {
  double busy = 0;
  for (double b : job.worker_busy_s) busy += b;
  return busy;
}

sim::CpuJob cpu_job(std::span<const execution::Span> schedule, double makespan_s,
                    std::uint32_t threads) {
  sim::CpuJob job;
  job.worker_busy_s.assign(threads, 0.0);
  job.makespan_s = makespan_s;
  for (const execution::Span& s : schedule) {
    job.worker_busy_s[std::min(s.worker, threads - 1)] += s.end_s - s.start_s;
  }
  return job;
}

void charge_execution(sim::Runtime& rt, sim::NodeId node, sim::CpuJob job, const LaneCharge& what,
                      LaneDone then) {
  charge(rt, node, std::move(job), nullptr, what, std::move(then));
}

void charge_execution(sim::Runtime& rt, sim::NodeId node,
                      std::shared_ptr<const ExecutedBlock> block, const LaneCharge& what,
                      LaneDone then) {
  sim::CpuJob job = block->job;
  charge(rt, node, std::move(job), std::move(block), what, std::move(then));
}

}  // namespace pipesim::pipelines
