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
#include <string_view>
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
  /// "star" | "ring" | "file" | "outbound_cdf"
  std::string kind = "complete";
  /// outbound_cdf: SimBlock's outbound-degree CDF "bitcoin_2015" | "litecoin" | "dogecoin"
  /// (data/latency/simblock/simblock-regions.json).
  std::string degree_distribution = "bitcoin_2015";
  std::uint32_t degree = 8;  // random_regular degree; watts_strogatz k; barabasi_albert m
  double p = 0.1;            // erdos_renyi edge probability; watts_strogatz rewiring probability
  std::string file;          // file: edge list or GraphML, resolved to an absolute path on load
  friend bool operator==(const TopologyConfig&, const TopologyConfig&) = default;
};

/// network.dissemination.compact — BIP-152 compact block relay (mode "compact"; docs/network.md).
/// Defaults are SimBlock's (SimulationConfiguration.java, main branch commit 5fc7f9f).
struct CompactRelayConfig {
  std::uint64_t sketch_bytes = 18'000;     // COMPACT_BLOCK_SIZE
  std::uint32_t high_bandwidth_peers = 0;  // per node, <= 3 (BIP-152); SimBlock: 0
  double usage_fraction = 0.964;           // CBR_USAGE_RATE: nodes that speak compact blocks
  double churn_fraction = 0.976;           // CHURN_NODE_RATE: nodes with the churn miss rate
  double miss_rate = 0.13;                 // CBR_FAILURE_RATE_FOR_CONTROL_NODE
  double churn_miss_rate = 0.27;           // CBR_FAILURE_RATE_FOR_CHURN_NODE
  /// "simblock": on a miss the missing bytes are block size x a draw from SimBlock's
  /// CBR_FAILURE_BLOCK_SIZE_DISTRIBUTION_FOR_{CONTROL,CHURN}_NODE; "constant": missing_fraction.
  std::string missing_fraction_table = "simblock";
  double missing_fraction = 0.01;
  friend bool operator==(const CompactRelayConfig&, const CompactRelayConfig&) = default;
};

/// network.dissemination — how Runtime::broadcast reaches the other validators.
struct DisseminationConfig {
  /// "direct" | "flood" | "push" | "push_pull" | "inv_getdata" | "compact" | "header_first"
  std::string mode = "direct";
  std::uint32_t fanout = 8;           // push (>= 1) / push_pull: full copies pushed per node
  double processing_delay_ms = 0.0;   // per hop, before a node forwards
  std::uint64_t announce_bytes = 40;  // inv / getdata / getblocktxn / header, bytes (>= 1)
  /// true: broadcasts and point-to-point messages share every node's uplink and downlink
  /// (busy-until times carried between them); false: each broadcast starts on idle links.
  bool shared_links = true;
  /// SimBlock compatibility: a block holds the sender's uplink until it arrives, and control
  /// messages get this extra latency (SimBlock: 10 ms). docs/network.md#simblock.
  bool hold_uplink_until_arrival = false;
  double control_extra_latency_ms = 0.0;
  CompactRelayConfig compact;
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
  /// How bulk transfers (blocks, sketches, blocktxn, and point-to-point messages of at least
  /// bulk_min_bytes) share links: "fcfs" = pipesim's arithmetic (one message at a time per
  /// uplink and downlink, first issued first served; sim/transport.hpp); "flow" = SimGrid
  /// communications on per-node up/down links with max-min fair sharing (docs/network.md).
  std::string bulk_transfer_model = "fcfs";
  /// "flow": smaller messages (and every control message) take the fast path: latency +
  /// size / min(upload, download), without occupying links. Bytes, >= 1.
  std::uint64_t bulk_min_bytes = 4096;
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
  double op_ns = execution::CostModel{}.op_ns;
  double keccak_word_ns = execution::CostModel{}.keccak_word_ns;
  double storage_op_ns = execution::CostModel{}.storage_op_ns;
  double call_us = execution::CostModel{}.call_us;
  double log_us = execution::CostModel{}.log_us;
  double precompile_us = execution::CostModel{}.precompile_us;
  double native_transfer_us = execution::CostModel{}.native_transfer_us;
  double erc20_call_us = execution::CostModel{}.erc20_call_us;
  double amm_swap_us = execution::CostModel{}.amm_swap_us;
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
  double account_trie_leaves = execution::CostModel{}.account_trie_leaves;  // 0 = as built
  double storage_trie_leaves = execution::CostModel{}.storage_trie_leaves;  // 0 = as built
  double trie_cached_levels = execution::CostModel{}.trie_cached_levels;
  bool parallel_commitment = execution::CostModel{}.parallel_commitment;
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
  std::uint32_t threads = 1;     // executor worker threads (<= nodes.cores)
  bool lazy_beneficiary = true;  // Block-STM: apply beneficiary fee credits lazily
  /// batch_occ: transactions per round (0 = threads); batch formation "index_window" |
  /// "declared_conflicts" (models/execution/executor.hpp OccFormation).
  std::uint32_t occ_batch_size = 0;
  std::string occ_formation = "index_window";
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
  /// (validators 0 .. sources-1; source b broadcasts its block at b x propagation_interval_ms).
  std::uint64_t block_size_bytes = 1'000'000;
  std::uint32_t propagation_sources = 1;
  double propagation_interval_ms = 0.0;
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
  /// eth_mainnet replay: "arrival_stream" (transactions arrive at `tps` and leaders pack blocks
  /// from the mempool) or "as_mined" (each simulated block carries exactly one recorded block:
  /// same transactions, same order, same gas; a leader proposes the next recorded block once
  /// all its transactions have arrived, ignoring pipeline.block_gas_limit and max_block_txs).
  /// as_mined needs pipeline.kind interleaved or async_execution.
  std::string mainnet_mode = "arrival_stream";
  /// replay: repeat the recorded stream with fresh senders until duration_s is covered (see
  /// workload::ReplaySourceParams::loop); false: the stream ends after its last transaction.
  bool replay_loop = false;
  std::uint64_t initial_balance_wei = 1'000'000'000'000'000'000ULL;  // per account (1 ether)
  std::uint64_t transfer_value_wei = 1;                              // value moved by each transfer
  std::uint64_t tx_gas_limit = 21'000;    // gas limit of each transfer (>= 21000)
  std::uint64_t max_fee_per_gas_wei = 1;  // fee cap; transfers pay it in full (legacy pricing)
  friend bool operator==(const WorkloadConfig&, const WorkloadConfig&) = default;
};

/// measurement — the window the transaction metrics are taken over (docs/metrics.md,
/// "Measurement window"): [warmup_s, duration_s - cooldown_s). Transactions submitted outside
/// it are left out of every transaction latency and of the window_* metrics; the defaults (0, 0)
/// measure the whole run. warmup_s + cooldown_s must be < duration_s.
struct MeasurementConfig {
  double warmup_s = 0.0;    // simulated seconds excluded at the start (pipeline fill-up)
  double cooldown_s = 0.0;  // simulated seconds excluded at the end (commits still in flight)
  friend bool operator==(const MeasurementConfig&, const MeasurementConfig&) = default;
};

/// faults.events[i] — one timed fault (docs/faults.md). Which fields apply depends on `kind`;
/// a field set for a kind that ignores it is an error. Times in simulated seconds.
///  - "crash" / "recover": `nodes` stop (crash-stop) / resume at `at_s`. A recovered node keeps
///    its protocol state and catches up from its peers (block sync where the protocol has it).
///  - "partition": during [from_s, until_s) messages between different `groups` (node sets; the
///    nodes in no group form one more group) are dropped (`mode` "drop") or held until the
///    partition heals (`mode` "delay").
///  - "loss": during [from_s, until_s) each message on an affected link is dropped with
///    `probability`, plus (class_loss_rates) each endpoint's ethshadow class loss_rate. Affected
///    links: those touching `nodes` (empty = every link), or of nodes of `link_class`.
///  - "delay": during [from_s, until_s) messages on links touching `nodes` (empty = every link)
///    take `extra_ms` longer.
///  - "slow": during [from_s, until_s) `nodes` run their CPU work `cpu_factor` times slower and
///    their messages (sent or received) take `link_factor` times their latency.
///  - "byzantine": during [from_s, until_s) `nodes` follow `behaviour` (docs/faults.md):
///    HotStuff pipelines "equivocate" (as leader: two proposals for one round, to disjoint halves
///    of the validators, and a vote for each), "withhold" (as leader: the proposal leaves
///    `delay_ms` late and never reaches the validators in `withhold_from`),
///    "invalid_execution_vote" (votes for proposals its execution check refused; as leader
///    claims a corrupted state root); speculate_order_replay "dag_equivocate" (different
///    vertices of one round to different peers); async_backing "invalid_candidate" (a collator
///    or backer sends / seconds an invalid candidate). Read by the pipelines through
///    byzantine_behaviour() below.
struct FaultEvent {
  std::string kind = "crash";  // "crash" | "recover" | "partition" | "loss" | "delay" | "slow"
                               // | "byzantine"
  std::vector<std::uint32_t> nodes;
  double at_s = 0.0;     // crash, recover
  double from_s = 0.0;   // partition, loss, delay, slow
  double until_s = 0.0;  // > from_s; 0 = until the end of the run (resolved to duration_s)
  std::vector<std::vector<std::uint32_t>> groups;  // partition
  std::string mode = "drop";                       // partition: "drop" | "delay"
  double probability = 0.0;                        // loss: per message, [0, 1]
  std::string link_class;         // loss: "" | a network.classes name: links of those nodes
  bool class_loss_rates = false;  // loss: add the endpoints' ethshadow class loss_rate
  double extra_ms = 0.0;          // delay: added one-way latency (ms)
  double cpu_factor = 1.0;        // slow: >= 1
  double link_factor = 1.0;       // slow: >= 1
  std::string behaviour;          // byzantine: see above
  std::vector<std::uint32_t> withhold_from;  // byzantine withhold: validators never sent it
  double delay_ms = 0.0;                     // byzantine withhold: proposal sent this late (ms)
  friend bool operator==(const FaultEvent&, const FaultEvent&) = default;
};

/// faults — crashed validators (fail-stop) and the timed fault schedule.
struct FaultsConfig {
  std::vector<std::uint32_t> crashed;  // shorthand: validator indices that crash at crash_at_s
  double crash_at_s = 0.0;             // simulated time of the crash
  /// async_execution: validators whose execution diverges (one corrupted write) from block
  /// height `diverge_at_height` on; caught when their root of N is compared at N + d_lag.
  std::vector<std::uint32_t> divergent;
  std::uint64_t diverge_at_height = 10;
  /// The timed schedule (docs/faults.md); `faults` given as a JSON array is read as this list.
  std::vector<FaultEvent> events;
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
  std::uint64_t pov_size_limit_bytes =
      std::uint64_t{5} * 1024 * 1024;                    // HostConfiguration max_pov_size
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
  MeasurementConfig measurement;
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

/// Largest scenario text accepted (bytes) and deepest nesting (objects/arrays): bounds checked
/// while reading and parsing, before the document is built (a /dev/zero or a 100,000-level
/// nesting is rejected with a ScenarioError, not read or recursed into).
inline constexpr std::size_t kMaxScenarioBytes = 16u << 20;
inline constexpr std::size_t kMaxScenarioDepth = 64;

/// Parses scenario JSON text with the bounds above and rejects duplicate keys (naming their JSON
/// path). Syntax errors name `source`, the byte offset and the path being read; a number that
/// overflows a double (1e400) names its path. Throws ScenarioError.
nlohmann::json parse_scenario_json(std::string_view text, const std::string& source);

/// parse_scenario_json + apply_override for each of `overrides` + parse_scenario.
Scenario parse_scenario_text(std::string_view text, const std::vector<std::string>& overrides,
                             const std::string& source, const std::string& base_dir = ".");

/// Reads a file (at most kMaxScenarioBytes), applies overrides, then parse_scenario. Throws
/// ScenarioError (path "" for an unreadable file or a JSON syntax error, with the line/column).
Scenario load_scenario(const std::string& file, const std::vector<std::string>& overrides = {});

/// Validators that run the consensus (the BFT bound f = (n-1)/3 counts these): every validator,
/// except in async_backing, where validators 0 .. n - collators - 1 are the relay chain's and
/// the rest are collators.
std::uint32_t consensus_validators(const Scenario& scenario);
/// Validators that are crashed at some time in the run (faults.crashed and every "crash" event),
/// as a per-node flag (size network.validators).
std::vector<bool> ever_crashed(const Scenario& scenario);
/// Validators never crashed during the run (where transactions enter); all of them if every
/// validator crashes at some point.
std::vector<std::uint32_t> never_crashed(const Scenario& scenario);
/// Validators that are Byzantine (a "byzantine" event names them) at some time in the run.
std::vector<bool> ever_byzantine(const Scenario& scenario);
/// The per-node Byzantine hook the pipelines read: the "byzantine" event of `node` whose
/// `behaviour` equals `behaviour` and whose [from_s, until_s) contains `t_s`, or nullptr (the
/// node is honest for that behaviour then). Behaviour names: "equivocate", "withhold",
/// "invalid_execution_vote" (HotStuff pipelines), "dag_equivocate" (speculate_order_replay),
/// "invalid_candidate" (async_backing). The scenario must have passed parse_scenario.
const FaultEvent* byzantine_behaviour(const Scenario& scenario, std::uint32_t node,
                                      std::string_view behaviour, double t_s);
/// Every "byzantine" event of `node` with `behaviour` (any time), in schedule order.
std::vector<const FaultEvent*> byzantine_events(const Scenario& scenario, std::uint32_t node,
                                                std::string_view behaviour);

/// The fully resolved scenario as JSON (every key, defaults included), for summary.json.
nlohmann::json to_json(const Scenario& scenario);

}  // namespace pipesim::sim
