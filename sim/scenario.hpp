// Scenario: the typed form of a scenario JSON file, and its loader/validator.
//
// Every field has a unit in its name and a documented default (docs/scenario.md is the user
// reference and must list exactly these keys). Loading validates everything before any
// simulation starts: an unknown key, a wrong type or an out-of-range value throws
// ScenarioError whose message names the JSON path (e.g. "network.latency.constant_ms"), the
// offending value, and what was expected (for unknown keys: the allowed keys).
//
// This header includes no SimGrid header (the CLI and tests use it without the engine).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>
#include "models/execution/cost_model.hpp"

#include <nlohmann/json_fwd.hpp>

namespace pipesim::sim {

/// Thrown for any invalid scenario; what() is the full user-facing message, starting with the
/// JSON path, e.g. `network.validators: value 0 is out of range, expected an integer >= 4`.
/// With an empty path (unreadable file, JSON syntax error) what() is the message alone.
class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(std::string path, const std::string& message)
      : std::runtime_error(path.empty() ? message : path + ": " + message),
        path_(std::move(path)) {}
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// network.latency — one-way latency between two validators.
struct LatencyConfig {
  /// "constant" | "uniform" | "normal" | "lognormal" | "region_matrix" | "vivaldi"
  std::string model = "region_matrix";
  double constant_ms = 50.0;  // constant: every pair
  double min_ms = 10.0;       // uniform: per-pair one-way latency ~ U[min_ms, max_ms]
  double max_ms = 100.0;
  double mean_ms = 50.0;  // normal: per pair ~ N(mean_ms, stddev_ms), clamped to >= floor_ms
  double stddev_ms = 10.0;
  double median_ms = 50.0;  // lognormal: per pair ~ exp(N(ln median_ms, sigma))
  double sigma = 0.5;
  double floor_ms = 0.1;  // lower clamp for normal/lognormal samples
  /// region_matrix: region names, one-way latency matrix (row = from, column = to) in ms, and
  /// node-to-region weights (fractions, normalised; nodes assigned deterministically in
  /// proportion, by validator index). Either inline (`regions`) or loaded from `preset`.
  /// "" or a named preset: "aws_p50", "aws_p90" (region matrix filled here), "simblock_2015",
  /// "simblock_2019" (SimBlock's 6 regions, resolved by the runtime; see docs/scenario.md)
  std::string preset;
  std::vector<std::string> region_names;
  std::vector<std::vector<double>> one_way_ms;
  std::vector<double> region_weights;
  /// simblock presets: node distribution over SimBlock's regions, "bitcoin_2015" |
  /// "bitcoin_2019" | "litecoin" | "dogecoin" ("" = the preset's year's Bitcoin distribution).
  std::string region_distribution;
  /// vivaldi: measured coordinates data/platforms/median_<dataset>.syscoord, "harvard" (226
  /// peers) | "p2psim" (1,740) | "meridian" (2,500); validators placed by "first" | "sample" |
  /// "wrap" (models/network/vivaldi.hpp).
  std::string vivaldi_dataset = "meridian";
  std::string vivaldi_selection = "sample";
  double jitter_ms = 0.0;  // uniform: U[0, jitter_ms]; normal: standard deviation (seeded)
  /// "uniform" | "normal" | "pareto" (SimBlock, mean = the pair's latency) | "from_p90" (aws
  /// presets: normal with sigma = (p90 - p50) / 2 of the round trip per region pair).
  std::string jitter_kind = "uniform";
  friend bool operator==(const LatencyConfig&, const LatencyConfig&) = default;
};

/// network.bandwidth — per-node access links (Mbit/s = 1e6 bit/s).
struct BandwidthConfig {
  double upload_mbps = 1000.0;
  double download_mbps = 1000.0;
  friend bool operator==(const BandwidthConfig&, const BandwidthConfig&) = default;
};

/// network.classes[i] — a share of the validators in one of ethshadow's node classes (extra
/// latency at the node's end of every link and its access bandwidth; models/network/presets.hpp).
struct NodeClassShare {
  std::string name = "reliable";  // "reliable" | "home" | "laggy" | "constrained" | "bad"
  double fraction = 1.0;          // relative weight (normalised over all shares), >= 0
  friend bool operator==(const NodeClassShare&, const NodeClassShare&) = default;
};

/// network.topology — the peer-to-peer overlay that gossip dissemination runs on.
struct TopologyConfig {
  /// "complete" | "random_regular" | "erdos_renyi" | "watts_strogatz" | "barabasi_albert" |
  /// "star" | "ring" | "file"
  std::string kind = "complete";
  std::uint32_t degree = 8;  // random_regular degree; watts_strogatz k; barabasi_albert m
  double p = 0.1;            // erdos_renyi edge probability; watts_strogatz rewiring probability
  std::string file;          // file: edge list or GraphML, resolved to an absolute path on load
  friend bool operator==(const TopologyConfig&, const TopologyConfig&) = default;
};

/// network.dissemination — how Runtime::broadcast reaches the other validators.
struct DisseminationConfig {
  std::string mode = "direct";       // "direct" | "flood" | "push" | "push_pull"
  std::uint32_t fanout = 8;          // push (>= 1) / push_pull: full copies pushed per node
  double processing_delay_ms = 0.0;  // per hop, before a node forwards
  friend bool operator==(const DisseminationConfig&, const DisseminationConfig&) = default;
};

struct NetworkConfig {
  std::uint32_t validators = 4;  // >= 4 (n = 3f + 1 needs f >= 1)
  LatencyConfig latency;
  BandwidthConfig bandwidth;
  std::vector<NodeClassShare> classes;  // empty: every node has network.bandwidth, no extra
  TopologyConfig topology;
  DisseminationConfig dissemination;
  /// SimGrid platform file (absolute after loading; "" = pipesim's own star platform). Hosts
  /// give speed, cores and pair latencies (docs/scenario.md).
  std::string platform_xml;
  friend bool operator==(const NetworkConfig&, const NetworkConfig&) = default;
};

/// nodes — validator hardware (all validators identical for now).
struct NodesConfig {
  std::uint32_t cores = 16;   // CPU cores per validator (SimGrid host core count)
  double speed_factor = 1.0;  // core speed relative to the cost model's reference core
  friend bool operator==(const NodesConfig&, const NodesConfig&) = default;
};

/// consensus.dag — the leaderless DAG BFT (models/consensus/dag_bft.hpp), used when
/// consensus.protocol is "dag_bft" (pipeline speculate_order_replay).
struct DagConsensusConfig {
  std::uint32_t wave_length_rounds = 4;  // rounds per wave: 4 = DAG-Rider, 2 = Tusk-style votes
  double round_time_ms = 0.0;            // minimum time between a node's vertex proposals
  friend bool operator==(const DagConsensusConfig&, const DagConsensusConfig&) = default;
};

/// consensus — chained HotStuff (MonadBFT-like), or the leaderless DAG BFT.
struct ConsensusConfig {
  /// "hotstuff" (pipelines interleaved, async_execution, propagation) | "dag_bft"
  /// (speculate_order_replay; the two go together).
  std::string protocol = "hotstuff";
  double block_time_ms = 1000.0;      // minimum round duration (pacing)
  double round_timeout_ms = 4000.0;   // pacemaker local timeout before sending a timeout message
  double signature_verify_us = 50.0;  // per signature verification (vote, proposal, timeout)
  double signature_sign_us = 20.0;    // per signature creation
  double qc_verify_us = 1000.0;       // per aggregate (quorum/timeout certificate) verification
  DagConsensusConfig dag;
  friend bool operator==(const ConsensusConfig&, const ConsensusConfig&) = default;
};

/// pipeline.cost_model — turns executor work into virtual seconds (see models/execution).
/// pipeline.cost_model — models/execution/cost_model.hpp (defaults and sources there;
/// docs/scenario.md). `preset` (read first) sets every field; keys given with it override.
struct CostModelConfig {
  std::string preset;  // "" (the defaults) or a name of execution::cost_model_preset_names()
  double tx_fixed_us = execution::CostModel{}.tx_fixed_us;
  double cpu_ns_per_gas = execution::CostModel{}.cpu_ns_per_gas;
  double write_us = execution::CostModel{}.write_us;
  double warm_read_us = execution::CostModel{}.warm_read_us;
  double sig_recover_us = execution::CostModel{}.sig_recover_us;
  std::string state_tier = "memory";  // "memory" | "page_cache" | "disk"
  double memory_read_us = execution::CostModel{}.memory_read_us;
  double page_cache_read_us = execution::CostModel{}.page_cache_read_us;
  double cold_read_us = execution::CostModel{}.cold_read_us;
  double disk_iops = execution::CostModel{}.disk_iops;
  std::uint64_t memory_cache_bytes = 0;
  bool async_io = false;  // reads overlap (true) or block the worker (false)
  double task_overhead_us = execution::CostModel{}.task_overhead_us;
  double mv_read_us = execution::CostModel{}.mv_read_us;
  double validate_read_us = execution::CostModel{}.validate_read_us;
  double trie_node_hash_us = execution::CostModel{}.trie_node_hash_us;
  double trie_node_miss_fraction = execution::CostModel{}.trie_node_miss_fraction;
  /// The executors' cost model.
  execution::CostModel model() const;
  /// Sets every field from a preset's model (state_tier as its name).
  void assign(const execution::CostModel& m);
  friend bool operator==(const CostModelConfig&, const CostModelConfig&) = default;
};

/// pipeline.sor — the speculate_order_replay pipeline (Vegeta, NSDI 2025); docs/pipelines.md.
struct SorConfig {
  /// "improved" (Vegeta Alg. 3) | "basic" (Alg. 2): how replay treats a mismatched speculation.
  std::string replay_mode = "improved";
  /// "leaderless": every proposer speculates its batch; "leader": only the round's leader
  /// (round-robin, round mod n) does, the other batches carry no speculated sets.
  std::string speculation = "leaderless";
  bool reorder = true;  // speculation reorders the batch longest dependency chain first
  /// Speculate on the replayed state plus the speculated writes of the proposer's own batches
  /// not yet replayed (false: on the replayed state alone, Vegeta's "latest local state").
  bool speculate_on_pending = false;
  friend bool operator==(const SorConfig&, const SorConfig&) = default;
};

/// pipeline — how consensus and execution interleave, and the executor.
struct PipelineConfig {
  /// "interleaved" | "async_execution" | "propagation" | "async_backing" |
  /// "speculate_order_replay"
  std::string kind = "interleaved";
  /// "sequential" | "block_stm" | "batch_occ" | "optimistic" (models/execution/executor.hpp)
  std::string executor = "sequential";
  std::uint32_t threads = 1;                   // executor worker threads (<= nodes.cores)
  bool lazy_beneficiary = true;                // Block-STM: apply beneficiary fee credits lazily
  std::string commitment = "mpt";              // "mpt" | "flat_hash"
  std::uint64_t block_gas_limit = 30'000'000;  // gas per block
  std::uint64_t max_block_txs = 10'000;        // transactions per block
  /// async_execution: the header of block N carries the state root of block N - d_lag
  /// (blocks; Monad's D). 0 = the proposer executes before proposing, validators check one
  /// block late (docs/pipelines.md).
  std::uint32_t d_lag = 3;
  /// async_execution: "none" (execute blocks once finalized) | "on_proposal" | "on_vote"
  /// (start speculatively; work on abandoned blocks is wasted).
  std::string speculative_execution = "none";
  /// propagation: size of the block each source broadcasts (bytes), and the number of sources
  /// (validators 0 .. sources-1, each broadcasting one block at time 0).
  std::uint64_t block_size_bytes = 1'000'000;
  std::uint32_t propagation_sources = 1;
  CostModelConfig cost_model;
  SorConfig sor;
  friend bool operator==(const PipelineConfig&, const PipelineConfig&) = default;
};

/// workload — transaction arrival.
struct WorkloadConfig {
  /// "transfers": Poisson native transfers between `accounts` synthetic accounts;
  /// "eth_mainnet" | "eth_bal": replay of the recorded mainnet blocks shipped in data/ (access
  /// traces), in recorded order, arriving at `tps` (docs/workloads.md).
  std::string kind = "transfers";
  double tps = 1000.0;                    // Poisson arrival rate over the whole network (tx/s)
  std::uint32_t accounts = 10'000;        // distinct sender/recipient accounts
  double zipf_exponent = 0.0;             // account popularity: 0 = uniform, > 0 = Zipf exponent
  bool gossip = true;                     // submitted txs are gossiped to every mempool
  std::vector<std::uint32_t> eth_blocks;  // replay: block numbers (empty = every shipped one)
  bool poisson_arrivals = false;  // replay: exponential gaps instead of even spacing at `tps`
  std::uint64_t initial_balance_wei = 1'000'000'000'000'000'000ULL;  // per account (1 ether)
  std::uint64_t transfer_value_wei = 1;                              // value moved by each transfer
  std::uint64_t tx_gas_limit = 21'000;    // gas limit of each transfer (>= 21000)
  std::uint64_t max_fee_per_gas_wei = 1;  // fee cap; transfers pay it in full (legacy pricing)
  friend bool operator==(const WorkloadConfig&, const WorkloadConfig&) = default;
};

/// faults — crashed validators (fail-stop).
struct FaultsConfig {
  std::vector<std::uint32_t> crashed;  // validator indices that crash
  double crash_at_s = 0.0;             // simulated time of the crash
  /// async_execution: validators whose execution diverges (one corrupted write) from block
  /// height `diverge_at_height` on; caught when their root of N is compared at N + d_lag.
  std::vector<std::uint32_t> divergent;
  std::uint64_t diverge_at_height = 10;
  friend bool operator==(const FaultsConfig&, const FaultsConfig&) = default;
};

/// outputs — what a run writes into its folder.
struct OutputsConfig {
  std::string dir = "out";        // overridden by --out
  bool trace = true;              // trace.json (Chrome trace event format)
  bool blocks_csv = true;         // blocks.csv
  bool txs_csv = false;           // txs.csv
  double tx_sample_rate = 0.01;   // fraction of transactions in txs.csv
  std::uint32_t trace_nodes = 8;  // trace only validators [0, trace_nodes) to keep traces small
  friend bool operator==(const OutputsConfig&, const OutputsConfig&) = default;
};

/// polkadot — the async_backing pipeline's relay chain and parachains (docs/pipelines.md,
/// "async_backing"). Defaults are Polkadot's production values with asynchronous backing.
struct PolkadotConfig {
  std::string backing_mode = "async";  // "sync" | "async"
  double relay_slot_ms = 6000.0;       // BABE slot (polkadot runtime MILLISECS_PER_BLOCK)
  std::uint32_t parachains = 4;        // parachains, one core each
  std::uint32_t collators_per_parachain = 2;
  std::uint32_t backing_group_size = 5;            // validators per backing group
  std::uint32_t group_rotation_relay_blocks = 10;  // group_rotation_frequency
  /// Collator's block-building budget (ms); 0 = by mode: 500 (sync) / 2000 (async), the
  /// parachain template's authoring durations.
  double authoring_time_ms = 0.0;
  std::uint64_t pov_size_limit_bytes = 5 * 1024 * 1024;  // HostConfiguration max_pov_size
  std::uint32_t max_candidate_depth = 3;                 // AsyncBackingParams (async only)
  std::uint32_t allowed_ancestry_len = 2;                // AsyncBackingParams (async only)
  std::uint32_t unincluded_segment_capacity = 3;         // parachain template (async only)
  std::uint32_t block_processing_velocity = 1;           // parachain template (async only)
  std::uint32_t minimum_backing_votes = 2;               // HostConfiguration
  std::uint32_t availability_timeout_relay_blocks = 10;  // relay blocks pending availability
  double bitfield_delay_ms = 1500.0;             // availability bitfield signed after block import
  double grandpa_round_ms = 3000.0;              // a GRANDPA round starts every this many ms
  std::uint32_t grandpa_vote_behind_blocks = 2;  // voting rule BeforeBestBlockBy
  /// Relay blocks authored in [stall_from_s, stall_from_s + stall_duration_s) carry no
  /// parachain inherent (no backing, no availability): a stalled inclusion. 0 = none.
  double stall_from_s = 0.0;
  double stall_duration_s = 0.0;
  friend bool operator==(const PolkadotConfig&, const PolkadotConfig&) = default;
};

struct Scenario {
  std::string name = "unnamed";
  std::uint64_t seed = 1;
  double duration_s = 60.0;  // simulated seconds
  NetworkConfig network;
  NodesConfig nodes;
  ConsensusConfig consensus;
  PipelineConfig pipeline;
  WorkloadConfig workload;
  FaultsConfig faults;
  OutputsConfig outputs;
  PolkadotConfig polkadot;
  friend bool operator==(const Scenario&, const Scenario&) = default;
};

/// Applies one `--set key.path=value` override to raw scenario JSON. `value` is parsed as JSON
/// when it is valid JSON (numbers, true/false, arrays, quoted strings), else taken as a string.
/// Intermediate objects are created. Throws ScenarioError for a malformed assignment.
void apply_override(nlohmann::json& doc, const std::string& assignment);

/// Validates raw JSON and converts it to a Scenario (defaults filled). Throws ScenarioError.
/// `base_dir` resolves relative file paths inside the scenario (the scenario file's folder).
Scenario parse_scenario(const nlohmann::json& doc, const std::string& base_dir = ".");

/// Reads a file, applies overrides, then parse_scenario. Throws ScenarioError (path "" for an
/// unreadable file or a JSON syntax error, with the line/column).
Scenario load_scenario(const std::string& file, const std::vector<std::string>& overrides = {});

/// The fully resolved scenario as JSON (every key, defaults included), for summary.json.
nlohmann::json to_json(const Scenario& scenario);

}  // namespace pipesim::sim
