// async_execution: construction, the node's execution lane (payloads executed in chain order,
// waiters on an execution) and the execution lag. See async_execution.hpp.
#include "models/pipelines/async_execution.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "models/pipelines/async_execution_app.hpp"

namespace pipesim::pipelines {
namespace async_execution_detail {

AsyncExecution::AsyncExecution(const sim::Scenario& scenario, sim::Runtime& rt)
    : HotStuffPipeline(scenario, rt), d_(scenario.pipeline.d_lag), nodes_(rt.validators()) {
  const std::string& mode = scenario.pipeline.speculative_execution;
  on_proposal_ = mode == "on_proposal";
  on_vote_ = mode == "on_vote";
  for (std::uint32_t d : scenario.faults.divergent) {
    nodes_[d].own_chain = std::make_unique<ChainState>(scenario, feed_.source().genesis());
    nodes_[d].divergent = true;
  }
  nodes_[reference_node_].reference = true;
}

std::uint64_t AsyncExecution::payload_height(std::uint64_t p) const {
  if (p == ChainState::kGenesis) return 0;
  const PayloadRecord* r = payload(p);
  return r ? r->height : 0;
}

std::uint64_t AsyncExecution::payload_parent(std::uint64_t p) const {
  const PayloadRecord* r = payload(p);
  return r ? r->parent_payload : ChainState::kGenesis;
}

void AsyncExecution::ensure_executed(NodeId node, std::uint64_t p) {
  Node& ns = nodes_[node];
  std::vector<std::uint64_t> chain;
  for (std::uint64_t q = p; q != ChainState::kGenesis && !ns.enqueued.count(q);
       q = payload_parent(q)) {
    if (!payload(q)) return;
    chain.push_back(q);
  }
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    if (!enqueue(node, *it)) return;
  }
}

bool AsyncExecution::enqueue(NodeId node, std::uint64_t p) {
  Node& ns = nodes_[node];
  const bool corrupt = ns.divergent && payload_height(p) == scenario_.faults.diverge_at_height;
  auto result = execute_payload(chain_for(node), p, corrupt);
  if (!result) return false;  // built on a pruned (abandoned) fork
  ns.enqueued.insert(p);
  execute_on_lane(node, result, [this, node, p, result](double done) {
    on_executed(node, p, result->state_root, done);
  });
  return true;
}

void AsyncExecution::when_executed(NodeId node, std::uint64_t p, std::function<void(double)> fn) {
  Node& ns = nodes_[node];
  if (p == ChainState::kGenesis) return fn(rt_.now());
  if (auto it = ns.executed.find(p); it != ns.executed.end()) return fn(rt_.now());
  ns.waiters[p].push_back(std::move(fn));
  ensure_executed(node, p);
}

Hash32 AsyncExecution::own_root(NodeId node, std::uint64_t p) const {
  if (p == ChainState::kGenesis) return chain_.genesis_root();
  return nodes_[node].executed.at(p).root;
}

void AsyncExecution::on_executed(NodeId node, std::uint64_t p, const Hash32& root, double done) {
  Node& ns = nodes_[node];
  ns.executed[p] = Exec{done, root};
  ns.stages[p].executed = done;
  if (ns.stages[p].finalized >= 0) executed_final(node, p);
  auto w = ns.waiters.find(p);
  if (w != ns.waiters.end()) {
    auto fns = std::move(w->second);
    ns.waiters.erase(w);
    for (auto& fn : fns) fn(done);
  }
}

void AsyncExecution::executed_final(NodeId node, std::uint64_t p) {
  Node& ns = nodes_[node];
  const std::uint64_t h = payload_height(p);
  ns.executed_final_height = std::max(ns.executed_final_height, h);
  const Stages& st = ns.stages[p];
  if (const PayloadRecord* record = payload(p)) {
    feed_.record_executed(node, p, record->txs, std::max(st.executed, st.finalized));
  }
  if (auto v = ns.pending_verify.find(p); v != ns.pending_verify.end()) {
    const Hash32 claim = v->second;
    ns.pending_verify.erase(v);
    verify(node, p, claim);
  }
  if (ns.reference) {
    sample_lag(node);
    chain_.finalize(p);
  }
  if (ns.own_chain) ns.own_chain->finalize(p);
}

void AsyncExecution::sample_lag(NodeId node) {
  const Node& ns = nodes_[node];
  const double lag = static_cast<double>(ns.finalized_height -
                                         std::min(ns.finalized_height, ns.executed_final_height));
  lag_samples_.push_back(lag);
  if (rec_.traced(node)) rec_.counter(node, "execution_lag_blocks", rt_.now(), lag);
}

}  // namespace async_execution_detail

std::unique_ptr<sim::Application> make_async_execution(const sim::Scenario& scenario,
                                                       sim::Runtime& runtime) {
  return std::make_unique<async_execution_detail::AsyncExecution>(scenario, runtime);
}

}  // namespace pipesim::pipelines
