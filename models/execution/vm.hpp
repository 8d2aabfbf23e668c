// A small deterministic VM: runs one transaction of a built-in kind against a state reader and
// reports its status, gas, fee, and the keys it read and wrote (its access set).
//
// Contract storage layouts (realistic slot positions, so conflicts look like mainnet's):
//  - ERC-20 (OpenZeppelin layout): `_balances` mapping at slot 0, balance of `owner` at
//    keccak256(pad32(owner) . pad32(0)); `_allowances` at slot 1, allowance[owner][spender] at
//    keccak256(pad32(spender) . keccak256(pad32(owner) . pad32(1))) (Solidity mapping rule).
//  - AMM pair (Uniswap V2-like constant product, 0.3% fee): token0 address at slot 6, token1 at
//    slot 7, reserve0 at slot 8, reserve1 at slot 9 (V2 packs both reserves into slot 8; we keep
//    them apart as full words, which changes no conflict since a swap always writes both).
//    Token balances of the pair live in the token contracts like any holder's.
//  - NFT collection (ERC-721-like): next token id at slot 0, `_owners` mapping at slot 1,
//    `_balances` mapping at slot 2.
//
// Transaction semantics (every kind):
//  1. validity: nonce must equal the sender's nonce (else kInvalidNonce), the sender must afford
//     gas_limit x gas_price (else kInsufficientFunds), intrinsic gas must fit the limit (else
//     kIntrinsicGas). An invalid transaction is skipped: no state change, gas_used 0.
//  2. nonce + 1 and gas_limit x gas_price bought from the sender; checkpoint.
//  3. the body runs; a failure (insufficient balance/allowance, slippage, wrong code, out of
//     gas) reverts to the checkpoint: status kReverted / kOutOfGas, gas is still paid.
//  4. unused gas refunded to the sender (EIP-3529 refunds capped at gas_used / 5 on success);
//     fee = gas_used x gas_price credited to the block beneficiary, unless `lazy_beneficiary`
//     (then the executor credits the sum of fees at block end and the VM never touches the
//     beneficiary's balance).
#pragma once

#include <cstdint>
#include <vector>

#include "models/execution/state.hpp"
#include "models/execution/transaction.hpp"

namespace pipesim::execution {

enum class TxStatus : std::uint8_t {
  kSuccess = 0,
  kReverted = 1,           // body failed; effects reverted, gas paid
  kOutOfGas = 2,           // body exceeded gas_limit; effects reverted, gas_limit paid
  kInvalidNonce = 3,       // skipped, no effect
  kInsufficientFunds = 4,  // cannot buy gas_limit x gas_price; skipped, no effect
  kIntrinsicGas = 5,       // gas_limit below intrinsic gas; skipped, no effect
  kBlocked = 6,            // internal (Block-STM): a read hit an ESTIMATE; never in a receipt
};
const char* to_string(TxStatus s);
/// True for statuses of transactions that are part of the block (they pay gas).
inline bool is_included(TxStatus s) {
  return s <= TxStatus::kOutOfGas;
}

/// Source of pre-transaction values for the VM (the executor's view of the state).
class StateReader {
 public:
  virtual ~StateReader() = default;
  /// Value of `key` as this transaction must see it. Returns false if the value is not yet
  /// known (Block-STM: an ESTIMATE of a lower transaction); the VM then stops with kBlocked.
  virtual bool read(const StateKey& key, U256& value) = 0;
};

/// Per-block environment.
struct BlockEnv {
  std::uint64_t number = 0;
  Address beneficiary{};
  bool lazy_beneficiary = false;
  /// A raw value transfer credits its recipient as a delta (TxAccess::delta) instead of reading
  /// and writing the balance (Block-STM's lazy updates, as pevm does). Off for executors that
  /// apply writes as values.
  bool lazy_transfer_credits = false;
};

/// Outcome of one VM execution.
struct TxResult {
  TxStatus status = TxStatus::kSuccess;
  std::uint64_t gas_used = 0;  // after refunds
  U256 fee;                    // gas_used x gas_price (wei)
};

/// One key this transaction touched.
struct TxAccess {
  StateKey key;
  U256 original;         // value read from the StateReader (valid if `read`)
  U256 current;          // value at the end of the transaction
  U256 checkpoint;       // value at the checkpoint (for reverts)
  bool read = false;     // loaded from the StateReader (part of the read set)
  bool written = false;  // part of the write set (final value = current)
  bool written_at_checkpoint = false;
  /// Lazy credit: not read; `current` is the amount added to the key's value (only with
  /// BlockEnv::lazy_transfer_credits). A later load() of the key turns it into a plain access.
  bool delta = false;
};

/// Reusable VM instance (keeps its buffers between transactions: no per-transaction allocation
/// once warmed up). Not thread-safe; use one per worker.
class Vm {
 public:
  Vm();
  TxResult execute(const Transaction& tx, const BlockEnv& env, StateReader& reader);
  /// Keys touched by the last execute(), in first-access order. Read set = entries with
  /// `read`, write set = entries with `written` (value `current`).
  const std::vector<TxAccess>& accesses() const { return accesses_; }
  /// Number of reads the last execute() issued to its StateReader (for the cost model).
  std::uint32_t reads_issued() const { return reads_issued_; }

 private:
  enum class Flow : std::uint8_t { kOk, kRevert, kBlocked };
  int find(const StateKey& key) const;
  Flow load(const StateKey& key, U256& value, bool* was_present = nullptr);
  void store(const StateKey& key, const U256& value);    // key must be loaded (or blind write)
  void credit(const StateKey& key, const U256& amount);  // lazy add (see BlockEnv)
  Flow sload(const Address& a, const Hash32& slot, U256& value);
  Flow sstore(const Address& a, const Hash32& slot, const U256& value);
  void touch_account(const Address& a);
  void checkpoint();
  void revert();
  Flow check_code(const Address& a, CodeKind kind);
  Flow token_transfer(const Address& token, const Address& from, const Address& to,
                      const U256& amount);

  Flow body(const Transaction& tx);
  Flow native_transfer(const Transaction& tx);
  Flow erc20_transfer(const Transaction& tx);
  Flow erc20_approve(const Transaction& tx);
  Flow erc20_transfer_from(const Transaction& tx);
  Flow amm_swap(const Transaction& tx);
  Flow nft_mint(const Transaction& tx);
  Flow access_trace(const Transaction& tx);

  StateReader* reader_ = nullptr;
  bool lazy_credits_ = false;
  std::vector<TxAccess> accesses_;
  std::vector<Address> warm_addresses_;
  std::uint64_t gas_ = 0;
  std::int64_t refund_ = 0;
  std::uint32_t reads_issued_ = 0;
};

// Storage slot helpers (see the layouts above).
Hash32 word_slot(std::uint64_t n);  // pad32(n)
U256 address_word(const Address& a);
Address word_address(const U256& w);
Hash32 erc20_balance_slot(const Address& owner);
Hash32 erc20_allowance_slot(const Address& owner, const Address& spender);
Hash32 nft_owner_slot(const U256& token_id);
Hash32 nft_balance_slot(const Address& owner);
inline constexpr std::uint64_t kPairToken0Slot = 6;
inline constexpr std::uint64_t kPairToken1Slot = 7;
inline constexpr std::uint64_t kPairReserve0Slot = 8;
inline constexpr std::uint64_t kPairReserve1Slot = 9;
inline constexpr std::uint64_t kNftNextIdSlot = 0;

/// Constant-product output: amount_in * 997 * r_out / (r_in * 1000 + amount_in * 997)
/// (Uniswap V2 getAmountOut, 0.3% fee), computed exactly in 512-bit arithmetic.
U256 amm_amount_out(const U256& amount_in, const U256& reserve_in, const U256& reserve_out);

}  // namespace pipesim::execution
