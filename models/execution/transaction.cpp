#include "models/execution/transaction.hpp"

#include <utility>

namespace pipesim::execution {

std::string_view to_string(TxKind kind) {
  switch (kind) {
    case TxKind::kNativeTransfer:
      return "transfer";
    case TxKind::kErc20Transfer:
      return "erc20";
    case TxKind::kErc20Approve:
      return "approve";
    case TxKind::kErc20TransferFrom:
      return "transfer_from";
    case TxKind::kAmmSwap:
      return "swap";
    case TxKind::kNftMint:
      return "nft_mint";
    case TxKind::kAccessTrace:
      return "trace";
  }
  return "unknown";
}

std::uint32_t Transaction::calldata_bytes() const {
  switch (kind) {
    case TxKind::kErc20Transfer:  // transfer(address,uint256)
    case TxKind::kErc20Approve:   // approve(address,uint256)
      return 4 + 2 * 32;
    case TxKind::kErc20TransferFrom:  // transferFrom(address,address,uint256)
    case TxKind::kAmmSwap:            // swap(bool zeroForOne, uint256 amountIn, uint256 minOut)
      return 4 + 3 * 32;
    case TxKind::kNftMint:  // mint()
      return 4;
    case TxKind::kNativeTransfer:
    case TxKind::kAccessTrace:
      break;
  }
  return 0;
}

std::uint32_t Transaction::size_bytes() const {
  if (kind == TxKind::kAccessTrace) return trace ? trace->size_bytes : 110;
  return 110 + calldata_bytes();
}

bool Transaction::references(const Address& a) const {
  if (from == a) return true;
  if (kind == TxKind::kAccessTrace) {
    if (!trace) return false;
    for (const StateKey& k : trace->reads)
      if (k.address == a) return true;
    for (const TraceWrite& w : trace->writes)
      if (w.key.address == a) return true;
    return false;
  }
  return to == a || party == a || party2 == a;
}

namespace {
Transaction base(TxKind kind, const Address& from, std::uint64_t nonce, std::uint64_t gas_price) {
  Transaction t;
  t.kind = kind;
  t.from = from;
  t.nonce = nonce;
  t.gas_price = gas_price;
  t.gas_limit = kDefaultGasLimit[static_cast<int>(kind)];
  return t;
}
}  // namespace

Transaction Transaction::native_transfer(const Address& from, const Address& to, const U256& value,
                                         std::uint64_t nonce, std::uint64_t gas_price) {
  Transaction t = base(TxKind::kNativeTransfer, from, nonce, gas_price);
  t.to = to;
  t.amount = value;
  return t;
}

Transaction Transaction::erc20_transfer(const Address& from, const Address& token,
                                        const Address& recipient, const U256& amount,
                                        std::uint64_t nonce, std::uint64_t gas_price) {
  Transaction t = base(TxKind::kErc20Transfer, from, nonce, gas_price);
  t.to = token;
  t.party = recipient;
  t.amount = amount;
  return t;
}

Transaction Transaction::erc20_approve(const Address& from, const Address& token,
                                       const Address& spender, const U256& amount,
                                       std::uint64_t nonce, std::uint64_t gas_price) {
  Transaction t = base(TxKind::kErc20Approve, from, nonce, gas_price);
  t.to = token;
  t.party = spender;
  t.amount = amount;
  return t;
}

Transaction Transaction::erc20_transfer_from(const Address& from, const Address& token,
                                             const Address& owner, const Address& recipient,
                                             const U256& amount, std::uint64_t nonce,
                                             std::uint64_t gas_price) {
  Transaction t = base(TxKind::kErc20TransferFrom, from, nonce, gas_price);
  t.to = token;
  t.party = owner;
  t.party2 = recipient;
  t.amount = amount;
  return t;
}

Transaction Transaction::amm_swap(const Address& from, const Address& pair, bool zero_for_one,
                                  const U256& amount_in, const U256& min_out, std::uint64_t nonce,
                                  std::uint64_t gas_price) {
  Transaction t = base(TxKind::kAmmSwap, from, nonce, gas_price);
  t.to = pair;
  t.zero_for_one = zero_for_one;
  t.amount = amount_in;
  t.min_out = min_out;
  return t;
}

Transaction Transaction::nft_mint(const Address& from, const Address& collection,
                                  std::uint64_t nonce, std::uint64_t gas_price) {
  Transaction t = base(TxKind::kNftMint, from, nonce, gas_price);
  t.to = collection;
  return t;
}

Transaction Transaction::access_trace(const Address& from, std::shared_ptr<const AccessTrace> trace,
                                      std::uint64_t nonce, std::uint64_t gas_price) {
  Transaction t = base(TxKind::kAccessTrace, from, nonce, gas_price);
  t.gas_limit = trace ? trace->gas_used : 21'000;
  t.trace = std::move(trace);
  return t;
}

std::uint64_t Block::size_bytes() const {
  std::uint64_t s = 508;
  for (const Transaction& t : txs) s += t.size_bytes();
  return s;
}

}  // namespace pipesim::execution
