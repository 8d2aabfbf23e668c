// Cost model: turns the work an executor does (gas, state reads, signatures, trie nodes,
// scheduler tasks) into virtual seconds on a reference core.
//
// Field names and units match the scenario's `pipeline.cost_model` (sim/scenario.hpp,
// CostModelConfig) so the runtime copies them one to one. All terms are reference-core time:
// the runtime divides CPU terms by a node's speed factor. I/O latency (cold reads) is not CPU
// work; see `io_s` below for how it is reported separately.
//
// Default values and their sources (orders of magnitude from public measurements; every value is
// a scenario field, so a study can substitute its own calibration):
//  - cpu_ns_per_gas = 10 ns/gas, i.e. 100 Mgas/s on one core: the low end of the ~100-200
//    Mgas/s single-core EVM execution rates that reth and geth report for mainnet blocks with
//    state in memory (Paradigm's reth performance posts, 2024; pevm's sequential baselines are
//    of the same order). Note: CPU is charged per gas, so a native transfer (21000 gas) costs
//    210 us here although a client executes one in a few us; intrinsic gas prices bandwidth
//    and signatures, not execution.
//  - cold_read_us = 50 us: one random 4 KiB read from an NVMe SSD at low queue depth (~50-100
//    us in vendor datasheets and fio measurements), paid on the first access to a key that is
//    not in memory.
//  - warm_read_us = 0.5 us: a lookup in an in-memory state cache.
//  - async_io = false: reads block the worker. true models an asynchronous state backend
//    (Monad's MonadDb with io_uring): a task issues its reads together and waits for one
//    latency (the slowest) instead of their sum.
//  - sig_recover_us = 30 us: secp256k1 public-key recovery (ecrecover) with libsecp256k1 takes
//    ~25-50 us on a current core (go-ethereum's ecrecover benchmarks). State-independent: done
//    for every transaction before execution, in parallel over the workers.
//  - trie_node_hash_us = 1.5 us: RLP-encode and Keccak-256 one trie node (a ~0.5 KiB branch
//    node; Keccak-256 runs at several hundred MB/s per core, so ~1 us plus encoding).
//  - task_overhead_us = 1 us: scheduler bookkeeping per task (fetch a task, multi-version
//    memory and status updates); Block-STM's task dispatch is a few atomic operations, well
//    under this, so this bound is conservative.
#pragma once

#include <cstdint>

namespace pipesim::execution {

struct CostModel {
  double cpu_ns_per_gas = 10.0;
  double cold_read_us = 50.0;
  double warm_read_us = 0.5;
  bool async_io = false;
  double sig_recover_us = 30.0;
  double trie_node_hash_us = 1.5;
  double task_overhead_us = 1.0;

  /// Virtual seconds of one execution task: overhead + gas x cpu + reads (cold/warm are the
  /// reads served from storage / from memory). With async_io the reads overlap: the task waits
  /// the latency of its slowest read once.
  double execute_s(std::uint64_t gas, std::uint32_t cold_reads, std::uint32_t warm_reads) const;
  /// Virtual seconds of validating a read set of `reads` keys (each a warm lookup).
  double validate_s(std::uint32_t reads) const;
  /// Virtual seconds of recovering one transaction's sender.
  double sig_recover_s() const { return sig_recover_us * 1e-6; }
  /// Virtual seconds of hashing `nodes` trie nodes (CommitStats::nodes_hashed) plus one task
  /// overhead.
  double root_s(std::uint64_t nodes) const;
  /// Read latency part of execute_s (for reporting I/O time).
  double io_s(std::uint32_t cold_reads, std::uint32_t warm_reads) const;
};

}  // namespace pipesim::execution
