#include "models/workload/eth_mainnet.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <stdexcept>
#include <string>

#include "models/common/random.hpp"
#include "models/execution/keccak.hpp"
#include "models/execution/rlp.hpp"
#include "models/execution/vm.hpp"

namespace pipesim::workload {

using execution::AccessTrace;
using execution::StateKey;
using execution::StateMap;
using execution::TraceWrite;
using execution::Transaction;
using execution::U256;
using json = nlohmann::json;

namespace {

[[noreturn]] void fail(const std::string& file, const std::string& field, const std::string& what) {
  throw std::runtime_error(file + ": " + field + ": " + what);
}

const json& member(const json& obj, const char* key, const std::string& file,
                   const std::string& field) {
  if (!obj.is_object()) fail(file, field, "not an object");
  auto it = obj.find(key);
  if (it == obj.end()) fail(file, field + "." + key, "missing");
  return *it;
}

std::string hex_string(const json& v, const std::string& file, const std::string& field) {
  if (!v.is_string()) fail(file, field, "expected a 0x-hex string, got " + v.dump());
  const std::string& s = v.get_ref<const std::string&>();
  if (s.size() < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
    fail(file, field, "expected a 0x-hex string, got \"" + s + "\"");
  return s;
}

U256 parse_u256(const json& v, const std::string& file, const std::string& field) {
  const std::string s = hex_string(v, file, field);
  try {
    return U256::from_be(fixed_from_hex<32>(s));
  } catch (const std::exception& e) {
    fail(file, field, e.what());
  }
}

std::uint64_t parse_u64(const json& v, const std::string& file, const std::string& field) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  const U256 x = parse_u256(v, file, field);
  if (!x.fits_u64()) fail(file, field, "does not fit 64 bits");
  return x.low64();
}

Address parse_address(const json& v, const std::string& file, const std::string& field) {
  const std::string s = hex_string(v, file, field);
  if (s.size() != 42) fail(file, field, "expected a 20-byte address, got \"" + s + "\"");
  try {
    return fixed_from_hex<20>(s);
  } catch (const std::exception& e) {
    fail(file, field, e.what());
  }
}

Bytes parse_bytes(const json& v, const std::string& file, const std::string& field) {
  const std::string s = hex_string(v, file, field);
  try {
    return from_hex(s);
  } catch (const std::exception& e) {
    fail(file, field, e.what());
  }
}

json parse_json_file(const std::string& path) {
  const std::string text = read_data_file(path);
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw std::runtime_error(path + ": byte " + std::to_string(e.byte) + ": " + e.what());
  }
}

Hash32 pad_address(const Address& a) {
  Hash32 out{};
  std::copy(a.begin(), a.end(), out.begin() + 12);
  return out;
}

Hash32 mapping_slot(const Hash32& key, std::uint64_t position) {
  Bytes buf(64);
  std::copy(key.begin(), key.end(), buf.begin());
  const Hash32 p = execution::word_slot(position);
  std::copy(p.begin(), p.end(), buf.begin() + 32);
  return execution::keccak256(buf);
}

Hash32 mapping_slot(const Hash32& key, const Hash32& base) {
  Bytes buf(64);
  std::copy(key.begin(), key.end(), buf.begin());
  std::copy(base.begin(), base.end(), buf.begin() + 32);
  return execution::keccak256(buf);
}

Address created_address(const Address& sender, std::uint64_t nonce) {
  Bytes payload;
  execution::rlp::append_string(payload, ByteView(sender.data(), sender.size()));
  execution::rlp::append_uint(payload, nonce);
  Bytes enc;
  execution::rlp::append_list_header(enc, payload.size());
  enc.insert(enc.end(), payload.begin(), payload.end());
  const Hash32 h = execution::keccak256(enc);
  Address a{};
  std::copy(h.begin() + 12, h.end(), a.begin());
  return a;
}

// Deterministic choice of the derived slots that are written: a fixed mix of the key bytes.
bool derived_written(const StateKey& k, double fraction) {
  const std::uint64_t h = execution::StateKeyHash{}(k);
  return static_cast<double>(h % 1'000'000) < fraction * 1'000'000.0;
}

// Pre-state of one contract: its slots, in order.
struct ContractSlots {
  std::vector<Hash32> slots;  // sorted
  bool has(const Hash32& s) const { return std::binary_search(slots.begin(), slots.end(), s); }
};

// Access sets of one transaction under construction (keys deduplicated, first origin wins, an
// exact origin upgrades a derived one).
struct TxBuild {
  std::vector<TracedKey> reads, writes;
  std::vector<StateKey> trace_reads;
  std::vector<TraceWrite> trace_writes;

  static void add(std::vector<TracedKey>& v, const StateKey& k, KeyOrigin o) {
    for (TracedKey& t : v)
      if (t.key == k) {
        if (o == KeyOrigin::kExact) t.origin = o;
        return;
      }
    v.push_back({k, o});
  }
  void read(const StateKey& k, KeyOrigin o, bool in_trace = true) {
    add(reads, k, o);
    if (in_trace && std::find(trace_reads.begin(), trace_reads.end(), k) == trace_reads.end())
      trace_reads.push_back(k);
  }
  void write(const StateKey& k, KeyOrigin o, TraceWrite::Mode mode, const U256& value,
             bool in_trace = true) {
    add(writes, k, o);
    if (in_trace) trace_writes.push_back({k, mode, value});
  }
};

U256 negate(const U256& v) {
  return U256{} - v;
}

constexpr std::uint32_t kSelTransfer = 0xa9059cbb;
constexpr std::uint32_t kSelTransferFrom = 0x23b872dd;
constexpr std::uint32_t kSelApprove = 0x095ea7b3;
constexpr std::uint64_t kMaxMappingPosition = 64;

Address word_to_address(const Bytes& input, std::size_t word) {
  Address a{};
  std::copy(input.begin() + static_cast<std::ptrdiff_t>(4 + 32 * word + 12),
            input.begin() + static_cast<std::ptrdiff_t>(4 + 32 * word + 32), a.begin());
  return a;
}

U256 word_u256(const Bytes& input, std::size_t word) {
  Hash32 w{};
  std::copy(input.begin() + static_cast<std::ptrdiff_t>(4 + 32 * word),
            input.begin() + static_cast<std::ptrdiff_t>(4 + 32 * word + 32), w.begin());
  return U256::from_be(w);
}

std::optional<Hash32> find_allowance_slot(const ContractSlots& c, const Address& owner,
                                          const Address& spender) {
  const Hash32 ok = pad_address(owner), sk = pad_address(spender);
  for (std::uint64_t q = 0; q < kMaxMappingPosition; ++q) {
    const Hash32 s = mapping_slot(sk, mapping_slot(ok, q));
    if (c.has(s)) return s;
  }
  return std::nullopt;
}

std::uint64_t intrinsic_gas(const Bytes& input, bool creation, std::uint64_t block,
                            std::uint64_t al_addresses, std::uint64_t al_keys) {
  const std::uint64_t nonzero_cost = block >= 9'069'000 ? 16 : 68;  // EIP-2028 (Istanbul)
  std::uint64_t g = 21'000;
  for (std::uint8_t b : input) g += b == 0 ? 4 : nonzero_cost;
  if (creation && block >= 1'150'000) g += 32'000;  // Homestead
  g += al_addresses * 2'400 + al_keys * 1'900;      // EIP-2930
  return g;
}

// Water-filling of the block's remaining gas over the estimated transactions: est_i =
// clamp(limit_i * r, lo_i, limit_i) with sum = target (when feasible).
void estimate_gas(std::vector<std::uint64_t>& est, const std::vector<std::uint64_t>& lo,
                  const std::vector<std::uint64_t>& hi, const std::vector<bool>& fixed,
                  std::uint64_t target) {
  const std::size_t n = est.size();
  std::uint64_t sum_lo = 0, sum_hi = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (!fixed[i]) {
      sum_lo += lo[i];
      sum_hi += hi[i];
    }
  auto fill = [&](double r) {
    std::uint64_t s = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (fixed[i]) continue;
      double v = std::floor(static_cast<double>(hi[i]) * r);
      std::uint64_t e = static_cast<std::uint64_t>(std::max(0.0, v));
      est[i] = std::clamp(e, lo[i], hi[i]);
      s += est[i];
    }
    return s;
  };
  if (target <= sum_lo) {
    fill(0.0);
    return;
  }
  if (target >= sum_hi) {
    fill(1.0);
    return;
  }
  double a = 0.0, b = 1.0;
  for (int it = 0; it < 80; ++it) {
    double m = (a + b) / 2;
    (fill(m) <= target ? a : b) = m;
  }
  std::uint64_t s = fill(a);
  // Spread the integer remainder in block order.
  for (std::size_t i = 0; i < n && s < target; ++i) {
    if (fixed[i]) continue;
    std::uint64_t add = std::min(hi[i] - est[i], target - s);
    est[i] += add;
    s += add;
  }
}

// ---- Exact traces (tools/evm-trace, data/eth-traces/N.json.gz; format in its PROVENANCE.md) ----

U256 trace_qty(const json& v, const std::string& file, const std::string& field) {
  if (!v.is_string()) fail(file, field, "expected a hex quantity string, got " + v.dump());
  const std::string& s = v.get_ref<const std::string&>();
  try {
    return U256::from_be(fixed_from_hex<32>(s));
  } catch (const std::exception& e) {
    fail(file, field, e.what());
  }
}

// "<account index><kind>[slot hex]": kind b balance, n nonce, c code, s storage.
StateKey trace_key(const json& v, const std::vector<Address>& accounts, const std::string& file,
                   const std::string& field) {
  if (!v.is_string()) fail(file, field, "expected a key string, got " + v.dump());
  const std::string& s = v.get_ref<const std::string&>();
  std::size_t i = 0, pos = 0;
  auto [p, err] = std::from_chars(s.data(), s.data() + s.size(), i);
  pos = static_cast<std::size_t>(p - s.data());
  if (err != std::errc{} || pos >= s.size() || i >= accounts.size())
    fail(file, field, "bad key \"" + s + "\" (expected <account index><b|n|c|s<slot>>)");
  const Address& a = accounts[i];
  const char kind = s[pos];
  if (kind == 'b' && pos + 1 == s.size()) return StateKey::balance(a);
  if (kind == 'n' && pos + 1 == s.size()) return StateKey::nonce(a);
  if (kind == 'c' && pos + 1 == s.size()) return StateKey::code(a);
  if (kind == 's' && pos + 1 < s.size()) {
    try {
      return StateKey::storage(a, fixed_from_hex<32>(std::string_view(s).substr(pos + 1)));
    } catch (const std::exception& e) {
      fail(file, field, e.what());
    }
  }
  fail(file, field, "bad key \"" + s + "\" (expected <account index><b|n|c|s<slot>>)");
}

std::uint32_t trace_u32(const json& v, const std::string& file, const std::string& field) {
  if (!v.is_number_unsigned() || v.get<std::uint64_t>() > 0xffffffffULL)
    fail(file, field, "expected an unsigned 32-bit integer, got " + v.dump());
  return static_cast<std::uint32_t>(v.get<std::uint64_t>());
}

// Replaces the approximated traces of `out` by the exact ones of `file`; false if the file's
// checks did not pass (the block stays approximated).
bool apply_exact_traces(MainnetBlock& out, const std::string& file, const json& block_json,
                        const std::vector<Address>& senders) {
  const json tj = parse_json_file(file);
  const json& checks = member(tj, "checks", file, "");
  const json& ex = member(checks, "exact", file, "checks");
  if (!ex.is_boolean()) fail(file, "checks.exact", "expected a boolean");
  if (!ex.get<bool>()) return false;
  const json& fmt = member(tj, "format", file, "");
  if (fmt != "pipesim-eth-trace/1")
    fail(file, "format", "expected \"pipesim-eth-trace/1\", got " + fmt.dump());
  if (member(tj, "hash", file, "") != block_json.at("hash"))
    fail(file, "hash", "does not match block.json's hash " + block_json.at("hash").dump());
  const json& acc = member(tj, "accounts", file, "");
  if (!acc.is_array()) fail(file, "accounts", "expected an array");
  std::vector<Address> accounts;
  accounts.reserve(acc.size());
  for (std::size_t i = 0; i < acc.size(); ++i)
    accounts.push_back(parse_address(acc[i], file, "accounts[" + std::to_string(i) + "]"));
  const json& txs = member(tj, "txs", file, "");
  TracedBlock& tb = out.traced;
  if (!txs.is_array() || txs.size() != tb.txs.size())
    fail(file, "txs",
         "expected an array of " + std::to_string(tb.txs.size()) + " transactions (block.json)");
  const json& hf = member(tj, "hardfork", file, "");
  if (!hf.is_string()) fail(file, "hardfork", "expected a string");
  out.hardfork = hf.get<std::string>();

  // System writes (EIP-4788 beacon root) happen before the first transaction.
  const json& sys = member(tj, "system_writes", file, "");
  if (!sys.is_array()) fail(file, "system_writes", "expected an array");
  for (std::size_t i = 0; i < sys.size(); ++i) {
    const std::string f = "system_writes[" + std::to_string(i) + "]";
    if (!sys[i].is_array() || sys[i].size() != 2) fail(file, f, "expected [key, value]");
    out.pre_state.set(trace_key(sys[i][0], accounts, file, f + "[0]"),
                      trace_qty(sys[i][1], file, f + "[1]"));
  }
  const json& cb = member(tj, "coinbase", file, "");
  const Address coinbase = accounts.at(trace_u32(cb, file, "coinbase"));
  if (coinbase != tb.beneficiary) fail(file, "coinbase", "is not block.json's miner");

  StateMap post = out.pre_state;
  for (std::size_t i = 0; i < txs.size(); ++i) {
    const json& t = txs[i];
    const std::string f = "txs[" + std::to_string(i) + "]";
    if (accounts.at(trace_u32(member(t, "sender", file, f), file, f + ".sender")) != senders[i])
      fail(file, f + ".sender", "is not block.json's transactions[" + std::to_string(i) + "].from");
    auto trace = std::make_shared<AccessTrace>();
    TracedTx& tt = tb.txs[i];
    MainnetTxInfo& info = out.info[i];
    trace->exact = true;
    trace->size_bytes = tt.tx.trace ? tt.tx.trace->size_bytes : 110;
    trace->gas_used = member(t, "gas", file, f).get<std::uint64_t>();
    if (trace->gas_used > tt.tx.gas_limit) fail(file, f + ".gas", "exceeds the gas limit");
    const U256 tip = trace_qty(member(t, "tip", file, f), file, f + ".tip");
    if (!tip.fits_u64()) fail(file, f + ".tip", "does not fit 64 bits");
    trace->tip_per_gas = tip.low64();
    info.status =
        static_cast<std::uint8_t>(trace_u32(member(t, "status", file, f), file, f + ".status"));
    info.logs = trace_u32(member(t, "logs", file, f), file, f + ".logs");
    const json& ops = member(t, "ops", file, f);
    if (!ops.is_array() || ops.size() != 16) fail(file, f + ".ops", "expected 16 counts");
    execution::OpcodeProfile& p = trace->opcodes;
    std::uint32_t* fields[16] = {&p.arith_stack,
                                 &p.memory_words,
                                 &p.keccak_words,
                                 &p.sload_cold,
                                 &p.sload_warm,
                                 &p.sstore_cold,
                                 &p.sstore_warm,
                                 &p.account_reads,
                                 &p.calls,
                                 &p.creates,
                                 &p.logs,
                                 &p.precompile_ecrecover,
                                 &p.precompile_hash,
                                 &p.precompile_bn254,
                                 &p.precompile_modexp,
                                 &p.precompile_other};
    for (std::size_t k = 0; k < 16; ++k)
      *fields[k] = trace_u32(ops[k], file, f + ".ops[" + std::to_string(k) + "]");
    p.recorded = true;

    tt.reads.clear();
    tt.writes.clear();
    auto add_read = [&](const StateKey& k) {
      for (const TracedKey& x : tt.reads)
        if (x.key == k) return;
      tt.reads.push_back({k, KeyOrigin::kExact});
    };
    const json& reads = member(t, "reads", file, f);
    if (!reads.is_array()) fail(file, f + ".reads", "expected an array");
    for (std::size_t k = 0; k < reads.size(); ++k) {
      const StateKey key =
          trace_key(reads[k], accounts, file, f + ".reads[" + std::to_string(k) + "]");
      trace->reads.push_back(key);
      add_read(key);
    }
    const json& noop = member(t, "noop_writes", file, f);
    if (!noop.is_array()) fail(file, f + ".noop_writes", "expected an array");
    for (std::size_t k = 0; k < noop.size(); ++k)
      add_read(trace_key(noop[k], accounts, file, f + ".noop_writes[" + std::to_string(k) + "]"));
    add_read(StateKey::nonce(senders[i]));
    add_read(StateKey::balance(senders[i]));
    const json& writes = member(t, "writes", file, f);
    if (!writes.is_array()) fail(file, f + ".writes", "expected an array");
    for (std::size_t k = 0; k < writes.size(); ++k) {
      const std::string wf = f + ".writes[" + std::to_string(k) + "]";
      if (!writes[k].is_array() || writes[k].size() != 2) fail(file, wf, "expected [key, value]");
      const StateKey key = trace_key(writes[k][0], accounts, file, wf + "[0]");
      const U256 v = trace_qty(writes[k][1], file, wf + "[1]");
      // The sender's nonce bump is the VM's own (it checks and increments the nonce; in a
      // stream, make_replay renumbers nonces, so a recorded absolute nonce would not fit).
      if (!(key == StateKey::nonce(senders[i])))
        trace->writes.push_back({key, TraceWrite::Mode::kSet, v});
      tt.writes.push_back({key, KeyOrigin::kExact});
      post.set(key, v);
    }
    auto add_write = [&](const StateKey& k) {
      for (const TracedKey& x : tt.writes)
        if (x.key == k) return;
      tt.writes.push_back({k, KeyOrigin::kExact});
    };
    add_write(StateKey::nonce(senders[i]));
    add_write(StateKey::balance(tb.beneficiary));
    const U256 fee = U256::mul64(trace->gas_used, trace->tip_per_gas);
    if (!fee.is_zero()) {
      const U256* b = post.find(StateKey::balance(tb.beneficiary));
      post.set(StateKey::balance(tb.beneficiary), (b ? *b : U256{}) + fee);
    }
    tt.gas_exact = true;
    tt.tx.trace = std::move(trace);
  }
  out.recorded_post = std::move(post);
  out.exact = true;
  return true;
}

}  // namespace

std::shared_ptr<const execution::StateLayer> MainnetBlock::pre_layer(
    std::optional<execution::CommitmentKind> commitment) const {
  StateMap copy = pre_state;
  return execution::StateLayer::make_base(std::move(copy), commitment);
}

std::vector<std::uint64_t> list_eth_blocks(const std::string& dir) {
  std::vector<std::uint64_t> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) throw std::runtime_error("cannot list " + dir + ": " + ec.message());
  for (const auto& e : it) {
    const std::string name = e.path().filename().string();
    std::uint64_t n = 0;
    auto [p, err] = std::from_chars(name.data(), name.data() + name.size(), n);
    if (err != std::errc{} || p != name.data() + name.size()) continue;
    if (std::filesystem::exists(e.path() / "block.json", ec) ||
        std::filesystem::exists(e.path() / "block.json.gz", ec))
      out.push_back(n);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string default_eth_blocks_dir() {
  return data_dir() + "/eth-blocks";
}

MainnetBlock load_eth_block(const std::string& dir, std::uint64_t number,
                            const MainnetOptions& opts) {
  if (!(opts.derived_write_fraction >= 0 && opts.derived_write_fraction <= 1))
    throw std::invalid_argument("load_eth_block: derived_write_fraction must be in [0, 1], got " +
                                std::to_string(opts.derived_write_fraction));
  const std::string bdir = dir + "/" + std::to_string(number);
  const std::string block_file = bdir + "/block.json";
  const std::string pre_file = bdir + "/pre_state.json";
  const json bj = parse_json_file(block_file);
  const json pj = parse_json_file(pre_file);

  MainnetBlock out;
  TracedBlock& tb = out.traced;
  tb.number = parse_u64(member(bj, "number", block_file, ""), block_file, "number");
  if (tb.number != number)
    fail(block_file, "number",
         "is " + std::to_string(tb.number) + ", expected " + std::to_string(number));
  tb.beneficiary = parse_address(member(bj, "miner", block_file, ""), block_file, "miner");
  tb.gas_limit = parse_u64(member(bj, "gasLimit", block_file, ""), block_file, "gasLimit");
  tb.recorded_gas_used = parse_u64(member(bj, "gasUsed", block_file, ""), block_file, "gasUsed");
  tb.timestamp = parse_u64(member(bj, "timestamp", block_file, ""), block_file, "timestamp");
  if (bj.contains("baseFeePerGas"))
    out.base_fee = parse_u64(bj["baseFeePerGas"], block_file, "baseFeePerGas");

  // ---- Pre-state ----
  if (!pj.is_object()) fail(pre_file, "(top level)", "expected an object of accounts");
  std::map<Address, std::uint64_t> pre_nonce;
  std::set<Address> pre_accounts, contracts;
  std::map<Address, ContractSlots> storage;
  for (const auto& [addr_text, acct] : pj.items()) {
    const std::string f = addr_text;
    const Address a = parse_address(json(addr_text), pre_file, "account " + f);
    ++out.pre_accounts;
    pre_accounts.insert(a);
    const U256 bal = parse_u256(member(acct, "balance", pre_file, f), pre_file, f + ".balance");
    const std::uint64_t nonce =
        parse_u64(member(acct, "nonce", pre_file, f), pre_file, f + ".nonce");
    if (!bal.is_zero()) out.pre_state.set(StateKey::balance(a), bal);
    if (nonce != 0) out.pre_state.set(StateKey::nonce(a), U256{nonce});
    pre_nonce[a] = nonce;
    if (acct.contains("code_hash")) {
      ++out.pre_contracts;
      contracts.insert(a);
    }
    if (acct.contains("storage")) {
      const json& st = acct["storage"];
      if (!st.is_object()) fail(pre_file, f + ".storage", "expected an object");
      ContractSlots& cs = storage[a];
      for (const auto& [slot_text, val] : st.items()) {
        const std::string sf = f + ".storage." + slot_text;
        const Hash32 slot = parse_u256(json(slot_text), pre_file, sf).to_be();
        const U256 v = parse_u256(val, pre_file, sf);
        if (!v.is_zero()) out.pre_state.set(StateKey::storage(a, slot), v);
        cs.slots.push_back(slot);
        ++out.pre_slots;
      }
      std::sort(cs.slots.begin(), cs.slots.end());
      if (cs.slots.empty()) storage.erase(a);
    }
  }

  // ---- Transactions: exact keys ----
  const json& txs = member(bj, "transactions", block_file, "");
  if (!txs.is_array()) fail(block_file, "transactions", "expected an array");
  const std::size_t n = txs.size();
  std::vector<TxBuild> build(n);
  out.info.resize(n);
  std::vector<Address> senders(n);
  std::vector<std::uint64_t> nonces(n);
  std::vector<Bytes> inputs(n);
  std::map<Address, std::uint64_t> next_nonce;
  std::map<Address, std::set<Hash32>> claimed;  // contract -> slots with an exact key
  std::set<Address> explained;                  // accounts named by an exact key
  std::vector<std::uint64_t> al_addresses(n, 0);
  std::map<StateKey, U256> running;  // decoded ERC-20 slots: value after the txs so far
  auto running_value = [&](const StateKey& k) -> U256& {
    auto it = running.find(k);
    if (it == running.end()) {
      const U256* pre = out.pre_state.find(k);
      it = running.emplace(k, pre ? *pre : U256{}).first;
    }
    return it->second;
  };

  for (std::size_t i = 0; i < n; ++i) {
    const json& t = txs[i];
    const std::string f = "transactions[" + std::to_string(i) + "]";
    MainnetTxInfo& info = out.info[i];
    TxBuild& b = build[i];
    const std::uint64_t idx = parse_u64(member(t, "transactionIndex", block_file, f), block_file,
                                        f + ".transactionIndex");
    if (idx != i) fail(block_file, f + ".transactionIndex", "is " + std::to_string(idx));
    info.hash = parse_u256(member(t, "hash", block_file, f), block_file, f + ".hash").to_be();
    const Address from = parse_address(member(t, "from", block_file, f), block_file, f + ".from");
    senders[i] = from;
    nonces[i] = parse_u64(member(t, "nonce", block_file, f), block_file, f + ".nonce");
    info.value = parse_u256(member(t, "value", block_file, f), block_file, f + ".value");
    info.gas_limit = parse_u64(member(t, "gas", block_file, f), block_file, f + ".gas");
    info.gas_price = parse_u64(member(t, "gasPrice", block_file, f), block_file, f + ".gasPrice");
    info.type = t.contains("type")
                    ? static_cast<std::uint8_t>(parse_u64(t["type"], block_file, f + ".type"))
                    : 0;
    inputs[i] = parse_bytes(member(t, "input", block_file, f), block_file, f + ".input");
    const Bytes& input = inputs[i];
    info.input_bytes = static_cast<std::uint32_t>(input.size());
    if (input.size() >= 4)
      info.selector = static_cast<std::uint32_t>(input[0]) << 24 |
                      static_cast<std::uint32_t>(input[1]) << 16 |
                      static_cast<std::uint32_t>(input[2]) << 8 | input[3];
    const json& to_j = member(t, "to", block_file, f);
    if (!to_j.is_null()) info.to = parse_address(to_j, block_file, f + ".to");

    // Nonce check against the pre-state.
    auto nn = next_nonce.find(from);
    const std::uint64_t expected =
        nn != next_nonce.end() ? nn->second : (pre_nonce.count(from) ? pre_nonce[from] : 0);
    if (!pre_accounts.count(from) && nn == next_nonce.end()) ++out.senders_absent;
    if (nonces[i] != expected)
      fail(block_file, f + ".nonce",
           "is " + std::to_string(nonces[i]) +
               " but the sender's nonce (pre_state.json and "
               "earlier transactions) is " +
               std::to_string(expected));
    next_nonce[from] = nonces[i] + 1;

    // Sender, recipient, beneficiary.
    explained.insert(from);
    b.read(StateKey::nonce(from), KeyOrigin::kExact, false);
    b.read(StateKey::balance(from), KeyOrigin::kExact, false);
    b.write(StateKey::nonce(from), KeyOrigin::kExact, TraceWrite::Mode::kIncrement, U256{1}, false);
    b.write(StateKey::balance(from), KeyOrigin::kExact, TraceWrite::Mode::kIncrement,
            negate(info.value), !info.value.is_zero());
    if (info.to) {
      const Address to = *info.to;
      explained.insert(to);
      b.read(StateKey::code(to), KeyOrigin::kExact);
      if (!info.value.is_zero()) {
        b.read(StateKey::balance(to), KeyOrigin::kExact);
        b.write(StateKey::balance(to), KeyOrigin::kExact, TraceWrite::Mode::kIncrement, info.value);
      }
    } else {
      info.created = created_address(from, nonces[i]);
      explained.insert(info.created);
      b.write(StateKey::nonce(info.created), KeyOrigin::kExact, TraceWrite::Mode::kSet, U256{1});
      b.write(StateKey::code(info.created), KeyOrigin::kExact, TraceWrite::Mode::kSet, U256{});
      if (!info.value.is_zero()) {
        b.read(StateKey::balance(info.created), KeyOrigin::kExact);
        b.write(StateKey::balance(info.created), KeyOrigin::kExact, TraceWrite::Mode::kIncrement,
                info.value);
      }
    }
    b.write(StateKey::balance(tb.beneficiary), KeyOrigin::kExact, TraceWrite::Mode::kIncrement,
            U256{}, false);

    // EIP-2930 access list.
    if (t.contains("accessList") && !t["accessList"].is_null()) {
      const json& al = t["accessList"];
      if (!al.is_array()) fail(block_file, f + ".accessList", "expected an array");
      for (std::size_t k = 0; k < al.size(); ++k) {
        const std::string af = f + ".accessList[" + std::to_string(k) + "]";
        const Address a =
            parse_address(member(al[k], "address", block_file, af), block_file, af + ".address");
        ++al_addresses[i];
        explained.insert(a);
        b.read(StateKey::code(a), KeyOrigin::kExact);
        const json& keys = member(al[k], "storageKeys", block_file, af);
        if (!keys.is_array()) fail(block_file, af + ".storageKeys", "expected an array");
        for (std::size_t s = 0; s < keys.size(); ++s) {
          const Hash32 slot =
              parse_u256(keys[s], block_file, af + ".storageKeys[" + std::to_string(s) + "]")
                  .to_be();
          b.read(StateKey::storage(a, slot), KeyOrigin::kExact);
          claimed[a].insert(slot);
          ++info.access_list_keys;
        }
      }
    }

    // ERC-20 calls with confirmed slots.
    if (info.to && storage.count(*info.to)) {
      const Address token = *info.to;
      const ContractSlots& cs = storage.at(token);
      // Running values of the decoded slots through the block (pre-state, then the decoded
      // deltas of earlier transactions): a position is accepted only where the debited balance
      // covers the amount, as the token would require (a shortfall means the call reverted or
      // was funded by an internal transfer the data does not show: left to the derived rule).
      auto balance_slots = [&](const Address& debit, const Address& credit, const U256& amount) {
        const Hash32 dk = pad_address(debit), ck = pad_address(credit);
        for (std::uint64_t p = 0; p < kMaxMappingPosition; ++p) {
          const Hash32 sd = mapping_slot(dk, p);
          if (!cs.has(sd)) continue;
          const Hash32 sc = mapping_slot(ck, p);
          if (!cs.has(sc)) continue;
          U256& vd = running_value(StateKey::storage(token, sd));
          if (vd < amount) continue;
          vd -= amount;
          running_value(StateKey::storage(token, sc)) += amount;
          for (const Hash32* s : {&sd, &sc}) {
            b.read(StateKey::storage(token, *s), KeyOrigin::kExact);
            claimed[token].insert(*s);
          }
          b.write(StateKey::storage(token, sd), KeyOrigin::kExact, TraceWrite::Mode::kIncrement,
                  negate(amount));
          b.write(StateKey::storage(token, sc), KeyOrigin::kExact, TraceWrite::Mode::kIncrement,
                  amount);
          return true;
        }
        return false;
      };
      if (info.selector == kSelTransfer && input.size() >= 4 + 64) {
        info.erc20_decoded = balance_slots(from, word_to_address(input, 0), word_u256(input, 1));
      } else if (info.selector == kSelTransferFrom && input.size() >= 4 + 96) {
        const Address owner = word_to_address(input, 0);
        const U256 amount = word_u256(input, 2);
        info.erc20_decoded = balance_slots(owner, word_to_address(input, 1), amount);
        if (info.erc20_decoded) {
          if (auto s = find_allowance_slot(cs, owner, from)) {
            const StateKey k = StateKey::storage(token, *s);
            b.read(k, KeyOrigin::kExact);
            claimed[token].insert(*s);
            // An "infinite" allowance (top bit set) is not decremented by common tokens; a
            // shortfall (allowance set by an internal call) is left as a read.
            U256& allowance = running_value(k);
            if ((allowance.limb[3] >> 63) == 0 && !(allowance < amount)) {
              allowance -= amount;
              b.write(k, KeyOrigin::kExact, TraceWrite::Mode::kIncrement, negate(amount));
            }
          }
        }
      } else if (info.selector == kSelApprove && input.size() >= 4 + 64) {
        if (auto s = find_allowance_slot(cs, from, word_to_address(input, 0))) {
          const StateKey k = StateKey::storage(token, *s);
          b.read(k, KeyOrigin::kExact);
          b.write(k, KeyOrigin::kExact, TraceWrite::Mode::kSet, word_u256(input, 1));
          running_value(k) = word_u256(input, 1);
          claimed[token].insert(*s);
          info.erc20_decoded = true;
        }
      }
    }
  }

  // ---- Derived keys: contract storage and unexplained accounts ----
  std::map<Address, std::vector<std::uint32_t>> callers;
  std::vector<std::uint32_t> contract_calls, all;
  for (std::size_t i = 0; i < n; ++i) {
    const auto idx = static_cast<std::uint32_t>(i);
    all.push_back(idx);
    if (out.info[i].to) callers[*out.info[i].to].push_back(idx);
    if (!inputs[i].empty()) contract_calls.push_back(idx);
  }
  auto candidates = [&](const Address& a) -> const std::vector<std::uint32_t>& {
    auto it = callers.find(a);
    if (it != callers.end()) return it->second;
    return contract_calls.empty() ? all : contract_calls;
  };
  if (n > 0) {
    for (const auto& [addr, cs] : storage) {
      const std::vector<std::uint32_t>& cand = candidates(addr);
      const auto& cl = claimed[addr];
      std::uint64_t j = address_prefix_u64(addr) % cand.size();
      for (const Hash32& slot : cs.slots) {
        if (cl.count(slot)) continue;
        TxBuild& b = build[cand[j % cand.size()]];
        ++j;
        const StateKey k = StateKey::storage(addr, slot);
        b.read(k, KeyOrigin::kDerived);
        if (derived_written(k, opts.derived_write_fraction))
          b.write(k, KeyOrigin::kDerived, TraceWrite::Mode::kIncrement, U256{});
      }
    }
    for (const Address& a : pre_accounts) {
      if (explained.count(a) || storage.count(a) || a == tb.beneficiary) continue;
      const std::vector<std::uint32_t>& cand = candidates(a);
      build[cand[address_prefix_u64(a) % cand.size()]].read(StateKey::balance(a),
                                                            KeyOrigin::kDerived);
    }
  }

  // ---- Gas ----
  std::vector<std::uint64_t> est(n, 0), lo(n, 0), hi(n, 0);
  std::vector<bool> fixed(n, false);
  std::uint64_t exact_sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const MainnetTxInfo& info = out.info[i];
    hi[i] = info.gas_limit;
    lo[i] = std::min(info.gas_limit, intrinsic_gas(inputs[i], !info.to, tb.number, al_addresses[i],
                                                   info.access_list_keys));
    lo[i] = std::max<std::uint64_t>(lo[i], std::min<std::uint64_t>(21'000, info.gas_limit));
    if (info.to && inputs[i].empty() && !contracts.count(*info.to)) {
      fixed[i] = true;
      est[i] = 21'000;
      exact_sum += 21'000;
    }
  }
  const std::uint64_t target =
      tb.recorded_gas_used > exact_sum ? tb.recorded_gas_used - exact_sum : 0;
  estimate_gas(est, lo, hi, fixed, target);

  // ---- Transactions ----
  tb.txs.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const MainnetTxInfo& info = out.info[i];
    auto trace = std::make_shared<AccessTrace>();
    trace->reads = std::move(build[i].trace_reads);
    trace->writes = std::move(build[i].trace_writes);
    trace->gas_used = est[i];
    trace->size_bytes = 110 + info.input_bytes;
    TracedTx& t = tb.txs[i];
    t.index = static_cast<std::uint32_t>(i);
    t.gas_exact = fixed[i];
    t.reads = std::move(build[i].reads);
    t.writes = std::move(build[i].writes);
    t.tx = Transaction::access_trace(senders[i], std::move(trace), nonces[i], info.gas_price);
    t.tx.gas_limit = info.gas_limit;
    if (info.to) t.tx.to = *info.to;
  }

  // ---- Exact traces, where recorded ----
  if (opts.use_exact) {
    const std::string tdir = opts.traces_dir.empty() ? dir + "/../eth-traces" : opts.traces_dir;
    const std::string tfile = tdir + "/" + std::to_string(number) + ".json";
    std::error_code ec;
    if (std::filesystem::exists(tfile, ec) || std::filesystem::exists(tfile + ".gz", ec))
      apply_exact_traces(out, tfile, bj, senders);
  }
  return out;
}

std::shared_ptr<const execution::StateLayer> ReplayStream::genesis_layer(
    std::optional<execution::CommitmentKind> commitment) const {
  StateMap copy = genesis;
  return execution::StateLayer::make_base(std::move(copy), commitment);
}

ReplayStream make_replay(std::span<const MainnetBlock> blocks,
                         std::optional<std::uint64_t> repack_gas_limit) {
  ReplayStream out;
  for (const MainnetBlock& b : blocks) {
    for (const auto& [k, v] : b.pre_state.sorted()) out.genesis.emplace(k, v);
  }
  // Per-sender nonces renumbered from the genesis nonce (or the first recorded nonce for a
  // sender absent from every pre-state).
  std::map<Address, std::uint64_t> next;
  auto renumber = [&](Transaction tx) {
    auto it = next.find(tx.from);
    std::uint64_t expected;
    if (it == next.end()) {
      const U256* g = out.genesis.find(StateKey::nonce(tx.from));
      expected = g ? g->low64() : 0;
    } else {
      expected = it->second;
    }
    if (tx.nonce != expected) {
      tx.nonce = expected;
      ++out.renumbered_nonces;
    }
    next[tx.from] = expected + 1;
    ++out.txs;
    return tx;
  };

  if (!repack_gas_limit) {
    for (const MainnetBlock& mb : blocks) {
      execution::Block b = mb.traced.to_block();
      for (Transaction& tx : b.txs) tx = renumber(tx);
      out.blocks.push_back(std::move(b));
    }
    return out;
  }
  const std::uint64_t limit = *repack_gas_limit;
  if (limit == 0) throw std::invalid_argument("make_replay: repack gas limit must be > 0");
  execution::Block cur;
  std::uint64_t used = 0;
  auto flush = [&] {
    if (cur.txs.empty()) return;
    out.blocks.push_back(std::move(cur));
    cur = execution::Block{};
    used = 0;
  };
  for (const MainnetBlock& mb : blocks) {
    for (const TracedTx& t : mb.traced.txs) {
      if (!cur.txs.empty() && used + t.tx.gas_limit > limit) flush();
      if (cur.txs.empty()) {
        cur.number = out.blocks.size() + 1;
        cur.beneficiary = mb.traced.beneficiary;
        cur.gas_limit = limit;
      }
      cur.txs.push_back(renumber(t.tx));
      used += t.tx.trace ? t.tx.trace->gas_used : t.tx.gas_limit;
      if (t.tx.gas_limit > limit) flush();
    }
  }
  flush();
  return out;
}

std::vector<double> arrival_times(std::size_t n, double rate_tps, bool poisson,
                                  std::uint64_t seed) {
  if (!(rate_tps > 0) || !std::isfinite(rate_tps))
    throw std::invalid_argument("arrival_times: rate must be a finite number > 0 (tx/s), got " +
                                std::to_string(rate_tps));
  std::vector<double> out(n);
  std::mt19937_64 rng(seed);
  double t = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!poisson) {
      out[i] = static_cast<double>(i) / rate_tps;
      continue;
    }
    out[i] = t;
    t += exponential(rng, rate_tps);  // -log1p(-u) / rate, u from the top 53 bits
  }
  return out;
}

}  // namespace pipesim::workload
