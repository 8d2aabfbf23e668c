#include "models/workload/poisson_transfers.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace pipesim::workload {

PoissonTransfers::PoissonTransfers(const PoissonTransferParams& params, std::uint64_t seed)
    : params_(params), rng_(seed), next_nonce_(params.accounts, 0) {
  if (!(params.tps >= 0) || !std::isfinite(params.tps)) {
    throw std::invalid_argument("poisson transfers: tps must be a finite number >= 0");
  }
  if (params.accounts < 2) throw std::invalid_argument("poisson transfers: accounts must be >= 2");
  if (params.zipf_exponent < 0)
    throw std::invalid_argument("poisson transfers: zipf_exponent must be >= 0");
  if (params.tps == 0) {  // an empty workload: no transaction ever arrives
    next_time_s_ = std::numeric_limits<double>::infinity();
    return;
  }
  gap_ = std::exponential_distribution<double>(params.tps);
  if (params.zipf_exponent > 0) {
    std::vector<double> w(params.accounts);
    for (std::uint32_t k = 0; k < params.accounts; ++k) {
      w[k] = 1.0 / std::pow(static_cast<double>(k + 1), params.zipf_exponent);
    }
    zipf_ = std::discrete_distribution<std::uint32_t>(w.begin(), w.end());
  }
  next_time_s_ = gap_(rng_);
}

std::uint32_t PoissonTransfers::pick_account() {
  if (params_.zipf_exponent > 0) return zipf_(rng_);
  return std::uniform_int_distribution<std::uint32_t>(0, params_.accounts - 1)(rng_);
}

void PoissonTransfers::generate_until(double until_s, std::vector<TransferArrival>& out) {
  while (next_time_s_ < until_s) {
    TransferArrival a;
    a.id = next_id_++;
    a.submit_time_s = next_time_s_;
    a.sender = pick_account();
    // Redraw a recipient equal to the sender, at most kMaxRedraws times; then take a uniform
    // other account. (A steep Zipf exponent puts nearly all mass on account 0, so an unbounded
    // redraw would never end; with the usual exponents the bound is never reached.)
    constexpr int kMaxRedraws = 64;
    a.recipient = pick_account();
    for (int k = 0; k < kMaxRedraws && a.recipient == a.sender; ++k) a.recipient = pick_account();
    if (a.recipient == a.sender) {
      const auto offset =
          std::uniform_int_distribution<std::uint32_t>(1, params_.accounts - 1)(rng_);
      a.recipient = static_cast<std::uint32_t>((static_cast<std::uint64_t>(a.sender) + offset) %
                                               params_.accounts);
    }
    a.nonce = next_nonce_[a.sender]++;
    out.push_back(a);
    next_time_s_ += gap_(rng_);
  }
}

}  // namespace pipesim::workload
