// Gas schedule: the constants of the Ethereum fee schedule that our transaction kinds touch, each
// with its source (Yellow Paper appendix G as amended by the EIPs named; Shanghai/Cancun rules).
#pragma once

#include <cstdint>

namespace pipesim::execution::gas {

/// G_transaction: paid by every transaction (Yellow Paper, appendix G).
inline constexpr std::uint64_t kTx = 21'000;
/// G_txdatazero / G_txdatanonzero: per zero / non-zero byte of calldata (YP appendix G;
/// non-zero reduced from 68 to 16 by EIP-2028).
inline constexpr std::uint64_t kTxDataZero = 4;
inline constexpr std::uint64_t kTxDataNonZero = 16;

/// COLD_ACCOUNT_ACCESS_COST: first access to an address in a transaction (EIP-2929).
inline constexpr std::uint64_t kColdAccountAccess = 2'600;
/// WARM_STORAGE_READ_COST: access to an already-accessed address or slot (EIP-2929).
inline constexpr std::uint64_t kWarmStorageRead = 100;
/// COLD_SLOAD_COST: first access to a storage slot in a transaction (EIP-2929).
inline constexpr std::uint64_t kColdSload = 2'100;
/// SSTORE_SET_GAS: zero -> non-zero on a clean slot (EIP-2200; YP G_sset).
inline constexpr std::uint64_t kSstoreSet = 20'000;
/// SSTORE_RESET_GAS: non-zero -> other value on a clean slot, 5000 - COLD_SLOAD_COST (EIP-2929).
inline constexpr std::uint64_t kSstoreReset = 2'900;
/// SSTORE_CLEARS_SCHEDULE: refund for clearing a slot, 2900 + 1900 (EIP-3529).
inline constexpr std::uint64_t kSstoreClearsRefund = 4'800;
/// MAX_REFUND_QUOTIENT: refunds are capped at gas_used / 5 (EIP-3529).
inline constexpr std::uint64_t kMaxRefundQuotient = 5;

/// G_log, G_logtopic, G_logdata (YP appendix G): an ERC-20 Transfer/Approval event is LOG3 with
/// 32 bytes of data = 375 + 3 * 375 + 32 * 8 = 1756 gas.
inline constexpr std::uint64_t kLog = 375;
inline constexpr std::uint64_t kLogTopic = 375;
inline constexpr std::uint64_t kLogDataByte = 8;
inline constexpr std::uint64_t log_cost(std::uint64_t topics, std::uint64_t data_bytes) {
  return kLog + topics * kLogTopic + data_bytes * kLogDataByte;
}

/// Everything else a contract kind executes (dispatch, ABI decoding, arithmetic, memory,
/// CALL base costs) besides the storage accesses, logs and account accesses that the VM charges
/// item by item. Estimates: an OpenZeppelin ERC-20 `transfer` between existing holders costs
/// about 34.5k gas on mainnet, of which 21000 + ~600 calldata + 2 x 2100 cold SLOAD +
/// 2 x 2900 SSTORE reset + 1756 LOG3 = ~33.4k are itemised, leaving ~1.2k; similarly for the rest
/// (Uniswap V2 pair `swap`: two token CALLs at 100 warm + memory/ABI work ~ 8k).
inline constexpr std::uint64_t kErc20TransferExec = 1'200;
inline constexpr std::uint64_t kErc20ApproveExec = 800;
inline constexpr std::uint64_t kErc20TransferFromExec = 1'600;
inline constexpr std::uint64_t kAmmSwapExec = 8'000;
inline constexpr std::uint64_t kNftMintExec = 2'000;

}  // namespace pipesim::execution::gas
