#include <doctest/doctest.h>

#include "models/execution/reserve_balance.hpp"

using namespace pipesim;
using namespace pipesim::execution;

TEST_CASE("reserve balance: max expenditure charges the gas limit at the fee cap") {
  CHECK(ReserveBalanceCheck::max_expenditure(U256{5}, 21000, 3) == U256{5 + 63000});
}

TEST_CASE("reserve balance rejects an overdraft that only the lagging state would miss") {
  Address alice{};
  alice[19] = 1;
  Address bob{};
  bob[19] = 2;
  // Alice had 100 000 wei after block N - D; blocks N-D+1 .. N-1 hold two of her transactions
  // of at most 30 000 wei each, not yet executed.
  ReserveBalanceCheck check([&](const Address& a) { return a == alice ? U256{100'000} : U256{0}; });
  const U256 tx = ReserveBalanceCheck::max_expenditure(U256{9'000}, 21'000, 1);  // 30 000
  // Against the lagging state alone, a 50 000 wei transaction fits (100 000 >= 50 000)...
  ReserveBalanceCheck lagging_only([&](const Address&) { return U256{100'000}; });
  CHECK(lagging_only.admit(alice, U256{50'000}));
  // ...but with the pending transactions only 40 000 wei remain: rejected.
  check.add_pending(alice, tx);
  check.add_pending(alice, tx);
  CHECK(check.pending(alice) == U256{60'000});
  CHECK_FALSE(check.admit(alice, U256{50'000}));
  CHECK(check.pending(alice) == U256{60'000});  // a rejected transaction is not pending
  // A transaction within the remaining reserve is admitted and becomes pending.
  CHECK(check.admit(alice, U256{40'000}));
  CHECK_FALSE(check.admit(alice, U256{1}));
  // Other senders are independent; a sender without balance cannot pay anything.
  CHECK_FALSE(check.admit(bob, U256{1}));
  CHECK(check.admit(bob, U256{0}));
}
