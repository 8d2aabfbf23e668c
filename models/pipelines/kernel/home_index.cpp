#include "models/pipelines/kernel/home_index.hpp"

#include <algorithm>
#include <numeric>

namespace pipesim::pipelines {

std::span<const std::uint64_t> TxsByHome::at(std::uint64_t key, std::span<const std::uint64_t> txs,
                                             sim::NodeId node) {
  auto [it, fresh] = groups_.try_emplace(key);
  Groups& g = it->second;
  if (fresh) {
    std::vector<sim::NodeId> home(txs.size());
    for (std::size_t i = 0; i < txs.size(); ++i) home[i] = home_(txs[i]);
    std::vector<std::size_t> order(txs.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&home](std::size_t a, std::size_t b) { return home[a] < home[b]; });
    g.homes.reserve(txs.size());
    g.txs.reserve(txs.size());
    for (std::size_t i : order) {
      g.homes.push_back(home[i]);
      g.txs.push_back(txs[i]);
    }
  }
  const auto [lo, hi] = std::equal_range(g.homes.begin(), g.homes.end(), node);
  const auto first = static_cast<std::size_t>(lo - g.homes.begin());
  return std::span<const std::uint64_t>(g.txs).subspan(first, static_cast<std::size_t>(hi - lo));
}

}  // namespace pipesim::pipelines
