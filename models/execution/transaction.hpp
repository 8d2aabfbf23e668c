// Transactions and blocks: the kinds the VM runs and their encoded sizes.
//
// One flat Transaction struct for every kind (no per-kind allocation; only the access-trace kind
// holds a shared, immutable trace). Field meaning per kind:
//
// | kind               | to               | party            | party2    | amount       |
// |--------------------|------------------|------------------|-----------|--------------|
// | kNativeTransfer    | recipient        | -                | -         | value (wei)  |
// | kErc20Transfer     | token contract   | recipient        | -         | tokens       |
// | kErc20Approve      | token contract   | spender          | -         | allowance    |
// | kErc20TransferFrom | token contract   | owner (debited)  | recipient | tokens       |
// | kAmmSwap           | pair contract    | -                | -         | amount in    |
// | kNftMint           | collection       | -                | -         | -            |
// | kAccessTrace       | -                | -                | -         | -            |
//
// kAmmSwap also uses `zero_for_one` (sell token0 for token1) and `min_out` (slippage bound).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "models/common/bytes.hpp"
#include "models/execution/state.hpp"

namespace pipesim::execution {

enum class TxKind : std::uint8_t {
  kNativeTransfer,
  kErc20Transfer,
  kErc20Approve,
  kErc20TransferFrom,
  kAmmSwap,
  kNftMint,
  kAccessTrace,
};
inline constexpr int kTxKindCount = 7;
std::string_view to_string(TxKind kind);

/// One recorded write of an access trace: set the key to `value`, or add `value` to it
/// (increment semantics, so replaying a trace changes state deterministically).
struct TraceWrite {
  enum class Mode : std::uint8_t { kSet, kIncrement };
  StateKey key;
  Mode mode = Mode::kIncrement;
  U256 value;
};

/// Opcode-class profile of one executed transaction, as recorded by a real EVM (tools/evm-trace).
/// Counts of executed instructions per class (a cost model charges each class its own CPU time);
/// all zero when the trace is approximated (then `recorded` is false and a cost model falls back
/// to per-kind or per-gas costs).
struct OpcodeProfile {
  bool recorded = false;
  std::uint32_t arith_stack = 0;   // arithmetic, comparison, bitwise, stack, jumps, env reads
  std::uint32_t memory_words = 0;  // words touched by MLOAD/MSTORE/MCOPY/*COPY/RETURN
  std::uint32_t keccak_words = 0;  // 32-byte words hashed by KECCAK256
  std::uint32_t sload_cold = 0;    // EIP-2929 cold SLOAD (first access in the transaction)
  std::uint32_t sload_warm = 0;
  std::uint32_t sstore_cold = 0;
  std::uint32_t sstore_warm = 0;
  std::uint32_t account_reads = 0;  // BALANCE, EXTCODESIZE/HASH/COPY, SELFBALANCE
  std::uint32_t calls = 0;          // CALL, CALLCODE, DELEGATECALL, STATICCALL
  std::uint32_t creates = 0;        // CREATE, CREATE2
  std::uint32_t logs = 0;           // LOG0..LOG4
  std::uint32_t precompile_ecrecover = 0;
  std::uint32_t precompile_hash = 0;   // SHA256, RIPEMD160, IDENTITY, BLAKE2F
  std::uint32_t precompile_bn254 = 0;  // ECADD, ECMUL, ECPAIRING
  std::uint32_t precompile_modexp = 0;
  std::uint32_t precompile_other = 0;  // KZG point evaluation and the rest
};

/// A recorded transaction (e.g. from a mainnet block): its read set, write set, gas used and
/// encoded size. Replay reads every `reads` key, then applies `writes` in order.
struct AccessTrace {
  std::vector<StateKey> reads;
  std::vector<TraceWrite> writes;
  std::uint64_t gas_used = 21'000;  // recorded gas, charged as is (must be <= gas_limit)
  std::uint32_t size_bytes = 110;   // recorded encoded size
  OpcodeProfile opcodes;            // exact traces only (recorded == true)
  /// true: re-executed by a real EVM (tools/evm-trace). Then every write is kSet with the
  /// recorded post-transaction value (sender balance after gas, value and refund included), so
  /// the VM does not buy or refund gas itself; it only checks and bumps the nonce and credits the
  /// beneficiary gas_used x tip_per_gas. false: approximated (increments, VM fee accounting).
  bool exact = false;
  /// Exact traces: wei per gas credited to the block's beneficiary (EIP-1559 priority fee per
  /// gas actually paid from London on, gasPrice before; the base fee is burned).
  std::uint64_t tip_per_gas = 0;
};

struct Transaction {
  TxKind kind = TxKind::kNativeTransfer;
  Address from{};
  std::uint64_t nonce = 0;
  std::uint64_t gas_limit = 21'000;
  std::uint64_t gas_price = 1;  // wei per gas (legacy pricing; fee goes to the beneficiary)
  Address to{};
  Address party{};
  Address party2{};
  U256 amount;
  U256 min_out;
  bool zero_for_one = true;
  std::shared_ptr<const AccessTrace> trace;

  /// Encoded size in bytes. A signed legacy native transfer is 110 bytes (RLP of nonce,
  /// gasPrice, gasLimit, to, value, empty data, v, r, s: ~ 3 + 5 + 3 + 21 + 9 + 1 + 1 + 33 + 33
  /// plus list headers, the usual figure for mainnet transfers); contract calls add their ABI
  /// calldata (4-byte selector + 32 bytes per argument); an access trace has its recorded size.
  std::uint32_t size_bytes() const;
  /// ABI calldata length in bytes (0 for native transfers and traces).
  std::uint32_t calldata_bytes() const;
  /// True if the transaction names `a` as a participant (from/to/party/party2, or any address
  /// of its trace keys). Used to decide whether lazy beneficiary crediting is safe.
  bool references(const Address& a) const;

  static Transaction native_transfer(const Address& from, const Address& to, const U256& value,
                                     std::uint64_t nonce, std::uint64_t gas_price = 1);
  static Transaction erc20_transfer(const Address& from, const Address& token,
                                    const Address& recipient, const U256& amount,
                                    std::uint64_t nonce, std::uint64_t gas_price = 1);
  static Transaction erc20_approve(const Address& from, const Address& token,
                                   const Address& spender, const U256& amount, std::uint64_t nonce,
                                   std::uint64_t gas_price = 1);
  static Transaction erc20_transfer_from(const Address& from, const Address& token,
                                         const Address& owner, const Address& recipient,
                                         const U256& amount, std::uint64_t nonce,
                                         std::uint64_t gas_price = 1);
  static Transaction amm_swap(const Address& from, const Address& pair, bool zero_for_one,
                              const U256& amount_in, const U256& min_out, std::uint64_t nonce,
                              std::uint64_t gas_price = 1);
  static Transaction nft_mint(const Address& from, const Address& collection, std::uint64_t nonce,
                              std::uint64_t gas_price = 1);
  static Transaction access_trace(const Address& from, std::shared_ptr<const AccessTrace> trace,
                                  std::uint64_t nonce, std::uint64_t gas_price = 1);
};

/// Gas limits the factories set (generous upper bounds of what each kind can use).
inline constexpr std::uint64_t kDefaultGasLimit[kTxKindCount] = {21'000,  100'000, 100'000, 120'000,
                                                                 200'000, 150'000, 0};

struct Block {
  std::uint64_t number = 0;
  Address beneficiary{};  // receives gas_used x gas_price of every included transaction
  std::uint64_t gas_limit = 30'000'000;
  std::vector<Transaction> txs;

  /// Sum of the transactions' encoded sizes plus a 508-byte header (an RLP-encoded Ethereum
  /// header is ~500-600 bytes).
  std::uint64_t size_bytes() const;
};

}  // namespace pipesim::execution
