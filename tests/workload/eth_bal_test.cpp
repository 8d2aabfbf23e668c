// EIP-7928 block access lists (models/workload/eth_bal.hpp) on the shipped data/eth-bal files.
// Expected values: the table of data/eth-bal/PROVENANCE.md (measured there with an independent,
// hand-written decoder) and its WETH / fee-recipient examples.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "models/execution/executor.hpp"
#include "models/execution/rlp.hpp"
#include "models/workload/eth_bal.hpp"
#include "models/workload/trace_stats.hpp"

using namespace pipesim;
using namespace pipesim::workload;
using execution::StateKey;
using execution::TxStatus;
using execution::U256;

namespace {

struct Row {
  std::uint64_t block;
  std::uint32_t txs, accounts, touched_only, slot_writes, multi_writer, read_only, balance, nonce,
      code;
};
// block | txs | accounts | touched-only | slot writes | slots written by >= 2 txs | read-only
// slots | balance | nonce | code changes (PROVENANCE.md; the bytes column is checked apart).
const Row kTable[] = {
    {20615532, 172, 431, 62, 474, 33, 662, 467, 172, 0},
    {20615533, 116, 243, 29, 224, 8, 291, 293, 116, 0},
    {20615534, 130, 334, 31, 621, 16, 468, 321, 192, 61},
    {20615535, 233, 632, 103, 795, 49, 1092, 583, 235, 1},
    {20615536, 116, 293, 37, 302, 7, 333, 312, 118, 1},
    {20615537, 174, 557, 84, 545, 24, 793, 483, 174, 0},
    {20615538, 143, 410, 79, 367, 25, 502, 388, 143, 0},
    {20615539, 282, 518, 56, 914, 17, 819, 655, 288, 3},
    {20615540, 146, 402, 67, 454, 26, 779, 378, 146, 0},
    {20615541, 90, 286, 51, 285, 10, 435, 245, 92, 1},
    {20615542, 132, 396, 65, 369, 13, 564, 384, 132, 0},
    {20615543, 181, 476, 79, 553, 31, 964, 486, 183, 1},
    {20615544, 180, 503, 78, 573, 20, 1036, 493, 180, 0},
    {20615545, 78, 276, 63, 282, 7, 416, 210, 79, 0},
    {20615546, 298, 576, 56, 917, 11, 874, 724, 298, 0},
    {20615547, 106, 316, 51, 406, 28, 974, 269, 110, 2},
    {20615548, 141, 425, 65, 464, 23, 651, 386, 141, 0},
    {20615549, 172, 475, 82, 638, 30, 686, 482, 173, 1},
    {20615550, 101, 310, 58, 241, 6, 856, 254, 102, 1},
    {20615551, 236, 723, 127, 989, 65, 1213, 625, 239, 2},
    {20615552, 95, 313, 41, 346, 13, 588, 251, 95, 0},
    {20615553, 186, 618, 119, 664, 42, 1108, 500, 186, 0},
    {20615554, 146, 393, 53, 502, 41, 716, 382, 146, 0},
    {20615555, 163, 471, 54, 481, 16, 781, 459, 167, 2},
    {20615556, 101, 262, 43, 244, 14, 428, 246, 101, 0},
    {20615557, 168, 395, 60, 385, 14, 607, 416, 168, 0},
    {20615558, 42, 86, 10, 79, 2, 88, 103, 42, 0},
    {20615559, 286, 788, 133, 1117, 90, 2034, 746, 286, 0},
    {20615560, 138, 386, 60, 428, 24, 1258, 382, 141, 2},
    {20615561, 46, 95, 9, 85, 5, 165, 134, 46, 0},
    {20615562, 344, 908, 157, 976, 32, 1443, 882, 350, 3},
    {20615563, 92, 242, 43, 210, 8, 304, 230, 93, 1},
    {20615564, 174, 446, 54, 468, 24, 614, 460, 177, 2},
    {20615565, 138, 424, 70, 491, 23, 772, 376, 140, 1},
    {20615566, 328, 685, 93, 998, 18, 870, 808, 328, 0},
    {20615567, 119, 300, 43, 262, 11, 593, 311, 119, 0},
    {20615568, 131, 321, 40, 352, 34, 429, 338, 131, 0},
    {20615569, 290, 563, 70, 955, 3, 459, 691, 292, 1},
    {20615570, 160, 485, 79, 690, 49, 1585, 401, 160, 0},
    {20615571, 132, 399, 56, 543, 34, 767, 345, 132, 0},
    {20615572, 141, 378, 49, 416, 30, 604, 371, 144, 2},
    {20615573, 147, 440, 76, 494, 24, 1238, 402, 150, 2},
    {20615574, 118, 323, 38, 414, 28, 474, 321, 118, 0},
    {20615575, 110, 286, 40, 332, 19, 395, 286, 110, 0},
    {20615576, 286, 713, 78, 932, 70, 2827, 773, 286, 0},
    {20615577, 106, 277, 35, 338, 12, 382, 274, 108, 1},
    {20615578, 31, 135, 27, 274, 23, 348, 80, 37, 5},
    {20615579, 149, 434, 64, 500, 32, 570, 444, 149, 0},
    {20615580, 121, 355, 62, 438, 35, 530, 335, 121, 0},
    {20615581, 118, 303, 36, 476, 87, 551, 297, 120, 1},
};

const std::string& dir() {
  static const std::string d = default_eth_bal_dir();
  return d;
}

execution::ExecutorConfig config(std::uint32_t threads) {
  execution::ExecutorConfig c;
  c.threads = threads;
  c.compute_root = false;
  return c;
}

}  // namespace

TEST_CASE("eth-bal: every block matches the PROVENANCE table") {
  const auto blocks = list_bal_blocks(dir());
  REQUIRE(blocks.size() == 50);
  CHECK(blocks.front() == 20615532);
  CHECK(blocks.back() == 20615581);
  BalCounts total;
  for (const Row& r : kTable) {
    CAPTURE(r.block);
    const BalCounts c = bal_counts(read_bal_block(dir(), r.block));
    CHECK(c.txs == r.txs);
    CHECK(c.accounts == r.accounts);
    CHECK(c.touched_only == r.touched_only);
    CHECK(c.slot_writes == r.slot_writes);
    CHECK(c.multi_writer_slots == r.multi_writer);
    CHECK(c.read_only_slots == r.read_only);
    CHECK(c.balance_changes == r.balance);
    CHECK(c.nonce_changes == r.nonce);
    CHECK(c.code_changes == r.code);
    total.txs += c.txs;
    total.slot_writes += c.slot_writes;
  }
  CHECK(total.txs == 7'833);
  CHECK(total.slot_writes == 25'303);
}

TEST_CASE("eth-bal 20615532: WETH slot written by txs 13 and 62, fee recipient, senders") {
  const BalBlock b = read_bal_block(dir(), 20615532);
  CHECK(b.accounts.front().address ==
        fixed_from_hex<20>("0x0000000000000000000000000000000000000001"));
  CHECK(b.accounts.front().touched_only());
  const Address weth = fixed_from_hex<20>("0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2");
  auto it = std::find_if(b.accounts.begin(), b.accounts.end(),
                         [&](const BalAccount& a) { return a.address == weth; });
  REQUIRE(it != b.accounts.end());
  CHECK(it->storage_writes.size() == 35);
  CHECK(it->storage_reads.size() == 14);
  bool found = false;
  for (const auto& w : it->storage_writes) {
    const std::string hex = to_hex(w.slot);
    if (hex.rfind("176d9f00", 0) == 0 && hex.substr(60) == "fdd5") {
      found = true;
      REQUIRE(w.changes.size() == 2);
      CHECK(w.changes[0].first == 13);
      CHECK(w.changes[1].first == 62);
    }
  }
  CHECK(found);

  const BalTraced t = bal_to_traced(b);
  const Address fee = fixed_from_hex<20>("0x95222290dd7278aa3ddd389cc1e1d165cc4bafe5");
  CHECK(t.traced.beneficiary == fee);
  REQUIRE(t.traced.txs.size() == 172);
  CHECK(t.traced.txs[171].tx.from == fee);  // the fee recipient sends the last transaction
  const BlockStats s = block_stats(t.traced);
  MESSAGE("20615532: independent "
          << s.independent_fraction << ", longest chain " << s.longest_chain << ", conflict rate "
          << s.conflict_rate << ", ambiguous senders " << t.ambiguous_senders
          << ", write keys exact " << s.write_keys_exact << ", read keys derived "
          << s.read_keys_derived);
  CHECK(s.write_keys_derived == 0);  // BAL write sets are exact
  CHECK(s.read_keys_derived > 0);
  CHECK(s.independent_fraction < 1.0);
}

TEST_CASE("eth-bal: 50 consecutive blocks replay; post values equal the recorded ones") {
  std::vector<BalBlock> raw;
  std::vector<BalTraced> traced;
  for (std::uint64_t n : list_bal_blocks(dir())) {
    raw.push_back(read_bal_block(dir(), n));
    traced.push_back(bal_to_traced(raw.back()));
  }
  auto state = execution::StateLayer::make_base(bal_genesis(traced), std::nullopt);
  auto seq = execution::make_executor("sequential");
  auto stm = execution::make_executor("block_stm");
  std::size_t ok = 0, total = 0, stm_equal = 0;
  for (std::size_t bi = 0; bi < traced.size(); ++bi) {
    const execution::Block blk = traced[bi].traced.to_block();
    auto out = seq->execute(blk, state, config(1));
    for (const auto& r : out.receipts) ok += r.status == TxStatus::kSuccess;
    total += out.receipts.size();
    if (bi % 10 == 0) {  // Block-STM on every tenth block (time)
      auto p = stm->execute(blk, state, config(8));
      CHECK(p.receipts == out.receipts);
      stm_equal += p.post_state->flattened_entries() == out.post_state->flattened_entries();
    }
    state = out.post_state;
    // Every recorded storage post value (last writer of the block) is in the state.
    for (const BalAccount& a : raw[bi].accounts)
      for (const auto& w : a.storage_writes)
        CHECK(state->get(StateKey::storage(a.address, w.slot)) ==
              U256::from_be(w.changes.back().second));
  }
  MESSAGE("eth-bal sequential: " << ok << "/" << total << " successful");
  CHECK(total == 7'833);
  CHECK(ok == total);
  CHECK(stm_equal == 5);
}

TEST_CASE("eth-bal: traces are deterministic") {
  const BalBlock b = read_bal_block(dir(), 20615559);
  const BalTraced x = bal_to_traced(b), y = bal_to_traced(read_bal_block(dir(), 20615559));
  REQUIRE(x.traced.txs.size() == 286);
  REQUIRE(y.traced.txs.size() == 286);
  for (std::size_t i = 0; i < 286; ++i) {
    CHECK(x.traced.txs[i].tx.from == y.traced.txs[i].tx.from);
    CHECK(x.traced.txs[i].tx.trace->reads == y.traced.txs[i].tx.trace->reads);
    CHECK(x.traced.txs[i].tx.trace->gas_used == y.traced.txs[i].tx.trace->gas_used);
  }
}

TEST_CASE("eth-bal: malformed input names the file and offset or field") {
  const Bytes good = [] {
    // [[addr(20), [], [], [], [[0, 1]], []]] : one account, one nonce change at tx 0.
    Bytes addr(20, 0x11);
    using execution::rlp::Item;
    Item acct =
        Item::list({Item::string(addr), Item::list({}), Item::list({}), Item::list({}),
                    Item::list({Item::list({Item::uint(0), Item::uint(1)})}), Item::list({})});
    return execution::rlp::encode(Item::list({acct}));
  }();
  const BalBlock b = decode_bal(good, 1, "mem");
  CHECK(b.tx_count == 1);
  CHECK(bal_to_traced(b).traced.txs.size() == 1);
  Bytes truncated(good.begin(), good.end() - 1);
  CHECK_THROWS_WITH_AS(decode_bal(truncated, 1, "mem.rlp"), doctest::Contains("mem.rlp: byte"),
                       std::runtime_error);
  // Shape error: a 3-item account.
  using execution::rlp::Item;
  Bytes bad = execution::rlp::encode(
      Item::list({Item::list({Item::string(Bytes(20, 1)), Item::list({}), Item::list({})})}));
  CHECK_THROWS_WITH_AS(decode_bal(bad, 1, "x.rlp"), doctest::Contains("account 0"),
                       std::runtime_error);
  CHECK_THROWS_WITH_AS(read_bal_block(dir(), 1), doctest::Contains("1_with_reads.rlp"),
                       std::runtime_error);
}
