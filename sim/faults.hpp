// FaultInjector: the scenario's fault schedule (faults.crashed / crash_at_s and faults.events)
// applied by the runtime — which node is down when, what happens to each message, how much
// slower a node's CPU runs. Models never see it: they observe crashes through
// Runtime::is_crashed and Application::on_recover, and lost or late messages as the network's
// behaviour (docs/faults.md).
//
// Message fate, decided once at the message's departure time `depart` (a message already in
// flight when a partition starts is delivered; one sent during it is not):
//   - partition (mode "drop"): dropped if sender and receiver are on different sides;
//     (mode "delay"): held at the sender until the partition heals, then sent normally.
//   - loss: dropped with probability 1 - (1 - p)(1 - l_from)(1 - l_to), p = `probability`, l the
//     endpoint's ethshadow class loss_rate when class_loss_rates (else 0). A whole message is
//     lost (no retransmission: the protocols recover with their own timeouts). Draws come from
//     the injector's own stream (splitmix64 of scenario seed ^ salt ^ message counter), so
//     enabling loss does not shift the transport's jitter draws.
//   - delay: + extra_ms on every affected link (summed over overlapping events).
//   - slow (link_factor k): + (k - 1) x the pair's base latency when either endpoint is slowed.
// CPU: slow (cpu_factor k) multiplies the node's consensus-lane and execution durations by k
// for work that starts inside the interval.
// No SimGrid include.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/scenario.hpp"

namespace pipesim::sim {

class FaultInjector {
 public:
  /// A crash or recovery of one node (from the shorthand or an event), in time order.
  struct Transition {
    double time_s = 0.0;
    std::uint32_t node = 0;
    bool crash = true;  // false: recovery
  };
  /// What happens to one message.
  struct Fate {
    bool dropped = false;
    const char* cause = "";     // "partition" | "loss" when dropped
    double hold_until_s = 0.0;  // > depart: held at the sender until then (partition "delay")
    double extra_s = 0.0;       // added one-way latency (delay, slow link_factor)
  };

  /// `class_of[v]`: node v's network class name (empty vector without network.classes).
  /// The scenario must have passed parse_scenario (indices in range, intervals resolved).
  FaultInjector(const Scenario& scenario, std::vector<std::string> class_of);

  /// Whether `node` is down (crashed and not recovered) at `t`.
  bool down(std::uint32_t node, double t) const;
  /// Whether `node` follows a Byzantine behaviour (a "byzantine" event) at `t`.
  bool byzantine(std::uint32_t node, double t) const;
  /// Most consensus members faulty (down or Byzantine) at one time and most Byzantine at one
  /// time, and when the first maximum was reached: {{faulty, byzantine}, time_s}.
  std::pair<std::pair<std::uint32_t, std::uint32_t>, double> max_faulty_at_once() const;
  /// Every crash / recovery, sorted by (time, node).
  const std::vector<Transition>& transitions() const { return transitions_; }
  /// Whether any event acts on messages (partition, loss, delay, slow link_factor).
  bool acts_on_messages() const { return acts_on_messages_; }
  /// The fate of a message from `from` to `to` departing at `depart_s`; `base_latency_s` is the
  /// pair's base one-way latency. Counts drops and delays for the summary.
  Fate message(std::uint32_t from, std::uint32_t to, double depart_s, double base_latency_s);
  /// CPU slowdown factor (>= 1) of `node` for work starting at `t`.
  double cpu_factor(std::uint32_t node, double t) const;

  /// summary.json's `faults` section: every injected event with its times and nodes, what it
  /// did (messages dropped / held / delayed), and whether the crashed validators exceeded
  /// f = (n-1)/3 at some time; with Byzantine events also max_byzantine_at_once,
  /// max_faulty_at_once (crashed or Byzantine members at one time) and faulty_exceed_f.
  nlohmann::json summary() const;

 private:
  struct Interval {
    double from_s, until_s;
  };
  bool on_link(std::size_t index, std::uint32_t from, std::uint32_t to) const;

  Scenario scenario_;  // copy: the injector outlives nothing but is cheap to keep self-contained
  std::vector<std::string> class_of_;
  std::vector<double> class_loss_;           // per node, ethshadow loss_rate
  std::vector<std::vector<Interval>> down_;  // per node
  std::vector<Transition> transitions_;
  std::vector<std::vector<std::int32_t>> side_;     // per event: partition side per node
  std::vector<std::vector<std::uint8_t>> touches_;  // per event: node affected (loss/delay/slow)
  std::vector<std::uint64_t> dropped_, held_, delayed_;  // per event
  std::uint64_t draws_ = 0;
  std::uint64_t seed_ = 0;
  bool acts_on_messages_ = false;
};

}  // namespace pipesim::sim
