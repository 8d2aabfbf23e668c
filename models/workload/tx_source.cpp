#include "models/workload/tx_source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <unordered_set>

#include "models/workload/eth_bal.hpp"
#include "models/workload/eth_mainnet.hpp"
#include "models/workload/poisson_transfers.hpp"
#include "models/workload/replay_cache.hpp"
#include "models/workload/trace_stats.hpp"

namespace pipesim::workload {
namespace {

class TransferSource final : public TxSource {
 public:
  TransferSource(const TransferSourceParams& p, std::uint64_t seed)
      : params_(p), stream_({p.tps, p.accounts, p.zipf_exponent}, seed) {}

  void generate_until(double until_s, std::vector<TxArrival>& out) override {
    buffer_.clear();
    stream_.generate_until(until_s, buffer_);
    for (const TransferArrival& a : buffer_) {
      execution::Transaction tx = execution::Transaction::native_transfer(
          transfer_account(a.sender), transfer_account(a.recipient),
          execution::U256{params_.transfer_value_wei}, a.nonce, params_.max_fee_per_gas_wei);
      tx.gas_limit = params_.tx_gas_limit;
      out.push_back(TxArrival{a.id, a.submit_time_s, std::move(tx)});
    }
  }

  std::shared_ptr<const execution::StateMap> genesis() const override {
    if (!genesis_) {
      execution::StateBuilder g;
      for (std::uint32_t i = 0; i < params_.accounts; ++i) {
        g.set_balance(transfer_account(i), execution::U256{params_.initial_balance_wei});
      }
      genesis_ = std::make_shared<const execution::StateMap>(g.take());
    }
    return genesis_;
  }

  std::string description() const override {
    return fmt::format("transfers: {} tx/s over {} accounts", params_.tps, params_.accounts);
  }

 private:
  TransferSourceParams params_;
  PoissonTransfers stream_;
  std::vector<TransferArrival> buffer_;
  mutable std::shared_ptr<const execution::StateMap> genesis_;  // built on first use
};

/// Replays a recorded stream. Transactions and genesis are shared (immutable): those of the
/// loaded stream itself when it is replayed once, or the looped copies.
class ReplaySource final : public TxSource {
 public:
  ReplaySource(std::string description, std::shared_ptr<const execution::StateMap> genesis,
               std::shared_ptr<const std::vector<execution::Transaction>> txs,
               std::vector<double> times, ReplayCoverage coverage,
               std::vector<std::uint32_t> block_sizes)
      : coverage_(coverage),
        block_sizes_(std::move(block_sizes)),
        description_(std::move(description)),
        genesis_(std::move(genesis)),
        txs_(std::move(txs)),
        times_(std::move(times)) {}

  void generate_until(double until_s, std::vector<TxArrival>& out) override {
    const std::vector<execution::Transaction>& txs = *txs_;
    while (next_ < txs.size() && times_[next_] < until_s) {
      TxArrival a{next_, times_[next_], txs[next_]};
      while (block_ < block_sizes_.size() && in_block_ == block_sizes_[block_]) {
        ++block_;
        in_block_ = 0;
      }
      if (block_ < block_sizes_.size()) {
        a.recorded_block = static_cast<std::uint32_t>(block_);
        a.index_in_block = in_block_++;
        a.block_txs = block_sizes_[block_];
      }
      out.push_back(std::move(a));
      ++next_;
    }
  }
  std::shared_ptr<const execution::StateMap> genesis() const override { return genesis_; }
  std::string description() const override { return description_; }
  ReplayCoverage replay_coverage() const override { return coverage_; }

 private:
  ReplayCoverage coverage_;
  std::vector<std::uint32_t> block_sizes_;  // transactions per recorded block, stream order
  std::size_t block_ = 0;
  std::uint32_t in_block_ = 0;
  std::string description_;
  std::shared_ptr<const execution::StateMap> genesis_;
  std::shared_ptr<const std::vector<execution::Transaction>> txs_;
  std::vector<double> times_;
  std::size_t next_ = 0;
};

std::vector<std::uint64_t> select_blocks(const std::vector<std::uint64_t>& shipped,
                                         const std::vector<std::uint64_t>& wanted,
                                         const std::string& source) {
  if (wanted.empty()) return shipped;
  for (std::uint64_t b : wanted) {
    if (!std::binary_search(shipped.begin(), shipped.end(), b)) {
      throw std::invalid_argument(fmt::format("{}: block {} is not shipped, expected one of {}",
                                              source, b, fmt::join(shipped, ", ")));
    }
  }
  return wanted;
}

}  // namespace

Address replay_pass_address(const Address& a, std::uint32_t pass) {
  if (pass == 0) return a;
  Address out = a;
  out[0] ^= 0xf5;
  out[1] ^= static_cast<std::uint8_t>(pass >> 8);
  out[2] ^= static_cast<std::uint8_t>(pass);
  return out;
}

namespace {

/// Appends passes 1..passes-1 of a looped replay to `txs` (which holds pass 0) and their fresh
/// sender accounts to `genesis` (see ReplaySourceParams::loop).
void loop_stream(std::vector<execution::Transaction>& txs, execution::StateMap& genesis,
                 std::uint32_t passes) {
  std::unordered_set<Address, ByteArrayHash> senders;
  for (const auto& t : txs) senders.insert(t.from);
  const std::size_t n = txs.size();
  auto remap_key = [&](execution::StateKey k, std::uint32_t pass) {
    if (senders.count(k.address)) k.address = replay_pass_address(k.address, pass);
    return k;
  };
  std::vector<std::pair<execution::StateKey, execution::U256>> sender_state;
  genesis.for_each([&](const execution::StateKey& k, const execution::U256& v) {
    if (senders.count(k.address)) sender_state.emplace_back(k, v);
  });
  std::sort(sender_state.begin(), sender_state.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  txs.reserve(n * passes);
  for (std::uint32_t pass = 1; pass < passes; ++pass) {
    for (const auto& [k, v] : sender_state) genesis.set(remap_key(k, pass), v);
    for (std::size_t i = 0; i < n; ++i) {
      execution::Transaction t = txs[i];
      auto fresh = [&](const Address& a) {
        return senders.count(a) ? replay_pass_address(a, pass) : a;
      };
      t.from = replay_pass_address(t.from, pass);
      t.to = fresh(t.to);
      t.party = fresh(t.party);
      t.party2 = fresh(t.party2);
      if (t.trace) {
        auto trace = std::make_shared<execution::AccessTrace>(*t.trace);
        for (auto& k : trace->reads) k = remap_key(k, pass);
        for (auto& w : trace->writes) w.key = remap_key(w.key, pass);
        t.trace = std::move(trace);
      }
      txs.push_back(std::move(t));
    }
  }
}

}  // namespace

Address transfer_account(std::uint32_t index) {
  Address a{};
  a[0] = 0xac;
  a[16] = static_cast<std::uint8_t>(index >> 24);
  a[17] = static_cast<std::uint8_t>(index >> 16);
  a[18] = static_cast<std::uint8_t>(index >> 8);
  a[19] = static_cast<std::uint8_t>(index);
  return a;
}

std::unique_ptr<TxSource> make_transfer_source(const TransferSourceParams& params,
                                               std::uint64_t seed) {
  return std::make_unique<TransferSource>(params, seed);
}

std::vector<std::uint64_t> shipped_blocks(const std::string& source, const std::string& data_dir) {
  const std::string root = data_dir.empty() ? workload::data_dir() : data_dir;
  if (source == "eth_mainnet") return list_eth_blocks(root + "/eth-blocks");
  if (source == "eth_bal") return list_bal_blocks(root + "/eth-bal/rlp");
  throw std::invalid_argument("unknown replay source \"" + source +
                              "\", expected eth_mainnet or eth_bal");
}

std::unique_ptr<TxSource> make_replay_source(const ReplaySourceParams& params, std::uint64_t seed) {
  const std::string root = params.data_dir.empty() ? workload::data_dir() : params.data_dir;
  const std::vector<std::uint64_t> numbers =
      select_blocks(shipped_blocks(params.source, root), params.blocks, params.source);
  const std::string cache_dir = params.cache_dir.empty()    ? replay_cache_dir()
                                : params.cache_dir == "off" ? std::string()
                                                            : params.cache_dir;
  const std::shared_ptr<const RecordedStream> stream =
      load_shared_recorded_stream(params.source, root, numbers, cache_dir);
  // Shared with the loaded stream (aliasing pointers) unless looped.
  std::shared_ptr<const std::vector<execution::Transaction>> txs(stream, &stream->txs);
  std::shared_ptr<const execution::StateMap> genesis(stream, &stream->genesis);
  const TxSource::ReplayCoverage coverage = stream->coverage;
  std::vector<std::uint32_t> block_sizes = stream->block_sizes;
  const std::size_t recorded = txs->size();
  std::uint32_t passes = 1;
  if (params.loop && recorded > 0 && params.tps > 0 && params.duration_s > 0) {
    // Arrivals needed to cover the run: tps x duration, plus 10 % and 100 txs of slack for
    // Poisson gaps (their sum over N arrivals has a relative spread of 1/sqrt(N)).
    const double needed = params.tps * params.duration_s * (params.poisson ? 1.1 : 1.0) + 100.0;
    passes = static_cast<std::uint32_t>(
        std::max(1.0, std::ceil(needed / static_cast<double>(recorded))));
    if (passes > 65535) {
      throw std::invalid_argument(
          fmt::format("{}: looping {} transactions over {} s at {} tx/s needs {} passes, expected "
                      "at most 65535",
                      params.source, recorded, params.duration_s, params.tps, passes));
    }
    if (passes > 1) {
      std::vector<execution::Transaction> looped_txs = *txs;
      execution::StateMap looped_genesis = *genesis;
      loop_stream(looped_txs, looped_genesis, passes);
      txs = std::make_shared<const std::vector<execution::Transaction>>(std::move(looped_txs));
      genesis = std::make_shared<const execution::StateMap>(std::move(looped_genesis));
    }
  }
  std::vector<double> times = arrival_times(txs->size(), params.tps, params.poisson, seed);
  std::string description = fmt::format(
      "{}: {} blocks ({}..{}), {} transactions{}, {} tx/s", params.source, numbers.size(),
      numbers.front(), numbers.back(), recorded,
      passes > 1 ? fmt::format(" looped x{} with fresh senders", passes) : "", params.tps);
  return std::make_unique<ReplaySource>(std::move(description), std::move(genesis), std::move(txs),
                                        std::move(times), coverage, std::move(block_sizes));
}

}  // namespace pipesim::workload
