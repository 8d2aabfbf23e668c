// Simulation: one run of one scenario on SimGrid. The only SimGrid-facing class of pipesim
// (its header includes none; simulation.cpp does).
//
// Builds the platform (one SimGrid host per validator with `nodes.cores` cores of
// `nodes.speed_factor` Gflop/s, where 1 Gflop is one reference-core second of the cost model),
// runs a single dispatcher actor that drives pipesim's own event queue against SimGrid's clock,
// and charges execution jobs on the hosts with SimGrid activities. One Engine per process.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "sim/runtime.hpp"
#include "sim/scenario.hpp"

namespace pipesim::sim {

/// Wall-clock statistics of a finished run.
struct RunStats {
  double simulated_s = 0.0;
  double wall_s = 0.0;
  std::uint64_t events = 0;
  std::uint64_t messages = 0;
};

/// Called about once per wall second during a run (for the CLI's progress line).
using ProgressFn =
    std::function<void(double simulated_s, double duration_s, double wall_s, std::uint64_t events)>;

/// Thrown by Simulation::run when a stop was requested (request_stop(), e.g. from a SIGINT or
/// SIGTERM handler); `signal()` is the number passed to request_stop.
class RunInterrupted : public std::runtime_error {
 public:
  explicit RunInterrupted(int signal)
      : std::runtime_error("interrupted by signal " + std::to_string(signal)), signal_(signal) {}
  int signal() const { return signal_; }

 private:
  int signal_;
};

/// Asks the running simulation (if any) to stop at its next event: run() then throws
/// RunInterrupted(signal). Async-signal-safe (stores into a lock-free atomic).
void request_stop(int signal) noexcept;
/// The signal passed to request_stop(), or 0.
int stop_requested() noexcept;

class Simulation final : public Runtime {
 public:
  /// Creates the SimGrid engine and platform. Throws std::runtime_error if an engine already
  /// exists in this process.
  /// `run_dir` empty: outputs are not written (the Recorder still aggregates metrics).
  explicit Simulation(const Scenario& scenario, const std::filesystem::path& run_dir = {});
  ~Simulation() override;
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  /// Runs `app` until scenario.duration_s simulated seconds have passed. Any exception raised
  /// inside the simulation (by the application, an execution job, SimGrid, or std::bad_alloc) is
  /// caught in its actor, stops the run and is rethrown here (never an abort of the process);
  /// a requested stop throws RunInterrupted. A job with a negative or non-finite CPU duration
  /// throws std::runtime_error.
  RunStats run(Application& app, const ProgressFn& progress = {});

  // Runtime
  double now() const override;
  std::uint32_t validators() const override;
  double speed_factor(NodeId node) const override;
  bool is_crashed(NodeId node) const override;
  void send(NodeId from, NodeId to, std::uint16_t channel, std::shared_ptr<const void> payload,
            std::uint64_t size_bytes, double depart_s = 0.0) override;
  void broadcast(NodeId from, std::uint16_t channel, std::shared_ptr<const void> payload,
                 std::uint64_t size_bytes, double depart_s = 0.0) override;
  double base_latency_s(NodeId from, NodeId to) const override;
  std::string region_of(NodeId node) const override;
  void account_broadcast_bytes(NodeId from, std::uint64_t bytes_per_peer) override;
  void set_timer(NodeId node, double at_s, std::uint64_t timer_id) override;
  void at(double at_s, std::function<void()> fn) override;
  double occupy_consensus_lane(NodeId node, double seconds_ref) override;
  void run_execution(NodeId node, CpuJob job, std::function<void(double)> on_done) override;
  Recorder& recorder() override;

  const Scenario& scenario() const;
  /// Bytes sent / received by a node so far.
  std::uint64_t bytes_sent(NodeId node) const;
  std::uint64_t bytes_received(NodeId node) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pipesim::sim
