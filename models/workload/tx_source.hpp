// Transaction sources for the pipelines: what arrives when, and the genesis it executes on.
//
// A TxSource yields TxArrival records (an executable execution::Transaction with its submit
// time) in time order, and the genesis state the stream executes on. Sources:
//  - transfers: Poisson native transfers between `accounts` synthetic accounts
//    (poisson_transfers.hpp), each funded with `initial_balance_wei` at genesis;
//  - eth_mainnet: the real mainnet blocks shipped in data/eth-blocks (eth_mainnet.hpp), as
//    access-trace transactions in recorded order on the merged pre-state, arriving at `tps`;
//  - eth_bal: the 50 consecutive mainnet blocks of data/eth-bal with exact per-transaction
//    write sets (eth_bal.hpp), in recorded order, arriving at `tps`.
// A replay stream is finite: once every recorded transaction has arrived, nothing more does,
// unless `loop` is set: then the recorded stream repeats with fresh senders (replay_pass_address)
// so that every pass is a valid, isomorphic copy of the first (same nonces, same contract keys).
// A load experiment must not let its stream run out (the offered load would silently drop).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/execution/state.hpp"
#include "models/execution/transaction.hpp"

namespace pipesim::workload {

/// One submitted transaction.
struct TxArrival {
  std::uint64_t id = 0;        // dense from 0, in arrival order
  double submit_time_s = 0.0;  // simulated seconds
  execution::Transaction tx;
  // Replay sources: the recorded block the transaction came from (position in the stream,
  // from 0), its index in that block and the block's transaction count (as-mined replay
  // builds one simulated block per recorded block from these). 0/0/0 for synthetic sources.
  std::uint32_t recorded_block = 0;
  std::uint32_t index_in_block = 0;
  std::uint32_t block_txs = 0;
};

class TxSource {
 public:
  virtual ~TxSource() = default;
  /// Appends every arrival with submit time < until_s not yet returned, in time order.
  virtual void generate_until(double until_s, std::vector<TxArrival>& out) = 0;
  /// The state the stream executes on: immutable, the same object on every call. With input
  /// reuse on (models/common/input_reuse.hpp), replay sources of one process tree that replay
  /// the same blocks without looping share one object; ChainState keys its genesis layer on it.
  virtual std::shared_ptr<const execution::StateMap> genesis() const = 0;
  /// One line for summaries, e.g. "eth_mainnet: 12 blocks, 3,054 transactions".
  virtual std::string description() const = 0;
  /// Recorded blocks replayed with exact traces (re-executed by a real EVM) and with
  /// approximated ones (eth_mainnet.hpp); both 0 for synthetic sources. eth_bal blocks count as
  /// approximated (exact write sets, derived reads and gas: docs/workloads.md).
  struct ReplayCoverage {
    std::uint32_t exact_blocks = 0;
    std::uint32_t approximated_blocks = 0;
  };
  virtual ReplayCoverage replay_coverage() const { return {}; }
};

/// Address of synthetic account `index`: 0xac followed by zeros and the index (big-endian) in
/// the last 4 bytes.
Address transfer_account(std::uint32_t index);

struct TransferSourceParams {
  double tps = 1000.0;
  std::uint32_t accounts = 10'000;
  double zipf_exponent = 0.0;
  std::uint64_t initial_balance_wei = 1'000'000'000'000'000'000ULL;
  std::uint64_t transfer_value_wei = 1;
  std::uint64_t tx_gas_limit = 21'000;
  std::uint64_t max_fee_per_gas_wei = 1;
};
/// Throws std::invalid_argument for invalid parameters (see PoissonTransfers).
std::unique_ptr<TxSource> make_transfer_source(const TransferSourceParams& params,
                                               std::uint64_t seed);

struct ReplaySourceParams {
  std::string source = "eth_mainnet";  // "eth_mainnet" | "eth_bal"
  std::vector<std::uint64_t> blocks;   // block numbers; empty = every shipped block
  double tps = 1000.0;                 // arrival rate of the recorded stream (tx/s)
  bool poisson = false;                // exponential gaps instead of even spacing
  std::string data_dir;                // "" = the repository's data/ folder
  /// Repeat the recorded stream until `duration_s` (simulated seconds, > 0 with loop) is
  /// covered. Pass k >= 1 replaces every address that sends a transaction in the stream by
  /// replay_pass_address(address, k) wherever it appears (sender, trace keys), and genesis holds
  /// those fresh accounts with the original's pre-state (balance, nonce, code, storage), so
  /// nonces restart as recorded; contract and other accounts are shared between passes (their
  /// storage keys recur, as popular contracts do on mainnet).
  bool loop = false;
  double duration_s = 0.0;
  /// Pre-parsed binary cache of the recorded stream (replay_cache.hpp): "" = replay_cache_dir()
  /// ($PIPESIM_CACHE_DIR, else the build folder's cache/), "off" = parse the data files every
  /// time, else that folder. The stream is the same either way.
  std::string cache_dir;
};

/// The address standing for `a` in pass `pass` (>= 1) of a looped replay: `a` with its first
/// three bytes XORed with 0xf5, pass >> 8, pass & 0xff (the last 4 bytes, hence the sender's
/// home-node bucket, are kept). Pass 0 returns `a`.
Address replay_pass_address(const Address& a, std::uint32_t pass);
/// Loads the recorded blocks. Throws std::invalid_argument naming an unknown source or block
/// number (with the available ones), std::runtime_error for unreadable or malformed data.
std::unique_ptr<TxSource> make_replay_source(const ReplaySourceParams& params, std::uint64_t seed);

/// Block numbers shipped for a replay source ("eth_mainnet" | "eth_bal").
std::vector<std::uint64_t> shipped_blocks(const std::string& source, const std::string& data_dir);

}  // namespace pipesim::workload
