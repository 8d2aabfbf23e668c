// Unit tests of the Polkadot protocol cores (models/consensus/polkadot/): one event at a time,
// exact effects asserted, in the style of hotstuff_test.cpp. Then the cores of a small network
// wired together by an in-test message loop (instant delivery, in send order).
#include <doctest/doctest.h>

#include <deque>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <variant>
#include <vector>

#include "models/consensus/polkadot/backing.hpp"
#include "models/consensus/polkadot/collator.hpp"
#include "models/consensus/polkadot/grandpa.hpp"
#include "models/consensus/polkadot/messages.hpp"
#include "models/consensus/polkadot/relay_chain.hpp"
#include "models/consensus/polkadot/relay_node.hpp"

using namespace pipesim::consensus::polkadot;
using pipesim::consensus::SetTimer;

namespace {

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

template <typename T>
std::size_t count_of(const Effects& effs) {
  std::size_t n = 0;
  for (const auto& e : effs) n += std::holds_alternative<T>(e) ? 1 : 0;
  return n;
}

/// The receivers of the Send effects, in order.
std::vector<NodeId> receivers(const Effects& effs) {
  std::vector<NodeId> to;
  for (const auto& e : effs)
    if (const auto* s = std::get_if<Send>(&e)) to.push_back(s->to);
  return to;
}

MessagePtr vote(std::uint64_t round, VoteKind kind, std::uint64_t target, NodeId voter) {
  return make_message(GrandpaVote{round, kind, target, voter});
}

}  // namespace

TEST_CASE("polkadot messages: SCALE sizes") {
  CHECK(make_message(Statement{1, 2, true})->size_bytes() == 135);
  CHECK(make_message(GrandpaVote{})->size_bytes() == 150);
  CHECK(make_message(Bitfield{}, 2)->size_bytes() == 104);
  CHECK(make_message(Bitfield{}, 9)->size_bytes() == 105);
  CHECK(make_message(Collation{1, 0, 5000, false})->size_bytes() == 5700);
  RelayBlock b;
  b.size_bytes = 1234;
  CHECK(make_message(b)->size_bytes() == 1234);
  // 3 x 10,000 / 20 = 1,500 + index 4 + ceil(log2 20) = 5 proof hashes.
  CHECK(chunk_bytes(10000, 20) == 1500 + 4 + 5 * 32);
  CHECK(chunk_bytes(0, 1) == 1 + 4);
  CHECK(pd_timer_kind(pd_timer(PdTimer::kBitfield, 7)) == PdTimer::kBitfield);
  CHECK(pd_timer_value(pd_timer(PdTimer::kVelocity, 7)) == 7);
}

TEST_CASE("GRANDPA voter: prevote, precommit at the prevote supermajority, finalize") {
  CHECK_THROWS_AS(GrandpaVoter(GrandpaConfig{0, 3.0, 2, {}}, 0), std::invalid_argument);
  CHECK_THROWS_AS(GrandpaVoter(GrandpaConfig{4, 3.0, 2, {}}, 4), std::invalid_argument);
  GrandpaVoter v(GrandpaConfig{4, 3.0, 2, {}}, 1);  // supermajority 3
  auto effs = v.start(0.0);
  REQUIRE(effs.size() == 1);
  CHECK(as<SetTimer>(effs[0]).id == pd_timer(PdTimer::kGrandpaRound, 1));
  CHECK(as<SetTimer>(effs[0]).at_s == doctest::Approx(3.0));
  v.on_block_imported(5);
  v.on_block_imported(4);  // best never goes back
  CHECK(v.best() == 5);
  effs = v.on_timer(3.0, pd_timer(PdTimer::kGrandpaRound, 1));
  REQUIRE(effs.size() == 4);
  CHECK(as<SetTimer>(effs[0]).id == pd_timer(PdTimer::kGrandpaRound, 2));
  CHECK(as<SetTimer>(effs[0]).at_s == doctest::Approx(6.0));
  CHECK(receivers(effs) == std::vector<NodeId>{0, 2, 3});
  const auto& pv = body<GrandpaVote>(as<Send>(effs[1]).msg);
  CHECK(pv.kind == VoteKind::kPrevote);
  CHECK(pv.target == 3);  // best 5 - behind 2
  CHECK(pv.round == 1);
  CHECK(pv.voter == 1);
  CHECK(v.on_timer(3.0, pd_timer(PdTimer::kGrandpaRound, 1)).empty());  // stale

  CHECK(v.on_message(3.1, body<GrandpaVote>(vote(1, VoteKind::kPrevote, 4, 0))).empty());
  CHECK(v.on_message(3.1, body<GrandpaVote>(vote(1, VoteKind::kPrevote, 9, 0))).empty());  // dup
  effs = v.on_message(3.2, body<GrandpaVote>(vote(1, VoteKind::kPrevote, 3, 2)));
  REQUIRE(effs.size() == 3);  // the precommit of the prevote-GHOST to the three others
  const auto& pc = body<GrandpaVote>(as<Send>(effs[0]).msg);
  CHECK(pc.kind == VoteKind::kPrecommit);
  CHECK(pc.target == 3);  // three prevotes for 3 or beyond
  CHECK(v.on_message(3.2, body<GrandpaVote>(vote(1, VoteKind::kPrevote, 3, 3))).empty());
  CHECK(v.on_message(3.3, body<GrandpaVote>(vote(1, VoteKind::kPrecommit, 3, 0))).empty());
  effs = v.on_message(3.4, body<GrandpaVote>(vote(1, VoteKind::kPrecommit, 4, 3)));
  REQUIRE(effs.size() == 1);
  CHECK(as<Finalized>(effs[0]).number == 3);
  CHECK(v.finalized() == 3);
  CHECK(v.on_message(3.5, body<GrandpaVote>(vote(1, VoteKind::kPrecommit, 3, 2))).empty());
}

TEST_CASE("GRANDPA voter: a round whose prevotes arrived before it started precommits at once") {
  GrandpaVoter v(GrandpaConfig{4, 3.0, 0, {}}, 3);
  v.on_block_imported(2);
  CHECK(v.on_message(5.9, body<GrandpaVote>(vote(2, VoteKind::kPrevote, 2, 0))).empty());
  CHECK(v.on_message(5.9, body<GrandpaVote>(vote(2, VoteKind::kPrevote, 2, 1))).empty());
  const auto effs = v.on_timer(6.0, pd_timer(PdTimer::kGrandpaRound, 2));
  CHECK(count_of<SetTimer>(effs) == 1);
  REQUIRE(count_of<Send>(effs) == 6);  // prevote and precommit to each of three
  CHECK(body<GrandpaVote>(as<Send>(effs[4]).msg).kind == VoteKind::kPrecommit);
  CHECK(body<GrandpaVote>(as<Send>(effs[4]).msg).target == 2);
  // After a recovery at 7.5 s the next round is 3 (at 9 s).
  CHECK(as<SetTimer>(v.start(7.5)[0]).at_s == doctest::Approx(9.0));
}

TEST_CASE("signature costs: a Cpu effect first, verify and sign per signature") {
  const SignatureCost cost{50e-6, 20e-6};
  // GRANDPA: the round timer signs the prevote; the vote completing the prevote supermajority
  // is verified and the precommit signed.
  GrandpaVoter v(GrandpaConfig{4, 3.0, 0, cost}, 0);
  auto effs = v.on_timer(3.0, pd_timer(PdTimer::kGrandpaRound, 1));
  CHECK(as<pipesim::consensus::Cpu>(effs[0]).seconds == doctest::Approx(20e-6));
  CHECK(as<pipesim::consensus::Cpu>(effs[0]).label == "grandpa.vote");
  effs = v.on_message(3.1, body<GrandpaVote>(vote(1, VoteKind::kPrevote, 0, 1)));
  REQUIRE(effs.size() == 1);
  CHECK(as<pipesim::consensus::Cpu>(effs[0]).seconds == doctest::Approx(50e-6));
  effs = v.on_message(3.1, body<GrandpaVote>(vote(1, VoteKind::kPrevote, 0, 2)));
  CHECK(as<pipesim::consensus::Cpu>(effs[0]).seconds == doctest::Approx(70e-6));
  CHECK(count_of<Send>(effs) == 3);  // the precommit
  // Backing: a received statement is verified, an issued one signed.
  auto groups = std::make_shared<const BackingGroups>(4, 4, 10);
  Backer b(groups, 4, 1, cost);
  effs = b.on_message(1.0, 0, make_message(Statement{7, 0, true}));
  CHECK(as<pipesim::consensus::Cpu>(effs[0]).seconds == doctest::Approx(50e-6));
  b.on_message(1.0, 0, make_message(Collation{7, 0, 100, true}));
  effs = b.on_validated(2.0, 7, true);
  CHECK(as<pipesim::consensus::Cpu>(effs[0]).seconds == doctest::Approx(20e-6));
  // Relay node: an imported block's signatures are verified; a bitfield is signed / verified.
  RelayNodeConfig rc;
  rc.signatures = cost;
  RelayChainNode node(rc, 1);
  RelayBlock blk;
  blk.number = 1;
  blk.signatures = 7;  // seal + 4 bitfields + 2 statements
  effs = node.on_message(6.0, 0, make_message(blk));
  CHECK(as<pipesim::consensus::Cpu>(effs[0]).seconds == doctest::Approx(7 * 50e-6));
  CHECK(as<pipesim::consensus::Cpu>(effs[0]).label == "relay.import");
  effs = node.on_timer(7.5, pd_timer(PdTimer::kBitfield, 1));
  CHECK(as<pipesim::consensus::Cpu>(effs[0]).seconds == doctest::Approx(20e-6));
  effs = node.on_message(7.6, 2, make_message(Bitfield{1, 2, {}}, 1));
  CHECK(as<pipesim::consensus::Cpu>(effs[0]).seconds == doctest::Approx(50e-6));
  auto own = std::make_shared<RelayBlock>();
  own->number = 2;
  effs = node.on_authored(12.0, own);
  CHECK(as<pipesim::consensus::Cpu>(effs[0]).seconds == doctest::Approx(20e-6));
  CHECK(std::holds_alternative<Broadcast>(effs[1]));
}

TEST_CASE("relay node: BABE author of a slot asks for a block; others only re-arm") {
  RelayNodeConfig cfg;
  cfg.nodes = 6;
  cfg.relay_validators = 4;
  cfg.cores = 2;
  cfg.seed = 11;
  const std::uint64_t slot = 5;
  const NodeId author = babe_slot_author(11, slot, 4);
  for (NodeId v = 0; v < 6; ++v) {
    RelayChainNode node(cfg, v);
    const auto effs = node.on_timer(30.0, pd_timer(PdTimer::kSlot, slot));
    REQUIRE(!effs.empty());
    CHECK(as<SetTimer>(effs[0]).id == pd_timer(PdTimer::kSlot, slot + 1));
    CHECK(as<SetTimer>(effs[0]).at_s == doctest::Approx(36.0));
    CHECK(effs.size() == (v == author ? 2u : 1u));
    if (v == author) CHECK(as<AuthorSlot>(effs[1]).slot == slot);
    CHECK(node.on_timer(30.0, pd_timer(PdTimer::kSlot, slot)).empty());  // stale
  }
  CHECK(RelayChainNode(cfg, 5).start(0.0).empty());  // a collator has no slot clock
  CHECK(as<SetTimer>(RelayChainNode(cfg, 0).start(0.0)[0]).at_s == doctest::Approx(6.0));
  CHECK_THROWS_AS(RelayChainNode(cfg, 6), std::invalid_argument);
}

TEST_CASE("relay node: import, chunk push by backers, bitfields and their count") {
  RelayNodeConfig cfg;
  cfg.nodes = 6;
  cfg.relay_validators = 4;
  cfg.cores = 2;
  RelayChainNode backer(cfg, 1), other(cfg, 2), collator(cfg, 5);
  RelayBlock b;
  b.number = 3;
  b.author = 0;
  b.backed = {BackedReceipt{42, 1000, {3, 1}}};  // validator i fetches from backer i mod 2
  b.pending = b.backed;
  b.size_bytes = 900;
  const MessagePtr msg = make_message(b);

  auto effs = backer.on_message(10.0, 0, msg);
  CHECK(as<Imported>(effs[0]).block->number == 3);
  CHECK(receivers(effs) == std::vector<NodeId>{3});  // i = 1, 3: itself and 3
  CHECK(body<Chunk>(as<Send>(effs[1]).msg).id == 42);
  CHECK(as<Send>(effs[1]).msg->size_bytes() == chunk_bytes(1000, 4));
  CHECK(as<SetTimer>(effs.back()).id == pd_timer(PdTimer::kBitfield, 3));
  CHECK(as<SetTimer>(effs.back()).at_s == doctest::Approx(11.5));
  CHECK(backer.holds_chunk(42));
  CHECK(backer.best() == 3);
  CHECK(backer.on_message(10.1, 2, msg).empty());  // already imported

  effs = collator.on_message(10.0, 0, msg);  // a full node: imports, no chunks, no bitfield
  REQUIRE(effs.size() == 1);
  CHECK(std::holds_alternative<Imported>(effs[0]));
  CHECK(collator.on_timer(11.5, pd_timer(PdTimer::kBitfield, 3)).empty());

  other.on_message(10.0, 0, msg);
  CHECK_FALSE(other.holds_chunk(42));
  effs = other.on_timer(11.5, pd_timer(PdTimer::kBitfield, 3));
  CHECK(receivers(effs) == std::vector<NodeId>{0, 1, 3});
  CHECK(body<Bitfield>(as<Send>(effs[0]).msg).available.empty());  // no chunk yet
  CHECK(as<Send>(effs[0]).msg->size_bytes() == kBitfieldBaseBytes + 1);

  // Validator 2 fetches from backer 3 (2 mod 2 = 0): its chunk arrives, then a later block.
  RelayChainNode late(cfg, 2);
  late.on_message(10.0, 0, msg);
  late.on_message(10.3, 3, make_message(Chunk{42}, 10));
  effs = late.on_timer(11.5, pd_timer(PdTimer::kBitfield, 3));
  CHECK(body<Bitfield>(as<Send>(effs[0]).msg).available == std::vector<CandidateId>{42});
  CHECK(late.available_votes(3, 42) == 1);  // its own
  late.on_message(11.6, 0, make_message(Bitfield{3, 0, {42}}, 2));
  late.on_message(11.6, 0, make_message(Bitfield{3, 0, {42}}, 2));  // repeated signer
  late.on_message(11.7, 1, make_message(Bitfield{3, 1, {}}, 2));
  CHECK(late.available_votes(3, 42) == 2);
  CHECK(late.available_votes(2, 42) == 0);
}

TEST_CASE("relay node: a missing chunk is requested from the next backer at each later block") {
  RelayNodeConfig cfg;
  cfg.nodes = 6;
  cfg.relay_validators = 4;
  RelayChainNode fetcher(cfg, 2), backer(cfg, 1);
  RelayBlock b3;
  b3.number = 3;
  b3.backed = {BackedReceipt{42, 1000, {3, 1}}};
  b3.pending = b3.backed;
  fetcher.on_message(10.0, 0, make_message(b3));  // the push from backer 3 is lost
  backer.on_message(10.0, 0, make_message(b3));
  RelayBlock b4;
  b4.number = 4;
  b4.pending = b3.backed;  // still pending availability
  auto effs = fetcher.on_message(16.0, 0, make_message(b4));
  REQUIRE(receivers(effs) == std::vector<NodeId>{1});  // retry 1: backer (2 + 1) mod 2 = 1
  const MessagePtr req = as<Send>(effs[1]).msg;
  CHECK(body<ChunkRequest>(req).id == 42);
  CHECK(req->size_bytes() == kChunkRequestBytes);
  effs = backer.on_message(16.1, 2, req);
  REQUIRE(effs.size() == 1);
  CHECK(as<Send>(effs[0]).to == 2);
  CHECK(as<Send>(effs[0]).msg->size_bytes() == chunk_bytes(1000, 4));
  CHECK(fetcher.on_message(16.1, 2, req).empty());  // not a backer: nothing to serve
  fetcher.on_message(16.2, 1, as<Send>(effs[0]).msg);
  CHECK(fetcher.holds_chunk(42));
  RelayBlock b5;
  b5.number = 5;
  b5.pending = b3.backed;
  CHECK(receivers(fetcher.on_message(22.0, 0, make_message(b5))).empty());  // has it now
  CHECK(backer.holds_chunk(42));  // a backer holds the PoV, hence every chunk
}

TEST_CASE("relay node: on_authored broadcasts first, then imports like any block") {
  RelayNodeConfig cfg;
  RelayChainNode node(cfg, 0);
  auto block = std::make_shared<RelayBlock>();
  block->number = 1;
  block->size_bytes = 400;
  const auto effs = node.on_authored(6.0, block);
  REQUIRE(effs.size() == 3);
  CHECK(as<Broadcast>(effs[0]).msg->size_bytes() == 400);
  CHECK(as<Imported>(effs[1]).block->number == 1);
  CHECK(as<SetTimer>(effs[2]).id == pd_timer(PdTimer::kBitfield, 1));
  CHECK(node.best() == 1);
}

TEST_CASE("relay node: an orphaned author's fork announce is answered with the peer's best block") {
  RelayNodeConfig cfg;
  RelayChainNode ahead(cfg, 1), behind(cfg, 2);
  RelayBlock b3;
  b3.number = 3;
  b3.size_bytes = 500;
  const MessagePtr m3 = make_message(b3);
  ahead.on_message(18.0, 0, m3);  // `behind` missed it (partition)
  auto effs = behind.on_orphaned(24.0, 3);
  REQUIRE(effs.size() == 1);
  const MessagePtr announce = as<Broadcast>(effs[0]).msg;
  CHECK(announce->size_bytes() == kRelayHeaderBytes);
  CHECK(body<ForkAnnounce>(announce).number == 3);
  CHECK(RelayChainNode(cfg, 3).on_message(24.1, 2, announce).empty());  // not ahead: no answer
  effs = ahead.on_message(24.1, 2, announce);
  REQUIRE(effs.size() == 1);
  CHECK(as<Send>(effs[0]).to == 2);
  CHECK(as<Send>(effs[0]).msg == m3);
  effs = behind.on_message(24.2, 1, m3);
  CHECK(as<Imported>(effs[0]).block->number == 3);
  CHECK(behind.best() == 3);
}

TEST_CASE("backer: the seconder validates, forwards the PoV, states to every validator") {
  auto groups = std::make_shared<const BackingGroups>(8, 4, 10);  // groups {0,2,4,6}, {1,3,5,7}
  Backer seconder(groups, 8, 2);
  const MessagePtr col = make_message(Collation{7, 0, 3000, false});
  auto effs = seconder.on_message(1.0, 9, col);
  REQUIRE(effs.size() == 1);
  CHECK(as<ValidateCandidate>(effs[0]).id == 7);
  CHECK(as<ValidateCandidate>(effs[0]).seconder);
  CHECK(seconder.on_message(1.1, 9, col).empty());  // validated once
  effs = seconder.on_validated(2.0, 7, true);
  CHECK(as<StatementIssued>(effs[0]).id == 7);
  // PoV to the group's other members first, then the statement to the 7 other validators.
  CHECK(receivers(effs) == std::vector<NodeId>{0, 4, 6, 0, 1, 3, 4, 5, 6, 7});
  const auto& fwd = body<Collation>(as<Send>(effs[1]).msg);
  CHECK(fwd.forwarded);
  CHECK(fwd.id == 7);
  const auto& st = body<Statement>(as<Send>(effs[4]).msg);
  CHECK(st.seconded);
  CHECK(st.validator == 2);
  CHECK(seconder.statements_known(7) == 1);
  CHECK(seconder.on_validated(2.1, 7, true).empty());  // answered once

  Backer member(groups, 8, 4);
  effs = member.on_message(2.1, 2, as<Send>(effs[2]).msg);  // the forwarded PoV
  CHECK_FALSE(as<ValidateCandidate>(effs[0]).seconder);
  effs = member.on_validated(3.0, 7, true);
  CHECK(count_of<Send>(effs) == 7);  // statements only
  CHECK_FALSE(body<Statement>(as<Send>(effs[1]).msg).seconded);
  member.on_message(3.0, 2, make_message(Statement{7, 2, true}));
  member.on_message(3.0, 2, make_message(Statement{7, 2, true}));  // repeat
  CHECK(member.statements_known(7) == 2);
}

TEST_CASE("backer: an invalid candidate gets no statement and is not forwarded") {
  auto groups = std::make_shared<const BackingGroups>(8, 4, 10);
  Backer b(groups, 8, 2);
  b.on_message(1.0, 9, make_message(Collation{7, 0, 3000, false}));
  CHECK(b.on_validated(2.0, 7, false).empty());
  CHECK(b.refused() == 1);
  CHECK(b.statements_known(7) == 0);
  CHECK_THROWS_AS(Backer(groups, 8, 8), std::invalid_argument);
  CHECK_THROWS_AS(Backer(nullptr, 8, 0), std::invalid_argument);
}

TEST_CASE("collator: para slots, velocity timer, collation to the seconder") {
  CollatorConfig cfg;
  cfg.collators = 2;
  cfg.index = 1;
  Collator c(cfg);
  CHECK(c.on_relay_block(0.0, 0).empty());  // slot 0 is collator 0's
  auto effs = c.on_relay_block(6.2, 1);
  REQUIRE(effs.size() == 1);
  CHECK(as<BuildCollation>(effs[0]).relay_parent == 1);
  CHECK(c.on_relay_block(12.2, 2).empty());

  cfg.relay_blocks_per_para_slot = 2;  // sync: 12 s para slots
  cfg.index = 0;
  Collator sync(cfg);
  CHECK(sync.on_relay_block(6.0, 1).size() == 1);   // para slot 0
  CHECK(sync.on_relay_block(12.0, 2).empty());      // para slot 1: the other collator
  CHECK(sync.on_relay_block(24.0, 4).size() == 1);  // para slot 2

  cfg = CollatorConfig{};
  cfg.velocity = 3;
  Collator fast(cfg);
  effs = fast.on_relay_block(6.0, 1);
  REQUIRE(effs.size() == 2);
  CHECK(as<SetTimer>(effs[1]).at_s == doctest::Approx(8.0));
  effs = fast.on_timer(8.0, as<SetTimer>(effs[1]).id);
  CHECK(as<BuildCollation>(effs[0]).relay_parent == 1);
  fast.on_relay_block(9.0, 2);
  CHECK(fast.on_timer(10.0, pd_timer(PdTimer::kVelocity, 1)).empty());  // a newer block arrived

  effs = fast.on_authored(7.0, Collation{3, 1, 2000, false}, 5);
  REQUIRE(effs.size() == 1);
  CHECK(as<Send>(effs[0]).to == 5);
  CHECK(body<Collation>(as<Send>(effs[0]).msg).id == 3);
  CHECK_THROWS_AS(Collator(CollatorConfig{0, 0, 1, 1, 6.0}), std::invalid_argument);
}

TEST_CASE("polkadot cores wired: a candidate is seconded, backed, made available, finalized") {
  // 4 relay validators (one backing group) and 1 collator (node 4); instant delivery in order.
  constexpr std::uint32_t kRelay = 4, kNodes = 5;
  auto groups = std::make_shared<const BackingGroups>(kRelay, 4, 10);
  RelayNodeConfig rc;
  rc.nodes = kNodes;
  rc.relay_validators = kRelay;
  std::vector<std::unique_ptr<RelayChainNode>> relay;
  std::vector<std::unique_ptr<Backer>> backers;
  std::vector<std::unique_ptr<GrandpaVoter>> voters;
  for (NodeId v = 0; v < kNodes; ++v) relay.push_back(std::make_unique<RelayChainNode>(rc, v));
  for (NodeId v = 0; v < kRelay; ++v) {
    backers.push_back(std::make_unique<Backer>(groups, kRelay, v));
    voters.push_back(std::make_unique<GrandpaVoter>(GrandpaConfig{kRelay, 3.0, 0, {}}, v));
  }
  std::deque<std::tuple<NodeId, NodeId, MessagePtr>> queue;  // (to, from, msg)
  std::uint64_t finalized = 0;
  std::vector<CandidateId> validated;
  auto run = [&](NodeId node, const Effects& effs) {
    for (const auto& e : effs) {
      if (const auto* s = std::get_if<Send>(&e)) queue.emplace_back(s->to, node, s->msg);
      if (const auto* b = std::get_if<Broadcast>(&e))
        for (NodeId to = 0; to < kNodes; ++to)
          if (to != node) queue.emplace_back(to, node, b->msg);
      if (const auto* v = std::get_if<ValidateCandidate>(&e)) validated.push_back(v->id);
      if (const auto* i = std::get_if<Imported>(&e); i && node < kRelay)
        voters[node]->on_block_imported(i->block->number);
      if (const auto* f = std::get_if<Finalized>(&e); f && node == 0) finalized = f->number;
    }
  };
  auto drain = [&]() {
    while (!queue.empty()) {
      auto [to, from, msg] = queue.front();
      queue.pop_front();
      if (std::holds_alternative<GrandpaVote>(msg->body)) {
        run(to, voters[to]->on_message(0.0, std::get<GrandpaVote>(msg->body)));
      } else if (std::holds_alternative<Collation>(msg->body) ||
                 std::holds_alternative<Statement>(msg->body)) {
        run(to, backers[to]->on_message(0.0, from, msg));
      } else {
        run(to, relay[to]->on_message(0.0, from, msg));
      }
    }
  };
  // The collator sends candidate 1 to validator 0; every validation is answered valid.
  run(4, Effects{Send{0, make_message(Collation{1, 0, 4000, false})}});
  for (std::size_t k = 0; k < 8; ++k) {
    drain();
    if (k < validated.size()) {
      const auto v = static_cast<NodeId>(k);  // seconder 0, then 1, 2, 3
      run(v, backers[v]->on_validated(1.0, validated[k], true));
    }
  }
  drain();
  CHECK(validated.size() == 4);
  for (NodeId v = 0; v < kRelay; ++v) CHECK(backers[v]->statements_known(1) == 4);
  // Block 1 backs it (backers 0..3: each validator holds its own chunk), bitfields follow.
  auto b1 = std::make_shared<RelayBlock>();
  b1->number = 1;
  b1->backed = {BackedReceipt{1, 4000, {0, 1, 2, 3}}};
  b1->pending = b1->backed;
  run(0, relay[0]->on_authored(6.0, b1));
  drain();
  for (NodeId v = 0; v < kNodes; ++v) CHECK(relay[v]->best() == 1);
  for (NodeId v = 0; v < kRelay; ++v)
    run(v, relay[v]->on_timer(7.5, pd_timer(PdTimer::kBitfield, 1)));
  drain();
  CHECK(relay[2]->available_votes(1, 1) == 4);  // >= supermajority(4) = 3: includable
  // A GRANDPA round finalizes block 1 at every voter.
  for (NodeId v = 0; v < kRelay; ++v)
    run(v, voters[v]->on_timer(9.0, pd_timer(PdTimer::kGrandpaRound, 3)));
  drain();
  CHECK(finalized == 1);
  for (NodeId v = 0; v < kRelay; ++v) CHECK(voters[v]->finalized() == 1);
}
