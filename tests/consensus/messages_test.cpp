#include <doctest/doctest.h>

#include "models/consensus/messages.hpp"

using namespace pipesim::consensus;

TEST_CASE("block id is a deterministic digest of every header field") {
  BlockHeader h;
  h.parent_id = 7;
  h.round = 3;
  h.height = 2;
  h.proposer = 3;
  h.justify = QuorumCert{7, 2, 1, 4, {0, 1, 2}};
  h.payload_id = 99;
  h.payload_size_bytes = 1234;
  h.tx_count = 5;
  h.gas_used = 105000;
  const BlockId id = compute_block_id(h);
  CHECK(id == compute_block_id(h));
  // Signers of the justify QC do not identify the block.
  BlockHeader same = h;
  same.justify.signers = {1, 2, 3};
  CHECK(compute_block_id(same) == id);
  // Every identifying field changes the id.
  auto differs = [&](auto mutate) {
    BlockHeader m = h;
    mutate(m);
    return compute_block_id(m) != id;
  };
  CHECK(differs([](BlockHeader& m) { m.parent_id += 1; }));
  CHECK(differs([](BlockHeader& m) { m.round += 1; }));
  CHECK(differs([](BlockHeader& m) { m.height += 1; }));
  CHECK(differs([](BlockHeader& m) { m.proposer += 1; }));
  CHECK(differs([](BlockHeader& m) { m.justify.round += 1; }));
  CHECK(differs([](BlockHeader& m) { m.payload_id += 1; }));
  CHECK(differs([](BlockHeader& m) { m.payload_size_bytes += 1; }));
  CHECK(differs([](BlockHeader& m) { m.state_root[31] ^= 1; }));
  CHECK(differs([](BlockHeader& m) { m.state_root[0] ^= 1; }));
  CHECK(differs([](BlockHeader& m) { m.tx_count += 1; }));
  CHECK(differs([](BlockHeader& m) { m.gas_used += 1; }));
  // Genesis is fixed.
  CHECK(genesis_header().id == compute_block_id(genesis_header()));
  CHECK(genesis_qc(4).block_id == genesis_header().id);
  CHECK(genesis_qc(4).round == 0);
}

TEST_CASE("wire sizes follow the documented encoding") {
  CHECK(bitmap_bytes(4) == 1);
  CHECK(bitmap_bytes(8) == 1);
  CHECK(bitmap_bytes(9) == 2);
  CHECK(bitmap_bytes(100) == 13);
  const QuorumCert qc4{1, 1, 1, 4, {0, 1, 2}};
  const QuorumCert qc100{1, 1, 1, 100, {}};
  CHECK(qc_size_bytes(qc4) == 32 + 8 + 1 + 96);
  CHECK(qc_size_bytes(qc100) == 32 + 8 + 13 + 96);

  Message vote{Vote{1, 2, 3, 4}};
  CHECK(vote.size_bytes() == 149);
  CHECK(vote.kind() == "vote");

  BlockHeader h;
  h.justify = qc4;
  h.payload_size_bytes = 1000;
  CHECK(header_size_bytes(h) == 4 * 32 + 6 * 8 + 4 + 137);
  Message p{Proposal{h, std::nullopt}};
  CHECK(p.size_bytes() == 1 + header_size_bytes(h) + 1 + 96 + 1000);
  CHECK(p.kind() == "proposal");
  const TimeoutCert tc{5, 4, {0, 1, 3}, qc4};
  CHECK(tc_size_bytes(tc) == 8 + 1 + 96 + 3 * 8 + 137);
  Message ptc{Proposal{h, tc}};
  CHECK(ptc.size_bytes() == p.size_bytes() + tc_size_bytes(tc));

  Message t{Timeout{5, 2, qc4, std::nullopt}};
  CHECK(t.size_bytes() == 1 + 8 + 4 + 137 + 96);
  CHECK(t.kind() == "timeout");

  // One shared immutable object per broadcast.
  MessagePtr m = make_message(Vote{1, 2, 3, 4});
  MessagePtr copy = m;  // NOLINT(performance-unnecessary-copy-initialization): copying is the test
  CHECK(copy.get() == m.get());
  CHECK(m->size_bytes() == 149);
}
