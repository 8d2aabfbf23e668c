#include "models/pipelines/interleaved.hpp"

#include <map>

#include "models/pipelines/hotstuff_pipeline.hpp"

namespace pipesim::pipelines {
namespace {

class Interleaved final : public HotStuffPipeline {
 public:
  Interleaved(const sim::Scenario& scenario, sim::Runtime& rt)
      : HotStuffPipeline(scenario, rt), executed_at_s_(rt.validators()) {}

 private:
  // The leader executes its block before proposing: the root of N is in N's header.
  void on_request_payload(NodeId node, consensus::Round round, const BlockHeader& parent,
                          double start_s) override {
    const auto picked = select_transactions(node, parent, start_s);
    const std::uint64_t id = new_payload(node, parent, picked, start_s);
    const auto result = execute_payload(chain_, id);
    consensus::Payload payload;
    payload.payload_id = id;
    payload.size_bytes = payload_bytes(picked);
    payload.state_root = result->state_root;
    payload.tx_count = result->tx_count;
    payload.gas_used = result->gas_used;
    execute_on_lane(node, result, [this, node, round, payload](double done) {
      payload_ready(node, round, payload, done);
    });
  }

  // Every validator executes the block before voting and refuses a root mismatch.
  void on_request_validation(NodeId node, const BlockHeader& header) override {
    const auto parent_payload = payload_of(header.parent_id);
    const PayloadRecord* p = payload(header.payload_id);
    std::shared_ptr<const ExecutedBlock> result =
        p && parent_payload && p->parent_payload == *parent_payload
            ? execute_payload(chain_, header.payload_id)
            : nullptr;
    if (!result) {  // unknown payload, or not built on the header's parent: refuse
      validated(node, header.id, false, rt_.now());
      return;
    }
    execute_on_lane(node, result, [this, node, header, result](double done) {
      executed_at_s_[node][header.id] = done;
      rec_.block_stage(node, ref(header), "executed", done);
      // Compute once: the validator's own execution yields result->state_root.
      validated(node, header.id, header.state_root == result->state_root, done);
    });
  }

  void on_block_committed(NodeId node, const BlockHeader& h) override {
    auto& executed = executed_at_s_[node];
    auto it = executed.find(h.id);
    const double when = it != executed.end() ? it->second : rt_.now();
    if (it != executed.end()) executed.erase(it);
    if (const PayloadRecord* p = payload(h.payload_id)) {
      feed_.record_executed(node, h.payload_id, p->txs, when);
    }
    if (node == reference_node_) {
      if (auto r = chain_.find(h.payload_id)) final_roots_[h.height] = r->state_root;
      chain_.finalize(h.payload_id);
    }
  }

  void report_pipeline() override {
    // Invariant: every committed header carries the root its block's execution produced.
    bool agree = true;
    std::string detail;
    for (const consensus::BlockHeader* h : committed_chain(reference_node_)) {
      auto it = final_roots_.find(h->height);
      if (it == final_roots_.end() || it->second != h->state_root) {
        agree = false;
        detail = "height " + std::to_string(h->height);
        break;
      }
    }
    rec_.invariant("honest_state_roots_agree", agree, detail);
  }

  std::vector<std::map<BlockId, double>> executed_at_s_;  // per node, not yet committed
  std::map<std::uint64_t, Hash32> final_roots_;           // height -> executed root
};

}  // namespace

std::unique_ptr<sim::Application> make_interleaved(const sim::Scenario& scenario,
                                                   sim::Runtime& runtime) {
  return std::make_unique<Interleaved>(scenario, runtime);
}

}  // namespace pipesim::pipelines
