// Poisson arrival of native transfers: the workload of the walking-skeleton scenarios.
//
// Transactions arrive as a Poisson process of rate `tps` (exponential inter-arrival times) over
// the whole network. Each picks a sender and a distinct recipient among `accounts` accounts,
// uniformly (zipf_exponent = 0) or by Zipf popularity (rank k has weight 1 / k^zipf_exponent), and
// carries the sender's next nonce. Everything is drawn from one std::mt19937_64 seeded by the
// caller through pipesim's own distributions (models/common/random.hpp: exponential by
// inversion, Lemire uniform integers, a Vose alias table for Zipf), so the stream is a pure
// function of (parameters, seed) on every standard library.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "models/common/random.hpp"

namespace pipesim::workload {

/// One submitted native transfer.
struct TransferArrival {
  std::uint64_t id = 0;         // dense, from 0, in arrival order
  double submit_time_s = 0.0;   // simulated seconds
  std::uint32_t sender = 0;     // account index in [0, accounts)
  std::uint32_t recipient = 0;  // account index != sender
  std::uint64_t nonce = 0;      // sender's n-th transaction (from 0)
};

struct PoissonTransferParams {
  double tps = 1000.0;            // arrival rate (tx/s), > 0
  std::uint32_t accounts = 1000;  // >= 2
  double zipf_exponent = 0.0;     // >= 0; 0 = uniform popularity
};

class PoissonTransfers {
 public:
  /// Throws std::invalid_argument for tps <= 0, accounts < 2 or zipf_exponent < 0.
  PoissonTransfers(const PoissonTransferParams& params, std::uint64_t seed);

  /// Appends every arrival with submit time in [current, until_s) to `out` (in time order).
  void generate_until(double until_s, std::vector<TransferArrival>& out);

 private:
  std::uint32_t pick_account();

  PoissonTransferParams params_;
  std::mt19937_64 rng_;
  std::optional<AliasTable> zipf_;  // when zipf_exponent > 0
  std::vector<std::uint64_t> next_nonce_;
  double next_time_s_ = 0.0;
  std::uint64_t next_id_ = 0;
};

}  // namespace pipesim::workload
