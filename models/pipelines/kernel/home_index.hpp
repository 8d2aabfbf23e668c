// Kernel: a committed entry's transactions grouped by their entry (home) node.
//
// Latencies are measured at each transaction's home validator, so every node that commits (or
// executes) a block records the block's transactions whose home it is. Scanning the whole block
// at every node costs validators x transactions per block (1,000 x 1,100 at the scale bench);
// the groups are built once per entry (a stable sort by home: block order within a node) and
// each node then reads its own group. The workload feed owns one (WorkloadFeed::record_*).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sim/runtime.hpp"

namespace pipesim::pipelines {

class TxsByHome {
 public:
  /// Home (entry node) of a transaction id.
  using HomeFn = std::function<sim::NodeId(std::uint64_t tx)>;

  explicit TxsByHome(HomeFn home) : home_(std::move(home)) {}

  /// Positions in `txs` (entry `key`'s transaction ids, in block order) of the transactions
  /// whose home is `node`, ascending (block order). The grouping of `key` is built on its first
  /// call and kept: `txs` must be the same on every call with the same key.
  std::span<const std::uint32_t> at(std::uint64_t key, std::span<const std::uint64_t> txs,
                                    sim::NodeId node);

  /// Drops the grouping of `key` (no node will ask for it again).
  void forget(std::uint64_t key) { groups_.erase(key); }

 private:
  struct Groups {
    std::vector<sim::NodeId> homes;        // ascending
    std::vector<std::uint32_t> positions;  // txs[positions[i]] has home homes[i]
  };
  HomeFn home_;
  std::unordered_map<std::uint64_t, Groups> groups_;
};

}  // namespace pipesim::pipelines
