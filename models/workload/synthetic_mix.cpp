#include "models/workload/synthetic_mix.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "models/common/random.hpp"
#include "models/execution/vm.hpp"

namespace pipesim::workload {

using execution::StateKey;
using execution::TraceWrite;
using execution::U256;

namespace {

Address mix_address(std::uint8_t tag, std::uint32_t i) {
  Address a{};
  a[0] = tag;
  a[1] = 0xdd;
  for (std::size_t k = 0; k < 4; ++k) a[16 + k] = static_cast<std::uint8_t>(i >> (24 - 8 * k));
  return a;
}

}  // namespace

DependencyDistanceGenerator::DependencyDistanceGenerator(DependencyDistanceConfig cfg)
    : cfg_(cfg), rng_(cfg.seed) {
  if (cfg_.distance == 0)
    throw std::invalid_argument("DependencyDistanceGenerator: distance must be >= 1");
  if (cfg_.accounts == 0)
    throw std::invalid_argument("DependencyDistanceGenerator: accounts must be >= 1");
  if (cfg_.gas_per_tx < 21'000)
    throw std::invalid_argument("DependencyDistanceGenerator: gas_per_tx must be >= 21000");
  if (!(cfg_.dependent_fraction >= 0 && cfg_.dependent_fraction <= 1))
    throw std::invalid_argument(
        "DependencyDistanceGenerator: dependent_fraction must be in [0, 1]");
  nonces_.assign(cfg_.accounts, 0);
}

Address DependencyDistanceGenerator::account(std::uint32_t i) {
  return mix_address(0xa1, i);
}
Address DependencyDistanceGenerator::contract() {
  return mix_address(0xc1, 0);
}
Address DependencyDistanceGenerator::beneficiary() {
  return mix_address(0xbe, 1);
}
Hash32 DependencyDistanceGenerator::slot(std::uint64_t i) {
  return execution::word_slot(i);
}

execution::StateMap DependencyDistanceGenerator::genesis_state() const {
  execution::StateBuilder b;
  const U256 funds = U256::mul64(1'000'000'000ULL, 1'000'000'000'000ULL);  // 10^21
  for (std::uint32_t i = 0; i < cfg_.accounts; ++i) b.set_balance(account(i), funds);
  return b.take();
}

std::shared_ptr<const execution::StateLayer> DependencyDistanceGenerator::genesis(
    std::optional<execution::CommitmentKind> commitment) const {
  return execution::StateLayer::make_base(genesis_state(), commitment);
}

execution::Transaction DependencyDistanceGenerator::next_tx() {
  const std::uint64_t i = next_index_++;
  // One draw per transaction, always (the stream does not shift with the outcome).
  const double u = uniform_unit(rng_);
  auto trace = std::make_shared<execution::AccessTrace>();
  if (i >= cfg_.distance && u < cfg_.dependent_fraction)
    trace->reads.push_back(StateKey::storage(contract(), slot(i - cfg_.distance)));
  trace->writes.push_back(
      {StateKey::storage(contract(), slot(i)), TraceWrite::Mode::kSet, U256{i + 1}});
  trace->gas_used = cfg_.gas_per_tx;
  const auto s = static_cast<std::uint32_t>(i % cfg_.accounts);
  execution::Transaction tx = execution::Transaction::access_trace(account(s), std::move(trace),
                                                                   nonces_[s]++, cfg_.gas_price);
  tx.gas_limit = cfg_.gas_per_tx;
  return tx;
}

execution::Block DependencyDistanceGenerator::next_block(std::uint32_t n_txs) {
  execution::Block b;
  b.number = ++block_number_;
  b.beneficiary = beneficiary();
  b.gas_limit = std::max<std::uint64_t>(30'000'000, cfg_.gas_per_tx * n_txs);
  b.txs.reserve(n_txs);
  for (std::uint32_t k = 0; k < n_txs; ++k) b.txs.push_back(next_tx());
  return b;
}

}  // namespace pipesim::workload
