// Kernel: the workload feed every pipeline composes.
//
// Pulls transactions from the scenario's workload::TxSource in windows of kArrivalWindowS
// (one runtime event per window), keeps each arrival once (by id, addresses stable), records
// its submission, maps it to its entry node, answers mempool visibility and charges the bytes
// of transaction gossip. One definition for every pipeline:
//
//  - Entry node: a pipeline-chosen function of the sender's bucket (sender_bucket: the last 4
//    address bytes, big-endian), so a sender's transactions always enter at one node. Default:
//    the never-crashing validators, bucket mod their count (HotStuff pipelines, SOR).
//  - Visibility at node v: submit_time at the entry node; submit_time + base one-way latency
//    (entry, v) elsewhere when the feed gossips (an analytic mempool gossip model), never
//    otherwise.
//  - Latencies: a transaction's commit and execution are recorded where it entered
//    (record_committed, record_executed: the other nodes' views are not sampled). Each entry
//    (payload, anchor, candidate: a pipeline-chosen key) is grouped by entry node once
//    (kernel/home_index.hpp), so each node reads its own transactions instead of scanning the
//    entry (validators x transactions per entry).
//  - Gossip bytes: with FeedPolicy::gossip_bytes, each transaction's encoded size is counted as
//    one copy from its entry node to every other live validator at its submission
//    (Runtime::account_broadcast_bytes); whether they also occupy links is the runtime's
//    choice (with gossip dissemination on shared FCFS links they do, docs/network.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "models/pipelines/kernel/home_index.hpp"
#include "models/workload/tx_source.hpp"
#include "sim/runtime.hpp"
#include "sim/scenario.hpp"

namespace pipesim::pipelines {

/// The transaction source of a scenario's `workload` section (transfers, eth_mainnet, eth_bal).
/// Throws std::invalid_argument / std::runtime_error from the loaders.
std::unique_ptr<workload::TxSource> make_tx_source(const sim::Scenario& scenario);

/// Arrivals are pulled from the TxSource in windows of this length (s), one event per window.
inline constexpr double kArrivalWindowS = 0.1;

/// The sender's bucket: the last 4 bytes of its address, big-endian. Every pipeline maps a sender
/// to its entry node (home validator, parachain, collator) from this, so a sender's transactions
/// always enter at one place (which partitions senders across proposers).
inline std::uint32_t sender_bucket(const Address& from) {
  return static_cast<std::uint32_t>(from[16]) << 24 | static_cast<std::uint32_t>(from[17]) << 16 |
         static_cast<std::uint32_t>(from[18]) << 8 | from[19];
}

/// How a pipeline's mempool sees transactions (see the file comment).
struct FeedPolicy {
  /// Entry node of a transaction; empty: the default (never-crashing validators by bucket).
  std::function<sim::NodeId(const workload::TxArrival&)> entry;
  /// Other nodes see a transaction one base latency after its entry node.
  bool gossip_visibility = false;
  /// Count gossip bytes (entry node -> every other live validator) at submission.
  bool gossip_bytes = false;
};

class WorkloadFeed {
 public:
  /// Called after each window with the new arrivals' id range [first, end).
  using WindowFn = std::function<void(std::size_t first, std::size_t end)>;

  /// Builds the scenario's source (throws as make_tx_source).
  WorkloadFeed(const sim::Scenario& scenario, sim::Runtime& runtime, FeedPolicy policy);

  /// Schedules the first window at now (call from Application::on_start); `on_window` runs
  /// after each window's arrivals are recorded.
  void start(WindowFn on_window);

  sim::NodeId entry_of(const workload::TxArrival& tx) const;
  /// Whether `tx` is in `at`'s mempool at `now` (see the file comment).
  bool visible(const workload::TxArrival& tx, sim::NodeId at, double now) const;

  /// Records, for those of `txs` (entry `key`'s arrival ids, in block order) that entered at
  /// `node`, their commit at `at_s` (simulated s) with `gas_each` gas each
  /// (Recorder::tx_committed). `key` names the entry (payload, anchor, candidate id: one key
  /// space per pipeline) and must come with the same `txs` on every call: its grouping by entry
  /// node is built on the first call and kept.
  void record_committed(sim::NodeId node, std::uint64_t key, std::span<const std::uint64_t> txs,
                        double at_s, std::uint64_t gas_each);
  /// As above with each transaction's own gas: `gas[i]` for txs[i] (same length).
  void record_committed(sim::NodeId node, std::uint64_t key, std::span<const std::uint64_t> txs,
                        double at_s, std::span<const std::uint64_t> gas);
  /// Records, for those of `txs` that entered at `node`, their execution at `at_s`
  /// (Recorder::tx_executed); `key` as for record_committed.
  void record_executed(sim::NodeId node, std::uint64_t key, std::span<const std::uint64_t> txs,
                       double at_s);

  const workload::TxArrival& tx(std::uint64_t id) const { return txs_[id]; }
  std::size_t size() const { return txs_.size(); }
  workload::TxSource& source() { return *source_; }
  const workload::TxSource& source() const { return *source_; }

 private:
  void window(double from_s);

  const sim::Scenario& scenario_;
  sim::Runtime& rt_;
  FeedPolicy policy_;
  std::unique_ptr<workload::TxSource> source_;
  std::vector<sim::NodeId> entry_nodes_;
  TxsByHome homes_{[this](std::uint64_t t) { return entry_of(txs_[t]); }};
  std::deque<workload::TxArrival> txs_;  // by id; a deque keeps addresses stable
  std::vector<workload::TxArrival> arrivals_;
  WindowFn on_window_;
};

}  // namespace pipesim::pipelines
