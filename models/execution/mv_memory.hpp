// Multi-version memory of Block-STM (Gelashvili et al., "Block-STM: Scaling Blockchain
// Execution by Turning Ordering Curse to a Performance Blessing", PPoPP'23, section 3/4).
//
// For every key, the values written by each transaction's latest incarnation, ordered by
// transaction index; a read by transaction i sees the write of the highest index < i (or the
// pre-state). An aborted transaction's writes become ESTIMATE markers: a reader that hits one
// must wait for that transaction (dependency). Each transaction's last read set (with the
// version each read observed) is kept for validation.
//
// Two refinements that the EVM implementations of Block-STM use (pevm, "Blazingly fast parallel
// EVM", RISE Labs 2024; Aptos' write hints in the Block-STM paper, section 5):
//  - declared writes: before execution, a transaction's writes that are known from its envelope
//    (its sender's nonce; a raw transfer's recipient balance) are entered as ESTIMATE markers,
//    so a higher reader of such a key suspends until the writer has executed instead of
//    reading a stale value, failing and being re-executed;
//  - lazy (delta) writes: an entry may be an increment instead of a value (a raw transfer's
//    credit to its recipient). A read walks down from the highest lower entry, summing deltas
//    until it meets a value (or the pre-state): writers of deltas never read the key, so
//    transfers to one recipient do not conflict; only a full read of the key depends on them.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "models/execution/state.hpp"

namespace pipesim::execution {

struct Version {
  std::uint32_t tx_index = 0;
  std::uint32_t incarnation = 0;
  friend bool operator==(const Version&, const Version&) = default;
};

/// One read of a transaction: from the pre-state (kStorage) or from a lower transaction's
/// write (kMv, with the version observed).
/// `delta_sum` is the sum of the lower delta entries above the base that the read added (zero
/// for a plain read); validation compares it too (value-based for deltas).
struct ReadDescriptor {
  enum class Origin : std::uint8_t { kStorage, kMv };
  StateKey key;
  Origin origin = Origin::kStorage;
  Version version;
  U256 delta_sum;
};

/// kNotFound: no lower value entry (the reader adds `delta_sum` to the pre-state value);
/// kOk: `value` already includes `delta_sum`; kEstimate: `version.tx_index` is the blocking
/// transaction.
struct MvReadResult {
  enum class Status : std::uint8_t { kNotFound, kOk, kEstimate };
  Status status = Status::kNotFound;
  Version version;  // kOk: the version of the base value read; kEstimate: the blocking tx
  U256 value;       // kOk
  U256 delta_sum;   // deltas of lower transactions added on top of the base
};

/// One write of an incarnation: set `key` to `value`, or (delta) add `value` to it.
struct MvWrite {
  StateKey key;
  U256 value;
  bool delta = false;
};
using WriteList = std::vector<MvWrite>;

class MvMemory {
 public:
  explicit MvMemory(std::size_t n_txs);

  /// Enters ESTIMATE markers for writes of `tx` known before it executes (call before any
  /// execution; keys not written by the first incarnation are removed when it is recorded).
  void declare_writes(std::uint32_t tx, const std::vector<StateKey>& keys);
  /// What transaction `tx` reads for `key`.
  MvReadResult read(const StateKey& key, std::uint32_t tx) const;
  /// Records incarnation `v` of a transaction: its writes replace the previous incarnation's
  /// (keys no longer written are removed). Returns true if it wrote a key the previous
  /// incarnation did not (the scheduler must then revalidate higher transactions).
  bool record(Version v, std::vector<ReadDescriptor> reads, WriteList writes);
  /// Turns the transaction's last writes into ESTIMATE markers (on abort).
  void convert_writes_to_estimates(std::uint32_t tx);
  /// True if every read of the transaction's last read set would observe the same version now.
  bool validate_read_set(std::uint32_t tx) const;

  const std::vector<ReadDescriptor>& last_reads(std::uint32_t tx) const { return reads_[tx]; }
  const WriteList& last_writes(std::uint32_t tx) const { return writes_[tx]; }

 private:
  struct Entry {
    std::uint32_t tx;
    std::uint32_t incarnation;
    bool estimate;
    bool delta;
    U256 value;
  };
  std::unordered_map<StateKey, std::vector<Entry>, StateKeyHash> data_;  // sorted by tx
  std::vector<std::vector<ReadDescriptor>> reads_;
  std::vector<WriteList> writes_;
};

}  // namespace pipesim::execution
