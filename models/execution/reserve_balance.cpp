#include "models/execution/reserve_balance.hpp"

namespace pipesim::execution {

ReserveBalanceCheck::ReserveBalanceCheck(std::function<U256(const Address&)> lagging_balance)
    : lagging_balance_(std::move(lagging_balance)) {}

U256 ReserveBalanceCheck::max_expenditure(const U256& value_wei, std::uint64_t gas_limit,
                                          std::uint64_t max_fee_per_gas_wei) {
  return value_wei + U256::mul64(gas_limit, max_fee_per_gas_wei);
}

void ReserveBalanceCheck::add_pending(const Address& sender, const U256& max_expenditure) {
  pending_[sender] += max_expenditure;
}

bool ReserveBalanceCheck::admit(const Address& sender, const U256& max_expenditure) {
  U256& p = pending_[sender];
  const U256 needed = p + max_expenditure;
  // Overflow of the sum (needed < p) can never be covered by a balance.
  if (needed < p || lagging_balance_(sender) < needed) return false;
  p = needed;
  return true;
}

U256 ReserveBalanceCheck::pending(const Address& sender) const {
  auto it = pending_.find(sender);
  return it == pending_.end() ? U256{} : it->second;
}

}  // namespace pipesim::execution
