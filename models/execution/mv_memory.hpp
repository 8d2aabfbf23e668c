// Multi-version memory of Block-STM (Gelashvili et al., "Block-STM: Scaling Blockchain
// Execution by Turning Ordering Curse to a Performance Blessing", PPoPP'23, section 3/4).
//
// For every key, the values written by each transaction's latest incarnation, ordered by
// transaction index; a read by transaction i sees the write of the highest index < i (or the
// pre-state). An aborted transaction's writes become ESTIMATE markers: a reader that hits one
// must wait for that transaction (dependency). Each transaction's last read set (with the
// version each read observed) is kept for validation.
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
struct ReadDescriptor {
  enum class Origin : std::uint8_t { kStorage, kMv };
  StateKey key;
  Origin origin = Origin::kStorage;
  Version version;
};

struct MvReadResult {
  enum class Status : std::uint8_t { kNotFound, kOk, kEstimate };
  Status status = Status::kNotFound;
  Version version;  // kOk: the version read; kEstimate: the blocking transaction
  U256 value;       // kOk
};

using WriteList = std::vector<std::pair<StateKey, U256>>;

class MvMemory {
 public:
  explicit MvMemory(std::size_t n_txs);

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
    U256 value;
  };
  std::unordered_map<StateKey, std::vector<Entry>, StateKeyHash> data_;  // sorted by tx
  std::vector<std::vector<ReadDescriptor>> reads_;
  std::vector<WriteList> writes_;
};

}  // namespace pipesim::execution
