#include "models/workload/block_generator.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "models/common/random.hpp"
#include "models/execution/vm.hpp"

namespace pipesim::workload {

using execution::AccessTrace;
using execution::CodeKind;
using execution::StateKey;
using execution::TraceWrite;
using execution::Transaction;
using execution::U256;

struct BlockGenerator::Rng {
  explicit Rng(std::uint64_t seed) : engine(seed) {}
  std::mt19937_64 engine;
};

namespace {

constexpr std::uint64_t kTokenUnits = 1'000'000'000'000ULL;     // 10^12 per holder
constexpr std::uint64_t kAllowance = 1'000'000'000'000'000ULL;  // 10^15
constexpr std::uint64_t kReserve = 1'000'000'000'000'000ULL;    // 10^15 per side

U256 initial_balance() {
  return U256::mul64(1'000'000'000ULL, 1'000'000'000'000ULL);
}  // 10^21

Address tagged(std::uint8_t tag, std::uint32_t i) {
  Address a{};
  a[0] = tag;
  for (int k = 1; k < 16; ++k)
    a[static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(tag ^ (k * 37));
  a[16] = static_cast<std::uint8_t>(i >> 24);
  a[17] = static_cast<std::uint8_t>(i >> 16);
  a[18] = static_cast<std::uint8_t>(i >> 8);
  a[19] = static_cast<std::uint8_t>(i);
  return a;
}

}  // namespace

TxMix TxMix::parse(std::string_view text) {
  TxMix m;
  m.transfer = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(pos, comma - pos);
    pos = comma + 1;
    if (item.empty()) {
      if (comma == text.size()) break;
      continue;
    }
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      throw std::invalid_argument("mix item '" + std::string(item) + "': expected key=weight");
    std::string_view key = item.substr(0, eq);
    std::string value(item.substr(eq + 1));
    double w = 0;
    try {
      std::size_t used = 0;
      w = std::stod(value, &used);
      if (used != value.size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      throw std::invalid_argument("mix item '" + std::string(item) + "': weight is not a number");
    }
    if (!(w >= 0) || !std::isfinite(w))
      throw std::invalid_argument("mix item '" + std::string(item) + "': weight must be >= 0");
    if (key == "transfer")
      m.transfer = w;
    else if (key == "erc20")
      m.erc20 = w;
    else if (key == "approve")
      m.approve = w;
    else if (key == "transfer_from")
      m.transfer_from = w;
    else if (key == "swap")
      m.swap = w;
    else if (key == "nft_mint")
      m.nft_mint = w;
    else if (key == "trace")
      m.trace = w;
    else
      throw std::invalid_argument("mix item '" + std::string(item) +
                                  "': unknown kind, expected one of transfer, erc20, approve, "
                                  "transfer_from, swap, nft_mint, trace");
    if (comma == text.size()) break;
  }
  if (m.transfer + m.erc20 + m.approve + m.transfer_from + m.swap + m.nft_mint + m.trace <= 0)
    throw std::invalid_argument("mix '" + std::string(text) + "': all weights are zero");
  return m;
}

Address BlockGenerator::account(std::uint32_t i) {
  return tagged(0xa0, i);
}
Address BlockGenerator::token(std::uint32_t i) {
  return tagged(0x70, i);
}
Address BlockGenerator::pair(std::uint32_t i) {
  return tagged(0x50, i);
}
Address BlockGenerator::collection(std::uint32_t i) {
  return tagged(0x4e, i);
}
Address BlockGenerator::trace_contract() {
  return tagged(0x7c, 0);
}
Address BlockGenerator::beneficiary() {
  return tagged(0xbe, 0);
}

BlockGenerator::BlockGenerator(BlockGeneratorConfig cfg) : cfg_(cfg) {
  if (cfg_.accounts < 2) throw std::invalid_argument("BlockGenerator: accounts must be >= 2");
  const TxMix& m = cfg_.mix;
  if ((m.erc20 > 0 || m.approve > 0 || m.transfer_from > 0) && cfg_.tokens == 0)
    throw std::invalid_argument("BlockGenerator: ERC-20 weights need tokens >= 1");
  if (m.swap > 0 && (cfg_.pairs == 0 || cfg_.tokens < 2))
    throw std::invalid_argument("BlockGenerator: swaps need pairs >= 1 and tokens >= 2");
  if (m.nft_mint > 0 && cfg_.collections == 0)
    throw std::invalid_argument("BlockGenerator: NFT mints need collections >= 1");
  if (cfg_.tokens < 2) cfg_.pairs = 0;
  if (cfg_.trace_slots == 0) cfg_.trace_slots = cfg_.accounts;
  const double w[] = {m.transfer, m.erc20, m.approve, m.transfer_from, m.swap, m.nft_mint, m.trace};
  double total = 0;
  for (double x : w) total += x;
  if (!(total > 0)) throw std::invalid_argument("BlockGenerator: all mix weights are zero");
  double acc = 0;
  for (double x : w) kind_cdf_.push_back(acc += x / total);
  kind_cdf_.back() = 1.0;
  if (cfg_.zipf_s > 0) {
    double z = 0;
    for (std::uint32_t i = 0; i < cfg_.accounts; ++i) z += 1.0 / std::pow(i + 1.0, cfg_.zipf_s);
    double c = 0;
    for (std::uint32_t i = 0; i < cfg_.accounts; ++i)
      zipf_cdf_.push_back(c += 1.0 / std::pow(i + 1.0, cfg_.zipf_s) / z);
    zipf_cdf_.back() = 1.0;
  }
  if (!(cfg_.hot_fraction >= 0 && cfg_.hot_fraction <= 1) ||
      !(cfg_.hot_probability >= 0 && cfg_.hot_probability <= 1))
    throw std::invalid_argument(
        "BlockGenerator: hot_fraction and hot_probability must be in [0, 1]");
  if (cfg_.hot_fraction > 0) {
    if (cfg_.zipf_s > 0)
      throw std::invalid_argument("BlockGenerator: zipf_s and hot_fraction are exclusive");
    const double h = std::round(cfg_.hot_fraction * cfg_.accounts);
    hot_count_ = static_cast<std::uint32_t>(std::clamp(h, 1.0, double(cfg_.accounts)));
  }
  nonces_.assign(cfg_.accounts, 0);
  rng_ = std::make_shared<Rng>(cfg_.seed);
}

std::uint64_t BlockGenerator::uniform(std::uint64_t lo, std::uint64_t hi) {
  return uniform_int(rng_->engine, lo, hi);
}

bool BlockGenerator::chance(double p) {
  if (p <= 0) return false;
  return bernoulli(rng_->engine, p);
}

std::uint32_t BlockGenerator::pick_account() {
  if (hot_count_ > 0) {
    if (hot_count_ == cfg_.accounts || chance(cfg_.hot_probability))
      return static_cast<std::uint32_t>(uniform(0, hot_count_ - 1));
    return static_cast<std::uint32_t>(uniform(hot_count_, cfg_.accounts - 1));
  }
  if (zipf_cdf_.empty()) return static_cast<std::uint32_t>(uniform(0, cfg_.accounts - 1));
  const double u = uniform_unit(rng_->engine);
  auto it = std::lower_bound(zipf_cdf_.begin(), zipf_cdf_.end(), u);
  return static_cast<std::uint32_t>(
      std::min<std::ptrdiff_t>(it - zipf_cdf_.begin(), cfg_.accounts - 1));
}

execution::StateMap BlockGenerator::genesis_state() const {
  execution::StateBuilder b;
  const std::uint32_t n = cfg_.accounts;
  b.map().reserve(n * (2 + 2 * cfg_.tokens) + 16 * (cfg_.tokens + cfg_.pairs));
  for (std::uint32_t i = 0; i < n; ++i) {
    b.set_balance(account(i), initial_balance());
    b.set_nonce(account(i), 0);
  }
  // An account's balance and allowance slots are the same in every token (Solidity mapping
  // slots hash the owner, not the contract): hashed once per account, not once per token.
  std::vector<std::pair<Hash32, Hash32>> slots;
  if (cfg_.tokens > 0) {
    slots.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i)
      slots.emplace_back(execution::erc20_balance_slot(account(i)),
                         execution::erc20_allowance_slot(account(i), account((i + 1) % n)));
  }
  for (std::uint32_t t = 0; t < cfg_.tokens; ++t) {
    const Address tok = token(t);
    b.set_code(tok, CodeKind::kErc20);
    for (std::uint32_t i = 0; i < n; ++i) {
      b.set_storage(tok, slots[i].first, U256{kTokenUnits});
      b.set_storage(tok, slots[i].second, U256{kAllowance});
    }
  }
  for (std::uint32_t p = 0; p < cfg_.pairs; ++p) {
    const Address pr = pair(p);
    const Address t0 = token(p % cfg_.tokens), t1 = token((p + 1) % cfg_.tokens);
    b.set_code(pr, CodeKind::kAmmPair);
    b.set_storage(pr, execution::word_slot(execution::kPairToken0Slot),
                  execution::address_word(t0));
    b.set_storage(pr, execution::word_slot(execution::kPairToken1Slot),
                  execution::address_word(t1));
    b.set_storage(pr, execution::word_slot(execution::kPairReserve0Slot), U256{kReserve});
    b.set_storage(pr, execution::word_slot(execution::kPairReserve1Slot), U256{kReserve});
    for (const Address& t : {t0, t1}) {
      const StateKey k = StateKey::storage(t, execution::erc20_balance_slot(pr));
      const U256* cur = b.map().find(k);
      b.set(k, (cur ? *cur : U256{}) + U256{kReserve});
    }
  }
  for (std::uint32_t c = 0; c < cfg_.collections; ++c)
    b.set_code(collection(c), CodeKind::kNftCollection);
  return b.take();
}

std::shared_ptr<const execution::StateLayer> BlockGenerator::genesis(
    std::optional<execution::CommitmentKind> commitment) const {
  return execution::StateLayer::make_base(genesis_state(), commitment);
}

Transaction BlockGenerator::next_tx() {
  const double u = uniform_unit(rng_->engine);
  const auto kind =
      static_cast<int>(std::lower_bound(kind_cdf_.begin(), kind_cdf_.end(), u) - kind_cdf_.begin());
  const std::uint32_t s = pick_account();
  const Address from = account(s);
  std::uint64_t nonce = nonces_[s];
  if (chance(cfg_.invalid_nonce_fraction)) {
    nonce += 1 + uniform(0, 3);  // skipped by every executor: the nonce does not advance
  } else {
    ++nonces_[s];
  }
  const bool fail = chance(cfg_.revert_fraction);
  const std::uint64_t gp = cfg_.gas_price;
  switch (kind) {
    case 0: {
      U256 value = fail ? initial_balance() + initial_balance() : U256{uniform(1, 1'000'000)};
      return Transaction::native_transfer(from, account(pick_account()), value, nonce, gp);
    }
    case 1: {
      const Address tok = token(static_cast<std::uint32_t>(uniform(0, cfg_.tokens - 1)));
      U256 amount = fail ? U256{kTokenUnits * 1000} : U256{uniform(1, 1000)};
      return Transaction::erc20_transfer(from, tok, account(pick_account()), amount, nonce, gp);
    }
    case 2: {
      const Address tok = token(static_cast<std::uint32_t>(uniform(0, cfg_.tokens - 1)));
      return Transaction::erc20_approve(from, tok, account(pick_account()),
                                        U256{uniform(0, 1'000'000)}, nonce, gp);
    }
    case 3: {
      const Address tok = token(static_cast<std::uint32_t>(uniform(0, cfg_.tokens - 1)));
      const Address owner = account((s + cfg_.accounts - 1) % cfg_.accounts);
      U256 amount = fail ? U256{kAllowance * 10} : U256{uniform(1, 100)};
      return Transaction::erc20_transfer_from(from, tok, owner, account(pick_account()), amount,
                                              nonce, gp);
    }
    case 4: {
      const Address pr = pair(static_cast<std::uint32_t>(uniform(0, cfg_.pairs - 1)));
      const bool dir = uniform(0, 1) == 1;
      U256 min_out = fail ? U256{kReserve} : U256{};
      return Transaction::amm_swap(from, pr, dir, U256{uniform(1, 1'000'000)}, min_out, nonce, gp);
    }
    case 5:
      return Transaction::nft_mint(
          from, collection(static_cast<std::uint32_t>(uniform(0, cfg_.collections - 1))), nonce,
          gp);
    default: {
      auto trace = std::make_shared<AccessTrace>();
      const Address tc = trace_contract();
      const auto reads = static_cast<std::uint32_t>(uniform(1, 4));
      const auto writes = static_cast<std::uint32_t>(uniform(1, 3));
      for (std::uint32_t r = 0; r < reads; ++r)
        trace->reads.push_back(
            StateKey::storage(tc, execution::word_slot(uniform(0, cfg_.trace_slots - 1))));
      for (std::uint32_t w = 0; w < writes; ++w) {
        TraceWrite tw;
        tw.key = StateKey::storage(tc, execution::word_slot(uniform(0, cfg_.trace_slots - 1)));
        tw.mode = uniform(0, 3) == 0 ? TraceWrite::Mode::kSet : TraceWrite::Mode::kIncrement;
        tw.value = U256{uniform(1, 1000)};
        trace->writes.push_back(tw);
      }
      trace->gas_used = 21'000 + 2'100ULL * reads + 5'000ULL * writes;
      trace->size_bytes = 110 + 36 * writes;
      return Transaction::access_trace(from, std::move(trace), nonce, gp);
    }
  }
}

execution::Block BlockGenerator::next_block(std::uint32_t n_txs) {
  execution::Block b;
  b.number = ++block_number_;
  b.beneficiary = beneficiary();
  b.txs.reserve(n_txs);
  for (std::uint32_t i = 0; i < n_txs; ++i) b.txs.push_back(next_tx());
  return b;
}

}  // namespace pipesim::workload
