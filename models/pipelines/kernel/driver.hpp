// Kernel: the driver that turns a protocol core's effects into runtime calls.
//
// A sans-I/O core (consensus::HotStuff, consensus::DagBft, ...) returns a list of effects from
// each on_message / on_timer call. The driver executes the four generic kinds the same way for
// every core and hands every other (protocol-specific) effect to the pipeline:
//   - Cpu{seconds, label}: charged on the node's consensus lane (charge_consensus_lane); what
//     the node sends afterwards departs when the lane is free (`depart_s`).
//   - a send (a `to` and a `msg` with size_bytes()): Runtime::send at depart_s;
//   - a broadcast (a `msg` without `to`): Runtime::broadcast at depart_s;
//   - SetTimer{id, at_s}: Runtime::set_timer.
// Effects run in the order the core listed them.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <variant>

#include "models/consensus/effects.hpp"
#include "sim/recorder.hpp"
#include "sim/runtime.hpp"

namespace pipesim::pipelines {

/// Charges `seconds_ref` reference-core seconds of protocol work on `node`'s consensus lane:
/// records the busy time (divided by the node's own speed factor, Runtime::speed_factor) as
/// cpu_busy "consensus" and a trace span named `label`. Returns when the work ends (the
/// departure time of what it sends).
double charge_consensus_lane(sim::Runtime& rt, sim::Recorder& rec, sim::NodeId node,
                             double seconds_ref, std::string_view label);

template <class E>
concept SendEffect = requires(const E& e) {
  { e.to } -> std::convertible_to<sim::NodeId>;
  { e.msg->size_bytes() } -> std::convertible_to<std::uint64_t>;
};
template <class E>
concept BroadcastEffect = !SendEffect<E> && requires(const E& e) {
  { e.msg->size_bytes() } -> std::convertible_to<std::uint64_t>;
};

/// Applies `effects` (a range of std::variant effects) of `node`'s core on `channel`.
/// `on_protocol(effect, depart_s)` receives every effect that is not Cpu / send / broadcast /
/// SetTimer, with the current departure time (now, or the end of the consensus work so far).
template <class Effects, class OnProtocol>
void drive_effects(sim::Runtime& rt, sim::NodeId node, std::uint16_t channel,
                   const Effects& effects, OnProtocol&& on_protocol) {
  sim::Recorder& rec = rt.recorder();
  double depart = rt.now();
  for (const auto& effect : effects) {
    std::visit(
        [&](const auto& e) {
          using E = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<E, consensus::Cpu>) {
            depart = std::max(depart, charge_consensus_lane(rt, rec, node, e.seconds, e.label));
          } else if constexpr (std::is_same_v<E, consensus::SetTimer>) {
            rt.set_timer(node, e.at_s, e.id);
          } else if constexpr (SendEffect<E>) {
            rt.send(node, e.to, channel, e.msg, e.msg->size_bytes(), depart);
          } else if constexpr (BroadcastEffect<E>) {
            rt.broadcast(node, channel, e.msg, e.msg->size_bytes(), depart);
          } else {
            on_protocol(e, depart);
          }
        },
        effect);
  }
}

}  // namespace pipesim::pipelines
