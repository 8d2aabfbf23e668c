#include "models/network/vivaldi.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>
#include <stdexcept>
#include <unordered_set>

#include "models/common/random.hpp"
#include "models/network/presets.hpp"

namespace pipesim::network {

std::vector<VivaldiPeer> load_syscoord(const std::filesystem::path& file) {
  const std::string where = "syscoord file '" + file.string() + "'";
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + where);
  std::vector<VivaldiPeer> peers;
  std::unordered_set<std::uint64_t> ids;
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    std::istringstream ls(line);
    VivaldiPeer p;
    std::string h;
    std::string extra;
    if (!(ls >> p.id >> p.coord.x_ms >> p.coord.y_ms >> h >> p.coord.height_ms) || h != "h" ||
        (ls >> extra)) {
      throw std::runtime_error(where + " line " + std::to_string(line_no) +
                               ": expected `ID X Y h HEIGHT`, got \"" + line + "\"");
    }
    if (!std::isfinite(p.coord.x_ms) || !std::isfinite(p.coord.y_ms) ||
        !std::isfinite(p.coord.height_ms) || p.coord.height_ms < 0.0) {
      throw std::runtime_error(where + " line " + std::to_string(line_no) +
                               ": coordinates must be finite and the height >= 0: \"" + line +
                               "\"");
    }
    if (!ids.insert(p.id).second) {
      throw std::runtime_error(where + " line " + std::to_string(line_no) + ": peer ID " +
                               std::to_string(p.id) + " appears twice");
    }
    peers.push_back(p);
  }
  if (peers.empty()) throw std::runtime_error(where + ": no peers");
  return peers;
}

double vivaldi_one_way_ms(const VivaldiCoord& a, const VivaldiCoord& b) {
  return std::hypot(a.x_ms - b.x_ms, a.y_ms - b.y_ms) + a.height_ms + b.height_ms;
}

std::string_view to_string(PeerSelection s) {
  switch (s) {
    case PeerSelection::kFirst:
      return "first";
    case PeerSelection::kSample:
      return "sample";
    case PeerSelection::kWrap:
      return "wrap";
  }
  return "unknown";
}

PeerSelection peer_selection_from_string(std::string_view name) {
  if (name == "first") return PeerSelection::kFirst;
  if (name == "sample") return PeerSelection::kSample;
  if (name == "wrap") return PeerSelection::kWrap;
  throw std::invalid_argument("unknown peer selection \"" + std::string(name) +
                              "\"; valid: first, sample, wrap");
}

std::vector<std::uint32_t> select_peers(std::uint32_t n, std::size_t peer_count,
                                        PeerSelection selection, std::uint64_t seed) {
  if (n == 0) throw std::invalid_argument("vivaldi: validator count must be >= 1, got 0");
  if (peer_count == 0) throw std::invalid_argument("vivaldi: the peer set is empty");
  if (selection != PeerSelection::kWrap && n > peer_count) {
    throw std::invalid_argument("vivaldi: " + std::to_string(n) + " validators but only " +
                                std::to_string(peer_count) +
                                " measured peers; use peer selection \"wrap\" to reuse peers");
  }
  std::vector<std::uint32_t> out(n);
  if (selection == PeerSelection::kFirst) {
    std::iota(out.begin(), out.end(), 0u);
  } else if (selection == PeerSelection::kWrap) {
    for (std::uint32_t i = 0; i < n; ++i) out[i] = static_cast<std::uint32_t>(i % peer_count);
  } else {
    std::vector<std::uint32_t> all(peer_count);
    std::iota(all.begin(), all.end(), 0u);
    std::mt19937_64 rng(seed);
    pipesim::partial_shuffle(all.begin(), all.end(), n, rng);
    std::copy(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), out.begin());
  }
  return out;
}

LatencyModel vivaldi_latency(std::uint32_t n, std::span<const VivaldiPeer> peers,
                             PeerSelection selection, std::uint64_t seed, double jitter_ms) {
  const auto idx = select_peers(n, peers.size(), selection, seed);
  std::vector<VivaldiCoord> coords(n);
  for (std::uint32_t i = 0; i < n; ++i) coords[i] = peers[idx[i]].coord;
  return LatencyModel::vivaldi(n, coords, jitter_ms);
}

std::span<const std::string_view> syscoord_dataset_names() {
  static constexpr std::array<std::string_view, 3> kNames = {"harvard", "p2psim", "meridian"};
  return kNames;
}

std::filesystem::path syscoord_path(std::string_view name) {
  for (std::string_view known : syscoord_dataset_names()) {
    if (known == name) {
      return network_data_dir() / "platforms" / ("median_" + std::string(name) + ".syscoord");
    }
  }
  throw std::invalid_argument("unknown syscoord data set \"" + std::string(name) +
                              "\"; valid: harvard, p2psim, meridian");
}

}  // namespace pipesim::network
