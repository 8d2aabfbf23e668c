// The node runtime the pipelines program against: time, transport, timers, CPU charging.
//
// This header includes no SimGrid header: pipelines (models/pipelines/) see only this API, and
// sim/simulation.cpp implements it on SimGrid. Everything happens on one simulated clock in
// seconds; handlers run one at a time in a deterministic order (time, then insertion sequence).
//
// Cost model of a node (documented in docs/architecture.md):
//  - Consensus lane: message and timer handling is serialised on one dedicated core per node.
//    A handler that costs c seconds (occupy_consensus_lane) delays the node's next delivery or
//    timer until the lane is free again, and messages it sends depart when the work is done.
//  - Execution lane: block execution is charged on the node's host, one job at a time per node in
//    FIFO order: computed directly on the built-in platform (a worker per core), as SimGrid
//    activities on a network.platform_xml host (its cores shared fairly with whatever runs there).
//  - Transport: see sim/transport.hpp (latency model + per-node upload/download serialisation).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace pipesim::sim {

using NodeId = std::uint32_t;

class Recorder;

/// A unit of execution work on one node, in reference-core seconds (the node's speed factor
/// divides them). `worker_busy_s[w]` is worker w's total busy time; `makespan_s` the schedule's
/// length including waits (>= every worker's busy time). Produced from an executor's schedule.
struct CpuJob {
  std::vector<double> worker_busy_s;
  double makespan_s = 0.0;
};

/// Callbacks the runtime delivers to the pipeline. All `now` values are simulated seconds.
class Application {
 public:
  virtual ~Application() = default;
  /// Called once at time 0, before any event.
  virtual void on_start() = 0;
  /// A message sent with Runtime::send/broadcast arrived at `node`. `channel` is the pipeline's
  /// own message-kind tag; `payload` is the sender's immutable object (shared, never copied).
  virtual void on_deliver(NodeId node, NodeId from, std::uint16_t channel,
                          const std::shared_ptr<const void>& payload) = 0;
  /// A timer set with Runtime::set_timer fired.
  virtual void on_timer(NodeId node, std::uint64_t timer_id) = 0;
  /// `node` recovered from a crash (faults "recover" event) at now(): messages and timers that
  /// were due while it was down are lost; the node resumes with the state it had when it
  /// crashed and re-arms what it needs. Default: nothing.
  virtual void on_recover(NodeId /*node*/) {}
  /// Called once when the simulated duration ends (no further events are processed).
  virtual void on_finish() = 0;
};

/// The runtime services. Implemented by Simulation (SimGrid) — and by test doubles.
class Runtime {
 public:
  virtual ~Runtime() = default;

  /// Current simulated time (s).
  virtual double now() const = 0;
  /// Number of validators (node ids are 0 .. validators()-1).
  virtual std::uint32_t validators() const = 0;
  /// `node`'s speed factor: reference-core seconds of the cost model one of its cores does per
  /// simulated second. nodes.speed_factor on the built-in star platform; on a
  /// network.platform_xml platform, nodes.speed_factor x the host's speed / 1 Gflop/s, so it
  /// differs per node. Pipelines divide reference-core costs by it (never by the scenario's
  /// global nodes.speed_factor).
  virtual double speed_factor(NodeId node) const = 0;
  /// True while `node` is crashed (faults): it receives, sends and fires nothing until it
  /// recovers (Application::on_recover), if ever.
  virtual bool is_crashed(NodeId node) const = 0;

  /// Sends `size_bytes` from `from` to `to`; departs at max(now, depart_s) through the sender's
  /// upload link. Messages to or from crashed nodes are dropped (bytes are still counted for a
  /// live sender).
  virtual void send(NodeId from, NodeId to, std::uint16_t channel,
                    std::shared_ptr<const void> payload, std::uint64_t size_bytes,
                    double depart_s = 0.0) = 0;
  /// Sends to every other validator. network.dissemination.mode "direct": one copy per receiver
  /// on the uplink, in the order from+1, from+2, ... (mod n). Otherwise the message is gossiped
  /// over network.topology (network::simulate_gossip from the departure time) and each
  /// validator gets one delivery at its first-arrival time, `from` being the original sender.
  /// The payload object itself is shared, never copied.
  virtual void broadcast(NodeId from, std::uint16_t channel, std::shared_ptr<const void> payload,
                         std::uint64_t size_bytes, double depart_s = 0.0) = 0;

  /// Name of the region `node` sits in (region_matrix latency models), or "" when the latency
  /// model has no regions.
  virtual std::string region_of(NodeId /*node*/) const { return {}; }

  /// Base one-way latency (s) between two validators, without jitter or bandwidth terms: for
  /// models that compute visibility analytically (e.g. mempool gossip) instead of sending.
  virtual double base_latency_s(NodeId from, NodeId to) const = 0;
  /// Counts `bytes_per_peer` sent by `from` to each other live validator (analytically modelled
  /// dissemination, e.g. transaction gossip). With workload.gossip, gossip dissemination,
  /// network.dissemination.shared_links and bulk_transfer_model "fcfs" the bytes also occupy
  /// the sender's uplink and the receivers' downlinks, summed per node over 0.1 s windows and
  /// reserved at each window's end on the calendars blocks use (docs/network.md); otherwise
  /// they occupy no link.
  virtual void account_broadcast_bytes(NodeId from, std::uint64_t bytes_per_peer) = 0;

  /// Fires Application::on_timer(node, timer_id) at `at_s` (>= now). Timers are never cancelled
  /// by the runtime: protocols ignore stale ids.
  virtual void set_timer(NodeId node, double at_s, std::uint64_t timer_id) = 0;
  /// Runs `fn` at `at_s` (>= now): workload arrivals and other global events.
  virtual void at(double at_s, std::function<void()> fn) = 0;

  /// Occupies `node`'s consensus lane for `seconds_ref` reference-core seconds (divided by the
  /// node's speed factor) starting when the lane is free; returns when the work ends.
  virtual double occupy_consensus_lane(NodeId node, double seconds_ref) = 0;
  /// Queues `job` on `node`'s execution lane; `on_done(done_s)` runs when it has finished.
  virtual void run_execution(NodeId node, CpuJob job, std::function<void(double)> on_done) = 0;

  /// Metrics and trace sink of this run.
  virtual Recorder& recorder() = 0;
};

}  // namespace pipesim::sim
