#include "models/workload/poisson_transfers.hpp"

#include <cmath>
#include <stdexcept>

namespace pipesim::workload {

PoissonTransfers::PoissonTransfers(const PoissonTransferParams& params, std::uint64_t seed)
    : params_(params), rng_(seed), next_nonce_(params.accounts, 0) {
  if (!(params.tps > 0)) throw std::invalid_argument("poisson transfers: tps must be > 0");
  if (params.accounts < 2) throw std::invalid_argument("poisson transfers: accounts must be >= 2");
  if (params.zipf_exponent < 0)
    throw std::invalid_argument("poisson transfers: zipf_exponent must be >= 0");
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
    do {
      a.recipient = pick_account();
    } while (a.recipient == a.sender);
    a.nonce = next_nonce_[a.sender]++;
    out.push_back(a);
    next_time_s_ += gap_(rng_);
  }
}

}  // namespace pipesim::workload
