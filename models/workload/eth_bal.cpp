#include "models/workload/eth_bal.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

#include "models/execution/rlp.hpp"
#include "models/execution/transaction.hpp"

namespace pipesim::workload {

using execution::AccessTrace;
using execution::StateKey;
using execution::StateMap;
using execution::TraceWrite;
using execution::Transaction;
using execution::U256;
namespace rlp = execution::rlp;

namespace {

[[noreturn]] void fail_bal(const std::string& name, const std::string& field,
                           const std::string& what) {
  throw std::runtime_error(name + ": " + field + ": " + what);
}

const rlp::Item& as_list(const rlp::Item& it, const std::string& name, const std::string& field,
                         std::size_t expect_size = SIZE_MAX) {
  if (!it.is_list) fail_bal(name, field, "expected a list, got a byte string");
  if (expect_size != SIZE_MAX && it.items.size() != expect_size)
    fail_bal(name, field,
             "expected " + std::to_string(expect_size) + " items, got " +
                 std::to_string(it.items.size()));
  return it;
}

template <std::size_t N>
std::array<std::uint8_t, N> fixed(const rlp::Item& it, const std::string& name,
                                  const std::string& field) {
  if (it.is_list || it.bytes.size() != N)
    fail_bal(name, field, "expected a " + std::to_string(N) + "-byte string");
  std::array<std::uint8_t, N> out{};
  std::copy(it.bytes.begin(), it.bytes.end(), out.begin());
  return out;
}

std::uint64_t integer(const rlp::Item& it, const std::string& name, const std::string& field) {
  if (it.is_list) fail_bal(name, field, "expected an integer, got a list");
  try {
    return it.to_uint64();
  } catch (const std::exception& e) {
    fail_bal(name, field, e.what());
  }
}

U256 big_integer(const rlp::Item& it, const std::string& name, const std::string& field) {
  if (it.is_list) fail_bal(name, field, "expected an integer, got a list");
  if (it.bytes.size() > 32) fail_bal(name, field, "integer longer than 32 bytes");
  if (!it.bytes.empty() && it.bytes[0] == 0) fail_bal(name, field, "integer with a leading zero");
  Hash32 w{};
  std::copy(it.bytes.begin(), it.bytes.end(),
            w.end() - static_cast<std::ptrdiff_t>(it.bytes.size()));
  return U256::from_be(w);
}

std::uint32_t tx_index(const rlp::Item& it, const std::string& name, const std::string& field) {
  const std::uint64_t v = integer(it, name, field);
  if (v > 1'000'000)
    fail_bal(name, field, "transaction index " + std::to_string(v) + " out of range");
  return static_cast<std::uint32_t>(v);
}

}  // namespace

std::string default_eth_bal_dir() {
  return data_dir() + "/eth-bal/rlp";
}

std::vector<std::uint64_t> list_bal_blocks(const std::string& dir) {
  std::vector<std::uint64_t> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) throw std::runtime_error("cannot list " + dir + ": " + ec.message());
  for (const auto& e : it) {
    std::string name = e.path().filename().string();
    for (const char* suffix : {"_with_reads.rlp", "_with_reads.rlp.gz"}) {
      const std::string s = suffix;
      if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
        std::uint64_t n = 0;
        const char* end = name.data() + name.size() - s.size();
        auto [p, err] = std::from_chars(name.data(), end, n);
        if (err == std::errc{} && p == end) out.push_back(n);
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

BalBlock read_bal_block(const std::string& dir, std::uint64_t number) {
  const std::string path = dir + "/" + std::to_string(number) + "_with_reads.rlp";
  const std::string data = read_data_file(path);
  return decode_bal(ByteView(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()),
                    number, path);
}

BalBlock decode_bal(ByteView data, std::uint64_t number, const std::string& name) {
  rlp::Item root;
  try {
    root = rlp::decode(data);
  } catch (const rlp::DecodeError& e) {
    throw std::runtime_error(name + ": byte " + std::to_string(e.offset()) + ": " + e.what());
  }
  BalBlock out;
  out.number = number;
  as_list(root, name, "(top level)");
  std::int64_t max_tx = -1;
  auto see = [&](std::uint32_t tx) { max_tx = std::max<std::int64_t>(max_tx, tx); };
  out.accounts.reserve(root.items.size());
  for (std::size_t ai = 0; ai < root.items.size(); ++ai) {
    std::string f = "account " + std::to_string(ai);
    const rlp::Item& a = as_list(root.items[ai], name, f, 6);
    BalAccount acct;
    acct.address = fixed<20>(a.items[0], name, f + ".address");
    f += " (" + to_hex0x(acct.address) + ")";
    if (!out.accounts.empty() && !(out.accounts.back().address < acct.address))
      fail_bal(name, f, "addresses not strictly ascending");
    const rlp::Item& sw = as_list(a.items[1], name, f + ".storage_writes");
    for (std::size_t s = 0; s < sw.items.size(); ++s) {
      const std::string sf = f + ".storage_writes[" + std::to_string(s) + "]";
      const rlp::Item& e = as_list(sw.items[s], name, sf, 2);
      BalAccount::SlotWrites w;
      w.slot = fixed<32>(e.items[0], name, sf + ".slot");
      const rlp::Item& ch = as_list(e.items[1], name, sf + ".changes");
      for (std::size_t c = 0; c < ch.items.size(); ++c) {
        const std::string cf = sf + ".changes[" + std::to_string(c) + "]";
        const rlp::Item& p = as_list(ch.items[c], name, cf, 2);
        const std::uint32_t tx = tx_index(p.items[0], name, cf + ".tx_index");
        see(tx);
        w.changes.emplace_back(tx, fixed<32>(p.items[1], name, cf + ".new_value"));
      }
      acct.storage_writes.push_back(std::move(w));
    }
    const rlp::Item& sr = as_list(a.items[2], name, f + ".storage_reads");
    for (std::size_t s = 0; s < sr.items.size(); ++s)
      acct.storage_reads.push_back(
          fixed<32>(sr.items[s], name, f + ".storage_reads[" + std::to_string(s) + "]"));
    const rlp::Item& bc = as_list(a.items[3], name, f + ".balance_changes");
    for (std::size_t c = 0; c < bc.items.size(); ++c) {
      const std::string cf = f + ".balance_changes[" + std::to_string(c) + "]";
      const rlp::Item& p = as_list(bc.items[c], name, cf, 2);
      const std::uint32_t tx = tx_index(p.items[0], name, cf + ".tx_index");
      see(tx);
      acct.balance_changes.emplace_back(tx, big_integer(p.items[1], name, cf + ".post_balance"));
    }
    const rlp::Item& nc = as_list(a.items[4], name, f + ".nonce_changes");
    for (std::size_t c = 0; c < nc.items.size(); ++c) {
      const std::string cf = f + ".nonce_changes[" + std::to_string(c) + "]";
      const rlp::Item& p = as_list(nc.items[c], name, cf, 2);
      const std::uint32_t tx = tx_index(p.items[0], name, cf + ".tx_index");
      see(tx);
      acct.nonce_changes.emplace_back(tx, integer(p.items[1], name, cf + ".new_nonce"));
    }
    const rlp::Item& cc = as_list(a.items[5], name, f + ".code_changes");
    for (std::size_t c = 0; c < cc.items.size(); ++c) {
      const std::string cf = f + ".code_changes[" + std::to_string(c) + "]";
      const rlp::Item& p = as_list(cc.items[c], name, cf, 2);
      const std::uint32_t tx = tx_index(p.items[0], name, cf + ".tx_index");
      see(tx);
      if (p.items[1].is_list) fail_bal(name, cf + ".code", "expected a byte string");
      acct.code_changes.emplace_back(tx, p.items[1].bytes);
    }
    out.accounts.push_back(std::move(acct));
  }
  out.tx_count = static_cast<std::uint32_t>(max_tx + 1);
  return out;
}

BalCounts bal_counts(const BalBlock& block) {
  BalCounts c;
  c.txs = block.tx_count;
  c.accounts = static_cast<std::uint32_t>(block.accounts.size());
  for (const BalAccount& a : block.accounts) {
    if (a.touched_only()) ++c.touched_only;
    for (const auto& w : a.storage_writes) {
      c.slot_writes += static_cast<std::uint32_t>(w.changes.size());
      std::set<std::uint32_t> writers;
      for (const auto& ch : w.changes) writers.insert(ch.first);
      if (writers.size() >= 2) ++c.multi_writer_slots;
    }
    c.read_only_slots += static_cast<std::uint32_t>(a.storage_reads.size());
    c.balance_changes += static_cast<std::uint32_t>(a.balance_changes.size());
    c.nonce_changes += static_cast<std::uint32_t>(a.nonce_changes.size());
    c.code_changes += static_cast<std::uint32_t>(a.code_changes.size());
  }
  return c;
}

BalTraced bal_to_traced(const BalBlock& block) {
  const std::size_t n = block.tx_count;
  BalTraced out;
  TracedBlock& tb = out.traced;
  tb.number = block.number;

  // Beneficiary: most balance changes (ties: lowest address, the accounts are sorted).
  std::size_t best = 0;
  for (const BalAccount& a : block.accounts)
    if (a.balance_changes.size() > best) {
      best = a.balance_changes.size();
      tb.beneficiary = a.address;
    }

  // Per-transaction facts.
  std::vector<std::vector<const BalAccount*>> nonce_accts(n);
  std::vector<std::set<Address>> code_changed(n), balance_changed(n);
  for (const BalAccount& a : block.accounts) {
    for (const auto& [tx, v] : a.nonce_changes) nonce_accts[tx].push_back(&a);
    for (const auto& [tx, v] : a.code_changes) code_changed[tx].insert(a.address);
    for (const auto& [tx, v] : a.balance_changes) balance_changed[tx].insert(a.address);
  }
  std::vector<Address> sender(n);
  std::vector<std::uint64_t> sender_nonce(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<const BalAccount*> cand;
    for (const BalAccount* a : nonce_accts[i])
      if (!code_changed[i].count(a->address)) cand.push_back(a);
    if (cand.empty()) cand = nonce_accts[i];
    if (cand.empty())
      throw std::runtime_error("block " + std::to_string(block.number) + ": transaction " +
                               std::to_string(i) + " has no nonce change (no sender)");
    if (cand.size() > 1) {
      std::vector<const BalAccount*> paid;
      for (const BalAccount* a : cand)
        if (balance_changed[i].count(a->address)) paid.push_back(a);
      if (!paid.empty()) cand = paid;
      if (cand.size() > 1) ++out.ambiguous_senders;
    }
    const BalAccount* s = cand.front();  // lowest address (accounts are sorted)
    sender[i] = s->address;
    for (const auto& [tx, v] : s->nonce_changes)
      if (tx == i) sender_nonce[i] = v;
    if (sender_nonce[i] == 0)
      throw std::runtime_error("block " + std::to_string(block.number) + ": transaction " +
                               std::to_string(i) + ": sender " + to_hex0x(s->address) +
                               " has new nonce 0");
  }

  struct Build {
    std::vector<TracedKey> reads, writes;
    std::vector<StateKey> trace_reads;
    std::vector<TraceWrite> trace_writes;
    std::set<Address> accounts;
    std::uint64_t slot_reads = 0, slot_writes = 0, code_bytes = 0, creations = 0;
  };
  std::vector<Build> build(n);
  auto add_read = [](Build& b, const StateKey& k, KeyOrigin o) {
    for (const TracedKey& t : b.reads)
      if (t.key == k) return;
    b.reads.push_back({k, o});
    if (k.kind == execution::KeyKind::kStorage) ++b.slot_reads;
    b.trace_reads.push_back(k);
  };
  for (std::size_t i = 0; i < n; ++i) {
    Build& b = build[i];
    b.reads.push_back({StateKey::nonce(sender[i]), KeyOrigin::kExact});
    b.reads.push_back({StateKey::balance(sender[i]), KeyOrigin::kExact});
    b.writes.push_back({StateKey::nonce(sender[i]), KeyOrigin::kExact});
    b.writes.push_back({StateKey::balance(sender[i]), KeyOrigin::kExact});
  }
  auto add_write = [&](std::uint32_t tx, const StateKey& k, const U256& v) {
    Build& b = build[tx];
    bool seen = false;
    for (const TracedKey& t : b.writes) seen = seen || t.key == k;
    if (!seen) b.writes.push_back({k, KeyOrigin::kExact});
    b.trace_writes.push_back({k, TraceWrite::Mode::kSet, v});
    if (k.address != sender[tx] && k.address != tb.beneficiary) b.accounts.insert(k.address);
  };
  std::map<Address, std::vector<std::uint32_t>> writers_of;  // account -> txs writing it
  for (const BalAccount& a : block.accounts) {
    std::set<std::uint32_t> w;
    for (const auto& sw : a.storage_writes)
      for (const auto& [tx, v] : sw.changes) {
        add_write(tx, StateKey::storage(a.address, sw.slot), U256::from_be(v));
        ++build[tx].slot_writes;
        w.insert(tx);
      }
    for (const auto& [tx, v] : a.balance_changes) {
      add_write(tx, StateKey::balance(a.address), v);
      w.insert(tx);
    }
    for (const auto& [tx, v] : a.nonce_changes) {
      if (a.address == sender[tx] && v == sender_nonce[tx]) continue;  // the VM's nonce + 1
      add_write(tx, StateKey::nonce(a.address), U256{v});
      w.insert(tx);
    }
    for (const auto& [tx, code] : a.code_changes) {
      add_write(tx, StateKey::code(a.address), U256{});
      build[tx].code_bytes += code.size();
      ++build[tx].creations;
      w.insert(tx);
    }
    writers_of[a.address].assign(w.begin(), w.end());
  }
  // Derived reads: own written keys, then read-only slots.
  for (std::size_t i = 0; i < n; ++i) {
    Build& b = build[i];
    const std::vector<TracedKey> written = b.writes;
    for (const TracedKey& k : written) {
      if (k.key.address == sender[i] && k.key.kind != execution::KeyKind::kStorage) continue;
      if (k.key == StateKey::balance(tb.beneficiary)) continue;
      add_read(b, k.key, KeyOrigin::kDerived);
    }
  }
  std::vector<std::uint32_t> all(n);
  for (std::size_t i = 0; i < n; ++i) all[i] = static_cast<std::uint32_t>(i);
  if (n > 0) {
    for (const BalAccount& a : block.accounts) {
      if (a.storage_reads.empty()) continue;
      const std::vector<std::uint32_t>& w = writers_of[a.address];
      const std::vector<std::uint32_t>& cand = w.empty() ? all : w;
      std::uint64_t j = address_prefix_u64(a.address) % cand.size();
      for (const Hash32& slot : a.storage_reads) {
        Build& b = build[cand[j % cand.size()]];
        ++j;
        add_read(b, StateKey::storage(a.address, slot), KeyOrigin::kDerived);
        if (a.address != tb.beneficiary) b.accounts.insert(a.address);
      }
    }
  }

  tb.txs.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    Build& b = build[i];
    auto trace = std::make_shared<AccessTrace>();
    trace->reads = std::move(b.trace_reads);
    trace->writes = std::move(b.trace_writes);
    trace->gas_used = 21'000 + 2'100 * b.slot_reads + 2'900 * b.slot_writes +
                      2'600 * b.accounts.size() + 32'000 * b.creations + 200 * b.code_bytes;
    trace->size_bytes = 110;
    const std::uint64_t gas = trace->gas_used;
    TracedTx& t = tb.txs[i];
    t.index = static_cast<std::uint32_t>(i);
    t.reads = std::move(b.reads);
    t.writes = std::move(b.writes);
    t.gas_exact = false;
    t.tx = Transaction::access_trace(sender[i], std::move(trace), sender_nonce[i] - 1, 0);
    t.tx.gas_limit = gas;
  }
  tb.gas_limit = 0;
  tb.recorded_gas_used = 0;
  return out;
}

StateMap bal_genesis(std::span<const BalTraced> blocks) {
  StateMap g;
  std::set<Address> seen;
  for (const BalTraced& b : blocks)
    for (const TracedTx& t : b.traced.txs) {
      if (!seen.insert(t.tx.from).second) continue;
      if (t.tx.nonce != 0) g.set(StateKey::nonce(t.tx.from), U256{t.tx.nonce});
    }
  return g;
}

}  // namespace pipesim::workload
