#include "models/pipelines/kernel/invariants.hpp"

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

}  // namespace pipesim::pipelines
