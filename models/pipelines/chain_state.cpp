#include "models/pipelines/chain_state.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <utility>

#include "models/execution/executor.hpp"
#include "models/execution/state.hpp"
#include "models/execution/transaction.hpp"
#include "models/pipelines/kernel/execution_config.hpp"
#include "models/pipelines/kernel/execution_lane.hpp"

namespace pipesim::pipelines {
namespace {

namespace ex = pipesim::execution;

Address tagged_address(std::uint8_t tag, std::uint32_t index) {
  Address a{};
  a[0] = tag;
  a[16] = static_cast<std::uint8_t>(index >> 24);
  a[17] = static_cast<std::uint8_t>(index >> 16);
  a[18] = static_cast<std::uint8_t>(index >> 8);
  a[19] = static_cast<std::uint8_t>(index);
  return a;
}

/// The lane job of the schedule (the kernel's cpu_job) and its per-transaction spans merged
/// into per-worker busy intervals (for the trace).
void summarise_schedule(const ex::ExecutionOutcome& out, std::uint32_t threads, ExecutedBlock& r) {
  r.job = cpu_job(out.schedule, out.makespan_s, threads);
  std::vector<std::vector<WorkerSpan>> per_worker(threads);
  for (const ex::Span& s : out.schedule) {
    const std::uint32_t w = std::min(s.worker, threads - 1);
    auto& v = per_worker[w];
    if (!v.empty() && s.start_s - v.back().end_s < 1e-9) {
      v.back().end_s = std::max(v.back().end_s, s.end_s);
    } else {
      v.push_back(WorkerSpan{w, s.start_s, s.end_s});
    }
  }
  for (auto& v : per_worker) r.spans.insert(r.spans.end(), v.begin(), v.end());
}

}  // namespace

struct ChainState::Impl {
  struct Entry {
    std::uint64_t parent = 0;
    ex::StateLayer::Ptr post_state;
    std::shared_ptr<const ExecutedBlock> result;
  };
  std::unique_ptr<ex::Executor> executor;
  ex::ExecutorConfig config;
  std::uint64_t block_gas_limit = 0;
  std::map<std::uint64_t, Entry> entries;  // payload id -> entry (ids grow with build time)
  /// Results of finalized payloads pruned from `entries` (their states are gone, their cost
  /// and root stay: a lagging node still charges and checks them).
  std::map<std::uint64_t, std::shared_ptr<const ExecutedBlock>> final_results;
};

ChainState::ChainState(const sim::Scenario& scenario,
                       const std::shared_ptr<const execution::StateMap>& genesis)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.executor = ex::make_executor(scenario.pipeline.executor);
  s.config = executor_config(scenario);
  s.block_gas_limit = scenario.pipeline.block_gas_limit;
  auto base = genesis_state(scenario, genesis);
  auto result = std::make_shared<ExecutedBlock>();
  result->state_root = base->root().value_or(Hash32{});
  s.entries.emplace(kGenesis, Impl::Entry{kGenesis, std::move(base), std::move(result)});
}

ChainState::~ChainState() = default;

Address ChainState::beneficiary_address(std::uint32_t node) {
  return tagged_address(0xbe, node);
}

Hash32 ChainState::genesis_root() const {
  auto it = impl_->entries.find(kGenesis);
  return it == impl_->entries.end() ? Hash32{} : it->second.result->state_root;
}

std::shared_ptr<const ExecutedBlock> ChainState::execute(
    std::uint64_t payload_id, std::uint64_t parent_payload,
    const std::vector<const execution::Transaction*>& txs, std::uint32_t proposer,
    bool corrupt_one_write) {
  Impl& s = *impl_;
  auto parent = s.entries.find(parent_payload);
  if (parent == s.entries.end()) {
    throw std::out_of_range("chain state: parent payload " + std::to_string(parent_payload) +
                            " is unknown or pruned");
  }
  ex::Block block;
  block.number = payload_id;
  block.beneficiary = beneficiary_address(proposer);
  block.gas_limit = s.block_gas_limit;
  block.txs.reserve(txs.size());
  for (const ex::Transaction* t : txs) block.txs.push_back(*t);
  ex::ExecutionOutcome out = s.executor->execute(block, parent->second.post_state, s.config);
  if (corrupt_one_write && !out.post_state->writes().empty()) {
    // The faulty node stores a wrong value for the first written key (in key order).
    std::optional<ex::StateKey> first;
    out.post_state->writes().for_each([&](const ex::StateKey& k, const ex::U256&) {
      if (!first || k < *first) first = k;
    });
    ex::StateMap bad;
    bad.set(*first, out.post_state->get(*first) + ex::U256{1});
    out.post_state = ex::StateLayer::make_child(out.post_state, std::move(bad));
    out.state_root = out.post_state->root();
  }
  auto r = std::make_shared<ExecutedBlock>();
  r->state_root = out.state_root.value_or(Hash32{});
  r->gas_used = out.gas_used;
  r->tx_count = block.txs.size();
  for (const auto& receipt : out.receipts) {
    if (receipt.status != ex::TxStatus::kSuccess) ++r->failed_txs;
  }
  r->incarnations = out.stats.incarnations;
  r->aborts = out.stats.aborts;
  r->re_executions = out.stats.re_executions;
  r->occ_rounds = out.stats.occ_rounds;
  summarise_schedule(out, s.config.threads, *r);
  s.entries[payload_id] = Impl::Entry{parent_payload, std::move(out.post_state), r};
  return r;
}

std::shared_ptr<const ExecutedBlock> ChainState::find(std::uint64_t payload_id) const {
  auto it = impl_->entries.find(payload_id);
  if (it != impl_->entries.end()) return it->second.result;
  auto f = impl_->final_results.find(payload_id);
  return f == impl_->final_results.end() ? nullptr : f->second;
}

std::optional<U256Wei> ChainState::balance(std::uint64_t payload_id, const Address& address) const {
  auto it = impl_->entries.find(payload_id);
  if (it == impl_->entries.end()) return std::nullopt;
  return it->second.post_state->get(ex::StateKey::balance(address));
}

std::size_t ChainState::held() const {
  return impl_->entries.size();
}

void ChainState::finalize(std::uint64_t payload_id) {
  Impl& s = *impl_;
  auto final_it = s.entries.find(payload_id);
  if (final_it == s.entries.end()) return;
  // The final payload and its last kKeepFinalAncestors ancestors are kept; older final ancestors
  // keep only their results.
  std::map<std::uint64_t, Impl::Entry> kept;
  std::uint64_t p = payload_id;
  for (std::size_t depth = 0; s.entries.count(p); ++depth) {
    Impl::Entry& e = s.entries.at(p);
    const std::uint64_t parent = e.parent;
    if (depth <= kKeepFinalAncestors) {
      kept.emplace(p, std::move(e));
    } else {
      s.final_results.emplace(p, e.result);
    }
    if (p == kGenesis) break;
    p = parent;
  }
  // Descendants of the final payload (ids ascend from parent to child).
  for (auto& [id, e] : s.entries) {
    if (id > payload_id && kept.count(e.parent) && !kept.count(id)) kept.emplace(id, std::move(e));
  }
  Impl::Entry& fin = kept.at(payload_id);
  if (fin.post_state->depth() > kMaxOverlayDepth) {
    fin.post_state = fin.post_state->flatten();
    for (auto& [id, e] : kept) {
      if (id > payload_id) e.post_state = e.post_state->rebase(kept.at(e.parent).post_state);
    }
  }
  s.entries = std::move(kept);
}

}  // namespace pipesim::pipelines
