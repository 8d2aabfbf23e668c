// Measured Internet latencies as Vivaldi network coordinates (*.syscoord files) and per-node
// latency models built from them.
//
// Data: data/platforms/median_{harvard,p2psim,meridian}.syscoord (226 / 1,740 / 2,500 peers),
// copied from SimGrid's examples/platforms (LGPL-2.1, see data/platforms/PROVENANCE.md). Format,
// one peer per line: `ID X Y h HEIGHT`, coordinates in milliseconds; `#` starts a comment line.
// The predicted one-way latency between peers a and b is the Euclidean distance of (X, Y) plus
// both heights (the height-vector model of Dabek, Cox, Kaashoek, Morris, "Vivaldi: a
// decentralized network coordinate system", SIGCOMM 2004; SimGrid's Vivaldi routing computes the
// same sum).
//
// Mapping validators onto peers (n validators, P peers in the file), PeerSelection:
//   - kFirst:  validator i -> peer i (the file's order); n > P is an error.
//   - kSample: a seeded sample of n distinct peers (partial Fisher-Yates over the file's order
//              driven by std::mt19937_64(seed), so the same seed gives the same peers on every
//              platform); n > P is an error. n == P gives a permutation of all peers.
//   - kWrap:   validator i -> peer i mod P: n may exceed P; validators sharing a peer are
//              co-located (latency 2 * height between them, distance 0).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "models/network/latency_model.hpp"

namespace pipesim::network {

/// One peer of a syscoord file: its ID (first column) and coordinates in ms.
struct VivaldiPeer {
  std::uint64_t id = 0;
  VivaldiCoord coord;
};

/// Parses a syscoord file. Throws std::runtime_error naming the file and line number for a file
/// that cannot be read, a line that is not `ID X Y h HEIGHT` (non-numeric, missing fields, extra
/// fields, a negative height, non-finite values), a repeated ID, or a file without peers.
std::vector<VivaldiPeer> load_syscoord(const std::filesystem::path& file);

/// Predicted one-way latency in ms between two coordinates: |(x,y)_a - (x,y)_b| + h_a + h_b.
double vivaldi_one_way_ms(const VivaldiCoord& a, const VivaldiCoord& b);

enum class PeerSelection { kFirst, kSample, kWrap };

/// "first" | "sample" | "wrap".
std::string_view to_string(PeerSelection s);
/// Inverse of to_string; throws std::invalid_argument listing the valid names.
PeerSelection peer_selection_from_string(std::string_view name);

/// Indices into `peer_count` peers for n validators (see the file comment). Throws
/// std::invalid_argument for n == 0, peer_count == 0, or n > peer_count with kFirst / kSample
/// (message names both numbers and suggests "wrap").
std::vector<std::uint32_t> select_peers(std::uint32_t n, std::size_t peer_count,
                                        PeerSelection selection, std::uint64_t seed);

/// LatencyModel::vivaldi for n validators placed on `peers` by `selection`.
LatencyModel vivaldi_latency(std::uint32_t n, std::span<const VivaldiPeer> peers,
                             PeerSelection selection, std::uint64_t seed, double jitter_ms = 0.0);

/// The syscoord data set names shipped in data/platforms: "harvard", "p2psim", "meridian".
std::span<const std::string_view> syscoord_dataset_names();

/// data_dir/platforms/median_<name>.syscoord for a dataset name; throws std::invalid_argument
/// for an unknown name (listing the valid ones). data_dir defaults to network_data_dir().
std::filesystem::path syscoord_path(std::string_view name);

}  // namespace pipesim::network
