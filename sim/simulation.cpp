#include "sim/simulation.hpp"

#include <xbt/log.h>
#include <simgrid/s4u.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <fstream>
#include <limits>
#include <queue>
#include <random>
#include <regex>
#include <span>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "models/common/random.hpp"
#include "models/common/splitmix64.hpp"
#include "models/network/bandwidth.hpp"
#include "models/network/gossip.hpp"
#include "models/network/latency_model.hpp"
#include "models/network/presets.hpp"
#include "models/network/topology.hpp"
#include "sim/faults.hpp"
#include "sim/latency.hpp"
#include "sim/recorder.hpp"
#include "sim/transport.hpp"

namespace sg4 = simgrid::s4u;

namespace pipesim::sim {
namespace {

/// 1 flop of a SimGrid host = 1 ns of a reference core: a host of speed factor s runs
/// s * 1e9 flop/s, so a job of d reference-core seconds is d * 1e9 flops.
constexpr double kFlopsPerReferenceSecond = 1e9;

/// Transaction gossip on the shared links (docs/network.md#transaction-gossip-on-the-links): the
/// bytes each node sends and receives by Runtime::account_broadcast_bytes are summed over windows
/// of this length and reserved on its uplink / downlink calendar once per window, at the window's
/// end. One reservation per node and window (instead of one per transaction) keeps the link
/// calendars small at thousands of tx/s: reserve() inserts into a sorted vector, and a node's
/// transactions a few ms apart would otherwise leave one short interval each. The cost is that
/// gossip occupies a link up to one window (100 ms) after its transactions were submitted. The
/// same length as the workload feed's arrival window (kArrivalWindowS in
/// models/pipelines/kernel/workload_feed.hpp), a modelling choice, not a measured figure.
constexpr double kTxGossipWindowS = 0.1;

/// Set by request_stop() (a signal handler), polled by the dispatcher once per event.
std::atomic<int> g_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

// kLaneWake: the consensus lane of `node` may be free; dispatch the oldest delivery or timer
// waiting for it (ConsensusLane::waiting).
enum class EventKind : std::uint8_t { kDeliver, kTimer, kCallback, kLaneWake };

struct Event {
  double time;
  std::uint64_t seq;
  EventKind kind;
  std::uint16_t channel;
  std::uint32_t node;
  std::uint32_t from;
  std::uint64_t arg;  // timer id, or callback slot
  std::shared_ptr<const void> payload;
};

struct Later {
  bool operator()(const Event& a, const Event& b) const {
    return a.time > b.time || (a.time == b.time && a.seq > b.seq);
  }
};

/// A node's consensus lane (one core, FIFO): deliveries and timers that arrive while it is busy
/// wait here, in arrival order, behind a single kLaneWake event in the global heap (instead of
/// being pushed back into the heap each time the lane stays busy: O(k) rather than O(k^2) heap
/// operations for k queued messages).
struct ConsensusLane {
  double free_s = 0.0;
  bool wake_pending = false;
  std::deque<Event> waiting;
};

struct ExecLane {
  bool busy = false;
  std::deque<std::pair<CpuJob, std::function<void(double)>>> queue;
};

}  // namespace

struct Simulation::Impl {
  Scenario scenario;
  std::unique_ptr<sg4::Engine> engine;
  std::vector<sg4::Host*> hosts;
  std::unique_ptr<Transport> transport;
  std::unique_ptr<Recorder> recorder;
  std::priority_queue<Event, std::vector<Event>, Later> heap;
  std::vector<std::function<void()>> callbacks;
  std::vector<std::uint64_t> free_callbacks;
  std::vector<ConsensusLane> consensus_lanes;
  std::vector<ExecLane> exec_lanes;
  std::unique_ptr<FaultInjector> faults;  // faults.crashed and faults.events (sim/faults.hpp)
  std::vector<double> speed;              // per node: speed factor (reference cores per host core)
  std::vector<double> flops_per_ref_s;    // per node: flops of one reference-core second
  // Built-in platform (no network.platform_xml): every node has its own host that runs nothing
  // but the node's execution lane, one job at a time, so a job's end time is computed directly
  // (fair_share_end_s, no SimGrid actor).
  bool analytic_exec = false;
  // Gossip dissemination (network.dissemination.mode != "direct").
  std::shared_ptr<const network::LatencyModel> latency_model;
  std::unique_ptr<network::Topology> topology;
  std::unique_ptr<network::BandwidthModel> bandwidth;
  network::GossipParams gossip;
  // Compact relay per-node settings (the spans of `gossip.compact` point here).
  std::vector<std::uint8_t> uses_compact;
  std::vector<double> node_miss_rate;
  std::vector<std::uint8_t> node_table;
  std::vector<std::vector<double>> missing_fraction_tables;
  std::uint64_t sketches = 0, reconstruction_misses = 0, gossip_bytes = 0;
  // Transaction gossip reserved on the link calendars (workload.gossip with gossip
  // dissemination, shared_links and bulk_transfer_model "fcfs"): the bytes of the window
  // tx_gossip_window (-1: none pending) per node, sent and received; see kTxGossipWindowS.
  bool tx_gossip_on_links = false;
  std::int64_t tx_gossip_window = -1;
  std::vector<std::uint64_t> tx_gossip_sent_bytes, tx_gossip_received_bytes;
  // Region of every validator (region_matrix latency without a platform), else empty.
  std::shared_ptr<const network::LatencyModel> region_model;
  std::uint64_t broadcasts = 0;
  std::vector<double> prop_t50_s, prop_t90_s, prop_t100_s;
  std::uint64_t incomplete_broadcasts = 0;
  std::vector<std::uint8_t> down;
  // network.bulk_transfer_model "flow": bulk transfers are SimGrid communications between the
  // nodes' hosts (max-min fair sharing of their links); see docs/network.md.
  struct FlowBroadcast {
    NodeId from = 0;
    std::uint16_t channel = 0;
    std::shared_ptr<const void> payload;
    double depart = 0.0;
    std::vector<std::uint8_t> down;
    std::mt19937_64 jitter_rng;
    std::unique_ptr<network::GossipRelay> relay;
    std::uint64_t in_flight = 0;
  };
  bool flow = false;
  std::uint64_t bulk_min_bytes = 0;
  std::unordered_map<std::uint64_t, double> route_latency_cache;  // platform_xml, flow
  std::vector<std::unique_ptr<FlowBroadcast>> flow_broadcasts;
  std::uint64_t flow_transfers = 0;
  Application* app = nullptr;
  sg4::MutexPtr mutex;
  sg4::ConditionVariablePtr cv;
  double now_s = 0.0;
  std::uint64_t seq = 0;
  std::uint64_t events = 0;
  int active_jobs = 0;
  /// The first exception raised in an actor (dispatcher or execution job): the run stops and
  /// Simulation::run rethrows it.
  std::exception_ptr failure;

  void push(Event e) {
    e.seq = seq++;
    heap.push(std::move(e));
  }

  std::uint64_t store_callback(std::function<void()> fn) {
    if (!free_callbacks.empty()) {
      std::uint64_t slot = free_callbacks.back();
      free_callbacks.pop_back();
      callbacks[slot] = std::move(fn);
      return slot;
    }
    callbacks.push_back(std::move(fn));
    return callbacks.size() - 1;
  }

  /// Schedules the consensus lane's next waiting event (if any) when the lane is free.
  void wake_lane(NodeId node) {
    ConsensusLane& lane = consensus_lanes[node];
    if (lane.wake_pending || lane.waiting.empty()) return;
    lane.wake_pending = true;
    push(Event{std::max(lane.free_s, now_s), 0, EventKind::kLaneWake, 0, node, node, 0, nullptr});
  }

  bool crashed(NodeId node, double t) const { return faults->down(node, t); }

  /// Wraps an execution actor's body: an exception (other than SimGrid ending the daemon actor)
  /// is kept as the run's failure, and the job no longer counts as active, so the dispatcher
  /// wakes up and stops the run (an exception escaping an actor aborts the process).
  template <class F>
  auto guard_job(F body) {
    return [this, body = std::move(body)]() mutable {
      try {
        body();
      } catch (const simgrid::ForcefulKillException&) {
        throw;
      } catch (...) {
        if (!failure) failure = std::current_exception();
        --active_jobs;
        cv->notify_all();
      }
    };
  }

  /// Time (s from start) until every worker of a job is done on `node`'s otherwise idle host:
  /// processor sharing as SimGrid's CPU model does it, every running worker at
  /// min(1, cores / running) of a core, so with threads <= cores (validated for scenarios)
  /// each worker takes busy_w / speed.
  double fair_share_end_s(const std::vector<double>& worker_busy_s, NodeId node) const {
    std::vector<double> work;  // host seconds of each worker at one full core
    work.reserve(worker_busy_s.size());
    const double host_flops_per_s = hosts[node]->get_speed();
    for (double busy : worker_busy_s) {
      if (busy > 0) work.push_back(busy * flops_per_ref_s[node] / host_flops_per_s);
    }
    std::sort(work.begin(), work.end());
    const double cores = static_cast<double>(hosts[node]->get_core_count());
    if (work.empty()) return 0.0;
    if (static_cast<double>(work.size()) <= cores) return work.back();  // a core per worker
    double t = 0.0, done = 0.0;  // elapsed time; work done by every still running worker
    for (std::size_t i = 0; i < work.size(); ++i) {
      const double running = static_cast<double>(work.size() - i);
      const double rate = std::min(1.0, cores / running);
      t += (work[i] - done) / rate;
      done = work[i];
    }
    return t;
  }

  void start_job(NodeId node) {
    ExecLane& lane = exec_lanes[node];
    if (lane.busy || lane.queue.empty()) return;
    lane.busy = true;
    auto [job, on_done] = std::move(lane.queue.front());
    lane.queue.pop_front();
    if (analytic_exec) {
      // The SimGrid activities below on a dedicated host, computed directly: the job lasts at
      // least makespan / speed and until its last worker is done.
      // A "slow" fault (faults.events) scales the job's CPU time as on the SimGrid path.
      const double start = now_s;
      const double slow = faults->cpu_factor(node, start);
      const double end = std::max(start + job.makespan_s * slow / speed[node],
                                  start + fair_share_end_s(job.worker_busy_s, node) * slow);
      Event ev{end, 0, EventKind::kCallback, 0, node, node, 0, nullptr};
      ev.arg = store_callback([this, node, on_done = std::move(on_done), end]() {
        exec_lanes[node].busy = false;
        on_done(end);
        start_job(node);
      });
      push(std::move(ev));
      return;
    }
    // The dispatcher may be ahead of SimGrid's clock when no job was running: catch up first.
    if (sg4::Engine::get_clock() < now_s) sg4::this_actor::sleep_until(now_s);
    ++active_jobs;
    auto done = std::make_shared<std::function<void(double)>>(std::move(on_done));
    sg4::ActorPtr actor = sg4::Actor::create(
        "exec", hosts[node], guard_job([this, node, job = std::move(job), done]() mutable {
          const double start = sg4::Engine::get_clock();
          const double slow = faults->cpu_factor(node, start);  // faults "slow" (>= 1)
          std::vector<sg4::ExecPtr> execs;
          execs.reserve(job.worker_busy_s.size());
          for (double busy : job.worker_busy_s) {
            if (busy > 0)
              execs.push_back(sg4::this_actor::exec_async(busy * flops_per_ref_s[node] * slow));
          }
          for (auto& e : execs) e->wait();
          const double min_end = start + job.makespan_s * slow / speed[node];
          if (sg4::Engine::get_clock() < min_end) sg4::this_actor::sleep_until(min_end);
          const double end = sg4::Engine::get_clock();
          Event ev{end, 0, EventKind::kCallback, 0, node, node, 0, nullptr};
          ev.arg = store_callback([this, node, done, end]() {
            exec_lanes[node].busy = false;
            (*done)(end);
            start_job(node);
          });
          push(std::move(ev));
          --active_jobs;
          cv->notify_all();
        }));
    actor->daemonize();
  }

  /// SimGrid aborts the process (no exception) on a host or cluster with `core` < 1 while
  /// parsing: such attributes are found in the file first and reported as a scenario error.
  static void check_platform_cores(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    static const std::regex kCore(
        R"(<\s*(host|cluster|peer)\b[^>]*?\bid\s*=\s*["']([^"']*)["'][^>]*?\bcore\s*=\s*["']([^"']*)["'])");
    const std::string xml = text.str();
    for (auto it = std::sregex_iterator(xml.begin(), xml.end(), kCore);
         it != std::sregex_iterator(); ++it) {
      const std::string value = (*it)[3].str();
      char* end = nullptr;
      const long cores = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || cores < 1 || cores > 1'000'000) {
        throw ScenarioError("network.platform_xml",
                            (*it)[1].str() + " \"" + (*it)[2].str() + "\" of \"" + file +
                                "\" has core=\"" + value + "\", expected an integer core >= 1");
      }
    }
  }

  /// network.platform_xml: loads the file, maps validator i onto the i-th host in name order,
  /// takes speed (x nodes.speed_factor) and cores from the hosts, and replaces the latency
  /// function with the route latency (+ class extras), computed once per ordered pair when first
  /// needed and cached. With gossip or a normal / Pareto jitter kind, every pair's route is
  /// computed at once into a LatencyModel (region matrix, one region per validator).
  void load_platform(const Scenario& sc, NetworkModel& net) {
    const std::string& file = sc.network.platform_xml;
    const std::uint32_t n = sc.network.validators;
    check_platform_cores(file);
    try {
      engine->load_platform(file);
      // Routing zones finish their set-up when the platform is sealed (a Vivaldi zone's
      // coordinates): routes asked for before that fail (the old `unordered_map::at` error).
      engine->seal_platform();
    } catch (const std::exception& e) {
      throw ScenarioError("network.platform_xml",
                          "cannot load SimGrid platform \"" + file + "\": " + e.what());
    }
    std::vector<sg4::Host*> all = engine->get_all_hosts();
    std::sort(all.begin(), all.end(),
              [](const sg4::Host* a, const sg4::Host* b) { return a->get_name() < b->get_name(); });
    if (all.size() < n) {
      throw ScenarioError("network.platform_xml",
                          "platform \"" + file + "\" has " + std::to_string(all.size()) +
                              " hosts, expected at least network.validators (" + std::to_string(n) +
                              ") hosts");
    }
    hosts.assign(all.begin(), all.begin() + n);
    speed.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      speed[i] = hosts[i]->get_speed() / kFlopsPerReferenceSecond * sc.nodes.speed_factor;
      if (hosts[i]->get_core_count() < 1 || !(speed[i] > 0.0) || !std::isfinite(speed[i])) {
        throw ScenarioError("network.platform_xml",
                            "host \"" + hosts[i]->get_name() + "\" of \"" + file + "\" has " +
                                std::to_string(hosts[i]->get_core_count()) + " cores and speed " +
                                std::to_string(hosts[i]->get_speed()) +
                                " flop/s, expected core >= 1 and a speed > 0");
      }
    }
    // A missing route (or a routing that cannot answer) is an input error: SimGrid reports it
    // with an exception, turned into one naming both hosts.
    const auto route_s = [file](const sg4::Host* a, const sg4::Host* b) {
      std::vector<sg4::Link*> links;
      double latency = 0.0;
      std::string why;
      try {
        a->route_to(b, links, &latency);
        // A full routing table without the pair answers with an empty route.
        if (links.empty() && latency == 0.0) why = "the platform lists no route for the pair";
      } catch (const std::exception& e) {
        why = e.what();
      }
      if (!why.empty()) {
        throw ScenarioError("network.platform_xml", "no route from host \"" + a->get_name() +
                                                        "\" to host \"" + b->get_name() +
                                                        "\" in \"" + file + "\": " + why);
      }
      return latency;
    };
    // Validation checks every pair up front on platforms of up to 256 validators (65,280 routes);
    // larger ones are checked pair by pair as messages first use them.
    if (n <= 256) {
      for (std::uint32_t a = 0; a < n; ++a) {
        for (std::uint32_t b = 0; b < n; ++b) {
          if (a != b) route_s(hosts[a], hosts[b]);
        }
      }
    }
    const LatencyConfig& lc = sc.network.latency;
    if (sc.network.dissemination.mode != "direct" || lc.jitter_kind != "uniform") {
      // Gossip and model jitter need a LatencyModel: every route once, eagerly, as a region
      // matrix with one region (host) per validator.
      if (n > std::numeric_limits<std::uint16_t>::max()) {
        throw ScenarioError("network.platform_xml",
                            "gossip or model jitter over a platform supports at most 65535 "
                            "validators");
      }
      network::RegionMatrixParams rp;
      rp.assignment = network::RegionAssignment::kContiguous;  // validator i -> region i
      rp.weights.assign(n, 1.0);
      rp.one_way_ms.assign(n, std::vector<double>(n, 0.0));
      for (std::uint32_t a = 0; a < n; ++a) {
        rp.region_names.push_back(hosts[a]->get_name());
        for (std::uint32_t b = 0; b < n; ++b) {
          if (a != b) rp.one_way_ms[a][b] = route_s(hosts[a], hosts[b]) * 1000.0;
        }
      }
      try {
        network::LatencyModel m = network::LatencyModel::region_matrix(
            n, std::move(rp), lc.jitter_kind == "uniform" ? lc.jitter_ms : 0.0);
        if (lc.jitter_kind == "normal") m = m.with_normal_jitter(lc.jitter_ms);
        if (lc.jitter_kind == "pareto") m = m.with_pareto_jitter();
        if (!net.extra_s.empty()) {
          std::vector<double> extra_ms;
          for (double e : net.extra_s) extra_ms.push_back(e * 1000.0);
          m = m.with_node_extra_ms(extra_ms);
        }
        net.model = std::make_shared<const network::LatencyModel>(std::move(m));
      } catch (const std::invalid_argument& e) {
        throw ScenarioError("network.platform_xml", e.what());
      }
      auto model = net.model;
      net.latency_s = [model](std::uint32_t a, std::uint32_t b) {
        return model->base_latency_s(a, b);
      };
      net.sample_s = nullptr;
      if (lc.jitter_kind != "uniform") {
        net.sample_s = [model](std::uint32_t a, std::uint32_t b, std::mt19937_64& rng) {
          return model->sample_latency_s(a, b, rng);
        };
      }
      return;
    }
    auto cache = std::make_shared<std::unordered_map<std::uint64_t, double>>();
    std::vector<sg4::Host*> mapped = hosts;
    std::vector<double> extra = net.extra_s;
    net.latency_s = [cache, mapped, extra, route_s](std::uint32_t a, std::uint32_t b) {
      if (a == b) return 0.0;
      const std::uint64_t key = (static_cast<std::uint64_t>(a) << 32) | b;
      auto it = cache->find(key);
      if (it == cache->end()) {
        double latency = route_s(mapped[a], mapped[b]);
        if (!extra.empty()) latency += extra[a] + extra[b];
        it = cache->emplace(key, latency).first;
      }
      return it->second;
    };
    net.model.reset();
    net.sample_s = nullptr;
  }

  /// network.dissemination.mode != "direct": builds the topology (stats into summary.json) and
  /// the gossip parameters used by every broadcast.
  void setup_gossip(const Scenario& sc, const NetworkModel& net) {
    const std::uint32_t n = sc.network.validators;
    const TopologyConfig& t = sc.network.topology;
    network::TopologyParams p;
    p.kind = network::topology_kind_from_string(t.kind);
    p.n = t.kind == "file" ? 0 : n;
    p.degree = t.degree;
    p.p = t.p;
    p.file = t.file;
    p.seed = sc.seed ^ 0x746f706f6c6f6779ULL;
    if (t.kind == "outbound_cdf") {
      try {
        const auto data = network::load_simblock_regions(network::simblock_regions_path());
        const auto it = data.outbound_degree_cdf.find(t.degree_distribution);
        if (it == data.outbound_degree_cdf.end()) {
          throw ScenarioError(
              "network.topology.degree_distribution",
              "value \"" + t.degree_distribution + "\" has no CDF in the SimBlock data file");
        }
        p.outbound_degree_cdf = it->second;
      } catch (const std::runtime_error& e) {
        if (dynamic_cast<const ScenarioError*>(&e) != nullptr) throw;
        throw ScenarioError("network.topology.degree_distribution", e.what());
      }
    }
    try {
      topology = std::make_unique<network::Topology>(network::build_topology(p));
    } catch (const std::exception& e) {
      throw ScenarioError("network.topology", e.what());
    }
    if (topology->node_count() != n) {
      throw ScenarioError("network.topology.file",
                          "the graph has " + std::to_string(topology->node_count()) +
                              " nodes, expected network.validators (" + std::to_string(n) + ")");
    }
    const network::TopologyStats stats = network::topology_stats(*topology, 4096, 8, p.seed);
    recorder->metric("topology", network::to_json(*topology, stats));
    latency_model = net.model;
    bandwidth = std::make_unique<network::BandwidthModel>(n, network::BandwidthParams{});
    for (std::uint32_t v = 0; v < n; ++v) {
      bandwidth->set_node(v, {network::bytes_per_s_to_mbps(net.upload_Bps[v]),
                              network::bytes_per_s_to_mbps(net.download_Bps[v])});
    }
    const DisseminationConfig& d = sc.network.dissemination;
    gossip.mode = network::gossip_mode_from_string(d.mode);
    gossip.processing_delay_s = d.processing_delay_ms / 1000.0;
    gossip.fanout = d.fanout;
    gossip.jitter = static_cast<bool>(net.sample_s) || sc.network.latency.jitter_ms > 0.0;
    gossip.announce_bytes = d.announce_bytes;
    gossip.hold_uplink_until_arrival = d.hold_uplink_until_arrival;
    gossip.control_extra_latency_s = d.control_extra_latency_ms / 1000.0;
    if (d.mode == "compact") setup_compact(sc);
    if (d.shared_links && !flow) {
      // Broadcasts and point-to-point messages reserve the Transport's link calendars (the flow
      // model shares links in SimGrid instead).
      transport->set_shared_calendars(true);
      gossip.links = &transport->links();
      // Transaction gossip (Runtime::account_broadcast_bytes) occupies the same calendars.
      tx_gossip_on_links = sc.workload.gossip;
      tx_gossip_sent_bytes.assign(n, 0);
      tx_gossip_received_bytes.assign(n, 0);
    }
    down.assign(n, 0);
  }

  /// Makes the window of now_s the pending transaction gossip window (flushing an older one
  /// first) and schedules its flush at its end.
  void open_tx_gossip_window() {
    const auto w = static_cast<std::int64_t>(std::floor(now_s / kTxGossipWindowS));
    if (w == tx_gossip_window) return;
    if (tx_gossip_window >= 0) flush_tx_gossip();
    tx_gossip_window = w;
    const double end = std::max(now_s, static_cast<double>(w + 1) * kTxGossipWindowS);
    Event e{end, 0, EventKind::kCallback, 0, 0, 0, 0, nullptr};
    e.arg = store_callback([this, w]() {
      if (tx_gossip_window == w) flush_tx_gossip();
    });
    push(std::move(e));
  }

  /// Reserves the pending window's transaction gossip: each node's uplink for the bytes it sent
  /// (bytes per peer x the peers it sent to) and its downlink for the bytes it received, from
  /// the window's end (or now, if later), in node id order (deterministic).
  void flush_tx_gossip() {
    const double start =
        std::max(now_s, static_cast<double>(tx_gossip_window + 1) * kTxGossipWindowS);
    tx_gossip_window = -1;
    transport->set_now(now_s);
    network::LinkState& links = transport->links();
    const std::uint32_t n = scenario.network.validators;
    for (std::uint32_t v = 0; v < n; ++v) {
      if (tx_gossip_sent_bytes[v] > 0) {
        links.uplink[v].prune_before(links.prune_before_s);
        links.uplink[v].reserve(
            start, static_cast<double>(tx_gossip_sent_bytes[v]) / transport->upload_Bps(v));
        tx_gossip_sent_bytes[v] = 0;
      }
      if (tx_gossip_received_bytes[v] > 0) {
        links.downlink[v].prune_before(links.prune_before_s);
        links.downlink[v].reserve(
            start, static_cast<double>(tx_gossip_received_bytes[v]) / transport->download_Bps(v));
        tx_gossip_received_bytes[v] = 0;
      }
    }
  }

  /// network.dissemination.compact: which nodes speak compact blocks and which are "churn"
  /// nodes, drawn as SimBlock does (Main.makeRandomList: the first round-up(n x rate) of a
  /// seeded shuffle), their miss rates and missing-fraction tables.
  void setup_compact(const Scenario& sc) {
    const std::uint32_t n = sc.network.validators;
    const CompactRelayConfig& c = sc.network.dissemination.compact;
    network::CompactRelayParams& cp = gossip.compact;
    cp.sketch_bytes = c.sketch_bytes;
    cp.high_bandwidth_peers = c.high_bandwidth_peers;
    cp.miss_rate = c.miss_rate;
    cp.missing_fraction = c.missing_fraction;
    const auto flags = [n](double rate, std::uint64_t seed) {
      std::vector<std::uint8_t> out(n, 0);
      for (std::uint32_t i = 0; i < n; ++i) {
        out[i] = static_cast<double>(i) < static_cast<double>(n) * rate ? 1 : 0;
      }
      std::uint64_t state = seed;
      auto rng = [&state] { return splitmix64_mix(state += kSplitmix64Gamma); };
      pipesim::shuffle(out.begin(), out.end(), rng);
      return out;
    };
    uses_compact = flags(c.usage_fraction, sc.seed ^ 0x636272757365ULL);
    const std::vector<std::uint8_t> churn = flags(c.churn_fraction, sc.seed ^ 0x636875726eULL);
    node_miss_rate.resize(n);
    node_table.resize(n);
    for (std::uint32_t v = 0; v < n; ++v) {
      node_miss_rate[v] = churn[v] != 0 ? c.churn_miss_rate : c.miss_rate;
      node_table[v] = churn[v];
    }
    cp.uses_compact = uses_compact;
    cp.node_miss_rate = node_miss_rate;
    if (c.missing_fraction_table == "simblock") {
      try {
        const network::SimblockRelay relay =
            network::load_simblock_relay(network::simblock_relay_path());
        missing_fraction_tables = {relay.missing_fraction_control, relay.missing_fraction_churn};
      } catch (const std::runtime_error& e) {
        throw ScenarioError("network.dissemination.compact.missing_fraction_table", e.what());
      }
      cp.missing_fraction_tables = missing_fraction_tables;
      cp.node_table = node_table;
    }
  }

  /// Faults on the (source, receiver) pair of a broadcast, applied to the gossiped first
  /// arrival: false if dropped, else the extra delay (s).
  bool broadcast_fate(NodeId from, NodeId v, double depart, double& extra) {
    extra = 0.0;
    if (!faults->acts_on_messages()) return true;
    const FaultInjector::Fate fate =
        faults->message(from, v, depart, transport->base_latency_s(from, v));
    if (fate.dropped) return false;
    extra = std::max(0.0, fate.hold_until_s - depart) + fate.extra_s;
    return true;
  }

  /// One broadcast by gossip: deliveries at depart + each node's receive time, bytes per node,
  /// propagation percentiles over the live nodes.
  void gossip_broadcast(NodeId from, std::uint16_t channel,
                        const std::shared_ptr<const void>& payload, std::uint64_t size_bytes,
                        double depart) {
    const std::uint32_t n = scenario.network.validators;
    for (std::uint32_t v = 0; v < n; ++v) down[v] = crashed(v, depart) ? 1 : 0;
    network::GossipParams p = gossip;
    p.message_bytes = std::max<std::uint64_t>(1, size_bytes);
    p.seed = splitmix64_mix(scenario.seed ^ 0x676f73736970ULL ^ broadcasts++);
    p.down = down;
    p.start_s = depart;
    if (flow) {
      flow_broadcast(from, channel, payload, depart, p);
      return;
    }
    // FCFS fast path: a broadcast below network.bulk_min_bytes is latency-bound; it neither waits
    // for nor leaves reservations on the shared links. (A whole flood is reserved when it
    // departs, so its relays' reservations lie up to a few hops in the future; with one
    // busy-until time per link every later small message waited for them, which serialised
    // concurrent floods: 20 DAG vertices of 165 bytes each took ~0.1 s more than the one before.
    // The link calendars now let later messages use the gaps before them; see docs/network.md.)
    if (p.links != nullptr && size_bytes < scenario.network.bulk_min_bytes) p.links = nullptr;
    transport->set_now(now_s);
    const network::GossipResult r =
        network::simulate_gossip(*topology, *latency_model, *bandwidth, from, p);
    for (std::uint32_t v = 0; v < n; ++v) {
      if (down[v] != 0) continue;
      const double t = r.receive_time_s[v];
      if (v == from || t == network::kNever) continue;
      double extra = 0.0;
      if (!broadcast_fate(from, v, depart, extra)) continue;
      push(Event{depart + t + extra, 0, EventKind::kDeliver, channel, v, from, 0, payload});
    }
    record_broadcast(r, down);
  }

  /// Counters, bytes and propagation percentiles (over the live nodes) of a finished broadcast.
  void record_broadcast(const network::GossipResult& r, std::span<const std::uint8_t> down_of) {
    const std::uint32_t n = scenario.network.validators;
    sketches += r.sketches;
    reconstruction_misses += r.reconstruction_misses;
    gossip_bytes += r.bytes;
    std::vector<double> live;
    live.reserve(n);
    for (std::uint32_t v = 0; v < n; ++v) {
      transport->count_sent(v, r.bytes_sent[v]);
      transport->count_received(v, r.bytes_received[v]);
      if (down_of[v] != 0) continue;
      live.push_back(r.receive_time_s[v]);
    }
    transport->count_messages(r.messages);
    std::sort(live.begin(), live.end());
    const auto at = [&](double q) {
      const auto k =
          static_cast<std::size_t>(std::ceil(q * static_cast<double>(live.size()) - 1e-9));
      return live[std::max<std::size_t>(k, 1) - 1];
    };
    const double t50 = at(0.5), t90 = at(0.9), t100 = at(1.0);
    if (t50 != network::kNever) prop_t50_s.push_back(t50);
    if (t90 != network::kNever) prop_t90_s.push_back(t90);
    if (t100 != network::kNever) {
      prop_t100_s.push_back(t100);
    } else {
      ++incomplete_broadcasts;
    }
  }

  /// The SimGrid route latency (s) between two validators' hosts of a platform file (cached).
  double route_latency_s(NodeId a, NodeId b) {
    const std::uint64_t key = (static_cast<std::uint64_t>(a) << 32) | b;
    auto it = route_latency_cache.find(key);
    if (it == route_latency_cache.end()) {
      std::vector<sg4::Link*> route;
      double latency = 0.0;
      hosts[a]->route_to(hosts[b], route, &latency);
      it = route_latency_cache.emplace(key, latency).first;
    }
    return it->second;
  }

  /// Flow model: a SimGrid communication of `bytes` from `from`'s host to `to`'s host that
  /// starts at `depart` (>= now_s); `done(end_s)` runs in the dispatcher when its last byte has
  /// crossed the route (max-min fair share of every link on it, changing as other
  /// communications start and end).
  void flow_transfer(NodeId from, NodeId to, std::uint64_t bytes, double depart,
                     std::function<void(double)> done) {
    if (depart > now_s) {
      Event ev{depart, 0, EventKind::kCallback, 0, from, from, 0, nullptr};
      ev.arg = store_callback([this, from, to, bytes, depart, done = std::move(done)]() mutable {
        flow_transfer(from, to, bytes, depart, std::move(done));
      });
      push(std::move(ev));
      return;
    }
    // The dispatcher may be ahead of SimGrid's clock when nothing was running: catch up first.
    if (sg4::Engine::get_clock() < now_s) sg4::this_actor::sleep_until(now_s);
    ++active_jobs;
    ++flow_transfers;
    auto fn = std::make_shared<std::function<void(double)>>(std::move(done));
    sg4::ActorPtr actor =
        sg4::Actor::create("flow", hosts[from], guard_job([this, from, to, bytes, fn]() {
                             sg4::Comm::sendto(hosts[from], hosts[to], bytes);
                             const double end = sg4::Engine::get_clock();
                             Event ev{end, 0, EventKind::kCallback, 0, to, from, 0, nullptr};
                             ev.arg = store_callback([fn, end]() { (*fn)(end); });
                             push(std::move(ev));
                             --active_jobs;
                             cv->notify_all();
                           }));
    actor->daemonize();
  }

  /// Flow model: one broadcast's relay protocol driven message by message. Bulk messages
  /// (block, sketch, blocktxn of >= bulk_min_bytes) to live nodes are SimGrid communications
  /// and arrive when their last byte has crossed plus the pair's latency; control and small
  /// messages take the fast path (latency + size / min(upload, download), no link occupied).
  void flow_broadcast(NodeId from, std::uint16_t channel,
                      const std::shared_ptr<const void>& payload, double depart,
                      network::GossipParams p) {
    network::validate_gossip(*topology, *latency_model, *bandwidth, from, p);
    auto owned = std::make_unique<FlowBroadcast>();
    FlowBroadcast& b = *owned;
    flow_broadcasts.push_back(std::move(owned));
    b.from = from;
    b.channel = channel;
    b.payload = payload;
    b.depart = depart;
    b.down = down;
    b.jitter_rng.seed(splitmix64_mix(p.seed ^ 0x6a6974746572ULL));
    p.down = b.down;
    p.links = nullptr;
    b.relay = std::make_unique<network::GossipRelay>(
        *topology, from, p, [this, &b](const network::RelayMessage& m) { flow_send(b, m); },
        [this, &b](NodeId v, NodeId /*parent*/, double t) {
          double extra = 0.0;
          if (!broadcast_fate(b.from, v, b.depart, extra)) return;
          push(Event{b.depart + t + extra, 0, EventKind::kDeliver, b.channel, v, b.from, 0,
                     b.payload});
        });
    ++b.in_flight;  // the start itself: a broadcast reaching nobody still finishes
    b.relay->start();
    flow_arrived(b);
  }

  void flow_arrived(FlowBroadcast& b) {
    if (--b.in_flight != 0) return;
    record_broadcast(b.relay->finish(), b.down);
    b.relay.reset();
    b.payload.reset();
  }

  void flow_send(FlowBroadcast& b, const network::RelayMessage& m) {
    ++b.in_flight;
    const double depart = b.depart + m.depart_s;
    double lat = gossip.jitter ? latency_model->sample_latency_s(m.from, m.to, b.jitter_rng)
                               : latency_model->base_latency_s(m.from, m.to);
    const bool bulk = network::is_bulk(m.kind);
    if (!bulk) lat += gossip.control_extra_latency_s;
    auto arrive = [this, &b, m](double at) {
      Event ev{at, 0, EventKind::kCallback, 0, m.to, m.from, 0, nullptr};
      ev.arg = store_callback([this, &b, m, at]() {
        b.relay->arrive(m, at - b.depart);
        flow_arrived(b);
      });
      push(std::move(ev));
    };
    if (bulk && m.bytes >= bulk_min_bytes && b.down[m.to] == 0) {
      // A platform file's route carries its own latency; the model's latency on top of it is
      // what the scenario adds (per-node class extras, jitter).
      const double tail = scenario.network.platform_xml.empty()
                              ? lat
                              : std::max(0.0, lat - route_latency_s(m.from, m.to));
      flow_transfer(m.from, m.to, m.bytes, depart,
                    [arrive, tail](double end) { arrive(end + tail); });
      return;
    }
    const double rate = std::min(transport->upload_Bps(m.from), transport->download_Bps(m.to));
    arrive(depart + lat + static_cast<double>(m.bytes) / rate);
  }

  void dispatch(Event& e) {
    switch (e.kind) {
      case EventKind::kCallback: {
        std::function<void()> fn = std::move(callbacks[e.arg]);
        callbacks[e.arg] = nullptr;
        free_callbacks.push_back(e.arg);
        fn();
        break;
      }
      case EventKind::kDeliver:
        if (crashed(e.node, e.time)) break;
        app->on_deliver(e.node, e.from, e.channel, e.payload);
        break;
      case EventKind::kTimer:
        if (crashed(e.node, e.time)) break;
        app->on_timer(e.node, e.arg);
        break;
      case EventKind::kLaneWake:
        break;  // handled in loop()
    }
  }

  /// The dispatcher actor's body: any exception is kept for Simulation::run (an exception
  /// escaping an actor would abort the process inside SimGrid).
  void guarded_loop(const ProgressFn& progress) {
    try {
      loop(progress);
    } catch (const simgrid::ForcefulKillException&) {
      throw;
    } catch (...) {
      if (!failure) failure = std::current_exception();
    }
  }

  /// Throws the failure of an execution actor, or RunInterrupted for a requested stop.
  void check_stop() const {
    if (failure) std::rethrow_exception(failure);
    if (const int sig = g_stop_signal.load(std::memory_order_relaxed); sig != 0) {
      throw RunInterrupted(sig);
    }
  }

  /// Crash / recovery transitions (a recovered node's Application::on_recover) and trace
  /// instants on the affected nodes' "faults" track at every event's start and end.
  void schedule_fault_events() {
    const std::uint32_t n = scenario.network.validators;
    for (const FaultInjector::Transition& t : faults->transitions()) {
      Event e{t.time_s, 0, EventKind::kCallback, 0, t.node, t.node, 0, nullptr};
      e.arg = store_callback([this, t]() {
        recorder->instant(t.node, Track::kFaults, t.crash ? "crash" : "recover", t.time_s);
        if (!t.crash) app->on_recover(t.node);
      });
      push(std::move(e));
    }
    for (const FaultEvent& f : scenario.faults.events) {
      if (f.kind == "crash" || f.kind == "recover") continue;
      std::vector<std::uint32_t> nodes = f.nodes;
      if (nodes.empty()) {  // partitions and network-wide events: every node
        for (std::uint32_t v = 0; v < n; ++v) nodes.push_back(v);
      }
      const bool heals = f.until_s < scenario.duration_s;
      Event e{f.from_s, 0, EventKind::kCallback, 0, 0, 0, 0, nullptr};
      e.arg = store_callback([this, nodes, f, heals]() {
        // e.g. "partition starts", "byzantine equivocate ends".
        const std::string what = f.kind == "byzantine" ? f.kind + " " + f.behaviour : f.kind;
        for (std::uint32_t v : nodes) {
          recorder->instant(v, Track::kFaults, what + " starts", f.from_s);
          if (heals) recorder->instant(v, Track::kFaults, what + " ends", f.until_s);
        }
      });
      push(std::move(e));
    }
  }

  void loop(const ProgressFn& progress) {
    const auto wall_start = std::chrono::steady_clock::now();
    auto last_report = wall_start;
    const double duration = scenario.duration_s;
    std::unique_lock<sg4::Mutex> lock(*mutex);
    app->on_start();
    double clock_reached = -1.0;  // a wait_until(t) that timed out means the clock is at t
    while (true) {
      check_stop();
      if (heap.empty()) {
        if (active_jobs == 0) break;
        cv->wait(lock);
        continue;
      }
      const double t = heap.top().time;
      if (t > duration) {
        now_s = duration;
        break;
      }
      if (active_jobs > 0 && t > sg4::Engine::get_clock() && t != clock_reached) {
        // A running job may finish before t and add an earlier event: let SimGrid advance.
        if (cv->wait_until(lock, t) == std::cv_status::timeout) clock_reached = t;
        continue;
      }
      Event e = heap.top();
      heap.pop();
      // Deliveries and timers wait for the node's consensus lane (one core, FIFO).
      if (e.kind == EventKind::kLaneWake) {
        ConsensusLane& lane = consensus_lanes[e.node];
        if (lane.free_s > e.time) {  // a callback occupied the lane meanwhile
          e.time = lane.free_s;
          push(std::move(e));
          continue;
        }
        const double t_wake = e.time;
        e = std::move(lane.waiting.front());
        lane.waiting.pop_front();
        e.time = t_wake;
        lane.wake_pending = false;
      } else if (e.kind != EventKind::kCallback) {
        ConsensusLane& lane = consensus_lanes[e.node];
        if (lane.free_s > e.time || !lane.waiting.empty()) {
          lane.waiting.push_back(std::move(e));
          wake_lane(lane.waiting.back().node);
          continue;
        }
      }
      now_s = std::max(now_s, e.time);
      ++events;
      const std::uint32_t node = e.node;
      const bool lane_event = e.kind != EventKind::kCallback;
      dispatch(e);
      if (lane_event) wake_lane(node);
      if (progress && (events & 0xfff) == 0) {
        auto w = std::chrono::steady_clock::now();
        if (w - last_report >= std::chrono::seconds(1)) {
          last_report = w;
          progress(now_s, duration, std::chrono::duration<double>(w - wall_start).count(), events);
        }
      }
    }
    app->on_finish();
  }
};

void request_stop(int signal) noexcept {
  g_stop_signal.store(signal, std::memory_order_relaxed);
}
int stop_requested() noexcept {
  return g_stop_signal.load(std::memory_order_relaxed);
}

Simulation::Simulation(const Scenario& scenario, const std::filesystem::path& run_dir)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.scenario = scenario;
  if (sg4::Engine::is_initialized()) {
    throw std::runtime_error("a SimGrid engine already exists in this process (one per process)");
  }
  s.engine = std::make_unique<sg4::Engine>("pipesim");
  xbt_log_control_set("root.thres:critical");
  // LV08 (the default) multiplies latency by 13.01 and scales bandwidth; CM02 with unit
  // factors delivers configured figures (see ../shared/docs/simgrid-guide.md).
  sg4::Engine::set_config("network/model:CM02");
  sg4::Engine::set_config("network/latency-factor:1");
  sg4::Engine::set_config("network/bandwidth-factor:1");

  const std::uint32_t n = scenario.network.validators;
  NetworkModel net = make_network_model(scenario);
  s.flow = scenario.network.bulk_transfer_model == "flow";
  s.bulk_min_bytes = scenario.network.bulk_min_bytes;
  if (s.flow) {
    // A lone flow then takes exactly size / min(bandwidth) on its route: no cross-traffic on
    // the reverse route, no TCP window cap (simgrid-guide.md section 4).
    sg4::Engine::set_config("network/crosstraffic:0");
    sg4::Engine::set_config("network/TCP-gamma:0");
  }
  if (scenario.network.platform_xml.empty()) {
    s.speed.assign(n, scenario.nodes.speed_factor);
    s.analytic_exec = true;
    auto* zone = sg4::create_star_zone("validators");
    s.hosts.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      std::string name = "v";
      name += std::to_string(i);  // (not "v" + to_string: GCC 12 -Wrestrict false positive)
      s.hosts.push_back(zone->create_host(name, s.speed[i] * kFlopsPerReferenceSecond)
                            ->set_core_count(static_cast<int>(scenario.nodes.cores))
                            ->seal());
      if (s.flow) {
        // The node's access link to the star's centre: UP = its upload, DOWN = its download
        // (bytes/s), no latency (the latency model adds it after the last byte).
        std::string link = "access";
        link += std::to_string(i);
        sg4::SplitDuplexLink* access = zone->create_split_duplex_link(link, net.upload_Bps[i]);
        access->get_link_down()->set_bandwidth(net.download_Bps[i]);
        access->set_latency(0)->seal();
        zone->add_route(s.hosts.back()->get_netpoint(), nullptr, nullptr, nullptr,
                        {{access, sg4::LinkInRoute::Direction::UP}}, true);
      }
    }
    zone->seal();
  } else {
    s.load_platform(scenario, net);
  }

  s.flops_per_ref_s.resize(n);
  for (std::uint32_t i = 0; i < n; ++i) s.flops_per_ref_s[i] = s.hosts[i]->get_speed() / s.speed[i];
  s.transport = std::make_unique<Transport>(
      n, net.latency_s, scenario.network.latency.jitter_ms / 1000.0, net.upload_Bps,
      net.download_Bps, scenario.seed ^ 0x7472616e73706f72ULL);
  if (net.sample_s) s.transport->set_sampler(net.sample_s);
  s.recorder = std::make_unique<Recorder>(scenario, run_dir);
  if (scenario.network.dissemination.mode != "direct") s.setup_gossip(scenario, net);
  if (scenario.network.platform_xml.empty() && net.model &&
      net.model->kind() == network::LatencyKind::kRegionMatrix) {
    s.region_model = net.model;
  }
  s.consensus_lanes.resize(n);
  s.exec_lanes.resize(n);
  s.faults = std::make_unique<FaultInjector>(scenario, net.class_of);
  s.schedule_fault_events();
  s.mutex = sg4::Mutex::create();
  s.cv = sg4::ConditionVariable::create();
}

Simulation::~Simulation() = default;

RunStats Simulation::run(Application& app, const ProgressFn& progress) {
  Impl& s = *impl_;
  s.app = &app;
  const auto wall_start = std::chrono::steady_clock::now();
  sg4::Actor::create("dispatcher", s.hosts[0], [&s, &progress]() { s.guarded_loop(progress); });
  s.engine->run();
  if (s.failure) std::rethrow_exception(s.failure);
  for (auto& b : s.flow_broadcasts) {
    // Broadcasts still in flight when the run ended: nodes not reached count as never.
    if (b->relay) s.record_broadcast(b->relay->finish(), b->down);
  }
  std::vector<std::uint64_t> sent(validators()), received(validators());
  for (NodeId i = 0; i < validators(); ++i) {
    sent[i] = s.transport->bytes_sent(i);
    received[i] = s.transport->bytes_received(i);
  }
  s.recorder->set_bytes(std::move(sent), std::move(received));
  if (!s.scenario.faults.crashed.empty() || !s.scenario.faults.events.empty()) {
    s.recorder->section("faults", s.faults->summary());
  }
  if (s.topology) {
    s.recorder->sample_metric("propagation_t50_s", s.prop_t50_s, "s");
    s.recorder->sample_metric("propagation_t90_s", s.prop_t90_s, "s");
    s.recorder->sample_metric("propagation_t100_s", s.prop_t100_s, "s");
    s.recorder->metric("broadcasts_gossiped", {{"value", s.broadcasts}, {"unit", "count"}});
    s.recorder->metric("broadcasts_not_reaching_every_live_node",
                       {{"value", s.incomplete_broadcasts}, {"unit", "count"}});
    s.recorder->metric("gossip_bytes", {{"value", s.gossip_bytes}, {"unit", "bytes"}});
    if (s.scenario.network.dissemination.mode == "compact") {
      s.recorder->metric("compact_sketches_sent", {{"value", s.sketches}, {"unit", "count"}});
      s.recorder->metric("compact_reconstruction_misses",
                         {{"value", s.reconstruction_misses}, {"unit", "count"}});
    }
  }
  if (s.flow) {
    s.recorder->metric("flow_transfers", {{"value", s.flow_transfers}, {"unit", "count"}});
  }
  RunStats stats;
  stats.simulated_s = s.now_s;
  stats.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  stats.events = s.events;
  stats.messages = s.transport->messages();
  return stats;
}

double Simulation::now() const {
  return impl_->now_s;
}
std::uint32_t Simulation::validators() const {
  return impl_->scenario.network.validators;
}
bool Simulation::is_crashed(NodeId node) const {
  return impl_->crashed(node, impl_->now_s);
}
const Scenario& Simulation::scenario() const {
  return impl_->scenario;
}
Recorder& Simulation::recorder() {
  return *impl_->recorder;
}
std::uint64_t Simulation::bytes_sent(NodeId node) const {
  return impl_->transport->bytes_sent(node);
}
std::uint64_t Simulation::bytes_received(NodeId node) const {
  return impl_->transport->bytes_received(node);
}

void Simulation::send(NodeId from, NodeId to, std::uint16_t channel,
                      std::shared_ptr<const void> payload, std::uint64_t size_bytes,
                      double depart_s) {
  Impl& s = *impl_;
  const double depart = std::max(s.now_s, depart_s);
  if (s.crashed(from, depart)) return;
  if (s.flow && size_bytes >= s.bulk_min_bytes) {
    // Flow model: a SimGrid communication, then the pair's latency (see flow_broadcast).
    double start = depart, extra = 0.0;
    if (s.faults->acts_on_messages()) {
      const FaultInjector::Fate fate =
          s.faults->message(from, to, depart, s.transport->base_latency_s(from, to));
      if (fate.dropped) {
        s.transport->count_sent(from, size_bytes);  // sent, never received
        return;
      }
      start = std::max(depart, fate.hold_until_s);
      extra = fate.extra_s;
    }
    const double lat = s.transport->sample_latency_s(from, to);
    const double tail = (s.scenario.network.platform_xml.empty()
                             ? lat
                             : std::max(0.0, lat - s.route_latency_s(from, to))) +
                        extra;
    s.transport->count_sent(from, size_bytes);
    s.transport->count_received(to, size_bytes);
    s.transport->count_messages(1);
    s.flow_transfer(
        from, to, size_bytes, start,
        [&s, from, to, channel, payload = std::move(payload), tail](double end) {
          s.push(Event{end + tail, 0, EventKind::kDeliver, channel, to, from, 0, payload});
        });
    return;
  }
  if (s.faults->acts_on_messages()) {
    const FaultInjector::Fate fate =
        s.faults->message(from, to, depart, s.transport->base_latency_s(from, to));
    if (fate.dropped) {
      s.transport->count_sent(from, size_bytes);  // sent, never received
      return;
    }
    s.transport->set_now(s.now_s);
    const double arrival =
        s.transport->schedule(from, to, size_bytes, std::max(depart, fate.hold_until_s)) +
        fate.extra_s;
    s.push(Event{arrival, 0, EventKind::kDeliver, channel, to, from, 0, std::move(payload)});
    return;
  }
  s.transport->set_now(s.now_s);
  const double arrival = s.transport->schedule(from, to, size_bytes, depart);
  s.push(Event{arrival, 0, EventKind::kDeliver, channel, to, from, 0, std::move(payload)});
}

void Simulation::broadcast(NodeId from, std::uint16_t channel, std::shared_ptr<const void> payload,
                           std::uint64_t size_bytes, double depart_s) {
  Impl& s = *impl_;
  if (s.topology) {
    const double depart = std::max(s.now_s, depart_s);
    if (s.crashed(from, depart)) return;
    s.gossip_broadcast(from, channel, payload, size_bytes, depart);
    return;
  }
  const std::uint32_t n = validators();
  for (std::uint32_t k = 1; k < n; ++k) {
    send(from, (from + k) % n, channel, payload, size_bytes, depart_s);
  }
}

std::string Simulation::region_of(NodeId node) const {
  return impl_->region_model ? impl_->region_model->region_name_of(node) : std::string();
}

double Simulation::base_latency_s(NodeId from, NodeId to) const {
  return impl_->transport->base_latency_s(from, to);
}

void Simulation::account_broadcast_bytes(NodeId from, std::uint64_t bytes_per_peer) {
  Impl& s = *impl_;
  if (s.crashed(from, s.now_s)) return;
  // With tx_gossip_on_links the same bytes also occupy the links, once per window (see
  // kTxGossipWindowS); otherwise they are only counted.
  if (s.tx_gossip_on_links) s.open_tx_gossip_window();
  const std::uint32_t n = validators();
  // Without crash events no peer is ever down: skip the per-peer check (n per transaction).
  const bool crashes = !s.faults->transitions().empty();
  for (std::uint32_t to = 0; to < n; ++to) {
    if (to == from || (crashes && s.crashed(to, s.now_s))) continue;
    s.transport->count_sent(from, bytes_per_peer);
    s.transport->count_received(to, bytes_per_peer);
    if (s.tx_gossip_on_links) {
      s.tx_gossip_sent_bytes[from] += bytes_per_peer;
      s.tx_gossip_received_bytes[to] += bytes_per_peer;
    }
  }
}

void Simulation::set_timer(NodeId node, double at_s, std::uint64_t timer_id) {
  Impl& s = *impl_;
  s.push(Event{std::max(at_s, s.now_s), 0, EventKind::kTimer, 0, node, node, timer_id, nullptr});
}

void Simulation::at(double at_s, std::function<void()> fn) {
  Impl& s = *impl_;
  Event e{std::max(at_s, s.now_s), 0, EventKind::kCallback, 0, 0, 0, 0, nullptr};
  e.arg = s.store_callback(std::move(fn));
  s.push(std::move(e));
}

double Simulation::speed_factor(NodeId node) const {
  return impl_->speed.at(node);
}

double Simulation::occupy_consensus_lane(NodeId node, double seconds_ref) {
  Impl& s = *impl_;
  double& free_at = s.consensus_lanes[node].free_s;
  const double start = std::max(free_at, s.now_s);
  free_at = start + seconds_ref * s.faults->cpu_factor(node, start) / s.speed[node];
  return free_at;
}

void Simulation::run_execution(NodeId node, CpuJob job, std::function<void(double)> on_done) {
  Impl& s = *impl_;
  // A non-finite or negative duration (e.g. from an absurd cost model) would make SimGrid abort.
  const auto bad = [](double d) { return !std::isfinite(d) || d < 0.0; };
  if (bad(job.makespan_s) || std::any_of(job.worker_busy_s.begin(), job.worker_busy_s.end(), bad)) {
    throw std::runtime_error("execution job on validator " + std::to_string(node) +
                             " has a negative or non-finite CPU "
                             "duration (makespan " +
                             std::to_string(job.makespan_s) +
                             " s); check "
                             "pipeline.cost_model and nodes.speed_factor");
  }
  s.exec_lanes[node].queue.emplace_back(std::move(job), std::move(on_done));
  s.start_job(node);
}

}  // namespace pipesim::sim
