// Synthetic workloads beyond block_generator.hpp.
//
// The transaction-kind mix (native transfers, ERC-20 transfers over k tokens, AMM swaps over k
// pairs, NFT mints), uniform or Zipf(s) account popularity and the "hot ratio" model (a fraction
// of the accounts is hot; each account pick hits the hot set with probability h) are all
// BlockGenerator's (BlockGeneratorConfig::mix / tokens / pairs / collections / zipf_s /
// hot_fraction / hot_probability). This file adds the dependency-distance generator.
//
// Dependency distance d: transaction i (counted from 0 over the generator's whole stream) writes
// its own storage slot i of one contract and, with probability `dependent_fraction` (drawn from
// std::mt19937_64(seed)), reads slot i - d first (if i >= d): a read-after-write dependency on
// exactly transaction i - d, so a block of n fully dependent transactions has chains of length
// ~ n / d and d of them run in parallel. Senders are accounts i mod `accounts`, so with
// accounts >= block size the sender nonces add no dependency. Transactions are access traces
// with a fixed gas.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "models/execution/state.hpp"
#include "models/execution/transaction.hpp"

namespace pipesim::workload {

struct DependencyDistanceConfig {
  std::uint32_t distance = 1;         // d >= 1
  double dependent_fraction = 1.0;    // in [0, 1]: probability that tx i reads tx i - d's slot
  std::uint32_t accounts = 10'000;    // senders (>= 1), used round-robin
  std::uint64_t gas_per_tx = 50'000;  // trace gas (>= 21000)
  std::uint64_t gas_price = 1;        // wei per gas
  std::uint64_t seed = 1;
};

class DependencyDistanceGenerator {
 public:
  /// Throws std::invalid_argument if distance == 0, accounts == 0, gas_per_tx < 21000 or
  /// dependent_fraction is outside [0, 1].
  explicit DependencyDistanceGenerator(DependencyDistanceConfig cfg);

  /// Every sender with 10^21 wei, nonce 0.
  execution::StateMap genesis_state() const;
  std::shared_ptr<const execution::StateLayer> genesis(
      std::optional<execution::CommitmentKind> commitment) const;

  /// The next block (numbers 1, 2, ...) of `n_txs` transactions, beneficiary beneficiary().
  execution::Block next_block(std::uint32_t n_txs);
  execution::Transaction next_tx();

  /// Sender i, the contract holding the slots, and the blocks' beneficiary.
  static Address account(std::uint32_t i);
  static Address contract();
  static Address beneficiary();
  /// Storage slot written by transaction i.
  static Hash32 slot(std::uint64_t i);

 private:
  DependencyDistanceConfig cfg_;
  std::mt19937_64 rng_;
  std::vector<std::uint64_t> nonces_;
  std::uint64_t next_index_ = 0;
  std::uint64_t block_number_ = 0;
};

}  // namespace pipesim::workload
