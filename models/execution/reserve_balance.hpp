// Consensus-time transaction validity without current state: the reserve-balance check of
// asynchronous execution.
//
// Under asynchronous execution (Monad, docs.monad.xyz "Asynchronous Execution" / "Reserve
// Balance"), a proposer or validator of block N only knows the state after block N - D. A
// transaction is admitted only if its sender can pay for it in every possible outcome of the
// transactions not yet reflected in that state: with
//   max_expenditure(tx) = value + gas_limit x max_fee_per_gas
// (gas is charged on the gas limit at consensus time), a transaction is admissible iff
//   balance_{N-D}(sender) >= sum of max_expenditure over the sender's pending transactions
//                            (blocks N-D+1 .. N-1 and earlier in N) + max_expenditure(tx).
// This is the conservative form given by the project issue (Monad bounds only the gas part by a
// per-account reserve; here the value is bounded too, so no admitted transaction can overdraw).
#pragma once

#include <functional>
#include <unordered_map>

#include "models/common/bytes.hpp"
#include "models/execution/state.hpp"

namespace pipesim::execution {

class ReserveBalanceCheck {
 public:
  /// `lagging_balance(sender)`: the sender's balance (wei) in the state after block N - D.
  explicit ReserveBalanceCheck(std::function<U256(const Address&)> lagging_balance);

  /// value + gas_limit x max_fee_per_gas, in wei.
  static U256 max_expenditure(const U256& value_wei, std::uint64_t gas_limit,
                              std::uint64_t max_fee_per_gas_wei);

  /// Records a transaction already in a pending block (N-D+1 .. N-1): no check.
  void add_pending(const Address& sender, const U256& max_expenditure);
  /// Checks the next transaction of block N; if admissible, it becomes pending.
  bool admit(const Address& sender, const U256& max_expenditure);

  /// Sum of the sender's pending maximum expenditures (wei).
  U256 pending(const Address& sender) const;

 private:
  std::function<U256(const Address&)> lagging_balance_;
  std::unordered_map<Address, U256, ByteArrayHash> pending_;  // never iterated
};

}  // namespace pipesim::execution
