// speculate_order_replay: the run's invariants (anchor agreement, vertices and transactions
// ordered at most once, replay = sequential on the serial order, no transaction committed twice)
// and metrics (docs/metrics.md). See speculate_order_replay.hpp.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "models/pipelines/kernel/faults.hpp"
#include "models/pipelines/kernel/invariants.hpp"
#include "models/pipelines/kernel/metrics.hpp"
#include "models/pipelines/speculate_order_replay_app.hpp"

namespace pipesim::pipelines::speculate_order_replay_detail {

std::string SpeculateOrderReplay::committed_twice_detail() const {
  const std::uint32_t n = static_cast<std::uint32_t>(nodes_.size());
  const std::vector<bool> honest = honest_nodes(scenario_);
  // Transactions of anchor `k` as `own` ordered them (own: a node's divergent orderings).
  auto scan = [&](const std::map<std::uint64_t, std::vector<std::uint64_t>>& own,
                  std::uint64_t upto) {
    DuplicateTxFinder finder;  // positions: anchor indexes k (anchor #k+1)
    for (std::uint64_t k = 0; k < upto && !finder.first(); ++k) {
      auto it = own.find(k);
      finder.add(k, it != own.end() ? std::span<const std::uint64_t>(it->second)
                                    : std::span<const std::uint64_t>(anchors_[k].txs));
    }
    return finder.first();
  };
  // The nodes that ordered the anchors as computed first (every node, unless an agreement
  // violation) share one sequence: it is scanned once, as far as any of them ordered.
  std::uint64_t shared_upto = 0;
  for (NodeId i = 0; i < n; ++i) {
    if (honest[i] && nodes_[i].own_txs.empty()) {
      shared_upto = std::max(shared_upto, nodes_[i].ordered);
    }
  }
  const std::optional<DuplicateTx> shared = scan({}, shared_upto);
  for (NodeId i = 0; i < n; ++i) {
    if (!honest[i]) continue;
    const NodeState& ns = nodes_[i];
    std::optional<DuplicateTx> d = ns.own_txs.empty() ? shared : scan(ns.own_txs, ns.ordered);
    if (!d || d->position >= ns.ordered) continue;
    const cs::VertexRef& at = anchors_[d->position].anchor;
    return fmt::format(
        "node {} anchor #{} (round {}, proposer {}): transaction {} (already ordered in "
        "anchor #{})",
        i, d->position + 1, at.round, at.source, d->tx, d->first_position + 1);
  }
  return {};
}

void SpeculateOrderReplay::report() {
  rec_.invariant("honest_nodes_order_same_anchor_sequence", agreement_detail_.empty(),
                 agreement_detail_);
  rec_.invariant("vertex_ordered_at_most_once", !vertex_ordered_twice_);
  rec_.invariant("transaction_ordered_at_most_once", !tx_ordered_twice_);
  rec_.invariant("replay_equals_sequential_on_serial_order", serial_detail_.empty(),
                 serial_detail_);
  const std::string twice = committed_twice_detail();
  rec_.invariant("no_transaction_committed_twice", twice.empty(), twice);

  const NodeState& ref = nodes_[reference_node_];
  std::uint64_t txs = 0, gas = 0, exact = 0, reexec = 0;
  for (std::uint64_t k = 0; k < ref.ordered; ++k) {
    const AnchorBlock& a = anchors_[k];
    txs += a.txs.size();
    gas += a.gas_used;
    exact += a.stats.speculated_exact;
    reexec += a.stats.re_executed;
  }
  const double dtxs = static_cast<double>(txs);
  ChainTotals totals;
  totals.blocks = ref.ordered;
  totals.txs_submitted = feed_.size();
  totals.txs_committed = txs;
  totals.gas = gas;
  totals.re_executions = reexec;  // re-executed serially after the replay batch
  totals.executed_txs = txs;
  totals.block_intervals_s = anchor_interval_s_;
  report_chain_metrics(rec_, totals, feed_.source(), scenario_.duration_s);
  report_count(rec_, "anchors_committed", ref.ordered, "anchors");
  report_count(rec_, "dag_rounds", ref.dag->current_round(), "rounds");
  if (!scenario_.faults.events.empty()) {
    // Fault schedules only (keeps fault-free summaries unchanged): header retransmission and
    // vertex fetch, summed over nodes.
    std::uint64_t resent = 0, certs = 0, fetches = 0;
    for (const auto& ns : nodes_) {
      resent += ns.dag->headers_resent();
      certs += ns.dag->certificates_resent();
      fetches += ns.dag->fetches_sent();
    }
    report_count(rec_, "dag_headers_resent", resent, "count");
    report_count(rec_, "dag_certificates_resent", certs, "count");
    report_count(rec_, "dag_fetches_sent", fetches, "count");
  }
  if (behaviour_scheduled(scenario_, "dag_equivocate")) {
    std::uint64_t detected = 0;
    for (const auto& ns : nodes_) detected += ns.dag->equivocations_detected();
    report_count(rec_, "dag_equivocations_detected", detected, "count");
  }
  rec_.metric("speculation_accuracy",
              {{"value", txs ? static_cast<double>(exact) / dtxs : 1.0}, {"unit", "ratio"}});
  rec_.metric("reexecution_fraction",
              {{"value", txs ? static_cast<double>(reexec) / dtxs : 0.0}, {"unit", "ratio"}});
  report_count(rec_, "batches_speculated", speculation_time_s_.size(), "count");
  rec_.sample_metric("replay_batches_per_block", replay_batches_, "batches");
  rec_.sample_metric("replay_parallelism", replay_parallelism_, "tx/batch");
  rec_.sample_metric("replay_speedup_over_sequential", replay_speedup_, "ratio");
  rec_.sample_metric("speculation_time_s", speculation_time_s_, "s");
  rec_.sample_metric("replay_time_s", replay_time_s_, "s");
  rec_.sample_metric("ordering_latency_s", ordering_latency_s_, "s");
}

}  // namespace pipesim::pipelines::speculate_order_replay_detail
