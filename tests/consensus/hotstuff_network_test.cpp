// Network-level tests of the chained-HotStuff core: n HotStuff instances driven by a small
// deterministic discrete-event harness (no SimGrid). Events are ordered by (time, seq); message
// latency is constant or seeded-uniform per message (so messages reorder); the pipeline's
// RequestPayload / RequestValidation are answered after a configurable delay; crashed nodes
// receive nothing and emit nothing from their crash time on.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "models/common/random.hpp"
#include "models/consensus/hotstuff.hpp"

using namespace pipesim::consensus;

namespace {

struct NetConfig {
  std::uint32_t n = 4;
  HotStuffConfig hs;
  double latency_min_s = 0.05;
  double latency_max_s = 0.05;  // per message ~ U[min, max]
  std::uint64_t seed = 1;
  std::set<NodeId> crashed;
  double crash_at_s = 0.0;
  double payload_delay_s = 0.0;
  double validation_delay_s = 0.0;
  /// Pipeline verdict of `node` on `header` (default: every block is valid).
  std::function<bool(NodeId, const BlockHeader&)> validity;
};

struct NodeLog {
  std::vector<BlockHeader> committed;
  std::vector<std::pair<double, BlockHeader>> proposed;
  std::vector<std::pair<double, RoundEntered>> rounds;
  std::vector<QuorumCert> qcs_formed;
  std::vector<TimeoutCert> tcs_formed;
  std::vector<Voted> votes;
  std::size_t validation_requests = 0;
  double cpu_s = 0.0;
  std::size_t bytes_sent = 0;
};

class Net {
 public:
  explicit Net(NetConfig cfg) : cfg_(std::move(cfg)), rng_(cfg_.seed), logs_(cfg_.n) {
    for (NodeId i = 0; i < cfg_.n; ++i) nodes_.emplace_back(cfg_.hs, i, cfg_.n);
  }

  void run_until(double end_s) {
    if (!started_) {
      started_ = true;
      for (NodeId i = 0; i < cfg_.n; ++i)
        if (alive(i, 0.0)) apply(i, 0.0, nodes_[i].start(0.0));
    }
    while (!queue_.empty() && queue_.top().t <= end_s) {
      Event e = queue_.top();
      queue_.pop();
      now_ = e.t;
      if (!alive(e.to, e.t)) continue;
      HotStuff& node = nodes_[e.to];
      switch (e.kind) {
        case Kind::kMessage:
          apply(e.to, e.t, node.on_message(e.t, e.from, *e.msg));
          break;
        case Kind::kTimer:
          apply(e.to, e.t, node.on_timer(e.t, e.timer));
          break;
        case Kind::kPayload:
          apply(e.to, e.t, node.on_payload_ready(e.t, e.round, e.payload));
          break;
        case Kind::kValidated:
          apply(e.to, e.t, node.on_validated(e.t, e.block, e.valid));
          break;
      }
    }
    now_ = end_s;
  }

  bool alive(NodeId i, double t) const { return !cfg_.crashed.contains(i) || t < cfg_.crash_at_s; }
  const NodeLog& log(NodeId i) const { return logs_[i]; }
  const HotStuff& node(NodeId i) const { return nodes_[i]; }
  std::uint32_t n() const { return cfg_.n; }
  const NetConfig& config() const { return cfg_; }
  std::size_t events_processed() const { return seq_; }

 private:
  enum class Kind { kMessage, kTimer, kPayload, kValidated };
  struct Event {
    double t = 0.0;
    std::uint64_t seq = 0;
    Kind kind = Kind::kMessage;
    NodeId to = 0;
    NodeId from = 0;
    MessagePtr msg;
    TimerId timer = 0;
    Round round = 0;
    Payload payload;
    BlockId block = 0;
    bool valid = true;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.t != b.t ? a.t > b.t : a.seq > b.seq;
    }
  };

  static Event make_event(double t, Kind kind, NodeId to) {
    Event e;
    e.t = t;
    e.kind = kind;
    e.to = to;
    return e;
  }
  void push(Event e) {
    e.seq = seq_++;
    queue_.push(std::move(e));
  }
  double latency() {
    if (cfg_.latency_max_s <= cfg_.latency_min_s) return cfg_.latency_min_s;
    return pipesim::uniform_real(rng_, cfg_.latency_min_s, cfg_.latency_max_s);
  }
  void send(NodeId from, NodeId to, const MessagePtr& msg, double now) {
    logs_[from].bytes_sent += msg->size_bytes();
    Event e = make_event(now + latency(), Kind::kMessage, to);
    e.from = from;
    e.msg = msg;
    push(std::move(e));
  }

  void apply(NodeId self, double now, const Effects& effects) {
    NodeLog& lg = logs_[self];
    for (const Effect& eff : effects) {
      std::visit(
          [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, Send>) {
              REQUIRE(x.to != self);
              send(self, x.to, x.msg, now);
            } else if constexpr (std::is_same_v<T, Broadcast>) {
              for (NodeId j = 0; j < cfg_.n; ++j)
                if (j != self) send(self, j, x.msg, now);
            } else if constexpr (std::is_same_v<T, SetTimer>) {
              REQUIRE(x.at_s >= now);
              Event e = make_event(x.at_s, Kind::kTimer, self);
              e.timer = x.id;
              push(std::move(e));
            } else if constexpr (std::is_same_v<T, RequestPayload>) {
              Event e = make_event(now + cfg_.payload_delay_s, Kind::kPayload, self);
              e.round = x.round;
              e.payload.payload_id = (x.round << 16) | self;
              e.payload.size_bytes = 1000;
              e.payload.state_root[0] = static_cast<std::uint8_t>(x.round);
              e.payload.tx_count = 10;
              e.payload.gas_used = 210000;
              push(std::move(e));
            } else if constexpr (std::is_same_v<T, RequestValidation>) {
              ++lg.validation_requests;
              Event e = make_event(now + cfg_.validation_delay_s, Kind::kValidated, self);
              e.block = x.header.id;
              e.valid = cfg_.validity ? cfg_.validity(self, x.header) : true;
              push(std::move(e));
            } else if constexpr (std::is_same_v<T, Committed>) {
              REQUIRE(!x.blocks.empty());
              for (const auto& b : x.blocks) lg.committed.push_back(b);
            } else if constexpr (std::is_same_v<T, Cpu>) {
              lg.cpu_s += x.seconds;
            } else if constexpr (std::is_same_v<T, Proposed>) {
              lg.proposed.emplace_back(now, x.header);
            } else if constexpr (std::is_same_v<T, Voted>) {
              lg.votes.push_back(x);
            } else if constexpr (std::is_same_v<T, QcFormed>) {
              lg.qcs_formed.push_back(x.qc);
            } else if constexpr (std::is_same_v<T, TcFormed>) {
              lg.tcs_formed.push_back(x.tc);
            } else if constexpr (std::is_same_v<T, RoundEntered>) {
              lg.rounds.emplace_back(now, x);
            }
          },
          eff);
    }
  }

  NetConfig cfg_;
  std::mt19937_64 rng_;
  std::vector<HotStuff> nodes_;
  std::vector<NodeLog> logs_;
  std::priority_queue<Event, std::vector<Event>, Later> queue_;
  std::uint64_t seq_ = 0;
  double now_ = 0.0;
  bool started_ = false;
};

/// Each node's committed chain is a well-formed chain from genesis, and the chains of all
/// nodes are prefixes of one another.
void check_safety(const Net& net) {
  const BlockHeader* longest = nullptr;
  NodeId longest_node = 0;
  for (NodeId i = 0; i < net.n(); ++i) {
    const auto& c = net.log(i).committed;
    BlockId parent = genesis_header().id;
    for (std::size_t k = 0; k < c.size(); ++k) {
      REQUIRE(c[k].height == k + 1);
      REQUIRE(c[k].parent_id == parent);
      REQUIRE(c[k].id == compute_block_id(c[k]));
      parent = c[k].id;
    }
    if (!c.empty() && (!longest || c.size() > net.log(longest_node).committed.size())) {
      longest = &c.back();
      longest_node = i;
    }
  }
  const auto& ref = net.log(longest_node).committed;
  for (NodeId i = 0; i < net.n(); ++i) {
    const auto& c = net.log(i).committed;
    for (std::size_t k = 0; k < c.size(); ++k) {
      INFO("node " << i << " height " << k + 1 << " vs node " << longest_node);
      REQUIRE(c[k] == ref[k]);
    }
  }
}

std::size_t min_honest_commits(const Net& net) {
  std::size_t m = SIZE_MAX;
  for (NodeId i = 0; i < net.n(); ++i)
    if (!net.config().crashed.contains(i)) m = std::min(m, net.log(i).committed.size());
  return m;
}

std::size_t tc_rounds(const Net& net, NodeId i) {
  std::size_t c = 0;
  for (const auto& [t, re] : net.log(i).rounds) c += re.reason == RoundReason::kTc;
  return c;
}

HotStuffConfig fast_config() {
  HotStuffConfig hs;
  hs.block_time_ms = 100;
  hs.round_timeout_ms = 1000;
  return hs;
}

}  // namespace

TEST_CASE("happy path: 4 honest nodes commit one block per block_time, no timeouts") {
  NetConfig cfg;
  cfg.n = 4;
  cfg.hs.block_time_ms = 1000;
  cfg.hs.round_timeout_ms = 4000;
  cfg.latency_min_s = cfg.latency_max_s = 0.05;
  Net net(cfg);
  net.run_until(20.0);
  check_safety(net);
  // Proposals are block_time + one hop (the next leader enters round r on proposal r) apart:
  // ~1.05 s, so ~19 rounds in 20 s, commits trail by two rounds.
  const auto commits = min_honest_commits(net);
  CHECK(commits >= 15);
  CHECK(commits <= 20);
  for (NodeId i = 0; i < 4; ++i) {
    CHECK(tc_rounds(net, i) == 0);
    CHECK(net.log(i).tcs_formed.empty());
    CHECK(net.log(i).validation_requests >= commits * 3 / 4);
  }
  // Every committed block came with a full payload description.
  for (const auto& b : net.log(0).committed) {
    CHECK(b.payload_size_bytes == 1000);
    CHECK(b.tx_count == 10);
    CHECK(b.payload_id == ((b.round << 16) | b.proposer));
    CHECK(b.proposer == leader_of(b.round, 4));
  }
  // Happy path: rounds == heights.
  for (const auto& b : net.log(0).committed) CHECK(b.round == b.height);
}

TEST_CASE("pacing: consecutive proposals are at least block_time apart (random latencies)") {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    NetConfig cfg;
    cfg.n = 4;
    cfg.seed = seed;
    cfg.hs.block_time_ms = 500;
    cfg.hs.round_timeout_ms = 3000;
    cfg.latency_min_s = 0.01;
    cfg.latency_max_s = 0.2;
    cfg.payload_delay_s = 0.05;
    Net net(cfg);
    net.run_until(30.0);
    check_safety(net);
    // Every proposal is at least the payload delay after its proposer entered the round.
    for (NodeId i = 0; i < 4; ++i) {
      const auto& lg = net.log(i);
      for (const auto& [t, h] : lg.proposed)
        for (const auto& [te, re] : lg.rounds)
          if (re.round == h.round) CHECK(t >= te + 0.05 - 1e-9);
      CHECK(tc_rounds(net, i) == 0);
    }
    // Happy path (no TCs with these latencies): consecutive proposals >= block_time apart.
    std::map<Round, double> proposal_time;
    for (NodeId i = 0; i < 4; ++i)
      for (const auto& [t, h] : net.log(i).proposed) proposal_time[h.round] = t;
    REQUIRE(proposal_time.size() > 20);
    for (auto it = std::next(proposal_time.begin()); it != proposal_time.end(); ++it) {
      auto prev = std::prev(it);
      // (Round 1 is special: every node enters it at start, before proposal 1 is built.)
      if (it->first == prev->first + 1 && prev->first >= 2)
        CHECK(it->second - prev->second >= 0.5 - 1e-9);
    }
  }
}

TEST_CASE("safety and liveness across seeds with random latencies (messages reorder)") {
  for (std::uint32_t n : {4u, 7u}) {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
      NetConfig cfg;
      cfg.n = n;
      cfg.seed = seed * 7919 + n;
      cfg.hs = fast_config();
      cfg.latency_min_s = 0.005;
      cfg.latency_max_s = 0.3;
      cfg.validation_delay_s = 0.01;
      Net net(cfg);
      net.run_until(20.0);
      INFO("n=" << n << " seed=" << seed);
      check_safety(net);
      CHECK(min_honest_commits(net) >= 20);
    }
  }
}

TEST_CASE("safety under delays that trigger timeouts; TCs advance rounds") {
  std::size_t total_tc_rounds = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    NetConfig cfg;
    cfg.n = 4;
    cfg.seed = seed;
    cfg.hs = fast_config();
    cfg.hs.round_timeout_ms = 300;
    cfg.latency_min_s = 0.01;
    cfg.latency_max_s = 0.6;  // often beyond the round timeout
    Net net(cfg);
    net.run_until(30.0);
    INFO("seed=" << seed);
    check_safety(net);
    for (NodeId i = 0; i < 4; ++i) total_tc_rounds += tc_rounds(net, i);
  }
  CHECK(total_tc_rounds > 0);  // the scenario really exercises timeouts
}

TEST_CASE("exponential backoff restores liveness when the timeout is too short") {
  NetConfig cfg;
  cfg.n = 4;
  cfg.seed = 3;
  cfg.hs = fast_config();
  cfg.hs.round_timeout_ms = 50;  // shorter than one hop: no QC can form without backoff
  cfg.latency_min_s = cfg.latency_max_s = 0.1;
  {
    Net net(cfg);
    net.run_until(20.0);
    check_safety(net);
    CHECK(min_honest_commits(net) == 0);
  }
  cfg.hs.timeout_backoff = 2.0;
  cfg.hs.max_backoff_exponent = 4;  // 50 ms * 16 = 800 ms
  Net net(cfg);
  net.run_until(20.0);
  check_safety(net);
  CHECK(min_honest_commits(net) >= 3);
}

TEST_CASE("liveness with f crashed validators, including leaders, from the start") {
  struct Case {
    std::uint32_t n;
    std::set<NodeId> crashed;
  };
  for (const auto& c :
       {Case{4, {1}}, Case{4, {3}}, Case{7, {2, 5}}, Case{10, {0, 4, 7}}, Case{10, {1, 2, 3}}}) {
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
      NetConfig cfg;
      cfg.n = c.n;
      cfg.seed = seed;
      cfg.hs = fast_config();
      cfg.crashed = c.crashed;
      cfg.latency_min_s = 0.01;
      cfg.latency_max_s = 0.1;
      Net net(cfg);
      net.run_until(30.0);
      INFO("n=" << c.n << " seed=" << seed);
      check_safety(net);
      // Crashed leaders' rounds cost a timeout (1 s) each; >= 10 commits in 30 s.
      CHECK(min_honest_commits(net) >= 10);
      for (NodeId i = 0; i < c.n; ++i) {
        if (c.crashed.contains(i)) {
          CHECK(net.log(i).committed.empty());
          continue;
        }
        CHECK(tc_rounds(net, i) > 0);  // crashed leaders' rounds end by TC
      }
      // No block by a crashed validator is ever committed.
      NodeId honest = 0;
      while (c.crashed.contains(honest)) ++honest;
      for (const auto& b : net.log(honest).committed) CHECK(!c.crashed.contains(b.proposer));
    }
  }
}

TEST_CASE("safety and liveness when f validators crash mid-run") {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    NetConfig cfg;
    cfg.n = 7;
    cfg.seed = seed;
    cfg.hs = fast_config();
    cfg.crashed = {static_cast<NodeId>(seed % 7), static_cast<NodeId>((seed + 3) % 7)};
    cfg.crash_at_s = 2.0 + 0.37 * static_cast<double>(seed);
    cfg.latency_min_s = 0.01;
    cfg.latency_max_s = 0.25;
    Net net(cfg);
    net.run_until(30.0);
    INFO("seed=" << seed);
    check_safety(net);
    // Each crashed leader costs two timeouts (its own round and the round before, whose votes
    // it should have aggregated): ~4 s lost per 7 rounds.
    CHECK(min_honest_commits(net) >= 15);
    // Crashed nodes committed something before crashing, and it is a prefix (check_safety).
    for (NodeId i : cfg.crashed) CHECK(!net.log(i).committed.empty());
  }
}

TEST_CASE("a block that more than f validators refuse gets no QC and is never committed") {
  const Round bad_round = 3;
  for (std::set<NodeId> refusing : {std::set<NodeId>{0, 2}, std::set<NodeId>{0, 1, 2, 3}}) {
    NetConfig cfg;
    cfg.n = 4;
    cfg.hs = fast_config();
    cfg.validity = [&](NodeId node, const BlockHeader& h) {
      return !(h.round == bad_round && refusing.contains(node));
    };
    Net net(cfg);
    net.run_until(15.0);
    check_safety(net);
    // Leader 3 proposes round 3 and votes for its own block; nodes 0 and 2 refuse: 2 < q = 3.
    BlockId bad = 0;
    for (const auto& [t, h] : net.log(leader_of(bad_round, 4)).proposed)
      if (h.round == bad_round) bad = h.id;
    REQUIRE(bad != 0);
    for (NodeId i = 0; i < 4; ++i) {
      for (const auto& qc : net.log(i).qcs_formed) CHECK(qc.block_id != bad);
      for (const auto& b : net.log(i).committed) CHECK(b.id != bad);
      if (refusing.contains(i) && i != leader_of(bad_round, 4))
        for (const auto& v : net.log(i).votes) CHECK(v.block_id != bad);
    }
    // The round ended by timeout and the chain went on.
    CHECK(tc_rounds(net, 0) >= 1);
    CHECK(min_honest_commits(net) >= 20);
  }
}

TEST_CASE("a block refused by at most f validators is still certified and committed") {
  NetConfig cfg;
  cfg.n = 4;
  cfg.hs = fast_config();
  cfg.validity = [](NodeId node, const BlockHeader& h) { return !(h.round == 3 && node == 0); };
  Net net(cfg);
  net.run_until(5.0);
  check_safety(net);
  REQUIRE(net.log(1).committed.size() >= 5);
  CHECK(net.log(1).committed[2].round == 3);
  CHECK(tc_rounds(net, 1) == 0);
}

TEST_CASE("100 validators: one round costs O(n) work per node, commits keep coming") {
  NetConfig cfg;
  cfg.n = 100;
  cfg.hs = fast_config();
  cfg.hs.block_time_ms = 200;
  cfg.latency_min_s = 0.02;
  cfg.latency_max_s = 0.08;
  // f = 33 crashed validators, as one contiguous stretch of leaders (a commit needs three
  // consecutive honest leaders, see hotstuff.hpp).
  for (NodeId i = 67; i < 100; ++i) cfg.crashed.insert(i);
  const auto t0 = std::chrono::steady_clock::now();
  Net net(cfg);
  net.run_until(60.0);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  check_safety(net);
  // Rounds 1..66 take ~0.25 s each, the 33 crashed leaders' rounds ~1 s of timeout each, then
  // the honest stretch resumes: > 100 rounds in 60 s.
  CHECK(min_honest_commits(net) >= 70);
  for (NodeId i = 0; i < 67; ++i) CHECK(tc_rounds(net, i) >= 33);
  MESSAGE("100 validators, 60 s simulated: " << net.events_processed() << " events in " << wall
                                             << " s wall");
}

TEST_CASE("determinism: the same seed gives the same run, a different seed a different one") {
  auto run = [](std::uint64_t seed) {
    NetConfig cfg;
    cfg.n = 7;
    cfg.seed = seed;
    cfg.hs = fast_config();
    cfg.hs.round_timeout_ms = 400;
    cfg.crashed = {3};
    cfg.latency_min_s = 0.01;
    cfg.latency_max_s = 0.5;
    Net net(cfg);
    net.run_until(15.0);
    std::vector<std::pair<double, BlockId>> trace;
    for (NodeId i = 0; i < 7; ++i) {
      for (const auto& [t, h] : net.log(i).proposed) trace.emplace_back(t, h.id);
      for (const auto& b : net.log(i).committed) trace.emplace_back(-1.0, b.id);
      for (const auto& [t, re] : net.log(i).rounds) trace.emplace_back(t, re.round);
    }
    return trace;
  };
  const auto a = run(11);
  CHECK(a.size() > 50);
  CHECK(a == run(11));
  CHECK(a != run(12));
}

TEST_CASE("degenerate sizes n = 1, 2, 3 (f = 0, quorum = n) commit as well") {
  for (std::uint32_t n : {1u, 2u, 3u}) {
    NetConfig cfg;
    cfg.n = n;
    cfg.hs = fast_config();
    cfg.latency_min_s = 0.01;
    cfg.latency_max_s = 0.05;
    Net net(cfg);
    net.run_until(5.0);
    INFO("n=" << n);
    check_safety(net);
    CHECK(min_honest_commits(net) >= 30);
  }
}
