#include "models/execution/trie_update.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace pipesim::execution {

namespace {

std::uint8_t nibble(const Hash32& key, std::uint32_t i) {
  const std::uint8_t b = key[i / 2];
  return i % 2 == 0 ? b >> 4 : b & 0x0f;
}

// Number of leading nibbles `a` and `b` share (64 if equal).
std::uint32_t common_nibbles(const Hash32& a, const Hash32& b) {
  for (std::uint32_t i = 0; i < 64; ++i)
    if (nibble(a, i) != nibble(b, i)) return i;
  return 64;
}

}  // namespace

std::uint32_t modelled_trie_depth(double leaves) {
  if (!(leaves >= 0) || !std::isfinite(leaves))
    throw std::invalid_argument("modelled_trie_depth: leaves must be a finite number >= 0");
  std::uint32_t d = 0;
  double capacity = 1;  // 16^d, exact in a double up to 16^13
  while (capacity < leaves && d < 64) {
    capacity *= 16;
    ++d;
  }
  return d;
}

TrieUpdateWork count_trie_update(std::span<const Hash32> hashed_keys, std::uint32_t depth,
                                 std::uint32_t cached_levels) {
  TrieUpdateWork w;
  if (hashed_keys.empty()) return w;
  depth = std::min<std::uint32_t>(depth, 64);
  std::vector<Hash32> keys(hashed_keys.begin(), hashed_keys.end());
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  // In sorted order, a d-nibble prefix is new exactly where a key shares fewer than d nibbles
  // with its predecessor: distinct(d) = 1 + #{i : common(keys[i-1], keys[i]) < d}.
  std::vector<std::uint32_t> lcp(keys.size() - 1);
  for (std::size_t i = 1; i < keys.size(); ++i) lcp[i - 1] = common_nibbles(keys[i - 1], keys[i]);
  for (std::uint32_t d = 0; d < depth; ++d) {
    const auto distinct = 1 + static_cast<std::uint64_t>(std::count_if(
                                  lcp.begin(), lcp.end(), [d](std::uint32_t l) { return l < d; }));
    w.nodes += distinct;
    if (d >= cached_levels) w.loaded += distinct;
  }
  w.nodes += keys.size();
  return w;
}

std::vector<CommitSlot> schedule_commit(std::span<const CommitTask> storage,
                                        std::span<const double> subtries, double root_s,
                                        std::uint32_t workers) {
  if (workers == 0) throw std::invalid_argument("schedule_commit: workers must be >= 1");
  std::vector<double> free_at(workers, 0.0);
  std::vector<CommitSlot> out;
  out.reserve(storage.size() + subtries.size() + 1);
  auto earliest = [&] {
    return static_cast<std::uint32_t>(std::min_element(free_at.begin(), free_at.end()) -
                                      free_at.begin());
  };
  auto place = [&](std::uint32_t w, double start, double duration) {
    out.push_back(CommitSlot{w, start, start + duration});
    free_at[w] = start + duration;
  };

  // (1) Storage tries, longest first (stable: equal durations keep their given order).
  std::vector<std::size_t> order(storage.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return storage[a].duration_s > storage[b].duration_s;
  });
  std::vector<double> ready(subtries.size(), 0.0);  // end of the storage tries under subtrie j
  double all_storage = 0;
  for (std::size_t i : order) {
    const std::uint32_t w = earliest();
    place(w, free_at[w], storage[i].duration_s);
    const double end = free_at[w];
    all_storage = std::max(all_storage, end);
    const int j = storage[i].subtrie;
    if (j >= 0 && static_cast<std::size_t>(j) < ready.size()) ready[j] = std::max(ready[j], end);
  }
  // A storage trie with no subtrie (-1) feeds every subtrie.
  if (std::any_of(storage.begin(), storage.end(),
                  [](const CommitTask& t) { return t.subtrie < 0; }))
    std::fill(ready.begin(), ready.end(), all_storage);

  // (2) Account subtries, longest first, each where it can start first.
  std::vector<std::size_t> sub(subtries.size());
  std::iota(sub.begin(), sub.end(), std::size_t{0});
  std::stable_sort(sub.begin(), sub.end(),
                   [&](std::size_t a, std::size_t b) { return subtries[a] > subtries[b]; });
  for (std::size_t j : sub) {
    if (!(subtries[j] > 0)) continue;
    std::uint32_t best = 0;
    double best_start = std::max(free_at[0], ready[j]);
    for (std::uint32_t w = 1; w < workers; ++w) {
      const double s = std::max(free_at[w], ready[j]);
      if (s < best_start) {
        best = w;
        best_start = s;
      }
    }
    place(best, best_start, subtries[j]);
  }

  // (3) The root (or the unsplit account trie) after everything else.
  const double all_done = *std::max_element(free_at.begin(), free_at.end());
  const std::uint32_t w = earliest();
  place(w, std::max(all_done, all_storage), root_s);
  return out;
}

}  // namespace pipesim::execution
