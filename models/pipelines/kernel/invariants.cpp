#include "models/pipelines/kernel/invariants.hpp"

#include <algorithm>

namespace pipesim::pipelines {

std::optional<DuplicateTx> DuplicateTxFinder::add(std::uint64_t position,
                                                  std::span<const std::uint64_t> txs) {
  if (first_dup_) return first_dup_;
  for (std::uint64_t t : txs) {
    const auto [it, fresh] = first_seen_.try_emplace(t, position);
    if (!fresh) {
      first_dup_ = DuplicateTx{t, position, it->second};
      break;
    }
  }
  return first_dup_;
}

std::optional<PrefixDuplicate> first_duplicate_in_prefixes(
    const std::vector<std::size_t>& lengths,
    const std::function<std::optional<CommittedEntry>(std::size_t)>& entry) {
  std::size_t longest = 0;
  for (std::size_t l : lengths) longest = std::max(longest, l);
  DuplicateTxFinder finder;
  for (std::size_t k = 0; k < longest; ++k) {
    const std::optional<CommittedEntry> e = entry(k);
    if (!e) continue;
    if (const auto dup = finder.add(e->position, e->txs)) {
      for (std::size_t s = 0; s < lengths.size(); ++s) {
        if (lengths[s] > k) return PrefixDuplicate{s, k, *dup};
      }
    }
  }
  return std::nullopt;
}

}  // namespace pipesim::pipelines
