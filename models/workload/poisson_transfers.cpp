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
  if (params.zipf_exponent > 0) {
    std::vector<double> w(params.accounts);
    for (std::uint32_t k = 0; k < params.accounts; ++k) {
      w[k] = 1.0 / std::pow(static_cast<double>(k + 1), params.zipf_exponent);
    }
    zipf_.emplace(w);
  }
  next_time_s_ = exponential(rng_, params_.tps);
}

std::uint32_t PoissonTransfers::pick_account() {
  if (zipf_) return (*zipf_)(rng_);
  return static_cast<std::uint32_t>(uniform_below(rng_, params_.accounts));
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
      const std::uint64_t offset = uniform_int(rng_, 1, params_.accounts - 1);
      a.recipient = static_cast<std::uint32_t>((a.sender + offset) % params_.accounts);
    }
    a.nonce = next_nonce_[a.sender]++;
    out.push_back(a);
    next_time_s_ += exponential(rng_, params_.tps);
  }
}

}  // namespace pipesim::workload
