// Seeded synthetic blocks for the executors: N funded accounts (N controls contention), a mix of
// transaction kinds, k ERC-20 tokens, AMM pairs and NFT collections, and the funded genesis
// state they run on. Deterministic: the same config (seed included) gives the same genesis and
// the same blocks on any host (std::mt19937_64 through models/common/random.hpp; no unordered
// iteration).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "models/execution/state.hpp"
#include "models/execution/transaction.hpp"

namespace pipesim::workload {

/// Relative weights of the transaction kinds (need not sum to 1; all zero is an error).
struct TxMix {
  double transfer = 1.0;       // native transfer
  double erc20 = 0.0;          // ERC-20 transfer
  double approve = 0.0;        // ERC-20 approve
  double transfer_from = 0.0;  // ERC-20 transferFrom (spender = sender, owner pre-approved)
  double swap = 0.0;           // AMM swap on a constant-product pair
  double nft_mint = 0.0;       // NFT mint on a shared counter
  double trace = 0.0;          // access-trace replay (random slots of one trace contract)

  /// Parses "transfer=1,erc20=0.5,..." (keys as the field names). Unnamed kinds are 0.
  /// Throws std::invalid_argument naming the bad item (unknown key, bad number, negative, or
  /// all weights zero).
  static TxMix parse(std::string_view text);
};

struct BlockGeneratorConfig {
  std::uint32_t accounts = 1000;  // >= 2; fewer accounts = more conflicts
  std::uint32_t tokens = 2;       // ERC-20 contracts (>= 1 if any ERC-20 or swap weight)
  std::uint32_t pairs = 1;        // AMM pairs (token p % tokens / (p + 1) % tokens; >= 1 if swaps)
  std::uint32_t collections = 1;  // NFT collections (>= 1 if mints)
  std::uint32_t trace_slots = 0;  // storage slots traces touch (0 = accounts)
  double zipf_s = 0.0;            // account popularity: 0 uniform, > 0 Zipf exponent
  /// "Hot ratio" popularity (instead of Zipf; both set is an error): the first
  /// max(1, round(hot_fraction x accounts)) accounts are hot, and each account pick hits the hot
  /// set (uniformly within it) with probability hot_probability, else the cold set (uniformly).
  /// hot_fraction = 0 disables it. Both in [0, 1].
  double hot_fraction = 0.0;
  double hot_probability = 0.0;
  double revert_fraction = 0.0;         // fraction of txs built to fail (amount beyond balance)
  double invalid_nonce_fraction = 0.0;  // fraction of txs with a wrong nonce (skipped)
  std::uint64_t gas_price = 1;          // wei per gas
  std::uint64_t seed = 1;
  TxMix mix;
};

class BlockGenerator {
 public:
  /// Throws std::invalid_argument on an inconsistent config (accounts < 2, a weight for a kind
  /// with no contract to run on).
  explicit BlockGenerator(BlockGeneratorConfig cfg);

  const BlockGeneratorConfig& config() const { return cfg_; }

  /// Genesis state: every account with 10^21 wei and, per token, 10^12 token units and an
  /// allowance of 10^15 for account (i + 1) % N; pairs with 10^15 of each reserve; collections
  /// at id 0.
  execution::StateMap genesis_state() const;
  /// Genesis as a base layer, with a commitment of `commitment` kind (nullopt: none).
  std::shared_ptr<const execution::StateLayer> genesis(
      std::optional<execution::CommitmentKind> commitment) const;

  /// The next block (numbers 1, 2, ...) of `n_txs` transactions. Nonces continue from the
  /// previous blocks (assuming every generated valid transaction was included).
  execution::Block next_block(std::uint32_t n_txs);
  execution::Transaction next_tx();

  static Address account(std::uint32_t i);
  static Address token(std::uint32_t i);
  static Address pair(std::uint32_t i);
  static Address collection(std::uint32_t i);
  static Address trace_contract();
  static Address beneficiary();

 private:
  std::uint32_t pick_account();
  std::uint64_t uniform(std::uint64_t lo, std::uint64_t hi);  // inclusive
  bool chance(double p);

  BlockGeneratorConfig cfg_;
  std::vector<std::uint64_t> nonces_;
  std::vector<double> zipf_cdf_;
  std::uint32_t hot_count_ = 0;  // hot-ratio model: accounts [0, hot_count_) are hot
  std::vector<double> kind_cdf_;
  std::uint64_t block_number_ = 0;
  struct Rng;
  std::shared_ptr<Rng> rng_;
};

}  // namespace pipesim::workload
