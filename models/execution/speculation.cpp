#include "models/execution/speculation.hpp"

#include <algorithm>
#include <map>
#include <numeric>
#include <stdexcept>
#include <unordered_map>

namespace pipesim::execution {

namespace {

struct Touch {
  std::uint32_t tx;
  bool read;
  bool write;
};

// Per key (in first-touch order), the transactions touching it in block order.
struct KeyTouches {
  std::vector<std::vector<Touch>> lists;
  std::uint64_t accesses = 0;
};

KeyTouches collect_touches(std::size_t n, const SpeculatedAccess& access) {
  KeyTouches kt;
  BasicStateMap<std::uint32_t> index;
  auto touch = [&](std::uint32_t tx, const StateKey& k, bool write) {
    ++kt.accesses;
    bool inserted = false;
    std::uint32_t& slot = index.emplace(k, 0, &inserted);
    if (inserted) {
      slot = static_cast<std::uint32_t>(kt.lists.size());
      kt.lists.emplace_back();
    }
    std::vector<Touch>& l = kt.lists[slot];
    if (l.empty() || l.back().tx != tx) l.push_back(Touch{tx, false, false});
    (write ? l.back().write : l.back().read) = true;
  };
  const std::size_t known = std::min(n, access.size());
  for (std::uint32_t i = 0; i < known; ++i) {
    for (const StateKey& k : access.reads[i]) touch(i, k, false);
    for (const StateKey& k : access.writes[i]) touch(i, k, true);
  }
  return kt;
}

std::uint32_t find_root(std::vector<std::uint32_t>& parent, std::uint32_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

}  // namespace

void append_speculation(SpeculatedAccess& whole, const SpeculatedAccess& part) {
  if (part.reads.size() != part.writes.size())
    throw std::invalid_argument("append_speculation: read and write lists differ in size");
  for (std::size_t i = 0; i < part.size(); ++i) {
    for (const StateKey& k : part.reads[i]) whole.reads.keys.push_back(k);
    whole.reads.close_tx();
    for (const StateKey& k : part.writes[i]) whole.writes.keys.push_back(k);
    whole.writes.close_tx();
  }
}

SpeculatedAccess empty_speculation(std::size_t n) {
  SpeculatedAccess s;
  for (std::size_t i = 0; i < n; ++i) {
    s.reads.close_tx();
    s.writes.close_tx();
  }
  return s;
}

const char* to_string(DepKind kind) {
  switch (kind) {
    case DepKind::kWar:
      return "WAR";
    case DepKind::kRaw:
      return "RAW";
    case DepKind::kWaw:
      return "WAW";
  }
  return "?";
}

std::size_t DependencyDag::count(DepKind kind) const {
  return static_cast<std::size_t>(
      std::count_if(edges.begin(), edges.end(), [&](const DepEdge& e) { return e.kind == kind; }));
}

DependencyDag build_dependency_dag(std::size_t n, const SpeculatedAccess& access) {
  DependencyDag dag;
  dag.tx_count = static_cast<std::uint32_t>(n);
  const KeyTouches kt = collect_touches(n, access);
  dag.key_accesses = kt.accesses;
  // Bits per pair: 1 = WAR, 2 = RAW, 4 = both write.
  std::unordered_map<std::uint64_t, std::uint8_t> pairs;
  for (const std::vector<Touch>& l : kt.lists) {
    bool any_write = false;
    for (const Touch& t : l) any_write |= t.write;
    if (!any_write) continue;
    for (std::size_t a = 0; a < l.size(); ++a) {
      for (std::size_t b = a + 1; b < l.size(); ++b) {
        const Touch& i = l[a];
        const Touch& j = l[b];
        std::uint8_t bits = 0;
        if (i.write && j.write) bits |= 4;
        if (i.write && j.read) bits |= 2;
        if (i.read && j.write) bits |= 1;
        if (bits == 0) continue;
        ++dag.pairs_examined;
        pairs[(static_cast<std::uint64_t>(j.tx) << 32) | i.tx] |= bits;
      }
    }
  }
  dag.edges.reserve(pairs.size());
  for (const auto& [key, bits] : pairs) {
    DepEdge e;
    e.to = static_cast<std::uint32_t>(key >> 32);
    e.from = static_cast<std::uint32_t>(key);
    e.kind = (bits & 4) != 0 || (bits & 3) == 3 ? DepKind::kWaw
                                                : ((bits & 2) != 0 ? DepKind::kRaw : DepKind::kWar);
    dag.edges.push_back(e);
  }
  std::sort(dag.edges.begin(), dag.edges.end(), [](const DepEdge& a, const DepEdge& b) {
    return a.to != b.to ? a.to < b.to : a.from < b.from;
  });
  return dag;
}

void add_sender_chains(DependencyDag& dag, const Block& block) {
  std::map<Address, std::uint32_t> last;
  std::vector<DepEdge> extra;
  for (std::uint32_t j = 0; j < block.txs.size(); ++j) {
    auto [it, inserted] = last.try_emplace(block.txs[j].from, j);
    if (inserted) continue;
    const std::uint32_t i = it->second;
    it->second = j;
    // Edges are sorted by (to, from): binary search for (j, i).
    auto pos = std::lower_bound(dag.edges.begin(), dag.edges.end(), DepEdge{i, j, DepKind::kWaw},
                                [](const DepEdge& a, const DepEdge& b) {
                                  return a.to != b.to ? a.to < b.to : a.from < b.from;
                                });
    if (pos != dag.edges.end() && pos->to == j && pos->from == i) {
      pos->kind = DepKind::kWaw;
    } else {
      extra.push_back(DepEdge{i, j, DepKind::kWaw});
    }
  }
  if (extra.empty()) return;
  dag.edges.insert(dag.edges.end(), extra.begin(), extra.end());
  std::sort(dag.edges.begin(), dag.edges.end(), [](const DepEdge& a, const DepEdge& b) {
    return a.to != b.to ? a.to < b.to : a.from < b.from;
  });
}

SpeculationResult speculate(const Block& batch, const std::shared_ptr<const StateLayer>& state,
                            const ExecutorConfig& cfg, const SpeculationConfig& scfg) {
  if (!state) throw std::invalid_argument("speculate: null state");
  if (cfg.threads == 0) throw std::invalid_argument("speculate: threads must be >= 1");
  const auto n = static_cast<std::uint32_t>(batch.txs.size());
  const BlockEnv env = make_block_env(batch, cfg);
  SpeculationResult out;
  double t = schedule_sig_recovery(n, cfg.threads, cfg.cost, out.schedule);

  BlockStorage storage;
  storage.reset(state.get());
  OverlayReader reader;
  reader.storage = &storage;

  // Execute every transaction on the snapshot; a sender's transactions in nonce (batch) order on
  // top of each other, the rest independently.
  struct SenderChain {
    StateMap writes;
    double done_s = 0;
  };
  std::map<Address, SenderChain> chains;
  Vm vm;
  SpeculatedAccess access;
  std::vector<double> free_at(cfg.threads, t);
  for (std::uint32_t i = 0; i < n; ++i) {
    SenderChain& chain = chains[batch.txs[i].from];
    reader.overlay = &chain.writes;  // the sender's earlier txs of this batch
    reader.cold = reader.warm = 0;
    const TxResult r = vm.execute(batch.txs[i], env, reader);
    std::uint32_t writes = 0;
    for (const TxAccess& a : vm.accesses()) {
      if (a.read) access.reads.keys.push_back(a.key);
      if (a.written) {
        ++writes;
        access.writes.keys.push_back(a.key);
        chain.writes.set(a.key, a.current);
      }
    }
    access.reads.close_tx();
    access.writes.close_tx();
    out.cold_reads += reader.cold;
    out.warm_reads += reader.warm;
    const double d = cfg.cost.execute_s(batch.txs[i], r.gas_used, reader.cold, reader.warm, writes);
    auto w = static_cast<std::uint32_t>(std::min_element(free_at.begin(), free_at.end()) -
                                        free_at.begin());
    const double start = std::max(free_at[w], chain.done_s);
    out.schedule.push_back(Span{w, start, start + d, i, 0, SpanKind::kExecute});
    free_at[w] = chain.done_s = start + d;
  }
  t = *std::max_element(free_at.begin(), free_at.end());
  for (const auto& [sender, chain] : chains) {
    chain.writes.for_each([&](const StateKey& k, const U256& v) { out.writes.set(k, v); });
  }

  // Dependency chains: union transactions that touch a common key some of them writes.
  std::vector<std::uint32_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0u);
  const KeyTouches kt = collect_touches(n, access);
  for (const std::vector<Touch>& l : kt.lists) {
    bool any_write = false;
    for (const Touch& x : l) any_write |= x.write;
    if (!any_write) continue;
    for (std::size_t a = 1; a < l.size(); ++a) {
      const std::uint32_t ra = find_root(parent, l[0].tx), rb = find_root(parent, l[a].tx);
      if (ra != rb) parent[std::max(ra, rb)] = std::min(ra, rb);  // root = smallest member
    }
  }
  std::vector<std::uint32_t> size(n, 0);
  for (std::uint32_t i = 0; i < n; ++i) ++size[find_root(parent, i)];
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  if (scfg.reorder) {
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      const std::uint32_t ra = find_root(parent, a), rb = find_root(parent, b);
      if (ra == rb) return false;  // stable: keep the batch order inside a chain
      if (size[ra] != size[rb]) return size[ra] > size[rb];
      return ra < rb;  // the root is the chain's first transaction
    });
  }
  for (std::uint32_t i = 0; i < n; ++i)
    if (find_root(parent, i) == i) out.chain_lengths.push_back(size[i]);
  std::sort(out.chain_lengths.begin(), out.chain_lengths.end(), std::greater<>());

  out.block.number = batch.number;
  out.block.beneficiary = batch.beneficiary;
  out.block.gas_limit = batch.gas_limit;
  out.block.txs.reserve(n);
  out.original_index = order;
  for (std::uint32_t pos = 0; pos < n; ++pos) {
    const std::uint32_t i = order[pos];
    out.block.txs.push_back(batch.txs[i]);
    for (const StateKey& k : access.reads[i]) out.access.reads.keys.push_back(k);
    out.access.reads.close_tx();
    for (const StateKey& k : access.writes[i]) out.access.writes.keys.push_back(k);
    out.access.writes.close_tx();
  }
  out.dag = build_dependency_dag(n, out.access);
  add_sender_chains(out.dag, out.block);
  const double d = scfg.dag_cost.seconds(out.dag);
  out.schedule.push_back(Span{0, t, t + d, n, 0, SpanKind::kValidate});
  out.makespan_s = t + d;
  std::stable_sort(out.schedule.begin(), out.schedule.end(), [](const Span& a, const Span& b) {
    return a.start_s != b.start_s ? a.start_s < b.start_s : a.worker < b.worker;
  });
  return out;
}

}  // namespace pipesim::execution
