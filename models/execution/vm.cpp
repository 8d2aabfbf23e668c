#include "models/execution/vm.hpp"

#include <cryptopp/keccak.h>

#include <algorithm>
#include <boost/multiprecision/cpp_int.hpp>

#include "models/execution/gas_schedule.hpp"

namespace pipesim::execution {

namespace {

Hash32 keccak64(const Hash32& a, const Hash32& b) {
  CryptoPP::Keccak_256 h;
  h.Update(a.data(), a.size());
  h.Update(b.data(), b.size());
  Hash32 out{};
  h.Final(out.data());
  return out;
}

Hash32 pad_address(const Address& a) {
  Hash32 out{};
  std::copy(a.begin(), a.end(), out.begin() + 12);
  return out;
}

using boost::multiprecision::uint512_t;

uint512_t to_big(const U256& v) {
  uint512_t x = 0;
  for (int i = 3; i >= 0; --i) {
    x <<= 64;
    x |= v.limb[i];
  }
  return x;
}

U256 from_big(uint512_t x) {
  U256 r;
  for (int i = 0; i < 4; ++i) {
    r.limb[i] = static_cast<std::uint64_t>(x & uint512_t(0xffffffffffffffffULL));
    x >>= 64;
  }
  return r;
}

// Calldata gas (EIP-2028): an ABI-encoded call whose words are addresses (12 zero bytes) or
// small amounts. We count the actual zero/non-zero bytes of the encoding.
std::uint64_t calldata_gas(const Transaction& tx) {
  std::uint32_t len = tx.calldata_bytes();
  if (len == 0) return 0;
  std::uint64_t nonzero = 4, zero = 0;  // selector: 4 bytes, non-zero
  auto count_word = [&](const Hash32& w) {
    for (std::uint8_t b : w) (b == 0 ? zero : nonzero) += 1;
  };
  switch (tx.kind) {
    case TxKind::kErc20Transfer:
    case TxKind::kErc20Approve:
      count_word(pad_address(tx.party));
      count_word(tx.amount.to_be());
      break;
    case TxKind::kErc20TransferFrom:
      count_word(pad_address(tx.party));
      count_word(pad_address(tx.party2));
      count_word(tx.amount.to_be());
      break;
    case TxKind::kAmmSwap:
      count_word(word_slot(tx.zero_for_one ? 1 : 0));
      count_word(tx.amount.to_be());
      count_word(tx.min_out.to_be());
      break;
    default:
      break;
  }
  return zero * gas::kTxDataZero + nonzero * gas::kTxDataNonZero;
}

}  // namespace

const char* to_string(TxStatus s) {
  switch (s) {
    case TxStatus::kSuccess:
      return "success";
    case TxStatus::kReverted:
      return "reverted";
    case TxStatus::kOutOfGas:
      return "out_of_gas";
    case TxStatus::kInvalidNonce:
      return "invalid_nonce";
    case TxStatus::kInsufficientFunds:
      return "insufficient_funds";
    case TxStatus::kIntrinsicGas:
      return "intrinsic_gas";
    case TxStatus::kBlocked:
      return "blocked";
  }
  return "unknown";
}

Hash32 word_slot(std::uint64_t n) {
  return U256{n}.to_be();
}

U256 address_word(const Address& a) {
  return U256::from_be(pad_address(a));
}

Address word_address(const U256& w) {
  Hash32 b = w.to_be();
  Address a{};
  std::copy(b.begin() + 12, b.end(), a.begin());
  return a;
}

Hash32 erc20_balance_slot(const Address& owner) {
  return keccak64(pad_address(owner), word_slot(0));
}

Hash32 erc20_allowance_slot(const Address& owner, const Address& spender) {
  return keccak64(pad_address(spender), keccak64(pad_address(owner), word_slot(1)));
}

Hash32 nft_owner_slot(const U256& token_id) {
  return keccak64(token_id.to_be(), word_slot(1));
}

Hash32 nft_balance_slot(const Address& owner) {
  return keccak64(pad_address(owner), word_slot(2));
}

U256 amm_amount_out(const U256& amount_in, const U256& reserve_in, const U256& reserve_out) {
  uint512_t in_with_fee = to_big(amount_in) * 997;
  uint512_t den = to_big(reserve_in) * 1000 + in_with_fee;
  if (den == 0) return U256{};
  return from_big(in_with_fee * to_big(reserve_out) / den);
}

Vm::Vm() {
  accesses_.reserve(32);
  warm_addresses_.reserve(8);
}

int Vm::find(const StateKey& key) const {
  for (std::size_t i = 0; i < accesses_.size(); ++i)
    if (accesses_[i].key == key) return static_cast<int>(i);
  return -1;
}

Vm::Flow Vm::load(const StateKey& key, U256& value, bool* was_present) {
  int i = find(key);
  if (i >= 0) {
    if (was_present) *was_present = true;
    TxAccess& a = accesses_[static_cast<std::size_t>(i)];
    if (a.delta) {
      // A lazily credited key read in full: base value plus the credits so far.
      ++reads_issued_;
      U256 base;
      if (!reader_->read(key, base)) return Flow::kBlocked;
      a.delta = false;
      a.read = true;
      a.original = base;
      a.current = base + a.current;
      a.checkpoint = base + a.checkpoint;
    } else if (!a.read && !a.written) {
      // A blind write that was reverted: the key still needs a real read.
      ++reads_issued_;
      if (!reader_->read(key, a.original)) return Flow::kBlocked;
      a.read = true;
      a.current = a.checkpoint = a.original;
    }
    value = a.current;
    return Flow::kOk;
  }
  if (was_present) *was_present = false;
  TxAccess& a = accesses_.emplace_back();
  a.key = key;
  ++reads_issued_;
  if (!reader_->read(key, a.original)) {
    accesses_.pop_back();
    return Flow::kBlocked;
  }
  a.read = true;
  a.current = a.checkpoint = a.original;
  value = a.current;
  return Flow::kOk;
}

void Vm::store(const StateKey& key, const U256& value) {
  int i = find(key);
  if (i < 0) {  // blind write
    TxAccess& a = accesses_.emplace_back();
    a.key = key;
    a.current = value;
    a.written = true;
    return;
  }
  TxAccess& a = accesses_[static_cast<std::size_t>(i)];
  a.current = value;
  a.written = true;
}

void Vm::credit(const StateKey& key, const U256& amount) {
  int i = find(key);
  if (i < 0) {
    TxAccess& a = accesses_.emplace_back();
    a.key = key;
    a.delta = true;
    a.current = amount;
    a.written = true;
    return;
  }
  TxAccess& a = accesses_[static_cast<std::size_t>(i)];
  if (!a.read && !a.written) {  // a reverted blind write: start a fresh delta
    a.delta = true;
    a.current = U256{};
  }
  a.current += amount;
  a.written = true;
}

Vm::Flow Vm::sload(const Address& addr, const Hash32& slot, U256& value) {
  bool warm = false;
  Flow f = load(StateKey::storage(addr, slot), value, &warm);
  gas_ += warm ? gas::kWarmStorageRead : gas::kColdSload;
  return f;
}

// SSTORE gas and refunds: EIP-2200 as amended by EIP-2929 (cold surcharge, reset = 2900) and
// EIP-3529 (clear refund 4800).
Vm::Flow Vm::sstore(const Address& addr, const Hash32& slot, const U256& value) {
  StateKey key = StateKey::storage(addr, slot);
  U256 current;
  bool warm = false;
  Flow f = load(key, current, &warm);
  if (f != Flow::kOk) return f;
  if (!warm) gas_ += gas::kColdSload;
  const TxAccess& a = accesses_[static_cast<std::size_t>(find(key))];
  const U256& original = a.original;
  constexpr auto kClear = static_cast<std::int64_t>(gas::kSstoreClearsRefund);
  if (current == value) {
    gas_ += gas::kWarmStorageRead;
  } else if (original == current) {
    if (original.is_zero()) {
      gas_ += gas::kSstoreSet;
    } else {
      gas_ += gas::kSstoreReset;
      if (value.is_zero()) refund_ += kClear;
    }
  } else {
    gas_ += gas::kWarmStorageRead;
    if (!original.is_zero()) {
      if (current.is_zero()) refund_ -= kClear;
      if (value.is_zero()) refund_ += kClear;
    }
    if (original == value) {
      refund_ += static_cast<std::int64_t>(
          (original.is_zero() ? gas::kSstoreSet : gas::kSstoreReset) - gas::kWarmStorageRead);
    }
  }
  store(key, value);
  return Flow::kOk;
}

void Vm::touch_account(const Address& a) {
  for (const Address& w : warm_addresses_)
    if (w == a) {
      gas_ += gas::kWarmStorageRead;
      return;
    }
  warm_addresses_.push_back(a);
  gas_ += gas::kColdAccountAccess;
}

void Vm::checkpoint() {
  for (TxAccess& a : accesses_) {
    a.checkpoint = a.current;
    a.written_at_checkpoint = a.written;
  }
}

void Vm::revert() {
  for (TxAccess& a : accesses_) {
    a.current = a.checkpoint;
    a.written = a.written_at_checkpoint;
  }
  refund_ = 0;
}

Vm::Flow Vm::check_code(const Address& a, CodeKind kind) {
  U256 code;
  Flow f = load(StateKey::code(a), code);
  if (f != Flow::kOk) return f;
  return code == U256{static_cast<std::uint64_t>(kind)} ? Flow::kOk : Flow::kRevert;
}

#define PIPESIM_TRY(expr)                                 \
  do {                                                    \
    Flow pipesim_flow_ = (expr);                          \
    if (pipesim_flow_ != Flow::kOk) return pipesim_flow_; \
  } while (0)

TxResult Vm::execute(const Transaction& tx, const BlockEnv& env, StateReader& reader) {
  reader_ = &reader;
  lazy_credits_ = env.lazy_transfer_credits;
  accesses_.clear();
  warm_addresses_.clear();
  gas_ = 0;
  refund_ = 0;
  reads_issued_ = 0;
  TxResult result;

  auto blocked = [&] {
    result.status = TxStatus::kBlocked;
    return result;
  };
  auto invalid = [&](TxStatus s) {
    for (TxAccess& a : accesses_) a.written = false;
    result.status = s;
    return result;
  };

  // 1. Validity.
  const StateKey nonce_key = StateKey::nonce(tx.from);
  const StateKey balance_key = StateKey::balance(tx.from);
  U256 nonce, balance;
  if (load(nonce_key, nonce) != Flow::kOk) return blocked();
  if (nonce != U256{tx.nonce}) return invalid(TxStatus::kInvalidNonce);
  if (load(balance_key, balance) != Flow::kOk) return blocked();
  // An exact trace (recorded by a real EVM) carries the sender's balance after the transaction
  // as a kSet write: no gas is bought or refunded here, and the recorded block was valid.
  const bool exact = tx.kind == TxKind::kAccessTrace && tx.trace && tx.trace->exact;
  const U256 max_fee = exact ? U256{} : U256::mul64(tx.gas_limit, tx.gas_price);
  if (balance < max_fee) return invalid(TxStatus::kInsufficientFunds);
  const std::uint64_t intrinsic = gas::kTx + calldata_gas(tx);
  if (intrinsic > tx.gas_limit) return invalid(TxStatus::kIntrinsicGas);

  // 2. Nonce, buy gas, checkpoint. tx.origin, tx.to and the coinbase start warm (EIP-2929,
  // EIP-3651).
  store(nonce_key, nonce + U256{1});
  store(balance_key, balance - max_fee);
  warm_addresses_.push_back(tx.from);
  if (tx.kind != TxKind::kAccessTrace) warm_addresses_.push_back(tx.to);
  warm_addresses_.push_back(env.beneficiary);
  checkpoint();
  gas_ = intrinsic;

  // 3. Body.
  Flow flow = body(tx);
  if (flow == Flow::kBlocked) return blocked();
  std::uint64_t gas_used;
  if (flow == Flow::kOk && gas_ <= tx.gas_limit) {
    result.status = TxStatus::kSuccess;
    gas_used = gas_;
    std::uint64_t cap = gas_used / gas::kMaxRefundQuotient;
    std::uint64_t refund = refund_ > 0 ? static_cast<std::uint64_t>(refund_) : 0;
    gas_used -= std::min(refund, cap);
  } else {
    revert();
    if (flow == Flow::kOk) {
      result.status = TxStatus::kOutOfGas;
      gas_used = tx.gas_limit;
    } else {
      result.status = TxStatus::kReverted;
      gas_used = std::min(gas_, tx.gas_limit);
    }
  }

  // 4. Refund unused gas, pay the beneficiary.
  if (!exact) {
    U256 bal;
    if (load(balance_key, bal) != Flow::kOk) return blocked();
    store(balance_key, bal + U256::mul64(tx.gas_limit - gas_used, tx.gas_price));
  }
  result.gas_used = gas_used;
  result.fee = U256::mul64(gas_used, exact ? tx.trace->tip_per_gas : tx.gas_price);
  if (!env.lazy_beneficiary) {
    const StateKey ben = StateKey::balance(env.beneficiary);
    U256 b;
    if (load(ben, b) != Flow::kOk) return blocked();
    store(ben, b + result.fee);
  }
  return result;
}

Vm::Flow Vm::body(const Transaction& tx) {
  switch (tx.kind) {
    case TxKind::kNativeTransfer:
      return native_transfer(tx);
    case TxKind::kErc20Transfer:
      return erc20_transfer(tx);
    case TxKind::kErc20Approve:
      return erc20_approve(tx);
    case TxKind::kErc20TransferFrom:
      return erc20_transfer_from(tx);
    case TxKind::kAmmSwap:
      return amm_swap(tx);
    case TxKind::kNftMint:
      return nft_mint(tx);
    case TxKind::kAccessTrace:
      return access_trace(tx);
  }
  return Flow::kRevert;
}

Vm::Flow Vm::native_transfer(const Transaction& tx) {
  const StateKey from = StateKey::balance(tx.from);
  U256 b;
  PIPESIM_TRY(load(from, b));
  if (b < tx.amount) return Flow::kRevert;
  store(from, b - tx.amount);
  const StateKey to = StateKey::balance(tx.to);
  if (lazy_credits_) {
    credit(to, tx.amount);
    return Flow::kOk;
  }
  U256 r;
  PIPESIM_TRY(load(to, r));
  store(to, r + tx.amount);
  return Flow::kOk;
}

Vm::Flow Vm::token_transfer(const Address& token, const Address& from, const Address& to,
                            const U256& amount) {
  const Hash32 from_slot = erc20_balance_slot(from);
  U256 b;
  PIPESIM_TRY(sload(token, from_slot, b));
  if (b < amount) return Flow::kRevert;
  PIPESIM_TRY(sstore(token, from_slot, b - amount));
  const Hash32 to_slot = erc20_balance_slot(to);
  U256 r;
  PIPESIM_TRY(sload(token, to_slot, r));
  PIPESIM_TRY(sstore(token, to_slot, r + amount));
  gas_ += gas::log_cost(3, 32);  // Transfer(from, to, value)
  return Flow::kOk;
}

Vm::Flow Vm::erc20_transfer(const Transaction& tx) {
  PIPESIM_TRY(check_code(tx.to, CodeKind::kErc20));
  gas_ += gas::kErc20TransferExec;
  return token_transfer(tx.to, tx.from, tx.party, tx.amount);
}

Vm::Flow Vm::erc20_approve(const Transaction& tx) {
  PIPESIM_TRY(check_code(tx.to, CodeKind::kErc20));
  gas_ += gas::kErc20ApproveExec;
  PIPESIM_TRY(sstore(tx.to, erc20_allowance_slot(tx.from, tx.party), tx.amount));
  gas_ += gas::log_cost(3, 32);  // Approval(owner, spender, value)
  return Flow::kOk;
}

Vm::Flow Vm::erc20_transfer_from(const Transaction& tx) {
  PIPESIM_TRY(check_code(tx.to, CodeKind::kErc20));
  gas_ += gas::kErc20TransferFromExec;
  const Hash32 allowance_slot = erc20_allowance_slot(tx.party, tx.from);
  U256 allowance;
  PIPESIM_TRY(sload(tx.to, allowance_slot, allowance));
  if (allowance < tx.amount) return Flow::kRevert;
  PIPESIM_TRY(sstore(tx.to, allowance_slot, allowance - tx.amount));
  return token_transfer(tx.to, tx.party, tx.party2, tx.amount);
}

Vm::Flow Vm::amm_swap(const Transaction& tx) {
  PIPESIM_TRY(check_code(tx.to, CodeKind::kAmmPair));
  gas_ += gas::kAmmSwapExec;
  U256 t0, t1, r0, r1;
  PIPESIM_TRY(sload(tx.to, word_slot(kPairToken0Slot), t0));
  PIPESIM_TRY(sload(tx.to, word_slot(kPairToken1Slot), t1));
  PIPESIM_TRY(sload(tx.to, word_slot(kPairReserve0Slot), r0));
  PIPESIM_TRY(sload(tx.to, word_slot(kPairReserve1Slot), r1));
  const Address token_in = word_address(tx.zero_for_one ? t0 : t1);
  const Address token_out = word_address(tx.zero_for_one ? t1 : t0);
  const U256& r_in = tx.zero_for_one ? r0 : r1;
  const U256& r_out = tx.zero_for_one ? r1 : r0;
  const U256 out = amm_amount_out(tx.amount, r_in, r_out);
  if (out.is_zero() || out < tx.min_out || out >= r_out) return Flow::kRevert;
  touch_account(token_in);  // CALL token_in.transferFrom
  PIPESIM_TRY(check_code(token_in, CodeKind::kErc20));
  PIPESIM_TRY(token_transfer(token_in, tx.from, tx.to, tx.amount));
  touch_account(token_out);  // CALL token_out.transfer
  PIPESIM_TRY(check_code(token_out, CodeKind::kErc20));
  PIPESIM_TRY(token_transfer(token_out, tx.to, tx.from, out));
  const U256 new_in = r_in + tx.amount;
  const U256 new_out = r_out - out;
  PIPESIM_TRY(sstore(tx.to, word_slot(kPairReserve0Slot), tx.zero_for_one ? new_in : new_out));
  PIPESIM_TRY(sstore(tx.to, word_slot(kPairReserve1Slot), tx.zero_for_one ? new_out : new_in));
  gas_ += gas::log_cost(1, 64);   // Sync(reserve0, reserve1)
  gas_ += gas::log_cost(3, 128);  // Swap(sender, amounts..., to)
  return Flow::kOk;
}

Vm::Flow Vm::nft_mint(const Transaction& tx) {
  PIPESIM_TRY(check_code(tx.to, CodeKind::kNftCollection));
  gas_ += gas::kNftMintExec;
  U256 id;
  PIPESIM_TRY(sload(tx.to, word_slot(kNftNextIdSlot), id));
  PIPESIM_TRY(sstore(tx.to, word_slot(kNftNextIdSlot), id + U256{1}));
  PIPESIM_TRY(sstore(tx.to, nft_owner_slot(id), address_word(tx.from)));
  const Hash32 bal_slot = nft_balance_slot(tx.from);
  U256 n;
  PIPESIM_TRY(sload(tx.to, bal_slot, n));
  PIPESIM_TRY(sstore(tx.to, bal_slot, n + U256{1}));
  gas_ += gas::log_cost(4, 0);  // Transfer(0, to, tokenId)
  return Flow::kOk;
}

Vm::Flow Vm::access_trace(const Transaction& tx) {
  if (!tx.trace) return Flow::kRevert;
  const AccessTrace& t = *tx.trace;
  U256 v;
  for (const StateKey& k : t.reads) PIPESIM_TRY(load(k, v));
  for (const TraceWrite& w : t.writes) {
    if (w.mode == TraceWrite::Mode::kSet) {
      store(w.key, w.value);
    } else {
      PIPESIM_TRY(load(w.key, v));
      store(w.key, v + w.value);
    }
  }
  gas_ = t.exact ? t.gas_used : std::max(gas_, t.gas_used);
  return Flow::kOk;
}

#undef PIPESIM_TRY

}  // namespace pipesim::execution
