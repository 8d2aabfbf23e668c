// Cost model: turns the work an executor does (gas, state reads, signatures, trie nodes,
// scheduler tasks) into virtual seconds on a reference core.
//
// Field names and units match the scenario's `pipeline.cost_model` (sim/scenario.hpp,
// CostModelConfig) so the runtime copies them one to one. All terms are reference-core time:
// the runtime divides CPU terms by a node's speed factor. I/O latency (cold reads) is not CPU
// work; see `io_s` below for how it is reported separately.
//
// Default values and their sources:
//  - cpu_ns_per_gas = 10 ns/gas (100 Mgas/s on one core). Published single-core EVM execution
//    throughput of production clients from state held in memory is ~100-200 Mgas/s on mainnet
//    blocks (Paradigm, "Reth's path to 1 gigagas per second", 2024, reports historical-sync
//    execution in the 100s of Mgas/s; RISE's pevm benchmarks report sequential revm on mainnet
//    blocks at a similar order). 10 ns/gas is the conservative end.
//  - cold_read_us = 50 us: one random 4 KiB read on a datacenter NVMe SSD (~50-100 us at low
//    queue depth; e.g. Samsung PM9A3 / Intel P5510 datasheets quote ~70-90 us random-read
//    latency), the cost of the first access to a key that is not in memory (Monad's MonadDb
//    design discussion uses the same order of magnitude).
//  - warm_read_us = 0.5 us: a lookup in an in-memory state cache (hash map / page cache).
//  - async_io = false: reads block the worker. true models an async-I/O state backend (Monad's
//    MonadDb with io_uring): a task's reads are issued together, so it waits for one read
//    latency (the slowest) instead of their sum.
//  - sig_recover_us = 30 us: secp256k1 public-key recovery (ecrecover) with libsecp256k1 on a
//    modern core is ~25-50 us (go-ethereum's BenchmarkEcrecoverSignature, reth sender recovery
//    figures). State-independent: done for every transaction before execution, in parallel.
//  - trie_node_hash_us = 1.5 us: RLP-encode and Keccak-256 one trie node (~0.5 KiB branch
//    node: Keccak-256 runs at ~0.5-1 GB/s per core, so ~0.5-1 us, plus encoding).
//  - task_overhead_us = 1 us: scheduler overhead per task (fetching a task, bookkeeping of
//    multi-version memory, incarnation status); Block-STM reports task dispatch in the
//    sub-microsecond to microsecond range with atomics.
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
