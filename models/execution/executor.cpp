#include "models/execution/executor.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "models/execution/batch_occ.hpp"
#include "models/execution/block_stm.hpp"
#include "models/execution/keccak.hpp"
#include "models/execution/optimistic.hpp"
#include "models/execution/sequential.hpp"

namespace pipesim::execution {

const char* to_string(OccFormation f) {
  switch (f) {
    case OccFormation::kIndexWindow:
      return "index_window";
    case OccFormation::kDeclaredConflicts:
      return "declared_conflicts";
  }
  return "?";
}

std::optional<OccFormation> parse_occ_formation(std::string_view name) {
  if (name == "index_window") return OccFormation::kIndexWindow;
  if (name == "declared_conflicts") return OccFormation::kDeclaredConflicts;
  return std::nullopt;
}

OccFormation require_occ_formation(std::string_view option, std::string_view name) {
  if (const auto parsed = parse_occ_formation(name)) return *parsed;
  throw std::invalid_argument(std::string(option) + ": '" + std::string(name) +
                              "' is not index_window or declared_conflicts");
}

OccAbortSummary summarise_occ_rounds(std::span<const OccRoundStats> rounds) {
  OccAbortSummary s;
  double fraction_sum = 0;
  for (const OccRoundStats& r : rounds) {
    ++s.rounds;
    s.executed += r.batch_size;
    s.aborted += r.aborted;
    s.max_batch_size = std::max(s.max_batch_size, r.batch_size);
    const double f =
        r.batch_size ? static_cast<double>(r.aborted) / static_cast<double>(r.batch_size) : 0.0;
    fraction_sum += f;
    s.abort_fraction_max = std::max(s.abort_fraction_max, f);
  }
  if (s.rounds) {
    s.mean_batch_size = static_cast<double>(s.executed) / static_cast<double>(s.rounds);
    s.abort_fraction_mean = fraction_sum / static_cast<double>(s.rounds);
  }
  if (s.executed)
    s.abort_fraction_overall = static_cast<double>(s.aborted) / static_cast<double>(s.executed);
  return s;
}

const char* to_string(SpanKind kind) {
  switch (kind) {
    case SpanKind::kSigRecover:
      return "sig_recover";
    case SpanKind::kExecute:
      return "execute";
    case SpanKind::kValidate:
      return "validate";
    case SpanKind::kCommit:
      return "commit";
  }
  return "unknown";
}

std::vector<std::string> executor_names() {
  return {"sequential", "block_stm", "batch_occ", "optimistic"};
}

std::unique_ptr<Executor> make_executor(std::string_view name) {
  if (name == "sequential") return std::make_unique<SequentialExecutor>();
  if (name == "block_stm") return std::make_unique<BlockStmExecutor>();
  if (name == "batch_occ") return std::make_unique<BatchOccExecutor>();
  if (name == "optimistic") return std::make_unique<OptimisticExecutor>();
  throw std::invalid_argument("unknown executor '" + std::string(name) +
                              "', expected one of: sequential, block_stm, batch_occ, optimistic");
}

BlockEnv make_block_env(const Block& block, const ExecutorConfig& cfg) {
  BlockEnv env;
  env.number = block.number;
  env.beneficiary = block.beneficiary;
  env.lazy_beneficiary = cfg.lazy_beneficiary;
  if (env.lazy_beneficiary) {
    for (const Transaction& t : block.txs) {
      if (t.references(block.beneficiary)) {
        env.lazy_beneficiary = false;
        break;
      }
    }
  }
  return env;
}

double schedule_sig_recovery(std::size_t n_txs, std::uint32_t threads, const CostModel& cost,
                             std::vector<Span>& schedule) {
  const double d = cost.sig_recover_s();
  double end = 0;
  for (std::size_t i = 0; i < n_txs; ++i) {
    Span s;
    s.worker = static_cast<std::uint32_t>(i % threads);
    const std::size_t wave = i / threads;  // the round of `threads` recoveries it falls in
    s.start_s = static_cast<double>(wave) * d;
    s.end_s = s.start_s + d;
    s.tx_index = static_cast<std::uint32_t>(i);
    s.kind = SpanKind::kSigRecover;
    end = std::max(end, s.end_s);
    schedule.push_back(s);
  }
  return end;
}

CommitPlan plan_commit(const StateLayer& post, const CommitStats& built, const CostModel& cost) {
  CommitPlan plan;
  const double overhead_s = cost.task_overhead_us * 1e-6;
  const std::uint32_t cached = cost.cached_trie_levels();
  // The block's writes, grouped by account (sorted by address, then kind, then slot).
  struct Account {
    Hash32 key;                 // Keccak256(address): its account-trie key
    std::vector<Hash32> slots;  // Keccak256(slot) of each storage slot written
  };
  std::vector<Account> accounts;
  const Address* last = nullptr;
  const auto entries = post.writes().sorted();
  for (const auto& [key, value] : entries) {
    if (last == nullptr || *last != key.address) {
      accounts.push_back(Account{keccak256(key.address), {}});
      last = &key.address;
    }
    if (key.kind == KeyKind::kStorage) accounts.back().slots.push_back(keccak256(key.slot));
  }
  std::sort(accounts.begin(), accounts.end(),
            [](const Account& a, const Account& b) { return a.key < b.key; });
  const bool account_modelled = cost.account_trie_leaves > 0;

  // Storage tries: modelled from the written slots, or as built (CommitStats::storage_tries).
  std::uint64_t storage_built = 0;
  for (const auto& [key, nodes] : built.storage_tries) storage_built += nodes;
  auto add_storage = [&](const Hash32& account_key, std::uint64_t nodes, double nodes_s) {
    plan.storage.push_back(
        CommitTask{overhead_s + nodes_s, account_modelled ? int{account_key[0] >> 4} : -1});
    plan.serial_s += nodes_s;
    plan.nodes += nodes;
  };
  if (cost.storage_trie_leaves > 0) {
    const std::uint32_t depth = modelled_trie_depth(cost.storage_trie_leaves);
    for (const Account& a : accounts) {
      if (a.slots.empty()) continue;
      const TrieUpdateWork w = count_trie_update(a.slots, depth, cached);
      add_storage(a.key, w.nodes, cost.modelled_nodes_s(w.nodes, w.loaded));
      plan.loaded += w.loaded;
    }
  } else {
    for (const auto& [key, nodes] : built.storage_tries)
      add_storage(key, nodes, cost.as_built_nodes_s(nodes));
  }

  // The account trie: modelled per subtrie (the root's 16 children) plus the root node, or as
  // built in one piece.
  if (account_modelled) {
    const std::uint32_t depth = modelled_trie_depth(cost.account_trie_leaves);
    std::array<std::vector<Hash32>, 16> groups;
    for (const Account& a : accounts) groups[a.key[0] >> 4].push_back(a.key);
    const std::uint64_t root_nodes = depth > 0 && !accounts.empty() ? 1 : 0;
    const std::uint64_t root_loaded = root_nodes > 0 && cached == 0 ? 1 : 0;
    for (std::size_t j = 0; j < 16; ++j) {
      if (groups[j].empty()) continue;
      const TrieUpdateWork w = count_trie_update(groups[j], depth, cached);
      const std::uint64_t nodes = w.nodes - root_nodes;  // the root is counted once, below
      const std::uint64_t loaded = w.loaded - root_loaded;
      const double nodes_s = cost.modelled_nodes_s(nodes, loaded);
      plan.subtries[j] = overhead_s + nodes_s;
      plan.serial_s += nodes_s;
      plan.nodes += nodes;
      plan.loaded += loaded;
    }
    const double root_nodes_s = cost.modelled_nodes_s(root_nodes, root_loaded);
    plan.root_s = overhead_s + root_nodes_s;
    plan.serial_s += root_nodes_s;
    plan.nodes += root_nodes;
    plan.loaded += root_loaded;
  } else {
    const std::uint64_t nodes = built.nodes_hashed - storage_built;
    const double nodes_s = cost.as_built_nodes_s(nodes);
    plan.root_s = overhead_s + nodes_s;
    plan.serial_s += nodes_s;
    plan.nodes += nodes;
  }
  plan.serial_s += overhead_s;  // one task when the commit runs on one worker
  return plan;
}

void finish_outcome(ExecutionOutcome& out, const Block& block, const BlockEnv& env,
                    const std::shared_ptr<const StateLayer>& pre_state, StateMap delta,
                    const U256& lazy_fees, bool any_included, BlockStorage& storage,
                    const ExecutorConfig& cfg, double commit_start_s) {
  out.lazy_beneficiary = env.lazy_beneficiary;
  if (env.lazy_beneficiary && any_included) {
    const StateKey ben = StateKey::balance(block.beneficiary);
    U256 base;
    if (const U256* v = delta.find(ben)) {
      base = *v;
    } else {
      bool cold = false;
      base = storage.read(ben, cold);
      ++(cold ? out.stats.cold_reads : out.stats.warm_reads);
    }
    delta.set(ben, base + lazy_fees);
  }
  out.post_state = StateLayer::make_child(pre_state, std::move(delta), cfg.compute_root);
  out.state_root = out.post_state->root();
  out.commit_stats = out.post_state->commit_stats();

  // The disk sustains at most disk_iops reads: a block's cold reads take at least that long.
  commit_start_s = std::max(commit_start_s, cfg.cost.iops_floor_s(out.stats.cold_reads));
  Span c;
  c.worker = 0;
  c.start_s = commit_start_s;
  c.tx_index = static_cast<std::uint32_t>(block.txs.size());
  c.kind = SpanKind::kCommit;
  const bool has_root = out.state_root.has_value();
  const bool parallel = has_root && cfg.cost.parallel_commitment && cfg.threads > 1;
  if (!has_root || (!cfg.cost.models_trie_depth() && !parallel)) {
    c.end_s = commit_start_s + cfg.cost.root_s(out.commit_stats.nodes_hashed);
    out.schedule.push_back(c);
    out.commit_s = c.end_s - c.start_s;
  } else {
    const CommitPlan plan = plan_commit(*out.post_state, out.commit_stats, cfg.cost);
    out.commit_stats.nodes_hashed = plan.nodes;
    out.commit_stats.nodes_loaded = plan.loaded;
    double end = commit_start_s;
    if (!parallel) {
      c.end_s = commit_start_s + plan.serial_s;
      out.schedule.push_back(c);
      end = c.end_s;
    } else {
      for (const CommitSlot& slot :
           schedule_commit(plan.storage, plan.subtries, plan.root_s, cfg.threads)) {
        c.worker = slot.worker;
        c.start_s = commit_start_s + slot.start_s;
        c.end_s = commit_start_s + slot.end_s;
        out.schedule.push_back(c);
        end = std::max(end, c.end_s);
      }
    }
    out.commit_s = end - commit_start_s;
  }
  auto before = [](const Span& a, const Span& b) {
    if (a.start_s != b.start_s) return a.start_s < b.start_s;
    return a.worker < b.worker;
  };
  if (!std::is_sorted(out.schedule.begin(), out.schedule.end(), before))
    std::stable_sort(out.schedule.begin(), out.schedule.end(), before);
  out.makespan_s = 0;
  for (const Span& s : out.schedule) out.makespan_s = std::max(out.makespan_s, s.end_s);
  out.gas_used = 0;
  for (const Receipt& r : out.receipts) out.gas_used += r.gas_used;
}

}  // namespace pipesim::execution
