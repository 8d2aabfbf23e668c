// Tests for the fault injector (sim/faults.hpp) and the liveness figures (sim/liveness.hpp):
// deterministic schedules with values worked out by hand.
#include "sim/faults.hpp"
#include "sim/liveness.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

using nlohmann::json;
using pipesim::sim::CommitPoint;
using pipesim::sim::FaultInjector;
using pipesim::sim::liveness_report;
using pipesim::sim::parse_scenario;
using pipesim::sim::Scenario;

namespace {

/// 7 validators, 10 s, round timeout 1 s, the given fault events.
Scenario with_faults(const json& events, double duration_s = 10.0) {
  return parse_scenario({{"name", "t"},
                         {"seed", 7},
                         {"duration_s", duration_s},
                         {"network", {{"validators", 7}}},
                         {"consensus", {{"round_timeout_ms", 1000}}},
                         {"faults", events}});
}

}  // namespace

TEST_CASE("faults: crash and recover give down intervals, transitions in time order") {
  const Scenario s = with_faults(json::parse(R"([
    {"kind": "recover", "nodes": [2], "at_s": 5},
    {"kind": "crash", "nodes": [2, 4], "at_s": 2}])"));
  FaultInjector f(s, {});
  CHECK_FALSE(f.down(2, 1.999));
  CHECK(f.down(2, 2.0));
  CHECK(f.down(2, 4.999));
  CHECK_FALSE(f.down(2, 5.0));
  CHECK(f.down(4, 9.9));  // never recovers
  CHECK_FALSE(f.down(0, 3.0));
  const auto& t = f.transitions();
  REQUIRE(t.size() == 3);
  CHECK((t[0].time_s == 2.0 && t[0].node == 2 && t[0].crash));
  CHECK((t[1].time_s == 2.0 && t[1].node == 4 && t[1].crash));
  CHECK((t[2].time_s == 5.0 && t[2].node == 2 && !t[2].crash));
  CHECK_FALSE(f.acts_on_messages());
  const json sum = f.summary();
  CHECK(sum["max_crashed_at_once"] == 2);
  CHECK(sum["max_crashed_at_once_at_s"] == 2.0);
  CHECK(sum["fault_tolerance_f"] == 2);
  CHECK(sum["crashed_exceed_f"] == false);
}

TEST_CASE("faults: f + 1 crashed at once exceeds f") {
  const Scenario s = with_faults(json::parse(R"([
    {"kind": "crash", "nodes": [1, 3], "at_s": 1},
    {"kind": "crash", "nodes": [5], "at_s": 4}])"));
  const json sum = FaultInjector(s, {}).summary();
  CHECK(sum["max_crashed_at_once"] == 3);
  CHECK(sum["max_crashed_at_once_at_s"] == 4.0);
  CHECK(sum["crashed_exceed_f"] == true);
}

TEST_CASE("faults: a dropping partition drops across sides only, while it lasts") {
  const Scenario s = with_faults(json::parse(R"([
    {"kind": "partition", "groups": [[0, 1]], "from_s": 1, "until_s": 3}])"));
  FaultInjector f(s, {});
  CHECK(f.acts_on_messages());
  const auto across = f.message(0, 2, 2.0, 0.05);
  CHECK(across.dropped);
  CHECK(std::string(across.cause) == "partition");
  CHECK_FALSE(f.message(0, 1, 2.0, 0.05).dropped);  // same side
  CHECK_FALSE(f.message(3, 6, 2.0, 0.05).dropped);  // both in the implicit group
  CHECK_FALSE(f.message(0, 2, 0.999, 0.05).dropped);
  CHECK_FALSE(f.message(0, 2, 3.0, 0.05).dropped);  // healed
  CHECK(f.summary()["events"][0]["messages_dropped"] == 1);
}

TEST_CASE("faults: a delaying partition holds a message until the heal") {
  const Scenario s = with_faults(json::parse(R"([
    {"kind": "partition", "groups": [[0]], "mode": "delay", "from_s": 1, "until_s": 4}])"));
  FaultInjector f(s, {});
  const auto fate = f.message(0, 5, 1.5, 0.05);
  CHECK_FALSE(fate.dropped);
  CHECK(fate.hold_until_s == 4.0);
  CHECK(f.message(5, 6, 1.5, 0.05).hold_until_s == 0.0);
  CHECK(f.summary()["events"][0]["messages_held"] == 1);
}

TEST_CASE("faults: loss draws are seeded, per message, and near the probability") {
  const json events = json::parse(R"([{"kind": "loss", "probability": 0.25, "from_s": 1}])");
  FaultInjector a(with_faults(events), {}), b(with_faults(events), {});
  int dropped = 0;
  for (int k = 0; k < 20000; ++k) {
    const auto fa = a.message(k % 7, (k + 1) % 7, 2.0, 0.05);
    const auto fb = b.message(k % 7, (k + 1) % 7, 2.0, 0.05);
    CHECK(fa.dropped == fb.dropped);  // same scenario + seed: same draws
    dropped += fa.dropped ? 1 : 0;
  }
  // Binomial(20000, 0.25): mean 5000, sd 61; +- 5 sd.
  CHECK(dropped > 4690);
  CHECK(dropped < 5310);
  CHECK(a.summary()["events"][0]["messages_dropped"] == dropped);
  // Before from_s nothing is lost and no draw is consumed.
  CHECK_FALSE(a.message(0, 1, 0.5, 0.05).dropped);
  const json one = json::parse(R"([{"kind": "loss", "probability": 1, "nodes": [3]}])");
  FaultInjector c(with_faults(one), {});
  CHECK(c.message(3, 0, 0.0, 0.05).dropped);
  CHECK(c.message(0, 3, 0.0, 0.05).dropped);
  CHECK_FALSE(c.message(0, 1, 0.0, 0.05).dropped);
}

TEST_CASE("faults: delay and slow add latency, slow multiplies CPU time") {
  const Scenario s = with_faults(json::parse(R"([
    {"kind": "delay", "extra_ms": 200, "nodes": [1], "from_s": 1, "until_s": 2},
    {"kind": "delay", "extra_ms": 50, "from_s": 1, "until_s": 2},
    {"kind": "slow", "nodes": [0], "cpu_factor": 4, "link_factor": 3, "from_s": 1, "until_s": 2}])"));
  FaultInjector f(s, {});
  CHECK(f.message(1, 2, 1.5, 0.05).extra_s == doctest::Approx(0.25));  // both delays sum
  CHECK(f.message(2, 3, 1.5, 0.05).extra_s == doctest::Approx(0.05));  // the global one only
  CHECK(f.message(0, 3, 1.5, 0.05).extra_s == doctest::Approx(0.05 + 2 * 0.05));
  CHECK(f.message(0, 3, 2.5, 0.05).extra_s == 0.0);
  CHECK(f.cpu_factor(0, 1.5) == 4.0);
  CHECK(f.cpu_factor(0, 2.0) == 1.0);
  CHECK(f.cpu_factor(1, 1.5) == 1.0);
}

TEST_CASE("faults: Byzantine events act on no message and count against f with crashes") {
  Scenario s = with_faults(json::parse(R"([
    {"kind": "byzantine", "behaviour": "equivocate", "nodes": [0, 1], "from_s": 3},
    {"kind": "crash", "nodes": [4], "at_s": 5}])"));
  FaultInjector f(s, {});
  CHECK_FALSE(f.acts_on_messages());
  CHECK_FALSE(f.byzantine(0, 2.9));
  CHECK(f.byzantine(1, 3.0));
  CHECK_FALSE(f.byzantine(2, 3.0));
  const json sum = f.summary();
  CHECK(sum["max_byzantine_at_once"] == 2);
  CHECK(sum["max_faulty_at_once"] == 3);
  CHECK(sum["max_faulty_at_once_at_s"] == 5.0);
  CHECK(sum["faulty_exceed_f"] == true);
  CHECK(sum["crashed_exceed_f"] == false);
  CHECK(sum["events"][0]["behaviour"] == "equivocate");
  // The pipelines' hook.
  CHECK(pipesim::sim::byzantine_behaviour(s, 1, "equivocate", 4.0) != nullptr);
  CHECK(pipesim::sim::byzantine_behaviour(s, 1, "equivocate", 2.0) == nullptr);
  CHECK(pipesim::sim::byzantine_behaviour(s, 1, "withhold", 4.0) == nullptr);
  CHECK(pipesim::sim::byzantine_behaviour(s, 2, "equivocate", 4.0) == nullptr);
}

TEST_CASE("liveness: gaps, the stall threshold and progress_stopped") {
  const Scenario s = with_faults(json::array(), 10.0);
  // Node 0 commits heights 1..5 every 0.5 s from 1 s; node 1 the same 0.1 s later.
  std::vector<CommitPoint> c;
  for (std::uint64_t h = 1; h <= 5; ++h) {
    c.push_back({0, h, 100 + h, 0.5 + 0.5 * static_cast<double>(h)});
    c.push_back({1, h, 100 + h, 0.6 + 0.5 * static_cast<double>(h)});
  }
  const json r = liveness_report(s, c, 10.0);
  CHECK(r["commits"] == 5);
  CHECK(r["first_commit_s"] == 1.0);
  CHECK(r["last_commit_s"] == 3.0);
  CHECK(r["longest_gap_without_commits_s"] == doctest::Approx(7.0));  // 3 s to the end
  CHECK(r["longest_gap_from_s"] == 3.0);
  CHECK(r["stall_threshold_s"] == doctest::Approx(2.0));  // max(4 x 0.5, 2 x 1 s)
  CHECK(r["progress_stopped"] == true);
  // Ending 1.5 s after the last commit: not stopped.
  CHECK(liveness_report(s, c, 4.5)["progress_stopped"] == false);
  // Nothing committed: stopped, the whole run is the gap.
  const json none = liveness_report(s, {}, 10.0);
  CHECK(none["commits"] == 0);
  CHECK(none["progress_stopped"] == true);
  CHECK(none["longest_gap_without_commits_s"] == 10.0);
}

TEST_CASE("liveness: a periodic gap is not a stop; a tail longer than every gap is") {
  const Scenario s = with_faults(json::array(), 30.0);
  // Bursts of 3 commits 0.5 s apart, then a 4 s gap (a Byzantine leader's timed-out rounds).
  std::vector<CommitPoint> c;
  double t = 1.0;
  std::uint64_t h = 0;
  for (int burst = 0; burst < 4; ++burst) {
    for (int k = 0; k < 3; ++k) {
      c.push_back({0, ++h, h, t});
      t += 0.5;
    }
    t += 3.5;  // gap of 4 s after the burst's last commit
  }
  const double last = c.back().time_s;  // bursts at 1, 6, 11, 16: the last commit at 17
  CHECK(last == doctest::Approx(17.0));
  // Tail 3.5 s > threshold max(4 x 0.5, 2) = 2 s, but < the 4 s gaps seen before: running.
  CHECK(liveness_report(s, c, 20.5)["progress_stopped"] == false);
  // Tail 4.5 s: longer than every earlier gap: stopped.
  CHECK(liveness_report(s, c, 21.5)["progress_stopped"] == true);
}

TEST_CASE("liveness: recovery after a partition heals and catch-up of a recovered node") {
  const Scenario s = with_faults(json::parse(R"([
    {"kind": "partition", "groups": [[0, 1, 2]], "from_s": 2, "until_s": 4},
    {"kind": "crash", "nodes": [6], "at_s": 1},
    {"kind": "recover", "nodes": [6], "at_s": 5}])"));
  std::vector<CommitPoint> c;
  // Height 1 by everyone at 1.0 (node 6 too, before its crash); height 2 by 0..5 at 1.5.
  for (std::uint32_t v = 0; v < 7; ++v) c.push_back({v, 1, 11, 1.0});
  for (std::uint32_t v = 0; v < 6; ++v) c.push_back({v, 2, 12, 1.5});
  // After the heal at 4: height 3 by 0..5 at 4.5 + 0.1 v (the last at 5.0).
  for (std::uint32_t v = 0; v < 6; ++v) c.push_back({v, 3, 13, 4.5 + 0.1 * v});
  // Node 6 recovers at 5 and commits heights 2 and 3 by 5.8.
  c.push_back({6, 2, 12, 5.6});
  c.push_back({6, 3, 13, 5.8});
  const json r = liveness_report(s, c, 6.0);
  const json& healed = r["partitions_healed"][0];
  CHECK(healed["healed_at_s"] == 4.0);
  CHECK(healed["height_at_heal"] == 2);
  CHECK(healed["recovered"] == true);
  CHECK(healed["recovery_s"] == doctest::Approx(1.8));  // node 6 reaches height 3 at 5.8
  const json& rec = r["recoveries"][0];
  CHECK(rec["node"] == 6);
  CHECK(rec["height_to_reach"] == 3);  // highest committed anywhere at 5.0
  CHECK(rec["caught_up"] == true);
  CHECK(rec["catch_up_s"] == doctest::Approx(0.8));
  // If node 6 never reaches height 3: not caught up, and the partition never recovered.
  c.pop_back();
  const json r2 = liveness_report(s, c, 6.0);
  CHECK(r2["recoveries"][0]["caught_up"] == false);
  CHECK(r2["recoveries"][0]["catch_up_s"].is_null());
  CHECK(r2["partitions_healed"][0]["recovered"] == false);
}
