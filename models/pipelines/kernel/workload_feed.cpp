#include "models/pipelines/kernel/workload_feed.hpp"

#include <utility>

#include "sim/recorder.hpp"

namespace pipesim::pipelines {
namespace {

constexpr std::uint64_t kWorkloadSeedSalt = 0x776f726b6c6f6164ULL;  // "workload"

}  // namespace

std::unique_ptr<workload::TxSource> make_tx_source(const sim::Scenario& s) {
  const auto& w = s.workload;
  if (w.kind == "transfers") {
    workload::TransferSourceParams p;
    p.tps = w.tps;
    p.accounts = w.accounts;
    p.zipf_exponent = w.zipf_exponent;
    p.initial_balance_wei = w.initial_balance_wei;
    p.transfer_value_wei = w.transfer_value_wei;
    p.tx_gas_limit = w.tx_gas_limit;
    p.max_fee_per_gas_wei = w.max_fee_per_gas_wei;
    return workload::make_transfer_source(p, s.seed ^ kWorkloadSeedSalt);
  }
  workload::ReplaySourceParams p;
  p.source = w.kind;
  p.blocks.assign(w.eth_blocks.begin(), w.eth_blocks.end());
  p.tps = w.tps;
  p.poisson = w.poisson_arrivals;
  p.loop = w.replay_loop;
  p.duration_s = s.duration_s;
  return workload::make_replay_source(p, s.seed ^ kWorkloadSeedSalt);
}

WorkloadFeed::WorkloadFeed(const sim::Scenario& scenario, sim::Runtime& runtime, FeedPolicy policy)
    : scenario_(scenario),
      rt_(runtime),
      policy_(std::move(policy)),
      source_(make_tx_source(scenario)),
      entry_nodes_(sim::never_crashed(scenario)) {}

void WorkloadFeed::start(WindowFn on_window) {
  on_window_ = std::move(on_window);
  window(rt_.now());
}

sim::NodeId WorkloadFeed::entry_of(const workload::TxArrival& t) const {
  if (policy_.entry) return policy_.entry(t);
  return entry_nodes_[sender_bucket(t.tx.from) % entry_nodes_.size()];
}

bool WorkloadFeed::visible(const workload::TxArrival& t, sim::NodeId at, double now) const {
  const sim::NodeId home = entry_of(t);
  if (home == at) return t.submit_time_s <= now;
  if (!policy_.gossip_visibility) return false;
  return t.submit_time_s + rt_.base_latency_s(home, at) <= now;
}

void WorkloadFeed::record_committed(sim::NodeId node, std::uint64_t key,
                                    std::span<const std::uint64_t> txs, double at_s,
                                    std::uint64_t gas_each) {
  sim::Recorder& rec = rt_.recorder();
  for (const std::uint32_t i : homes_.at(key, txs, node)) rec.tx_committed(txs[i], at_s, gas_each);
}

void WorkloadFeed::record_committed(sim::NodeId node, std::uint64_t key,
                                    std::span<const std::uint64_t> txs, double at_s,
                                    std::span<const std::uint64_t> gas) {
  sim::Recorder& rec = rt_.recorder();
  for (const std::uint32_t i : homes_.at(key, txs, node)) rec.tx_committed(txs[i], at_s, gas[i]);
}

void WorkloadFeed::record_executed(sim::NodeId node, std::uint64_t key,
                                   std::span<const std::uint64_t> txs, double at_s) {
  sim::Recorder& rec = rt_.recorder();
  for (const std::uint32_t i : homes_.at(key, txs, node)) rec.tx_executed(txs[i], at_s);
}

void WorkloadFeed::window(double from_s) {
  const double until = from_s + kArrivalWindowS;
  const std::size_t first = txs_.size();
  arrivals_.clear();
  source_->generate_until(until, arrivals_);
  for (auto& a : arrivals_) txs_.push_back(std::move(a));
  sim::Recorder& rec = rt_.recorder();
  for (std::size_t k = first; k < txs_.size(); ++k) {
    const auto& t = txs_[k];
    rec.tx_submitted(t.id, t.submit_time_s);
    if (policy_.gossip_bytes) {
      // Gossip is modelled analytically (visibility is computed when blocks are built); the
      // bytes are charged to the entry node at submission, one copy per other live validator
      // (and, on shared FCFS links with gossip dissemination, occupy the links: the runtime).
      rt_.at(t.submit_time_s, [this, home = entry_of(t), size = t.tx.size_bytes()]() {
        rt_.account_broadcast_bytes(home, size);
      });
    }
  }
  if (on_window_) on_window_(first, txs_.size());
  if (until < scenario_.duration_s) rt_.at(until, [this, until]() { window(until); });
}

}  // namespace pipesim::pipelines
