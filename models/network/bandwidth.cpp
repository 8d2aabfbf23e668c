#include "models/network/bandwidth.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

namespace pipesim::network {
namespace {

void require_rate(double v, const char* name) {
  if (!std::isfinite(v) || v <= 0.0) {
    std::ostringstream ss;
    ss << "bandwidth: " << name << " must be a finite number > 0 (Mbit/s), got " << v;
    throw std::invalid_argument(ss.str());
  }
}

}  // namespace

void validate(const BandwidthParams& p) {
  require_rate(p.upload_mbps, "upload_mbps");
  require_rate(p.download_mbps, "download_mbps");
}

BandwidthModel::BandwidthModel(std::uint32_t nodes, const BandwidthParams& defaults) {
  if (nodes == 0) throw std::invalid_argument("bandwidth: node count must be >= 1, got 0");
  validate(defaults);
  up_.assign(nodes, mbps_to_bytes_per_s(defaults.upload_mbps));
  down_.assign(nodes, mbps_to_bytes_per_s(defaults.download_mbps));
}

void BandwidthModel::check(NodeId node) const {
  if (node >= up_.size()) {
    throw std::out_of_range("bandwidth: node " + std::to_string(node) +
                            " out of range (node count " + std::to_string(up_.size()) + ")");
  }
}

void BandwidthModel::set_node(NodeId node, const BandwidthParams& p) {
  check(node);
  validate(p);
  up_[node] = mbps_to_bytes_per_s(p.upload_mbps);
  down_[node] = mbps_to_bytes_per_s(p.download_mbps);
}

double BandwidthModel::upload_bytes_per_s(NodeId node) const {
  check(node);
  return up_[node];
}

double BandwidthModel::download_bytes_per_s(NodeId node) const {
  check(node);
  return down_[node];
}

double BandwidthModel::transfer_time_s(std::uint64_t bytes, NodeId from, NodeId to) const {
  return static_cast<double>(bytes) / std::min(upload_bytes_per_s(from), download_bytes_per_s(to));
}

}  // namespace pipesim::network
