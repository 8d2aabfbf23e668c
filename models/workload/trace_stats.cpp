#include "models/workload/trace_stats.hpp"

#include "models/common/data_dir.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace pipesim::workload {

using execution::StateKey;

const char* to_string(KeyOrigin origin) {
  return origin == KeyOrigin::kExact ? "exact" : "derived";
}

execution::Block TracedBlock::to_block() const {
  execution::Block b;
  b.number = number;
  b.beneficiary = beneficiary;
  std::uint64_t limits = 0;
  b.txs.reserve(txs.size());
  for (const TracedTx& t : txs) {
    b.txs.push_back(t.tx);
    limits += t.tx.gas_limit;
  }
  b.gas_limit = gas_limit != 0 ? gas_limit : limits;
  return b;
}

std::uint64_t TracedBlock::trace_gas() const {
  std::uint64_t g = 0;
  for (const TracedTx& t : txs) g += t.tx.trace ? t.tx.trace->gas_used : 0;
  return g;
}

double ConflictAnalysis::independent_fraction() const {
  return deps.empty() ? 1.0 : static_cast<double>(independent) / static_cast<double>(deps.size());
}

double ConflictAnalysis::chain_ratio() const {
  return deps.empty() ? 0.0 : static_cast<double>(longest_chain) / static_cast<double>(deps.size());
}

double ConflictAnalysis::conflict_rate() const {
  const double n = static_cast<double>(deps.size());
  if (deps.size() < 2) return 0.0;
  return static_cast<double>(conflicting_pairs) / (n * (n - 1) / 2);
}

namespace {

// Per-key history: the transactions that read it and that wrote it so far (ascending).
struct KeyHistory {
  std::vector<std::uint32_t> readers;
  std::vector<std::uint32_t> writers;
};

template <class GetReads, class GetWrites>
ConflictAnalysis analyse(std::size_t n, GetReads&& reads_of, GetWrites&& writes_of,
                         const ConflictOptions& opts) {
  std::vector<StateKey> ignore = opts.ignore;
  std::sort(ignore.begin(), ignore.end());
  auto ignored = [&](const StateKey& k) {
    return !ignore.empty() && std::binary_search(ignore.begin(), ignore.end(), k);
  };

  ConflictAnalysis out;
  out.deps.resize(n);
  out.chain.assign(n, 1);
  execution::BasicStateMap<std::uint32_t> index;  // key -> position in `history`
  std::vector<KeyHistory> history;
  auto hist = [&](const StateKey& k) -> KeyHistory& {
    bool inserted = false;
    std::uint32_t& pos = index.emplace(k, static_cast<std::uint32_t>(history.size()), &inserted);
    if (inserted) history.emplace_back();
    return history[pos];
  };

  std::vector<std::uint32_t> deps;
  for (std::size_t i = 0; i < n; ++i) {
    const auto tx = static_cast<std::uint32_t>(i);
    deps.clear();
    for (const StateKey& k : reads_of(i)) {
      if (ignored(k)) continue;
      const KeyHistory& h = hist(k);
      deps.insert(deps.end(), h.writers.begin(), h.writers.end());  // RAW
    }
    for (const StateKey& k : writes_of(i)) {
      if (ignored(k)) continue;
      const KeyHistory& h = hist(k);
      deps.insert(deps.end(), h.writers.begin(), h.writers.end());  // WAW
      deps.insert(deps.end(), h.readers.begin(), h.readers.end());  // WAR
    }
    std::sort(deps.begin(), deps.end());
    deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
    // Record this transaction's accesses (after computing its own dependencies).
    for (const StateKey& k : reads_of(i)) {
      if (ignored(k)) continue;
      KeyHistory& h = hist(k);
      if (h.readers.empty() || h.readers.back() != tx) h.readers.push_back(tx);
    }
    for (const StateKey& k : writes_of(i)) {
      if (ignored(k)) continue;
      KeyHistory& h = hist(k);
      if (h.writers.empty() || h.writers.back() != tx) h.writers.push_back(tx);
    }
    std::uint32_t chain = 1;
    for (std::uint32_t j : deps) chain = std::max(chain, out.chain[j] + 1);
    out.chain[i] = chain;
    out.longest_chain = std::max(out.longest_chain, chain);
    if (deps.empty()) ++out.independent;
    out.conflicting_pairs += deps.size();
    out.deps[i] = deps;
  }
  return out;
}

}  // namespace

ConflictAnalysis analyse_conflicts(std::span<const std::vector<StateKey>> read_sets,
                                   std::span<const std::vector<StateKey>> write_sets,
                                   const ConflictOptions& opts) {
  if (read_sets.size() != write_sets.size()) {
    throw std::invalid_argument("analyse_conflicts: " + std::to_string(read_sets.size()) +
                                " read sets but " + std::to_string(write_sets.size()) +
                                " write sets");
  }
  return analyse(
      read_sets.size(), [&](std::size_t i) -> const std::vector<StateKey>& { return read_sets[i]; },
      [&](std::size_t i) -> const std::vector<StateKey>& { return write_sets[i]; }, opts);
}

ConflictAnalysis analyse_conflicts(const execution::AccessLists& read_sets,
                                   const execution::AccessLists& write_sets,
                                   const ConflictOptions& opts) {
  if (read_sets.size() != write_sets.size()) {
    throw std::invalid_argument("analyse_conflicts: " + std::to_string(read_sets.size()) +
                                " read sets but " + std::to_string(write_sets.size()) +
                                " write sets");
  }
  return analyse(
      read_sets.size(), [&](std::size_t i) { return read_sets[i]; },
      [&](std::size_t i) { return write_sets[i]; }, opts);
}

namespace {

std::vector<StateKey> keys_of(const std::vector<TracedKey>& v) {
  std::vector<StateKey> out;
  out.reserve(v.size());
  for (const TracedKey& k : v) out.push_back(k.key);
  return out;
}

}  // namespace

ConflictAnalysis analyse_conflicts(const TracedBlock& block, bool ignore_beneficiary) {
  std::vector<std::vector<StateKey>> reads, writes;
  reads.reserve(block.txs.size());
  writes.reserve(block.txs.size());
  for (const TracedTx& t : block.txs) {
    reads.push_back(keys_of(t.reads));
    writes.push_back(keys_of(t.writes));
  }
  ConflictOptions opts;
  if (ignore_beneficiary) opts.ignore.push_back(StateKey::balance(block.beneficiary));
  return analyse_conflicts(reads, writes, opts);
}

BlockStats block_stats(const TracedBlock& block, bool ignore_beneficiary) {
  BlockStats s;
  s.number = block.number;
  s.txs = static_cast<std::uint32_t>(block.txs.size());
  s.gas = block.trace_gas();
  s.recorded_gas = block.recorded_gas_used;
  const ConflictAnalysis a = analyse_conflicts(block, ignore_beneficiary);
  s.independent_fraction = a.independent_fraction();
  s.longest_chain = a.longest_chain;
  s.chain_ratio = a.chain_ratio();
  s.conflict_rate = a.conflict_rate();
  for (const TracedTx& t : block.txs) {
    for (const TracedKey& k : t.reads)
      (k.origin == KeyOrigin::kExact ? s.read_keys_exact : s.read_keys_derived) += 1;
    for (const TracedKey& k : t.writes)
      (k.origin == KeyOrigin::kExact ? s.write_keys_exact : s.write_keys_derived) += 1;
    if (t.gas_exact) ++s.txs_gas_exact;
  }
  return s;
}

std::string data_dir() {
  return pipesim::data_dir();
}

std::string read_data_file(const std::string& path) {
  std::string actual = path;
  std::error_code ec;
  if (!std::filesystem::exists(actual, ec)) actual = path + ".gz";
  if (!std::filesystem::exists(actual, ec)) {
    throw std::runtime_error("cannot read " + path + " (nor " + path +
                             ".gz): no such file; set PIPESIM_DATA_DIR or --data-dir");
  }
  gzFile f = gzopen(actual.c_str(), "rb");  // reads plain files transparently
  if (f == nullptr) {
    throw std::runtime_error("cannot open " + actual + ": " + std::strerror(errno));
  }
  std::string out;
  char buf[1 << 16];
  while (true) {
    int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      int err = 0;
      std::string msg = gzerror(f, &err);
      gzclose(f);
      throw std::runtime_error("cannot read " + actual + " at byte " + std::to_string(out.size()) +
                               ": " + msg);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  gzclose(f);
  return out;
}

}  // namespace pipesim::workload
