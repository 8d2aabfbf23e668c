// Latency and bandwidth presets from measured data, all as O(1)-query models
// (LatencyModel / BandwidthModel / SimblockPairBandwidth).
//
//  * SimBlock regions (data/latency/simblock/simblock-regions.json, transcribed from
//    dsg-titech/simblock NetworkConfiguration.java on its main branch, commit 5fc7f9f,
//    Apache-2.0): 6 regions (NORTH_AMERICA, EUROPE, SOUTH_AMERICA, ASIA_PACIFIC, JAPAN,
//    AUSTRALIA), average latency matrices of 2015 and 2019 in ms (row = from), the node
//    distributions of Bitcoin 2015/2019, Litecoin and Dogecoin, the per-region download/upload
//    vectors of 2015 and 2019 in bit/s and the outbound-degree CDFs.
//    SimBlock draws every message's delay from a Pareto distribution whose mean is the matrix
//    value (LatencyModel::with_pareto_jitter reproduces it).
//  * AWS inter-region ping (data/latency/aws/p50.json, p90.json; cloudping.co via commonware's
//    estimator): the loader is load_cloudping_matrix (latency_model.hpp); commonware_jitter_ms
//    gives the estimator's jitter (p90 - p50) / 2 of the round trip, i.e. one-way p90 - p50.
//  * Node classes from ethshadow (ppopth/ethshadow lib/src/config/ethshadow.rs, commit 0600b24;
//    facts only, see data/latency PROVENANCE.md): a class adds latency at each end of a link and
//    sets the node's access bandwidth. Packet loss is reported but not modelled (pipesim's
//    transport is reliable).
//
// Data directory: network_data_dir() = $PIPESIM_DATA_DIR if set and non-empty, else the
// compile-time PIPESIM_DATA_DIR (the repository's data/), else "data".
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "models/network/bandwidth.hpp"
#include "models/network/latency_model.hpp"

namespace pipesim::network {

/// $PIPESIM_DATA_DIR if set and non-empty, else the build-time PIPESIM_DATA_DIR, else "data".
std::filesystem::path network_data_dir();

// ---- SimBlock ---------------------------------------------------------------------------------

enum class SimblockYear { k2015, k2019 };

/// Contents of simblock-regions.json (units in the field names; matrices row = from region).
struct SimblockRegions {
  std::vector<std::string> regions;                          // 6 names, the order of every matrix
  std::vector<std::vector<double>> latency_ms_2015;          // R x R, mean one-way latency, ms
  std::vector<std::vector<double>> latency_ms_2019;          // R x R, ms
  std::vector<double> download_bps_2015;                     // R, bit/s
  std::vector<double> upload_bps_2015;                       // R, bit/s
  double inter_region_bps_2015 = 0.0;                        // bit/s
  std::vector<double> download_bps_2019;                     // R, bit/s
  std::vector<double> upload_bps_2019;                       // R, bit/s
  std::map<std::string, std::vector<double>> distributions;  // name -> R fractions
  std::vector<double> outbound_degree_cdf_bitcoin_2015;      // index i: P(outbound <= i + 1)
  /// "bitcoin_2015", "litecoin", "dogecoin" -> CDF of the outbound link count (as above).
  std::map<std::string, std::vector<double>> outbound_degree_cdf;

  const std::vector<double>& upload_bps(SimblockYear year) const {
    return year == SimblockYear::k2015 ? upload_bps_2015 : upload_bps_2019;
  }
  const std::vector<double>& download_bps(SimblockYear year) const {
    return year == SimblockYear::k2015 ? download_bps_2015 : download_bps_2019;
  }

  const std::vector<std::vector<double>>& latency_ms(SimblockYear year) const {
    return year == SimblockYear::k2015 ? latency_ms_2015 : latency_ms_2019;
  }
};

/// Parses simblock-regions.json. Throws std::runtime_error naming the file and the field for an
/// unreadable file, a missing field or a wrong shape (matrices must be R x R, vectors R long,
/// values finite and >= 0).
SimblockRegions load_simblock_regions(const std::filesystem::path& file);
/// network_data_dir() / "latency/simblock/simblock-regions.json".
std::filesystem::path simblock_regions_path();

/// "2015" -> k2015, "2019" -> k2019; otherwise std::invalid_argument.
SimblockYear simblock_year_from_string(std::string_view year);

/// Region matrix parameters: SimBlock's latency of `year` (one-way mean, ms) with the node
/// weights of `distribution` ("bitcoin_2015", "bitcoin_2019", "litecoin", "dogecoin"; unknown:
/// std::invalid_argument listing them).
RegionMatrixParams simblock_region_params(
    const SimblockRegions& data, SimblockYear year, std::string_view distribution,
    RegionAssignment assignment = RegionAssignment::kInterleaved);

/// LatencyModel::region_matrix from simblock_region_params, with SimBlock's Pareto jitter when
/// `pareto_jitter` (default) — sample_latency_s then draws like SimBlock, base_latency_s is the
/// matrix mean.
LatencyModel simblock_latency(std::uint32_t n, const SimblockRegions& data, SimblockYear year,
                              std::string_view distribution, bool pareto_jitter = true);

/// SimBlock's link rate between two regions in bit/s: min(upload[from], download[to]) of the
/// year's per-region vectors — SimBlock's Network.getBandwidth on its main branch
/// (dsg-titech/simblock, Network.java at commit 5fc7f9f). Throws std::out_of_range.
double simblock_pair_bandwidth_bps(const SimblockRegions& data, SimblockYear year,
                                   std::uint32_t from_region, std::uint32_t to_region);

/// Per-node access bandwidth from SimBlock's per-region figures for the regions of `regions`
/// (a region_matrix LatencyModel built from the same SimBlock data): the region's upload /
/// download entries of the year. A transfer through both access links then runs at
/// min(upload(from), download(to)), i.e. simblock_pair_bandwidth_bps. Throws
/// std::invalid_argument if `regions` does not have SimBlock's region count.
BandwidthModel simblock_access_bandwidth(const SimblockRegions& data, SimblockYear year,
                                         const LatencyModel& regions);

/// O(1) node-pair link rate following SimBlock: rate(a, b) = simblock_pair_bandwidth_bps of the
/// nodes' regions (taken from a region_matrix LatencyModel). Units: bytes/s in the query, as the
/// rest of pipesim.
class SimblockPairBandwidth {
 public:
  SimblockPairBandwidth(const SimblockRegions& data, SimblockYear year,
                        const LatencyModel& regions);
  double bytes_per_s(NodeId from, NodeId to) const {
    return rate_[region_of_.at(from) * r_ + region_of_.at(to)];
  }

 private:
  std::size_t r_ = 0;
  std::vector<double> rate_;  // R x R, bytes/s
  std::vector<std::uint16_t> region_of_;
};

/// SimBlock's compact-block-relay settings (simblock-relay.json, transcribed from SimBlock's
/// SimulationConfiguration.java, main branch commit 5fc7f9f): rates as fractions, sizes in bytes,
/// the missing-fraction tables expanded from their (value, count) runs.
struct SimblockRelay {
  std::uint64_t block_size_bytes = 0;            // BLOCK_SIZE (535,000)
  std::uint64_t compact_block_size_bytes = 0;    // COMPACT_BLOCK_SIZE (18,000)
  double cbr_usage_rate = 0.0;                   // CBR_USAGE_RATE: nodes using compact relay
  double churn_node_rate = 0.0;                  // CHURN_NODE_RATE: nodes that are "churn" nodes
  double failure_rate_control = 0.0;             // CBR_FAILURE_RATE_FOR_CONTROL_NODE
  double failure_rate_churn = 0.0;               // CBR_FAILURE_RATE_FOR_CHURN_NODE
  std::vector<double> missing_fraction_control;  // CBR_FAILURE_BLOCK_SIZE_DISTRIBUTION_FOR_...
  std::vector<double> missing_fraction_churn;
};

/// Parses simblock-relay.json. Throws std::runtime_error naming the file and field.
SimblockRelay load_simblock_relay(const std::filesystem::path& file);
/// network_data_dir() / "latency/simblock/simblock-relay.json".
std::filesystem::path simblock_relay_path();

// ---- AWS (cloudping) --------------------------------------------------------------------------

/// commonware estimator's jitter per region pair in ms: (p90_rtt - p50_rtt) / 2, i.e. the
/// difference of the one-way matrices from load_cloudping_matrix (negative values clamped to 0).
/// Use as LatencyModel::with_normal_jitter_matrix on the p50 model. Throws
/// std::invalid_argument if the two matrices have different regions.
std::vector<std::vector<double>> commonware_jitter_ms(const RegionLatencyMatrix& p50,
                                                      const RegionLatencyMatrix& p90);

// ---- Node classes (ethshadow) -----------------------------------------------------------------

/// A node class: extra one-way latency added at this node's end of every link (ms), packet loss
/// (fraction; informational) and access bandwidth (Mbit/s).
struct NodeClass {
  std::string name;
  double extra_latency_ms = 0.0;
  double loss_rate = 0.0;
  double upload_mbps = 1000.0;
  double download_mbps = 1000.0;
};

/// ethshadow's reliability classes: reliable (+0 ms, 0 loss, 1000 Mbit/s), home (+20 ms, 0.1 %,
/// 50 Mbit/s), laggy (+300 ms, 5 %, 50 Mbit/s), constrained (+20 ms, 0.1 %, 5 Mbit/s),
/// bad (+500 ms, 20 %, 2 Mbit/s); up = down.
std::span<const NodeClass> ethshadow_classes();
/// The class of that name; throws std::invalid_argument listing the valid names.
const NodeClass& ethshadow_class(std::string_view name);

/// A class and its share of the nodes (non-negative weight, normalised over all shares).
struct ClassShare {
  std::string name;
  double fraction = 0.0;
};

/// Per-node class assignment.
struct ClassAssignment {
  std::vector<NodeClass> classes;       // in the order of the shares
  std::vector<std::uint32_t> counts;    // nodes per class (sums to n)
  std::vector<std::uint16_t> class_of;  // per node, index into classes

  const NodeClass& of(NodeId node) const { return classes[class_of.at(node)]; }
  /// Per-node extra latency in ms, for LatencyModel::with_node_extra_ms.
  std::vector<double> extra_latency_ms() const;
  /// Sets every node's rates on `bw` (node counts must match; else std::invalid_argument).
  void apply_bandwidth(BandwidthModel& bw) const;
};

/// Counts by largest-remainder apportionment of the fractions (apportion()), then the classes
/// are placed on nodes by a Fisher-Yates shuffle driven by std::mt19937_64(seed): deterministic
/// by seed, independent of node order. `custom` extends / overrides ethshadow's classes by name.
/// Throws std::invalid_argument for n == 0, no shares, an unknown class, a repeated class, or
/// invalid fractions.
ClassAssignment assign_classes(std::uint32_t n, std::span<const ClassShare> shares,
                               std::uint64_t seed, std::span<const NodeClass> custom = {});

}  // namespace pipesim::network
