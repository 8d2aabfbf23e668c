// PoissonTransfers (models/workload/poisson_transfers.hpp): the first arrivals of a fixed seed are
// pinned (the workload of the transfer scenarios must not change with the standard library or a
// refactor), the stream's laws are checked with deterministic seeds and 5-sigma bounds.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "models/workload/poisson_transfers.hpp"

using namespace pipesim::workload;

namespace {

struct PinnedTransfer {
  std::uint64_t id;
  double submit_time_s;
  std::uint32_t sender;
  std::uint32_t recipient;
  std::uint64_t nonce;
};

void check_pinned_transfers(const std::vector<TransferArrival>& got,
                            const std::vector<PinnedTransfer>& expected) {
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i].id == expected[i].id);
    CHECK(got[i].submit_time_s == expected[i].submit_time_s);
    CHECK(got[i].sender == expected[i].sender);
    CHECK(got[i].recipient == expected[i].recipient);
    CHECK(got[i].nonce == expected[i].nonce);
  }
}

}  // namespace

TEST_CASE("poisson transfers: pinned arrivals of seed 7") {
  {
    PoissonTransfers p({1000.0, 1000, 0.0}, 7);
    std::vector<TransferArrival> out;
    p.generate_until(0.01, out);
    check_pinned_transfers(out, {{0, 0x1.700c41f9d5ae6p-10, 949, 117, 0},
                                 {1, 0x1.dba2b72dfcd0dp-9, 141, 55, 0},
                                 {2, 0x1.62ecb7e1f8964p-8, 900, 257, 0},
                                 {3, 0x1.b5dc8451c5f92p-8, 755, 596, 0},
                                 {4, 0x1.d70f7855c86fp-8, 308, 832, 0},
                                 {5, 0x1.eecfc07c07fb3p-8, 995, 993, 0},
                                 {6, 0x1.39664ccb2807p-7, 267, 620, 0},
                                 {7, 0x1.44bac433bfff5p-7, 43, 33, 0}});
  }
  {
    // Zipf accounts go through the alias table (two words per pick), so the times after the
    // first differ from the uniform stream's.
    PoissonTransfers p({1000.0, 1000, 1.0}, 7);
    std::vector<TransferArrival> out;
    p.generate_until(0.005, out);
    check_pinned_transfers(out, {{0, 0x1.700c41f9d5ae6p-10, 949, 891, 0},
                                 {1, 0x1.7ee73ee581c4cp-10, 19, 0, 0},
                                 {2, 0x1.783406b30ea0ap-9, 3, 0, 0},
                                 {3, 0x1.a7b496ff8db9p-9, 104, 24, 0},
                                 {4, 0x1.135c792d1cc4bp-8, 292, 33, 0},
                                 {5, 0x1.1f78cb39f1fc1p-8, 367, 5, 0}});
  }
}

TEST_CASE("poisson transfers: rate, Zipf share, distinct recipients, nonces") {
  // 100 s at 1000 tx/s: the count is Poisson(100000), sd 316; bound 5 sd. Zipf s = 1 over 1000
  // accounts: account 0 sends with probability 1 / H_1000 = 1 / 7.4855 = 0.13359; over N
  // senders the count has sd sqrt(N p (1 - p)) (107.6 at N = 100000); bound 5 sd.
  PoissonTransfers p({1000.0, 1000, 1.0}, 11);
  std::vector<TransferArrival> out;
  p.generate_until(100.0, out);
  const double n = static_cast<double>(out.size());
  CHECK(std::abs(n - 100000.0) < 5 * 316.2);
  std::vector<std::uint64_t> next_nonce(1000, 0);
  int from_0 = 0;
  int same = 0;
  int bad_nonce = 0;
  double last_time = 0.0;
  int unordered = 0;
  for (const TransferArrival& a : out) {
    from_0 += a.sender == 0 ? 1 : 0;
    same += a.sender == a.recipient ? 1 : 0;
    bad_nonce += a.nonce == next_nonce[a.sender]++ ? 0 : 1;
    unordered += a.submit_time_s < last_time ? 1 : 0;
    last_time = a.submit_time_s;
  }
  const double p0 = 1.0 / 7.485470860550345;
  CHECK(std::abs(from_0 - n * p0) < 5 * std::sqrt(n * p0 * (1 - p0)));
  CHECK(same == 0);
  CHECK(bad_nonce == 0);
  CHECK(unordered == 0);
}

TEST_CASE("poisson transfers: steep Zipf still gives a distinct recipient; bad parameters") {
  // zipf_exponent 1000: all weight on account 0 (the others underflow to 0 or nearly), so the
  // recipient falls back to a uniform other account after 64 redraws.
  PoissonTransfers steep({1000.0, 50, 1000.0}, 3);
  std::vector<TransferArrival> out;
  steep.generate_until(1.0, out);
  REQUIRE(!out.empty());
  int same = 0;
  int not_zero = 0;
  for (const TransferArrival& a : out) {
    same += a.sender == a.recipient ? 1 : 0;
    not_zero += a.sender != 0 ? 1 : 0;
  }
  CHECK(same == 0);
  CHECK(not_zero == 0);

  CHECK_THROWS_AS(PoissonTransfers({-1.0, 10, 0.0}, 1), std::invalid_argument);
  CHECK_THROWS_AS(PoissonTransfers({10.0, 1, 0.0}, 1), std::invalid_argument);
  CHECK_THROWS_AS(PoissonTransfers({10.0, 10, -0.5}, 1), std::invalid_argument);
  PoissonTransfers none({0.0, 10, 0.0}, 1);
  std::vector<TransferArrival> empty;
  none.generate_until(1000.0, empty);
  CHECK(empty.empty());
}
