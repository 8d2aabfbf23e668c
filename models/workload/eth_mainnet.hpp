// Ethereum mainnet replay: real blocks (JSON-RPC block with full transactions + the block's
// pre-state) turned into access-trace transactions and a pre-state to run them on.
//
// Source data: data/eth-blocks/ (a subset of ../shared/data/eth-blocks, see its PROVENANCE.md:
// risechain/pevm, MIT). Per block N: `N/block.json` (eth_getBlockByNumber(N, true)) and
// `N/pre_state.json` ({address: {balance, nonce, code_hash?, storage}} = every account and slot
// the block touches, the union over the block). Either file may be stored gzip-compressed as
// `<name>.gz` (the repository's copies are). There are no receipts and no bytecode, so per
// transaction the access sets are partly exact and partly derived:
//
// EXACT keys (KeyOrigin::kExact):
//  - sender nonce and balance (read + written: nonce + 1, value and fee debited);
//  - recipient: code (read: a call loads the callee), balance (read + written if value > 0);
//  - contract creation (to = null): the created address keccak256(rlp([sender, nonce]))[12:] —
//    nonce set to 1 (EIP-161), balance credited with the value, code written;
//  - the beneficiary's balance (written: fee credit, by the VM itself);
//  - EIP-2930 access lists: each address's code key and each storage key (read);
//  - ERC-20 calls decoded from calldata — transfer(address,uint256) 0xa9059cbb,
//    transferFrom(address,address,uint256) 0x23b872dd, approve(address,uint256) 0x095ea7b3 — on
//    the token `to`: the balance slots keccak256(pad32(holder) . pad32(p)) of sender/owner and
//    recipient (read + written: -amount / +amount) and the allowance slot
//    keccak256(pad32(spender) . keccak256(pad32(owner) . pad32(q))) (Solidity mapping layout).
//    The mapping positions p, q (0..63) are not guessed: a slot is used only if it is present
//    in the token's storage in the block's pre-state (which lists every slot the block touched),
//    which confirms both the layout and the position — and only if the debited balance (its
//    pre-state value plus the decoded changes of earlier transactions of the block) covers the
//    amount, as the token requires (a shortfall means the call reverted or was funded by an
//    internal transfer that the data does not show); transferFrom decrements the allowance only
//    if it covers the amount and is not "infinite" (top bit set). Otherwise the call is not
//    decoded and the contract's slots are derived like any other call's.
//
// DERIVED keys (KeyOrigin::kDerived) — an assignment rule, not a measurement:
//  - contract storage: for each contract (pre-state account with storage, in address order), its
//    pre-state slots not claimed by an exact key are dealt round-robin, in slot order, starting
//    at an offset given by the address, over the transactions that call that contract (to ==
//    contract) in block order; if none calls it directly (reached by internal calls), over the
//    block's contract-calling transactions (non-empty calldata), else over all transactions.
//    A derived slot is read; it is also written (value unchanged: an increment by 0, so state
//    stays the recorded pre-state value but the write conflicts) for a deterministic fraction
//    `derived_write_fraction` of slots, chosen by a hash of (contract, slot);
//  - pre-state accounts without storage that no exact key explains (internal ETH transfers,
//    balance/code checks): their balance is read by a transaction chosen the same way;
//  - gas used: a transfer to an account without code (no calldata) uses exactly 21000
//    (gas_exact). Every other transaction gets gas_limit x r clamped to [intrinsic gas,
//    gas_limit] (intrinsic: 21000 + calldata bytes at 4/16 (68 before Istanbul) + 32000 for a
//    creation + EIP-2930 list costs), with one ratio r per block chosen so that the block's
//    total equals its recorded gasUsed (integer remainder spread in block order).
//
// Fees: the VM charges gas_used x gasPrice (the RPC's gasPrice = effective price for type-2
// transactions) and credits all of it to the beneficiary (no EIP-1559 burn in this VM).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "models/execution/state.hpp"
#include "models/execution/transaction.hpp"
#include "models/workload/trace_stats.hpp"

namespace pipesim::workload {

struct MainnetOptions {
  /// Fraction of derived contract slots that are also written. Default 0.4: in the 50 EIP-7928
  /// blocks of data/eth-bal, 25,303 (slot, tx) writes against 37,936 read-only slots
  /// (PROVENANCE.md table) — about 40 % of touched-slot entries are writes.
  double derived_write_fraction = 0.4;
  /// Exact traces (tools/evm-trace output, data/eth-traces/N.json.gz): a block with a trace file
  /// whose checks passed is replayed exactly (see load_eth_block). Empty: the folder
  /// "eth-traces" beside the blocks folder (dir + "/../eth-traces"). Ignored if !use_exact.
  std::string traces_dir;
  bool use_exact = true;
};

/// What was recorded about one transaction (beyond its trace).
struct MainnetTxInfo {
  Hash32 hash{};
  std::optional<Address> to;  // nullopt: contract creation
  Address created{};          // the created address (creations only)
  execution::U256 value;      // wei
  std::uint64_t gas_limit = 0;
  std::uint64_t gas_price = 0;  // effective, wei per gas
  std::uint8_t type = 0;        // 0 legacy, 1 EIP-2930, 2 EIP-1559, 3 blob
  std::uint32_t input_bytes = 0;
  std::uint32_t selector = 0;          // first 4 calldata bytes, big-endian (0 if < 4 bytes)
  bool erc20_decoded = false;          // ERC-20 call whose slots were confirmed (exact)
  std::uint32_t access_list_keys = 0;  // EIP-2930 storage keys
  // Exact blocks only (recorded by the EVM re-execution):
  std::uint8_t status = 1;  // receipt status (1 success, 0 failed; recorded pre-Byzantium too)
  std::uint32_t logs = 0;   // logs emitted
};

struct MainnetBlock {
  TracedBlock traced;                // the transactions, in block order, with access sets
  std::vector<MainnetTxInfo> info;   // parallel to traced.txs
  execution::StateMap pre_state;     // balances, nonces and storage of pre_state.json
  std::uint32_t pre_accounts = 0;    // accounts in pre_state.json
  std::uint32_t pre_contracts = 0;   // ... with a code_hash
  std::uint32_t pre_slots = 0;       // storage slots in pre_state.json
  std::uint32_t senders_absent = 0;  // senders missing from pre_state.json (nonce 0, balance 0)
  std::uint64_t base_fee = 0;        // baseFeePerGas (0 before London)
  /// true: every transaction's trace is exact (re-executed by @ethereumjs/vm, data/eth-traces),
  /// false: approximated (the rules above).
  bool exact = false;
  std::string hardfork;  // exact blocks: the fork the EVM ran (e.g. "london")
  /// Exact blocks: the recorded post-state of every key the block writes (pre-state, then the
  /// system writes, then each transaction's writes and the beneficiary's fee credits in order).
  execution::StateMap recorded_post;

  /// The pre-state as a base layer. Without `commitment` it carries none (no root). With one,
  /// the commitment covers the pre-state's keys only: a partial trie, far shallower than
  /// mainnet's (the real trie would need every account and slot of the chain).
  std::shared_ptr<const execution::StateLayer> pre_layer(
      std::optional<execution::CommitmentKind> commitment = std::nullopt) const;
};

/// Block numbers found in `dir` (subfolders named by a number holding block.json or
/// block.json.gz), ascending.
std::vector<std::uint64_t> list_eth_blocks(const std::string& dir);
/// data_dir() + "/eth-blocks".
std::string default_eth_blocks_dir();

/// Loads block `number` from `dir`. Throws std::runtime_error naming the file and the field
/// (e.g. "…/14029313/block.json: transactions[12].gas: …") on missing files, malformed JSON or
/// values, and if a recorded nonce does not follow the pre-state nonce of its sender (checked
/// for every transaction: first nonce of a sender = its pre-state nonce, then consecutive).
/// Throws std::invalid_argument if opts.derived_write_fraction is outside [0, 1].
///
/// EXACT blocks: if opts.use_exact and the traces folder holds `N.json` or `N.json.gz` whose
/// `checks.exact` is true (tools/evm-trace: gas used == header gasUsed, receipts root (from
/// Byzantium) and logs bloom equal the header's), every transaction gets that file's trace
/// instead: reads at the EVM's keys, kSet writes of the recorded values (no-op writes — same
/// value rewritten — are reads only), recorded gas, tip and opcode profile, `exact` = true; all
/// keys are KeyOrigin::kExact and gas_exact is true. EIP-4788 system writes are applied to the
/// pre-state. A trace file that does not match the block (hash, transaction count or senders)
/// throws std::runtime_error naming the file and field.
MainnetBlock load_eth_block(const std::string& dir, std::uint64_t number,
                            const MainnetOptions& opts = {});

/// A replayable stream: one genesis and the blocks to execute on it, in order.
struct ReplayStream {
  execution::StateMap genesis;  // merged pre-states (see make_replay)
  std::vector<execution::Block> blocks;
  std::uint64_t renumbered_nonces = 0;  // transactions whose nonce was rewritten (see make_replay)
  std::uint64_t txs = 0;

  std::shared_ptr<const execution::StateLayer> genesis_layer(
      std::optional<execution::CommitmentKind> commitment = std::nullopt) const;
};

/// Builds a stream from loaded blocks (in the given order).
/// - genesis: the union of the blocks' pre-states; a key present in several keeps the value of
///   the first block that lists it (later pre-states reflect history that is not replayed).
/// - nonces: the blocks are mostly not consecutive on mainnet, so each sender's nonces are
///   renumbered consecutively from its genesis nonce across the stream (a no-op within one
///   block, whose recorded nonces load_eth_block checked); `renumbered_nonces` counts changes.
/// - repack_gas_limit: nullopt keeps the recorded blocks (numbers, beneficiaries, gas limits);
///   a value re-packs the transaction stream, in order, into blocks numbered 1, 2, … with that
///   gas limit: a transaction joins the current block if gas used so far + its gas limit fits
///   (the Ethereum inclusion rule), otherwise it opens the next block; a transaction whose own
///   gas limit exceeds the limit gets a block of its own. Beneficiary: that of the source block
///   of the block's first transaction.
ReplayStream make_replay(std::span<const MainnetBlock> blocks,
                         std::optional<std::uint64_t> repack_gas_limit = std::nullopt);

/// Arrival times (seconds from 0) of `n` transactions submitted in recorded order at `rate_tps`
/// (> 0): evenly spaced (i / rate) or, with `poisson`, with exponential gaps drawn from
/// std::mt19937_64(seed) by inversion (u = top 53 bits; host-independent). Throws
/// std::invalid_argument if rate_tps <= 0.
std::vector<double> arrival_times(std::size_t n, double rate_tps, bool poisson = false,
                                  std::uint64_t seed = 1);

}  // namespace pipesim::workload
