// Batch optimistic concurrency control: rounds of "execute a batch on one snapshot, then
// validate and commit in block order".
//
// Each round takes the lowest uncommitted transactions (up to `occ_batch_size`, default
// `threads`), executes them in parallel on the same snapshot (pre-state + every transaction
// committed so far), then validates them in index order: a transaction whose read set
// intersects the write set of an earlier transaction committed in this round (write-after-
// read) is aborted and retried in the next round. To stay equivalent to the block order, the
// transactions after an aborted one in the same batch are aborted too (committing them first
// could reorder them before a retried lower transaction whose new access set is unknown). The
// lowest transaction of a round always commits, so the block finishes in at most n rounds.
//
// Virtual time: the batch's executions are list-scheduled on the workers (earliest-free worker
// first, ties to the lowest index); validation and commit run serially on worker 0 after the
// slowest execution (one validate span per transaction validated).
//
// Statistics: rounds; occ_rounds holds, per round, the batch size (transactions executed) and
// how many of them were aborted (summarise_occ_rounds: abort fraction per round, mean and max,
// and overall = aborts / incarnations); incarnations = transactions + aborts.
//
// Batch formation (cfg.occ_formation): kIndexWindow is the above. kDeclaredConflicts walks the
// uncommitted transactions in block order and adds one to the batch unless a key of its known
// read set is in the known write set of an uncommitted lower transaction (in the batch, waiting,
// or holding an unvalidated result); known sets start as declared_access and become the keys
// the transaction's last execution touched (detected). A result survives rounds: one executed in
// round e commits when every lower transaction has committed, if no key it read was committed in
// round e or later; otherwise it is aborted and the transaction re-executes (a stale result is
// aborted as soon as the walk sees it). Validation stops at the first transaction without a
// result or aborted. Each round commits at least one transaction. Serialisable either way: a
// result commits only if its reads are what Sequential would have read. occ_rounds[r].aborted
// counts the aborted executions run in round r.
#pragma once

#include "models/execution/executor.hpp"

namespace pipesim::execution {

/// The access sets a transaction declares before execution (its envelope and calldata, as an
/// EIP-2930 access list would): reads and writes of the sender's nonce and balance; a native
/// transfer's recipient balance; an ERC-20 call's balance and allowance slots of the parties it
/// names; a swap's pair slots (token addresses read, reserves updated; the token balances it moves
/// are not declared, since the tokens are in the pair's storage); an NFT mint's next-id and
/// minter-balance slots; an access trace's recorded read keys and write keys (increment writes
/// are also reads). Slots as laid out in models/execution/vm.hpp. Replaces `reads` and `writes`.
void declared_access(const Transaction& tx, std::vector<StateKey>& reads,
                     std::vector<StateKey>& writes);

class BatchOccExecutor final : public Executor {
 public:
  std::string_view name() const override { return "batch_occ"; }
  ExecutionOutcome execute(const Block& block, std::shared_ptr<const StateLayer> pre_state,
                           const ExecutorConfig& cfg) override;

 private:
  Vm vm_;
};

}  // namespace pipesim::execution
