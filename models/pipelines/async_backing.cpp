#include "models/pipelines/async_backing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>
#include <variant>

#include "models/consensus/polkadot/relay_chain.hpp"
#include "models/pipelines/async_backing_app.hpp"
#include "models/pipelines/kernel/driver.hpp"

namespace pipesim::pipelines {
namespace async_backing_detail {

AsyncBacking::AsyncBacking(const sim::Scenario& scenario, sim::Runtime& rt)
    : s_(scenario),
      p_(scenario.polkadot),
      rt_(rt),
      rec_(rt.recorder()),
      feed_(scenario, rt, collator_feed()),
      chain_(scenario, feed_.source().genesis()),
      n_(rt.validators()),
      paras_n_(p_.parachains),
      collators_(p_.collators_per_parachain),
      relay_n_(n_ - paras_n_ * collators_),
      groups_(std::make_shared<const pd::BackingGroups>(relay_n_, p_.backing_group_size,
                                                        p_.group_rotation_relay_blocks)),
      sync_(p_.backing_mode == "sync"),
      slot_s_(p_.relay_slot_ms / 1000.0),
      authoring_s_((p_.authoring_time_ms > 0.0 ? p_.authoring_time_ms : (sync_ ? 500.0 : 2000.0)) /
                   1000.0) {
  pd::BackingParams bp;
  bp.mode = sync_ ? pd::BackingMode::kSync : pd::BackingMode::kAsync;
  bp.max_candidate_depth = p_.max_candidate_depth;
  bp.allowed_ancestry_len = p_.allowed_ancestry_len;
  bp.unincluded_segment_capacity = p_.unincluded_segment_capacity;
  bp.block_processing_velocity = p_.block_processing_velocity;
  bp.minimum_backing_votes = p_.minimum_backing_votes;
  bp.availability_timeout_relay_blocks = p_.availability_timeout_relay_blocks;
  paras_.resize(paras_n_);
  for (auto& para : paras_) para.tracker = std::make_unique<pd::ParachainTracker>(bp);
  const std::vector<bool> crashed = sim::ever_crashed(scenario);
  for (NodeId v = relay_n_; v-- > 0;) {
    if (!crashed[v]) reference_ = v;  // the first relay validator that never crashes
  }
  pd::RelayNodeConfig rc;
  rc.nodes = n_;
  rc.relay_validators = relay_n_;
  rc.cores = paras_n_;
  rc.seed = s_.seed;
  rc.slot_s = slot_s_;
  rc.bitfield_delay_s = p_.bitfield_delay_ms / 1000.0;
  const pd::SignatureCost sig{s_.consensus.signature_verify_us * 1e-6,
                              s_.consensus.signature_sign_us * 1e-6};
  rc.signatures = sig;
  pd::GrandpaConfig gc{relay_n_, p_.grandpa_round_ms / 1000.0, p_.grandpa_vote_behind_blocks, sig};
  nodes_.resize(n_);
  for (NodeId v = 0; v < n_; ++v) {
    nodes_[v].relay = std::make_unique<pd::RelayChainNode>(rc, v);
    if (!is_collator(v)) {
      nodes_[v].backer = std::make_unique<pd::Backer>(groups_, relay_n_, v, sig);
      nodes_[v].grandpa = std::make_unique<pd::GrandpaVoter>(gc, v);
      continue;
    }
    pd::CollatorConfig cc;
    cc.collators = collators_;
    cc.index = (v - relay_n_) % collators_;
    cc.relay_blocks_per_para_slot = sync_ ? 2 : 1;  // 12 s parablocks in sync mode
    cc.velocity = p_.block_processing_velocity;
    cc.slot_s = slot_s_;
    nodes_[v].collator = std::make_unique<pd::Collator>(cc);
  }
  slots_ = static_cast<std::uint64_t>(std::max(0.0, std::ceil(s_.duration_s / slot_s_) - 1.0));
  relay_.emplace_back();  // genesis
}

void AsyncBacking::on_start() {
  feed_.start([this](std::size_t first, std::size_t end) {
    tx_owner_.resize(end, 0);
    tx_done_.resize(end, 0);
    tx_in_block_.resize(end, 0);
    for (std::size_t k = first; k < end; ++k) paras_[para_of(feed_.tx(k))].mempool.push_back(k);
  });
  for (NodeId v = 0; v < n_; ++v) {
    if (rt_.is_crashed(v)) continue;
    NodeCores& c = nodes_[v];
    apply(v, c.relay->start(rt_.now()));
    if (c.grandpa) apply(v, c.grandpa->start(rt_.now()));
    // Genesis is every collator's relay parent 0: collators may build at once.
    if (c.collator) apply(v, c.collator->on_relay_block(rt_.now(), 0));
  }
}

void AsyncBacking::on_recover(NodeId node) {
  // Timers due while the node was down are lost: re-arm the slot and GRANDPA round clocks.
  apply(node, nodes_[node].relay->start(rt_.now()));
  if (nodes_[node].grandpa) apply(node, nodes_[node].grandpa->start(rt_.now()));
}

void AsyncBacking::on_timer(NodeId node, std::uint64_t timer_id) {
  // A slot or round that starts at the end of the run is outside it (as slot s < duration / slot).
  if (rt_.now() >= s_.duration_s) return;
  NodeCores& c = nodes_[node];
  switch (pd::pd_timer_kind(timer_id)) {
    case pd::PdTimer::kBitfield:
      if (rec_.traced(node) && !is_collator(node)) {
        rec_.instant(node, sim::Track::kNetwork,
                     fmt::format("sign bitfield on #{}", pd::pd_timer_value(timer_id)), rt_.now());
      }
      [[fallthrough]];
    case pd::PdTimer::kSlot:
      apply(node, c.relay->on_timer(rt_.now(), timer_id));
      break;
    case pd::PdTimer::kGrandpaRound:
      if (c.grandpa) apply(node, c.grandpa->on_timer(rt_.now(), timer_id));
      break;
    case pd::PdTimer::kVelocity:
      if (c.collator) apply(node, c.collator->on_timer(rt_.now(), timer_id));
      break;
  }
}

void AsyncBacking::on_deliver(NodeId node, NodeId from, std::uint16_t channel,
                              const std::shared_ptr<const void>& payload) {
  if (channel != kPolkadotChannel) return;
  const auto msg = std::static_pointer_cast<const pd::Message>(payload);
  NodeCores& c = nodes_[node];
  const double now = rt_.now();
  std::visit(
      [&](const auto& body) {
        using B = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<B, pd::GrandpaVote>) {
          if (c.grandpa) apply(node, c.grandpa->on_message(now, body));
        } else if constexpr (std::is_same_v<B, pd::Collation> || std::is_same_v<B, pd::Statement>) {
          if (c.backer) apply(node, c.backer->on_message(now, from, msg));
        } else {
          if constexpr (std::is_same_v<B, pd::Chunk>) {
            if (rec_.traced(node)) {
              rec_.instant(node, sim::Track::kNetwork,
                           fmt::format("chunk of {} from {}", body.id, from), now);
            }
          }
          apply(node, c.relay->on_message(now, from, msg));
        }
      },
      msg->body);
}

void AsyncBacking::apply(NodeId node, const pd::Effects& effects) {
  drive_effects(rt_, node, kPolkadotChannel, effects, [&](const auto& e, double /*depart*/) {
    using E = std::decay_t<decltype(e)>;
    if constexpr (std::is_same_v<E, pd::Imported>) {
      imported(node, *e.block);
    } else if constexpr (std::is_same_v<E, pd::AuthorSlot>) {
      author_relay_block(node, e);
    } else if constexpr (std::is_same_v<E, pd::ValidateCandidate>) {
      validate(node, e);
    } else if constexpr (std::is_same_v<E, pd::StatementIssued>) {
      statement_issued(node, e.id);
    } else if constexpr (std::is_same_v<E, pd::Finalized>) {
      finalized(node, e.number);
    } else if constexpr (std::is_same_v<E, pd::BuildCollation>) {
      build_collation(node, e.relay_parent);
    }
  });
}

// ---- relay chain ----

void AsyncBacking::author_relay_block(NodeId author, const pd::AuthorSlot& slot) {
  const double now = rt_.now();
  const std::uint64_t number = relay_.size();
  if (slot.parent + 1 != number) {
    // The author has not imported the canonical tip (a partition or a delay longer than a
    // slot): its block forks at a height the others already have and loses the longest-chain
    // fork choice (first seen wins a tie). It is orphaned: the slot stays empty.
    ++forks_orphaned_;
    if (rec_.traced(author)) {
      rec_.instant(author, sim::Track::kConsensus,
                   fmt::format("orphaned fork on relay #{} (tip #{})", slot.parent, number - 1),
                   now);
    }
    apply(author, nodes_[author].relay->on_orphaned(now, slot.parent + 1));
    return;
  }
  RelayBlockRec b;
  b.number = number;
  b.slot = slot.slot;
  b.author = author;
  b.authored_s = now;
  b.inherent = !(p_.stall_duration_s > 0.0 && now >= p_.stall_from_s &&
                 now < p_.stall_from_s + p_.stall_duration_s);
  const pd::RelayChainNode& node = *nodes_[author].relay;
  const pd::Backer& backer = *nodes_[author].backer;
  const std::uint32_t threshold = pd::supermajority(relay_n_);
  auto block = std::make_shared<pd::RelayBlock>();
  for (std::uint32_t para = 0; para < paras_n_; ++para) {
    Para& pa = paras_[para];
    const auto pending = pa.tracker->pending_availability();
    const bool avail =
        pending && b.inherent && node.available_votes(number - 1, *pending) >= threshold;
    const auto out = pa.tracker->on_relay_block(
        number, avail,
        [&](const pd::Candidate& c) {
          return backer.statements_known(c.id) >= p_.minimum_backing_votes;
        },
        b.inherent);
    if (out.included) {
      CandRec& rec = cands_.at(*out.included);
      rec.included_s = now;
      b.included.push_back(*out.included);
      b.included_gas += rec.gas;
      b.included_bytes += rec.pov_bytes;
      pa.inclusion_times.push_back(now);
      for (std::uint64_t t : rec.txs) tx_done_[t] = 1;
      rec_.block_stage(author, ref(*out.included), "included", now);
    }
    for (CandidateId d : out.dropped) {
      ++dropped_[pd::to_string(pa.tracker->find(d)->drop_reason)];
      rec_.block_stage(author, ref(d), "dropped", now);
    }
    if (out.backed_on_chain) {
      const CandidateId id = *out.backed_on_chain;
      CandRec& rec = cands_.at(id);
      rec.backed_on_chain_s = now;
      b.backed.push_back(id);
      const auto& votes = pa.tracker->find(id)->valid_votes;
      block->backed.push_back(pd::BackedReceipt{id, rec.pov_bytes, {votes.begin(), votes.end()}});
      for (std::uint64_t t : rec.txs) {
        if (!tx_in_block_[t]) rec_.tx_included(t, now);
        tx_in_block_[t] = 1;
      }
      rec_.block_stage(author, ref(id), "backed_on_chain", now);
    }
    if (const auto p = pa.tracker->pending_availability()) {
      const auto& votes = pa.tracker->find(*p)->valid_votes;
      block->pending.push_back(
          pd::BackedReceipt{*p, cands_.at(*p).pov_bytes, {votes.begin(), votes.end()}});
    }
    segment_sample(para, now);
  }
  // Header + the parachain inherent: R signed bitfields and, per backed candidate, its receipt
  // and two statements (messages.hpp).
  b.size_bytes = pd::kRelayHeaderBytes +
                 (b.inherent ? relay_n_ * (64 + (paras_n_ + 7) / 8 + 4) : 0) +
                 b.backed.size() * (pd::kCandidateReceiptBytes + 2 * pd::kStatementBytes);
  rec_.block_stage(author, relay_ref(b), "relay_authored", now);
  if (rec_.traced(author)) {
    rec_.instant(author, sim::Track::kConsensus,
                 fmt::format("author relay #{} ({} backed, {} included{})", number, b.backed.size(),
                             b.included.size(), b.inherent ? "" : ", no inherent"),
                 now);
  }
  block->number = number;
  block->slot = slot.slot;
  block->author = author;
  block->included = b.included;
  block->size_bytes = b.size_bytes;
  block->signatures =
      1 + (b.inherent ? relay_n_ : 0) + 2 * static_cast<std::uint32_t>(b.backed.size());
  relay_.push_back(std::move(b));
  apply(author, nodes_[author].relay->on_authored(now, std::move(block)));
}

void AsyncBacking::imported(NodeId v, const pd::RelayBlock& b) {
  const double now = rt_.now();
  NodeCores& c = nodes_[v];
  if (rec_.traced(v)) {
    rec_.instant(v, sim::Track::kConsensus, fmt::format("import relay #{}", b.number), now);
  }
  if (c.grandpa) c.grandpa->on_block_imported(b.number);
  if (!c.collator) return;
  commit_included(v, b);
  apply(v, c.collator->on_relay_block(now, b.number));
}

// ---- GRANDPA ----

void AsyncBacking::finalized(NodeId v, std::uint64_t number) {
  if (number >= relay_.size() && linear_detail_.empty()) {
    linear_detail_ = fmt::format("validator {} finalized relay #{} beyond the canonical head #{}",
                                 v, number, relay_.size() - 1);
  }
  if (v != reference_ || number <= finalized_number_ || number >= relay_.size()) return;
  const double now = rt_.now();
  for (std::uint64_t k = finalized_number_ + 1; k <= number; ++k) {
    RelayBlockRec& b = relay_[k];
    b.finalized_s = now;
    rec_.block_stage(reference_, relay_ref(b), "relay_finalized", now);
    for (CandidateId id : b.included) {
      cands_.at(id).finalized_s = now;
      rec_.block_stage(reference_, ref(id), "finalized", now);
    }
  }
  finalized_number_ = number;
  finality_lag_blocks_.push_back(static_cast<double>(relay_.size() - 1 - number));
  if (rec_.traced(reference_)) {
    rec_.instant(reference_, sim::Track::kConsensus, fmt::format("GRANDPA finalized #{}", number),
                 now);
    rec_.counter(reference_, "finalized_relay_block", now, static_cast<double>(number));
  }
}

}  // namespace async_backing_detail

std::unique_ptr<sim::Application> make_async_backing(const sim::Scenario& scenario,
                                                     sim::Runtime& runtime) {
  return std::make_unique<async_backing_detail::AsyncBacking>(scenario, runtime);
}

}  // namespace pipesim::pipelines
