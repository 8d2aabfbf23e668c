// Unit tests of the chained-HotStuff core: one event at a time, exact effects asserted.
// n = 4 (f = 1, quorum 3), default HotStuffConfig: block_time 1 s, timeout 4 s, verify 50 us,
// sign 20 us, QC/TC verify 1 ms.
#include <doctest/doctest.h>

#include <stdexcept>
#include <variant>
#include <vector>

#include "models/consensus/hotstuff.hpp"

using namespace pipesim::consensus;

namespace {

constexpr std::uint32_t kN = 4;

template <typename T>
const T& as(const Effect& e) {
  REQUIRE(std::holds_alternative<T>(e));
  return std::get<T>(e);
}

template <typename T>
const T& body(const MessagePtr& m) {
  REQUIRE(m != nullptr);
  REQUIRE(std::holds_alternative<T>(m->body));
  return std::get<T>(m->body);
}

void check_cpu(const Effect& e, double us) {
  const auto& cpu = as<Cpu>(e);
  CHECK(cpu.seconds == doctest::Approx(us * 1e-6));
  CHECK(!cpu.label.empty());
}

QuorumCert qc_for(const BlockHeader& h, std::vector<NodeId> signers = {0, 1, 2}) {
  return QuorumCert{h.id, h.round, h.height, kN, std::move(signers)};
}

BlockHeader make_block(Round round, const BlockHeader& parent, const QuorumCert& justify) {
  BlockHeader h;
  h.parent_id = parent.id;
  h.round = round;
  h.height = parent.height + 1;
  h.proposer = leader_of(round, kN);
  h.justify = justify;
  h.payload_id = 1000 + round;
  h.payload_size_bytes = 500;
  h.tx_count = 3;
  h.gas_used = 63000;
  h.id = compute_block_id(h);
  return h;
}

Message proposal(const BlockHeader& h, std::optional<TimeoutCert> tc = std::nullopt) {
  return Message{Proposal{h, std::move(tc)}};
}

std::vector<BlockId> committed_ids(const Effects& effs) {
  std::vector<BlockId> ids;
  for (const auto& e : effs)
    if (const auto* c = std::get_if<Committed>(&e))
      for (const auto& b : c->blocks) ids.push_back(b.id);
  return ids;
}

const BlockHeader& genesis() {
  return genesis_header();
}

}  // namespace

TEST_CASE("constructor validates its arguments") {
  CHECK_THROWS_AS(HotStuff(HotStuffConfig{}, 0, 0), std::invalid_argument);
  CHECK_THROWS_AS(HotStuff(HotStuffConfig{}, 4, 4), std::invalid_argument);
  HotStuffConfig bad;
  bad.round_timeout_ms = 0;
  CHECK_THROWS_AS(HotStuff(bad, 0, 4), std::invalid_argument);
  bad = HotStuffConfig{};
  bad.timeout_backoff = 0.5;
  CHECK_THROWS_AS(HotStuff(bad, 0, 4), std::invalid_argument);
  CHECK(quorum_size(4) == 3);
  CHECK(quorum_size(100) == 67);
  CHECK(max_faulty(100) == 33);
  CHECK(leader_of(5, 4) == 1);
}

TEST_CASE("start: every node enters round 1; only its leader requests a payload") {
  HotStuff leader(HotStuffConfig{}, 1, kN);
  CHECK(leader.on_timer(0.0, make_timer_id(TimerKind::kRoundTimeout, 1)).empty());  // not started
  auto effs = leader.start(0.5);
  REQUIRE(effs.size() == 3);
  CHECK(as<RoundEntered>(effs[0]).round == 1);
  CHECK(as<RoundEntered>(effs[0]).reason == RoundReason::kQc);
  CHECK(as<SetTimer>(effs[1]).id == make_timer_id(TimerKind::kRoundTimeout, 1));
  CHECK(as<SetTimer>(effs[1]).at_s == doctest::Approx(4.5));
  CHECK(as<RequestPayload>(effs[2]).round == 1);
  CHECK(as<RequestPayload>(effs[2]).parent == genesis());
  CHECK(as<RequestPayload>(effs[2]).not_before_s == 0.5);  // round 1: no pacing wait
  CHECK(leader.start(0.6).empty());                        // idempotent

  HotStuff other(HotStuffConfig{}, 0, kN);
  effs = other.start(0.0);
  REQUIRE(effs.size() == 2);
  CHECK(as<RoundEntered>(effs[0]).round == 1);
  CHECK(as<SetTimer>(effs[1]).at_s == doctest::Approx(4.0));
  CHECK(other.current_round() == 1);
  CHECK(other.high_qc() == genesis_qc(kN));
}

TEST_CASE("on_payload_ready: the leader proposes, broadcasts, and votes to the next leader") {
  HotStuff node(HotStuffConfig{}, 1, kN);
  node.start(0.0);
  CHECK(node.on_payload_ready(0.1, 2, Payload{}).empty());  // not its round / not requested
  Payload p;
  p.payload_id = 42;
  p.size_bytes = 5000;
  p.state_root[31] = 0xab;
  p.tx_count = 7;
  p.gas_used = 147000;
  auto effs = node.on_payload_ready(0.1, 1, p);
  REQUIRE(effs.size() == 5);
  check_cpu(effs[0], 40);  // proposal + vote signatures
  const BlockHeader& h = as<Proposed>(effs[1]).header;
  CHECK(h.parent_id == genesis().id);
  CHECK(h.round == 1);
  CHECK(h.height == 1);
  CHECK(h.proposer == 1);
  CHECK(h.justify == genesis_qc(kN));
  CHECK(h.payload_id == 42);
  CHECK(h.payload_size_bytes == 5000);
  CHECK(h.state_root == p.state_root);
  CHECK(h.tx_count == 7);
  CHECK(h.gas_used == 147000);
  CHECK(h.id == compute_block_id(h));
  const auto& prop = body<Proposal>(as<Broadcast>(effs[2]).msg);
  CHECK(prop.header == h);
  CHECK(!prop.last_round_tc);
  CHECK(as<Broadcast>(effs[2]).msg->size_bytes() > 5000);
  CHECK(as<Voted>(effs[3]).block_id == h.id);
  CHECK(as<Voted>(effs[3]).round == 1);
  const auto& send = as<Send>(effs[4]);
  CHECK(send.to == 2);
  const auto& v = body<Vote>(send.msg);
  CHECK(v.block_id == h.id);
  CHECK(v.round == 1);
  CHECK(v.height == 1);
  CHECK(v.voter == 1);
  CHECK(node.highest_voted_round() == 1);
  CHECK(node.on_payload_ready(0.2, 1, p).empty());  // proposes once per round
}

TEST_CASE("on_message(proposal) requests validation; on_validated decides the vote") {
  const BlockHeader b1 = make_block(1, genesis(), genesis_qc(kN));
  SUBCASE("valid: vote goes to the next leader") {
    HotStuff node(HotStuffConfig{}, 0, kN);
    node.start(0.0);
    auto effs = node.on_message(0.1, 1, proposal(b1));
    REQUIRE(effs.size() == 2);
    check_cpu(effs[0], 50);  // proposal signature; the genesis QC needs no verification
    CHECK(as<RequestValidation>(effs[1]).header == b1);
    effs = node.on_validated(0.2, b1.id, true);
    REQUIRE(effs.size() == 3);
    check_cpu(effs[0], 20);
    CHECK(as<Voted>(effs[1]).block_id == b1.id);
    const auto& send = as<Send>(effs[2]);
    CHECK(send.to == 2);
    CHECK(body<Vote>(send.msg).voter == 0);
    CHECK(node.on_validated(0.3, b1.id, true).empty());        // answered once
    CHECK(node.on_message(0.3, 1, proposal(b1)).size() == 1);  // duplicate: only the Cpu
  }
  SUBCASE("invalid: no vote, ever") {
    HotStuff node(HotStuffConfig{}, 0, kN);
    node.start(0.0);
    node.on_message(0.1, 1, proposal(b1));
    CHECK(node.on_validated(0.2, b1.id, false).empty());
    CHECK(node.on_validated(0.3, b1.id, true).empty());
    CHECK(node.highest_voted_round() == 0);
  }
  SUBCASE("malformed proposals are ignored") {
    HotStuff node(HotStuffConfig{}, 0, kN);
    node.start(0.0);
    auto wrong_sender = node.on_message(0.1, 2, proposal(b1));
    REQUIRE(wrong_sender.size() == 1);
    as<Cpu>(wrong_sender[0]);
    BlockHeader tampered = b1;
    tampered.gas_used += 1;  // id no longer matches
    CHECK(node.on_message(0.1, 1, proposal(tampered)).size() == 1);
    CHECK(node.on_validated(0.2, tampered.id, true).empty());
  }
  SUBCASE("unknown block and messages from self are ignored") {
    HotStuff node(HotStuffConfig{}, 0, kN);
    node.start(0.0);
    CHECK(node.on_validated(0.1, 12345, true).empty());
    CHECK(node.on_message(0.1, 0, proposal(b1)).empty());
  }
}

TEST_CASE("votes: the next leader forms a QC from a quorum and paces its proposal") {
  HotStuff node(HotStuffConfig{}, 2, kN);  // leader of round 2
  node.start(0.0);
  const BlockHeader b1 = make_block(1, genesis(), genesis_qc(kN));
  node.on_message(0.1, 1, proposal(b1));
  auto effs = node.on_validated(0.1, b1.id, true);
  REQUIRE(effs.size() == 2);  // self-vote is counted locally: no Send
  check_cpu(effs[0], 20);
  CHECK(as<Voted>(effs[1]).block_id == b1.id);

  effs = node.on_message(0.15, 0, Message{Vote{b1.id, 1, 1, 0}});
  REQUIRE(effs.size() == 1);
  check_cpu(effs[0], 50);
  effs = node.on_message(0.16, 0, Message{Vote{b1.id, 1, 1, 0}});  // duplicate
  REQUIRE(effs.size() == 1);
  effs = node.on_message(0.17, 3, Message{Vote{b1.id, 1, 1, 1}});  // voter != sender
  CHECK(effs.empty());

  effs = node.on_message(0.2, 1, Message{Vote{b1.id, 1, 1, 1}});
  REQUIRE(effs.size() == 5);
  check_cpu(effs[0], 50);
  const QuorumCert expected{b1.id, 1, 1, kN, {0, 1, 2}};
  CHECK(as<QcFormed>(effs[1]).qc == expected);
  CHECK(as<RoundEntered>(effs[2]).round == 2);
  CHECK(as<RoundEntered>(effs[2]).reason == RoundReason::kQc);
  CHECK(as<SetTimer>(effs[3]).id == make_timer_id(TimerKind::kRoundTimeout, 2));
  CHECK(as<SetTimer>(effs[3]).at_s == doctest::Approx(4.2));
  // The payload is requested at once; pacing: round 1 was first seen at 0.0 (start), so the
  // proposal of round 2 may not leave before 1.0.
  CHECK(as<RequestPayload>(effs[4]).round == 2);
  CHECK(as<RequestPayload>(effs[4]).parent == b1);
  CHECK(as<RequestPayload>(effs[4]).not_before_s == doctest::Approx(1.0));
  CHECK(node.high_qc() == expected);

  CHECK(node.on_message(0.3, 3, Message{Vote{b1.id, 1, 1, 3}}).size() == 1);  // late: no 2nd QC

  // The payload is ready before the pacing deadline: held, and a pacing timer is armed.
  effs = node.on_payload_ready(0.6, 2, Payload{});
  REQUIRE(effs.size() == 1);
  CHECK(as<SetTimer>(effs[0]).id == make_timer_id(TimerKind::kPacing, 2));
  CHECK(as<SetTimer>(effs[0]).at_s == doctest::Approx(1.0));
  CHECK(node.on_payload_ready(0.7, 2, Payload{}).empty());  // one answer per request

  effs = node.on_timer(1.0, make_timer_id(TimerKind::kPacing, 2));
  REQUIRE(effs.size() == 5);
  check_cpu(effs[0], 40);
  const BlockHeader& b2 = as<Proposed>(effs[1]).header;
  CHECK(b2.parent_id == b1.id);
  CHECK(b2.height == 2);
  CHECK(b2.justify == expected);
  CHECK(as<Send>(effs[4]).to == 3);
  CHECK(node.on_timer(1.1, make_timer_id(TimerKind::kPacing, 2)).empty());  // proposed once
}

TEST_CASE("a payload answered after the pacing deadline is proposed at once") {
  HotStuff node(HotStuffConfig{}, 2, kN);
  node.start(0.0);
  const BlockHeader b1 = make_block(1, genesis(), genesis_qc(kN));
  node.on_message(0.1, 1, proposal(b1));
  node.on_validated(0.1, b1.id, true);
  node.on_message(0.15, 0, Message{Vote{b1.id, 1, 1, 0}});
  node.on_message(0.2, 1, Message{Vote{b1.id, 1, 1, 1}});
  auto effs = node.on_payload_ready(1.7, 2, Payload{});  // a 1.5 s build: the round stretches
  REQUIRE(effs.size() == 5);
  CHECK(as<Proposed>(effs[1]).header.round == 2);
}

TEST_CASE("pacing reference is the first sighting of the previous round") {
  // Leader 2 entered round 1 at start (0.5), then forms QC(1) from votes before proposal 1
  // reaches it: the pacing clock counts from the first sighting of round 1 (0.5), and the
  // payload request waits for the certified block b1 itself.
  HotStuff node(HotStuffConfig{}, 2, kN);
  node.start(0.5);
  const BlockHeader b1 = make_block(1, genesis(), genesis_qc(kN));
  node.on_message(0.7, 0, Message{Vote{b1.id, 1, 1, 0}});
  node.on_message(0.8, 3, Message{Vote{b1.id, 1, 1, 3}});
  auto effs = node.on_message(0.9, 1, Message{Vote{b1.id, 1, 1, 1}});
  REQUIRE(effs.size() == 4);  // Cpu, QcFormed, RoundEntered, SetTimer: no RequestPayload yet
  CHECK(as<QcFormed>(effs[1]).qc.block_id == b1.id);
  effs = node.on_message(1.0, 1, proposal(b1));
  // b1 arrives (round 1 < current round 2: no validation requested); now the request.
  REQUIRE(effs.size() == 2);
  check_cpu(effs[0], 50);
  CHECK(as<RequestPayload>(effs[1]).parent == b1);
  CHECK(as<RequestPayload>(effs[1]).not_before_s == doctest::Approx(1.5));
  CHECK(node.on_timer(1.2, make_timer_id(TimerKind::kPacing, 3)).empty());  // stale round
  CHECK(node.on_timer(1.2, make_timer_id(TimerKind::kPacing, 2)).empty());  // no payload yet
}

TEST_CASE("2-chain commit: QC on a QC with consecutive rounds commits the parent") {
  HotStuff node(HotStuffConfig{}, 0, kN);
  node.start(0.0);
  const BlockHeader b1 = make_block(1, genesis(), genesis_qc(kN));
  const BlockHeader b2 = make_block(2, b1, qc_for(b1));
  const BlockHeader b3 = make_block(3, b2, qc_for(b2));
  node.on_message(0.1, 1, proposal(b1));
  auto effs = node.on_message(1.1, 2, proposal(b2));
  REQUIRE(effs.size() == 4);
  check_cpu(effs[0], 1050);  // proposal signature + new QC
  CHECK(as<RoundEntered>(effs[1]).round == 2);
  CHECK(as<SetTimer>(effs[2]).at_s == doctest::Approx(5.1));
  CHECK(as<RequestValidation>(effs[3]).header == b2);
  CHECK(node.committed_height() == 0);

  effs = node.on_message(2.1, 3, proposal(b3));
  REQUIRE(effs.size() == 5);
  check_cpu(effs[0], 1050);
  const auto& c = as<Committed>(effs[1]);
  REQUIRE(c.blocks.size() == 1);
  CHECK(c.blocks[0] == b1);
  CHECK(as<RoundEntered>(effs[2]).round == 3);
  CHECK(as<RequestValidation>(effs[4]).header == b3);
  CHECK(node.committed_height() == 1);
  CHECK(node.committed_id() == b1.id);
  // Replaying the same proposal commits nothing again.
  CHECK(committed_ids(node.on_message(2.2, 3, proposal(b3))).empty());
}

TEST_CASE("2-chain commit needs consecutive rounds; ancestors are committed implicitly") {
  HotStuff node(HotStuffConfig{}, 2, kN);
  node.start(0.0);
  const BlockHeader b1 = make_block(1, genesis(), genesis_qc(kN));
  const TimeoutCert tc2{2, kN, {0, 1, 3}, qc_for(b1)};
  const BlockHeader b3 = make_block(3, b1, qc_for(b1));  // round 2 timed out
  const BlockHeader b4 = make_block(4, b3, qc_for(b3));
  const BlockHeader b5 = make_block(5, b4, qc_for(b4));
  CHECK(committed_ids(node.on_message(0.1, 1, proposal(b1))).empty());
  auto effs = node.on_message(5.0, 3, proposal(b3, tc2));
  check_cpu(effs[0], 2050);  // proposal + QC(b1) + TC(2)
  CHECK(committed_ids(effs).empty());
  CHECK(node.current_round() == 3);
  CHECK(node.highest_tc() == tc2);
  // QC(b3) certifies b3 whose justify is round 1 != 3 - 1: b1 is NOT committed.
  CHECK(committed_ids(node.on_message(6.0, 0, proposal(b4))).empty());
  // QC(b4): b4.justify.round == 3 == 4 - 1, so b3 commits, and b1 with it, in height order.
  effs = node.on_message(7.0, 1, proposal(b5));
  CHECK(committed_ids(effs) == std::vector<BlockId>{b1.id, b3.id});
  CHECK(node.committed_height() == 2);
}

TEST_CASE("out-of-order delivery: a child before its parent is buffered, then attached") {
  HotStuff node(HotStuffConfig{}, 0, kN);
  node.start(0.0);
  const BlockHeader b1 = make_block(1, genesis(), genesis_qc(kN));
  const BlockHeader b2 = make_block(2, b1, qc_for(b1));
  const BlockHeader b3 = make_block(3, b2, qc_for(b2));
  auto effs = node.on_message(0.1, 3, proposal(b3));  // jumps to round 3 via QC(b2)
  CHECK(node.current_round() == 3);
  CHECK(node.orphan_count() == 1);
  CHECK(committed_ids(effs).empty());
  effs = node.on_message(0.2, 2, proposal(b2));
  CHECK(node.orphan_count() == 2);
  effs = node.on_message(0.3, 1, proposal(b1));
  // b1 attaches, then b2 (QC(b2) known with consecutive rounds: commits b1), then b3, which
  // is of the current round and gets validated.
  CHECK(node.orphan_count() == 0);
  CHECK(committed_ids(effs) == std::vector<BlockId>{b1.id});
  bool validation_b3 = false;
  for (const auto& e : effs)
    if (const auto* rv = std::get_if<RequestValidation>(&e)) validation_b3 |= rv->header == b3;
  CHECK(validation_b3);
}

TEST_CASE("on_timer: round timeout broadcasts a timeout; stale timers do nothing") {
  HotStuff node(HotStuffConfig{}, 0, kN);
  node.start(0.0);
  CHECK(node.on_timer(1.0, make_timer_id(TimerKind::kRoundTimeout, 5)).empty());
  auto effs = node.on_timer(4.0, make_timer_id(TimerKind::kRoundTimeout, 1));
  REQUIRE(effs.size() == 3);
  check_cpu(effs[0], 20);
  const auto& t = body<Timeout>(as<Broadcast>(effs[1]).msg);
  CHECK(t.round == 1);
  CHECK(t.sender == 0);
  CHECK(t.high_qc == genesis_qc(kN));
  CHECK(as<SetTimer>(effs[2]).at_s == doctest::Approx(8.0));  // re-armed: re-send if stuck
  // Still in round 1 one timeout later: the timeout is re-broadcast (lost messages).
  const auto again = node.on_timer(8.0, make_timer_id(TimerKind::kRoundTimeout, 1));
  REQUIRE(again.size() == 3);
  CHECK(body<Timeout>(as<Broadcast>(again[1]).msg).round == 1);
  CHECK(node.timeouts_sent() == 2);
  CHECK(node.highest_voted_round() == 1);

  // A late proposal of the timed-out round is not validated, hence never voted for.
  const BlockHeader b1 = make_block(1, genesis(), genesis_qc(kN));
  effs = node.on_message(4.1, 1, proposal(b1));
  REQUIRE(effs.size() == 1);
  as<Cpu>(effs[0]);

  // Timeouts from two more nodes complete a TC (own + 2 = quorum 3).
  effs = node.on_message(4.2, 1, Message{Timeout{1, 1, genesis_qc(kN), std::nullopt}});
  REQUIRE(effs.size() == 1);
  check_cpu(effs[0], 50);
  effs = node.on_message(4.3, 2, Message{Timeout{1, 2, genesis_qc(kN), std::nullopt}});
  REQUIRE(effs.size() == 4);
  check_cpu(effs[0], 50);
  const TimeoutCert expected{1, kN, {0, 1, 2}, genesis_qc(kN)};
  CHECK(as<TcFormed>(effs[1]).tc == expected);
  CHECK(as<RoundEntered>(effs[2]).round == 2);
  CHECK(as<RoundEntered>(effs[2]).reason == RoundReason::kTc);
  CHECK(as<SetTimer>(effs[3]).at_s == doctest::Approx(8.3));
  CHECK(node.on_message(4.4, 3, Message{Timeout{1, 3, genesis_qc(kN), std::nullopt}}).size() == 1);
}

TEST_CASE("timeouts: f+1 timeouts make a node time out at once; high QCs are adopted") {
  HotStuff node(HotStuffConfig{}, 3, kN);
  node.start(0.0);
  const BlockHeader b1 = make_block(1, genesis(), genesis_qc(kN));
  auto effs = node.on_message(2.0, 0, Message{Timeout{1, 0, genesis_qc(kN), std::nullopt}});
  REQUIRE(effs.size() == 1);
  effs = node.on_message(2.1, 1, Message{Timeout{1, 1, genesis_qc(kN), std::nullopt}});
  REQUIRE(effs.size() == 6);
  check_cpu(effs[0], 70);  // verify + own timeout signature
  CHECK(body<Timeout>(as<Broadcast>(effs[1]).msg).sender == 3);
  as<SetTimer>(effs[2]);  // re-send timer of round 1 (stale once round 2 is entered)
  CHECK(as<TcFormed>(effs[3]).tc.signers == std::vector<NodeId>{0, 1, 3});
  CHECK(as<RoundEntered>(effs[4]).reason == RoundReason::kTc);
  CHECK(node.current_round() == 2);

  // A timeout of round 2 carrying QC(b1): the node adopts the QC (new: verified) and moves on.
  effs = node.on_message(3.0, 2, Message{Timeout{2, 2, qc_for(b1), std::nullopt}});
  check_cpu(effs[0], 1050);
  CHECK(node.high_qc() == qc_for(b1));
  CHECK(node.current_round() == 2);  // QC(1) does not advance beyond round 2
}

TEST_CASE("a TC-justified proposal carries the TC; the voting rule checks its high QC") {
  // Leader 2 enters round 2 through TC(1) and proposes on the genesis QC with the TC attached.
  HotStuff leader(HotStuffConfig{}, 2, kN);
  leader.start(0.0);
  leader.on_message(4.0, 0, Message{Timeout{1, 0, genesis_qc(kN), std::nullopt}});
  auto effs = leader.on_message(4.0, 1, Message{Timeout{1, 1, genesis_qc(kN), std::nullopt}});
  // verify, own timeout, its re-send timer, TC, round 2, timer, payload request (pacing long
  // satisfied)
  REQUIRE(effs.size() == 7);
  CHECK(as<RequestPayload>(effs[6]).parent == genesis());
  effs = leader.on_payload_ready(4.1, 2, Payload{});
  const auto& prop = body<Proposal>(as<Broadcast>(effs[2]).msg);
  REQUIRE(prop.last_round_tc.has_value());
  CHECK(prop.last_round_tc->round == 1);
  CHECK(prop.header.justify.round == 0);
  CHECK(as<Broadcast>(effs[2]).msg->size_bytes() ==
        Message{Proposal{prop.header, std::nullopt}}.size_bytes() +
            tc_size_bytes(*prop.last_round_tc));

  // Voting rule (b): a proposal justified by TC(2) must extend a QC >= the TC's high QC.
  const BlockHeader b1 = make_block(1, genesis(), genesis_qc(kN));
  const TimeoutCert tc2{2, kN, {0, 1, 2}, qc_for(b1)};
  const BlockHeader stale = make_block(3, genesis(), genesis_qc(kN));  // ignores QC(b1)
  const BlockHeader fresh = make_block(3, b1, qc_for(b1));
  for (const auto& [h, expect_vote] : {std::pair{stale, false}, std::pair{fresh, true}}) {
    HotStuff voter(HotStuffConfig{}, 0, kN);
    voter.start(0.0);
    voter.on_message(0.1, 1, proposal(b1));
    voter.on_message(5.0, 3, proposal(h, tc2));
    CHECK(voter.current_round() == 3);
    effs = voter.on_validated(5.1, h.id, true);
    CHECK(effs.empty() != expect_vote);
    CHECK(voter.highest_voted_round() == (expect_vote ? 3u : 0u));
  }
}

TEST_CASE("exponential backoff doubles the timeout per consecutive TC round, reset by a QC") {
  HotStuffConfig cfg;
  cfg.timeout_backoff = 2.0;
  cfg.max_backoff_exponent = 2;
  HotStuff node(cfg, 0, kN);
  node.start(0.0);
  double now = 0.0;
  std::vector<double> durations;
  for (Round r = 1; r <= 4; ++r) {
    now += 1.0;
    node.on_message(now, 1, Message{Timeout{r, 1, genesis_qc(kN), std::nullopt}});
    node.on_message(now, 2, Message{Timeout{r, 2, genesis_qc(kN), std::nullopt}});  // f+1: own + TC
    Effects effs = node.on_message(now, 3, Message{Timeout{r, 3, genesis_qc(kN), std::nullopt}});
    (void)effs;
    REQUIRE(node.current_round() == r + 1);
  }
  // Re-derive the armed timer of round 5 by forcing one more TC and reading its SetTimer.
  node.on_message(10.0, 1, Message{Timeout{5, 1, genesis_qc(kN), std::nullopt}});
  auto effs = node.on_message(10.0, 2, Message{Timeout{5, 2, genesis_qc(kN), std::nullopt}});
  double armed = -1;
  for (const auto& e : effs)
    if (const auto* st = std::get_if<SetTimer>(&e)) armed = st->at_s - 10.0;
  CHECK(armed == doctest::Approx(16.0));  // 4 s * 2^min(5, 2)
}

// ---- Byzantine behaviours (ByzantineWindow) ----

namespace {

template <typename T>
std::vector<const T*> all_of(const Effects& effs) {
  std::vector<const T*> out;
  for (const auto& e : effs)
    if (const auto* x = std::get_if<T>(&e)) out.push_back(x);
  return out;
}

}  // namespace

TEST_CASE("byzantine: add_byzantine validates its window; byzantine() is time-bounded") {
  HotStuff node(HotStuffConfig{}, 1, kN);
  ByzantineWindow w;
  w.from_s = 2.0;
  w.until_s = 2.0;
  CHECK_THROWS_AS(node.add_byzantine(w), std::invalid_argument);
  w.until_s = 5.0;
  node.add_byzantine(w);
  CHECK(node.byzantine(ByzantineWindow::Kind::kEquivocate, 1.9) == nullptr);
  CHECK(node.byzantine(ByzantineWindow::Kind::kEquivocate, 2.0) != nullptr);
  CHECK(node.byzantine(ByzantineWindow::Kind::kEquivocate, 5.0) == nullptr);
  CHECK(node.byzantine(ByzantineWindow::Kind::kWithhold, 3.0) == nullptr);
  CHECK(node.wants_conflicting_payload(3.0));
}

TEST_CASE("byzantine equivocate: two blocks to disjoint halves, a vote for each") {
  HotStuff node(HotStuffConfig{}, 1, kN);  // leads round 1
  ByzantineWindow w;
  w.kind = ByzantineWindow::Kind::kEquivocate;
  w.until_s = 100.0;
  node.add_byzantine(w);
  node.start(0.0);
  Payload a, b;
  a.payload_id = 42;
  b.payload_id = 43;
  const auto effs = node.on_payload_ready(0.1, 1, a, b);
  const auto proposed = all_of<Proposed>(effs);
  REQUIRE(proposed.size() == 2);
  const BlockHeader& ha = proposed[0]->header;
  const BlockHeader& hb = proposed[1]->header;
  CHECK(ha.round == 1);
  CHECK(hb.round == 1);
  CHECK(ha.parent_id == hb.parent_id);
  CHECK(ha.id != hb.id);
  CHECK(all_of<Broadcast>(effs).empty());
  // Others 0, 2, 3: the first half (0, 2) gets A, 3 gets B.
  std::vector<std::pair<NodeId, BlockId>> sent;
  for (const Send* s : all_of<Send>(effs))
    if (std::holds_alternative<Proposal>(s->msg->body))
      sent.emplace_back(s->to, body<Proposal>(s->msg).header.id);
  CHECK(sent == std::vector<std::pair<NodeId, BlockId>>{{0, ha.id}, {2, ha.id}, {3, hb.id}});
  const auto voted = all_of<Voted>(effs);
  REQUIRE(voted.size() == 2);
  CHECK(voted[0]->block_id == ha.id);
  CHECK(voted[1]->block_id == hb.id);
  CHECK(node.equivocations() == 1);
  CHECK(node.double_votes() == 1);
}

TEST_CASE("byzantine: an honest node votes once per round for equivocating blocks") {
  // Validator 0 receives two proposals of round 1 from leader 1: it votes for the first only,
  // and the second is not even validated (the voting rule, not a special case).
  const BlockHeader b1 = make_block(1, genesis(), genesis_qc(kN));
  BlockHeader b1x = b1;
  b1x.payload_id += 1;
  b1x.id = compute_block_id(b1x);
  HotStuff node(HotStuffConfig{}, 0, kN);
  node.start(0.0);
  node.on_message(0.1, 1, proposal(b1));
  CHECK(all_of<Voted>(node.on_validated(0.2, b1.id, true)).size() == 1);
  const auto effs = node.on_message(0.3, 1, proposal(b1x));
  CHECK(all_of<RequestValidation>(effs).empty());
  CHECK(node.on_validated(0.4, b1x.id, true).empty());
  CHECK(node.highest_voted_round() == 1);
}

TEST_CASE("byzantine: a QC needs a quorum of distinct signers on one block") {
  // Node 2 leads round 2 and aggregates round-1 votes: 2 votes on A and 2 on B (4 validators,
  // quorum 3) form no QC; a third vote on A does.
  const BlockHeader a = make_block(1, genesis(), genesis_qc(kN));
  BlockHeader b = a;
  b.payload_id += 1;
  b.id = compute_block_id(b);
  HotStuff node(HotStuffConfig{}, 2, kN);
  node.start(0.0);
  const auto vote = [&](NodeId voter, const BlockHeader& h) {
    return node.on_message(0.2, voter, Message{Vote{h.id, 1, 1, voter}});
  };
  CHECK(all_of<QcFormed>(vote(0, a)).empty());
  CHECK(all_of<QcFormed>(vote(1, a)).empty());
  CHECK(all_of<QcFormed>(vote(1, b)).empty());  // the Byzantine double vote
  CHECK(all_of<QcFormed>(vote(3, b)).empty());
  const auto effs = vote(3, a);  // all_of points into effs: keep it alive
  const auto qcs = all_of<QcFormed>(effs);
  REQUIRE(qcs.size() == 1);
  CHECK(qcs[0]->qc.block_id == a.id);
  CHECK(qcs[0]->qc.signers == std::vector<NodeId>{0, 1, 3});
}

TEST_CASE("byzantine withhold: the proposal leaves late and skips the listed validators") {
  HotStuff node(HotStuffConfig{}, 1, kN);
  ByzantineWindow w;
  w.kind = ByzantineWindow::Kind::kWithhold;
  w.until_s = 100.0;
  w.withhold_from = {2};
  w.delay_ms = 500;
  node.add_byzantine(w);
  const auto start = node.start(0.0);
  const auto req = all_of<RequestPayload>(start);
  REQUIRE(req.size() == 1);
  CHECK(req[0]->not_before_s == doctest::Approx(0.5));  // round 1: start time + 500 ms
  Payload p;
  p.payload_id = 42;
  const auto held = node.on_payload_ready(0.1, 1, p);
  REQUIRE(all_of<SetTimer>(held).size() == 1);
  CHECK(all_of<SetTimer>(held)[0]->at_s == doctest::Approx(0.5));
  const auto effs = node.on_timer(0.5, all_of<SetTimer>(held)[0]->id);
  std::vector<NodeId> to;
  for (const Send* s : all_of<Send>(effs))
    if (std::holds_alternative<Proposal>(s->msg->body)) to.push_back(s->to);
  CHECK(to == std::vector<NodeId>{0, 3});
  CHECK(all_of<Broadcast>(effs).empty());
  CHECK(node.withheld_proposals() == 1);
}

TEST_CASE("byzantine invalid_execution_vote: votes for refused blocks, claims a wrong root") {
  const BlockHeader b1 = make_block(1, genesis(), genesis_qc(kN));
  ByzantineWindow w;
  w.kind = ByzantineWindow::Kind::kInvalidExecutionVote;
  w.until_s = 100.0;
  HotStuff voter(HotStuffConfig{}, 0, kN);
  voter.add_byzantine(w);
  voter.start(0.0);
  voter.on_message(0.1, 1, proposal(b1));
  CHECK(all_of<Voted>(voter.on_validated(0.2, b1.id, false)).size() == 1);
  CHECK(voter.invalid_votes() == 1);

  HotStuff leader(HotStuffConfig{}, 1, kN);
  leader.add_byzantine(w);
  leader.start(0.0);
  Payload p;
  p.payload_id = 42;
  p.state_root[31] = 0xab;
  const auto effs = leader.on_payload_ready(0.1, 1, p);
  const auto proposed = all_of<Proposed>(effs);
  REQUIRE(proposed.size() == 1);
  CHECK(proposed[0]->header.state_root[31] == (0xab ^ 0x5a));
  CHECK(proposed[0]->header.state_root[0] == 0x5a);
}
