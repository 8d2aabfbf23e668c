#include "models/pipelines/kernel/home_index.hpp"

#include <algorithm>
#include <numeric>

namespace pipesim::pipelines {

std::span<const std::uint32_t> TxsByHome::at(std::uint64_t key, std::span<const std::uint64_t> txs,
                                             sim::NodeId node) {
  auto [it, fresh] = groups_.try_emplace(key);
  Groups& g = it->second;
  if (fresh) {
    std::vector<sim::NodeId> home(txs.size());
    for (std::size_t i = 0; i < txs.size(); ++i) home[i] = home_(txs[i]);
    g.positions.resize(txs.size());
    std::iota(g.positions.begin(), g.positions.end(), std::uint32_t{0});
    std::stable_sort(g.positions.begin(), g.positions.end(),
                     [&home](std::uint32_t a, std::uint32_t b) { return home[a] < home[b]; });
    g.homes.reserve(txs.size());
    for (std::uint32_t i : g.positions) g.homes.push_back(home[i]);
  }
  const auto [lo, hi] = std::equal_range(g.homes.begin(), g.homes.end(), node);
  const auto first = static_cast<std::size_t>(lo - g.homes.begin());
  return std::span<const std::uint32_t>(g.positions)
      .subspan(first, static_cast<std::size_t>(hi - lo));
}

}  // namespace pipesim::pipelines
