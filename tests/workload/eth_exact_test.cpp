// Exact mainnet traces (data/eth-traces, written by tools/evm-trace with @ethereumjs/vm) replayed
// by models/workload/eth_mainnet.hpp: the shipped traces are exact (gas per block equals the
// header's gasUsed) and every executor's post-state equals the recorded post-state.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "models/common/data_dir.hpp"
#include "models/execution/executor.hpp"
#include "models/workload/eth_mainnet.hpp"

using namespace pipesim;
using namespace pipesim::workload;
using execution::StateKey;
using execution::U256;

namespace {

const std::string& exact_dir() {
  static const std::string d = default_eth_blocks_dir();
  return d;
}

std::vector<std::uint64_t> traced_blocks() {
  std::vector<std::uint64_t> out;
  for (std::uint64_t n : list_eth_blocks(exact_dir()))
    if (std::filesystem::exists(pipesim::data_dir() + "/eth-traces/" + std::to_string(n) +
                                ".json.gz"))
      out.push_back(n);
  return out;
}

}  // namespace

TEST_CASE("eth-traces: shipped traces are exact (gas per block == header gasUsed)") {
  const auto blocks = traced_blocks();
  // 53 of the 56 shipped blocks have complete bytecode (data/eth-traces/PROVENANCE.md).
  REQUIRE(blocks.size() >= 50);
  std::size_t exact = 0;
  for (std::uint64_t n : blocks) {
    const MainnetBlock b = load_eth_block(exact_dir(), n);
    CAPTURE(n);
    if (!b.exact) continue;
    ++exact;
    std::uint64_t gas = 0;
    for (const TracedTx& t : b.traced.txs) {
      CHECK(t.tx.trace->exact);
      CHECK(t.gas_exact);
      CHECK(t.tx.trace->opcodes.recorded);
      for (const TracedKey& k : t.reads) CHECK(k.origin == KeyOrigin::kExact);
      for (const TracedKey& k : t.writes) CHECK(k.origin == KeyOrigin::kExact);
      gas += t.tx.trace->gas_used;
    }
    CHECK(gas == b.traced.recorded_gas_used);
  }
  MESSAGE(exact << " of " << blocks.size() << " traced blocks replay exactly");
  CHECK(exact == blocks.size());
}

TEST_CASE("eth-traces: approximation is kept when exact traces are disabled") {
  MainnetOptions o;
  o.use_exact = false;
  const MainnetBlock b = load_eth_block(exact_dir(), 46147, o);
  CHECK_FALSE(b.exact);
  CHECK_FALSE(b.traced.txs.at(0).tx.trace->exact);
  const MainnetBlock e = load_eth_block(exact_dir(), 46147);
  CHECK(e.exact);
}

TEST_CASE("eth-traces: every executor's post-state equals the recorded post-state") {
  // A spread of forks and sizes: Frontier, Homestead, Byzantium, Istanbul, London, Cancun.
  for (std::uint64_t n :
       {46147ULL, 1796867ULL, 4370000ULL, 9069000ULL, 12047794ULL, 15537394ULL, 19934116ULL}) {
    if (!std::filesystem::exists(pipesim::data_dir() + "/eth-traces/" + std::to_string(n) +
                                 ".json.gz"))
      continue;
    const MainnetBlock b = load_eth_block(exact_dir(), n);
    CAPTURE(n);
    REQUIRE(b.exact);
    const execution::Block blk = b.traced.to_block();
    auto pre = b.pre_layer();
    for (const char* name : {"sequential", "block_stm", "batch_occ", "optimistic"}) {
      CAPTURE(name);
      execution::ExecutorConfig c;
      c.threads = 8;
      c.compute_root = false;
      const auto out = execution::make_executor(name)->execute(blk, pre, c);
      std::uint64_t gas = 0;
      for (const auto& r : out.receipts) {
        CHECK(r.status == execution::TxStatus::kSuccess);
        gas += r.gas_used;
      }
      CHECK(gas == b.traced.recorded_gas_used);
      std::size_t mismatches = 0;
      for (const auto& [k, v] : b.recorded_post.sorted()) mismatches += out.post_state->get(k) != v;
      for (const auto& [k, v] : out.post_state->writes().sorted()) {
        const U256* r = b.recorded_post.find(k);
        mismatches += (r ? *r : U256{}) != v;
      }
      CHECK(mismatches == 0);
    }
  }
}
