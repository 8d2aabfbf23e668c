// EIP-7928-style block access lists (BALs) of 50 consecutive mainnet blocks 20615532-20615581:
// exact per-transaction write sets (storage, balance, nonce, code) and block-level read-only
// slots, decoded with the project's RLP decoder and turned into access-trace transactions.
//
// Source data: data/eth-bal/rlp/<N>_with_reads.rlp (copies of ../shared/data/eth-bal, see its
// PROVENANCE.md: nerolation/eth-bal-analysis, Apache-2.0). File format (one RLP item):
//   file    = [Account, ...] sorted by address
//   Account = [address(20), storage_writes: [[slot(32), [[tx_index, new_value(32)], ...]], ...],
//              storage_reads: [slot(32), ...], balance_changes: [[tx_index, post_balance]],
//              nonce_changes: [[tx_index, new_nonce]], code_changes: [[tx_index, code]]]
// The files hold no transactions: no sender/recipient list, calldata, gas limit or gas used.
//
// Traced transactions (bal_to_traced):
//  EXACT writes: every (key, tx) of the BAL, as kSet of the recorded post value (storage word,
//    post balance, new nonce; code: the code key is written, value left 0 since the VM has no
//    EVM code). So executing a block reproduces every recorded post value.
//  Sender (inferred, keys exact): the account whose nonce rose at that index, has no code change
//    there (created contracts also get nonce 1) and, if several, one whose balance changed too
//    (the sender pays the fee); ties broken by lowest address (`ambiguous_senders` counts them).
//    Its nonce/balance are read and written (the VM does the nonce itself).
//  Beneficiary (inferred): the account whose balance changes in the most transactions (the fee
//    recipient; PROVENANCE: 171 of 172 in block 20615532).
//  DERIVED reads: each transaction reads its own written keys (a write usually follows a read;
//    the BAL drops reads of slots written in the block); each account's block-level read-only
//    slots are dealt round-robin (slot order, offset by the address) over the transactions that
//    write a key of that account, or over all transactions if none does.
//  DERIVED gas: 21000 + 2100 per storage slot read + 2900 per slot written + 2600 per account
//    touched other than sender and beneficiary + 32000 + 200 per byte per deployed code.
//  Transactions have gas_price 0 (the BAL has no prices: fees would change balances the BAL
//    already records) and gas_limit = the estimate.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "models/execution/state.hpp"
#include "models/workload/trace_stats.hpp"

namespace pipesim::workload {

struct BalAccount {
  Address address{};
  struct SlotWrites {
    Hash32 slot{};
    std::vector<std::pair<std::uint32_t, Hash32>> changes;  // (tx index, new value)
  };
  std::vector<SlotWrites> storage_writes;
  std::vector<Hash32> storage_reads;  // read-only slots (block level)
  std::vector<std::pair<std::uint32_t, execution::U256>> balance_changes;  // (tx, post balance)
  std::vector<std::pair<std::uint32_t, std::uint64_t>> nonce_changes;      // (tx, new nonce)
  std::vector<std::pair<std::uint32_t, Bytes>> code_changes;               // (tx, code)

  bool touched_only() const {
    return storage_writes.empty() && storage_reads.empty() && balance_changes.empty() &&
           nonce_changes.empty() && code_changes.empty();
  }
};

struct BalBlock {
  std::uint64_t number = 0;
  std::vector<BalAccount> accounts;  // as in the file (ascending address)
  std::uint32_t tx_count = 0;        // highest tx index + 1
};

/// The columns of the PROVENANCE.md table.
struct BalCounts {
  std::uint32_t txs = 0, accounts = 0, touched_only = 0;
  std::uint32_t slot_writes = 0;         // (slot, tx) write entries
  std::uint32_t multi_writer_slots = 0;  // slots written by >= 2 different txs
  std::uint32_t read_only_slots = 0;
  std::uint32_t balance_changes = 0, nonce_changes = 0, code_changes = 0;
};

/// data_dir() + "/eth-bal/rlp".
std::string default_eth_bal_dir();
/// Block numbers of the `<N>_with_reads.rlp` files (or .rlp.gz) in `dir`, ascending.
std::vector<std::uint64_t> list_bal_blocks(const std::string& dir);
/// Decodes `dir/<number>_with_reads.rlp`. Throws std::runtime_error naming the file and the byte
/// offset (RLP errors) or the field path (e.g. "account 12 (0x…) .nonce_changes[0]") on malformed
/// input: wrong shapes, addresses not 20 bytes, slots/values not 32 bytes, unsorted or duplicate
/// addresses, integers not minimal.
BalBlock read_bal_block(const std::string& dir, std::uint64_t number);
/// Decodes an in-memory file (`name` is used in error messages).
BalBlock decode_bal(ByteView data, std::uint64_t number, const std::string& name);

BalCounts bal_counts(const BalBlock& block);

struct BalTraced {
  TracedBlock traced;
  std::uint32_t ambiguous_senders = 0;  // txs with several sender candidates
};
/// Access-trace transactions of one BAL block (see the header comment for exact vs derived).
/// Throws std::runtime_error if a transaction index has no nonce change (no sender).
BalTraced bal_to_traced(const BalBlock& block);

/// Genesis for replaying `blocks` in order (consecutive blocks): every sender's nonce set to its
/// first recorded new nonce minus one. Balances and storage are absent (zero): the BAL has no
/// pre-values, and the traces write recorded post values (kSet) without depending on them.
execution::StateMap bal_genesis(std::span<const BalTraced> blocks);

}  // namespace pipesim::workload
