// The pipeline registry's descriptive half: one row per pipeline kind, plain data.
//
// Header-only and dependency-free so that every layer can read it: sim/scenario.cpp takes the
// `pipeline.kind` choices and the `only_for` rules from it, tools/ the CLI's per-pipeline text
// and compare rows, and `pipesim pipelines --json` dumps it for analysis/ (colours, labels,
// markers). The factories that build each pipeline are the other half
// (models/pipelines/registry/registry.hpp). Adding a pipeline: docs/architecture.md.
#pragma once

#include <array>
#include <string_view>

namespace pipesim::pipelines {

struct PipelineInfo {
  std::string_view name;    // pipeline.kind
  std::string_view label;   // figure legend, e.g. "Interleaved (Ethereum)"
  std::string_view colour;  // one colour per kind in every figure (Okabe-Ito palette:
                            // Okabe & Ito 2008, "Color Universal Design")
  std::string_view marker;  // matplotlib marker
  /// The consensus.protocol value it requires (propagation and async_backing run no
  /// consensus core of their own but keep the default).
  std::string_view consensus;
  /// Scenario sections that only this pipeline reads (set for another kind: a scenario error).
  std::array<std::string_view, 2> own_sections;
  /// Trace tracks (sim::Track names) its runs draw besides consensus and network.
  std::array<std::string_view, 3> trace_tracks;
  std::string_view summary;  // one line for `pipesim pipelines`
};

inline constexpr std::array<PipelineInfo, 5> kPipelineInfos{{
    {"interleaved",
     "Interleaved (Ethereum)",
     "#0072B2",
     "o",
     "hotstuff",
     {},
     {"execution"},
     "chained HotStuff; the leader executes before proposing, validators before voting"},
    {"async_execution",
     "Async execution (Monad)",
     "#D55E00",
     "s",
     "hotstuff",
     {},
     {"execution"},
     "chained HotStuff on unexecuted blocks; execution lags D blocks, roots checked later"},
    {"propagation",
     "Propagation",
     "#7F7F7F",
     "v",
     "hotstuff",
     {},
     {},
     "block broadcast only: propagation times over the network model"},
    {"async_backing",
     "Async backing (Polkadot)",
     "#CC79A7",
     "D",
     "hotstuff",
     {"polkadot"},
     {"execution"},
     "BABE relay chain, parachain collators, backing, availability and GRANDPA"},
    {"speculate_order_replay",
     "Speculate-order-replay",
     "#009E73",
     "^",
     "dag_bft",
     {"pipeline.sor", "consensus.dag"},
     {"speculate", "order", "replay"},
     "leaderless DAG BFT; batches speculated before ordering, replayed after"},
}};

/// The row of `name`, or nullptr.
constexpr const PipelineInfo* find_pipeline_info(std::string_view name) {
  for (const auto& p : kPipelineInfos) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace pipesim::pipelines
