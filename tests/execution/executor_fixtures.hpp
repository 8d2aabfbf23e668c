// Fixtures shared by the executor tests (block_stm_test, executor_test, optimistic_test): one
// definition each, so the folder compiles as one unity translation unit (tests/CMakeLists.txt).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "models/execution/executor.hpp"
#include "models/workload/block_generator.hpp"

namespace pipesim::execution::fixtures {

/// Executor configuration with `threads` workers, no state root (the tests compare post-states
/// and receipts; the commitment has its own tests), fees credited lazily unless `lazy` is false.
inline ExecutorConfig config(std::uint32_t threads, bool lazy = true) {
  ExecutorConfig c;
  c.threads = threads;
  c.lazy_beneficiary = lazy;
  c.compute_root = false;
  return c;
}

/// Genesis of the block generator with `accounts` funded accounts.
inline std::shared_ptr<const StateLayer> genesis(std::uint32_t accounts) {
  workload::BlockGeneratorConfig g;
  g.accounts = accounts;
  return workload::BlockGenerator(g).genesis(std::nullopt);
}

/// `n` independent native transfers: distinct senders and recipients (accounts 0 .. 2n-1).
inline Block independent_block(std::uint32_t n) {
  using workload::BlockGenerator;
  Block b;
  b.number = 1;
  b.beneficiary = BlockGenerator::beneficiary();
  for (std::uint32_t i = 0; i < n; ++i)
    b.txs.push_back(Transaction::native_transfer(BlockGenerator::account(2 * i),
                                                 BlockGenerator::account(2 * i + 1), U256{1}, 0));
  return b;
}

/// `n` transfers from one sender (account 0, nonces 0 .. n-1) to accounts 1..5: a fully
/// dependent nonce chain.
inline Block same_sender_block(std::uint32_t n) {
  using workload::BlockGenerator;
  Block b;
  b.number = 1;
  b.beneficiary = BlockGenerator::beneficiary();
  for (std::uint32_t i = 0; i < n; ++i)
    b.txs.push_back(Transaction::native_transfer(BlockGenerator::account(0),
                                                 BlockGenerator::account(1 + i % 5), U256{1}, i));
  return b;
}

}  // namespace pipesim::execution::fixtures
