#include "models/pipelines/async_backing.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "models/consensus/parachain_backing.hpp"
#include "models/consensus/relay_chain.hpp"
#include "models/pipelines/chain_state.hpp"
#include "models/pipelines/kernel/execution_lane.hpp"
#include "models/pipelines/kernel/metrics.hpp"
#include "models/pipelines/kernel/workload_feed.hpp"
#include "sim/recorder.hpp"

namespace pipesim::pipelines {
namespace {

namespace pc = pipesim::consensus;
using pc::CandidateId;
using sim::NodeId;

constexpr std::uint16_t kRelayBlockChannel = 1;
constexpr std::uint16_t kCollationChannel = 2;  // collator -> seconder (PoV)
constexpr std::uint16_t kSecondedChannel = 3;   // seconder -> other group members (PoV)
constexpr std::uint16_t kChunkChannel = 4;      // backer -> validator (erasure chunk)

constexpr double kNever = std::numeric_limits<double>::infinity();

// Encoded sizes (bytes). Sources: polkadot/primitives (CandidateReceipt: descriptor with
// para id, relay parent, collator, hashes and signature + commitments hash, ~700 B with the
// head data), sr25519 signatures (64 B), Substrate header (~300 B incl. digests).
constexpr std::uint64_t kRelayHeaderBytes = 300;
constexpr std::uint64_t kCandidateReceiptBytes = 700;
constexpr std::uint64_t kStatementBytes = 64 + 32 + 16;  // signature, candidate hash, index
constexpr std::uint64_t kParablockHeaderBytes = 1024;    // PoV overhead besides the txs
constexpr std::uint64_t kGrandpaVoteBytes = 64 + 32 + 4 + 8 + 8;  // sig, hash, number, round, set
constexpr std::uint64_t kRelayBlockIdBase = 1ULL << 40;           // blocks.csv ids of relay blocks

/// A relay block's content (shared by every delivery).
struct RelayBlockMsg {
  std::uint64_t number = 0;
};

struct CollationMsg {
  CandidateId id = 0;
};

struct ChunkMsg {
  CandidateId id = 0;
};

struct RelayBlockRec {
  std::uint64_t number = 0;
  std::uint64_t slot = 0;
  NodeId author = 0;
  double authored_s = 0.0;
  double finalized_s = kNever;
  std::uint64_t size_bytes = 0;
  std::vector<CandidateId> backed;    // put on chain (pending availability) by this block
  std::vector<CandidateId> included;  // made available by this block
  std::uint64_t included_gas = 0;
  std::uint64_t included_bytes = 0;
  bool inherent = true;
};

struct CandRec {
  std::uint32_t para = 0;
  NodeId collator = 0;
  CandidateId parent = 0;
  std::uint64_t para_height = 0;
  std::uint64_t relay_parent = 0;
  double authored_s = kNever;
  double backed_s = kNever;           // backable (minimum_backing_votes statements)
  double backed_on_chain_s = kNever;  // relay block authored
  double included_s = kNever;         // relay block authored
  double finalized_s = kNever;
  std::uint64_t included_block = 0;
  std::vector<std::uint64_t> txs;
  std::uint64_t gas = 0;
  std::uint64_t pov_bytes = 0;
  std::shared_ptr<const ExecutedBlock> exec;
  NodeId seconder = 0;
  std::uint32_t executions = 0;
  std::vector<std::pair<NodeId, double>> statements;  // (validator, issue time)
  std::vector<double> chunk_at;                       // per relay validator, kNever if none
  bool registered = false;
};

struct Para {
  std::unique_ptr<pc::ParachainTracker> tracker;
  std::vector<std::uint64_t> mempool;  // tx ids in arrival order
  std::size_t first_pending = 0;
  std::vector<double> inclusion_times;  // relay block authoring times of inclusions
};

class AsyncBacking final : public sim::Application {
 public:
  AsyncBacking(const sim::Scenario& scenario, sim::Runtime& rt)
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
        groups_(relay_n_, p_.backing_group_size, p_.group_rotation_relay_blocks),
        sync_(p_.backing_mode == "sync"),
        slot_s_(p_.relay_slot_ms / 1000.0),
        authoring_s_(
            (p_.authoring_time_ms > 0.0 ? p_.authoring_time_ms : (sync_ ? 500.0 : 2000.0)) /
            1000.0) {
    pc::BackingParams bp;
    bp.mode = sync_ ? pc::BackingMode::kSync : pc::BackingMode::kAsync;
    bp.max_candidate_depth = p_.max_candidate_depth;
    bp.allowed_ancestry_len = p_.allowed_ancestry_len;
    bp.unincluded_segment_capacity = p_.unincluded_segment_capacity;
    bp.block_processing_velocity = p_.block_processing_velocity;
    bp.minimum_backing_votes = p_.minimum_backing_votes;
    bp.availability_timeout_relay_blocks = p_.availability_timeout_relay_blocks;
    paras_.resize(paras_n_);
    for (auto& para : paras_) para.tracker = std::make_unique<pc::ParachainTracker>(bp);
    best_.assign(n_, 0);
    reference_ = 0;
    const std::vector<bool> crashed = sim::ever_crashed(scenario);
    for (NodeId v = 0; v < relay_n_; ++v) {
      if (!crashed[v]) {
        reference_ = v;
        break;
      }
    }
    RelayBlockRec genesis;
    relay_.push_back(genesis);
    arrival_.push_back(std::vector<double>(n_, 0.0));
  }

  void on_start() override {
    feed_.start([this](std::size_t first, std::size_t end) {
      tx_owner_.resize(end, 0);
      tx_done_.resize(end, 0);
      tx_in_block_.resize(end, 0);
      for (std::size_t k = first; k < end; ++k) paras_[para_of(feed_.tx(k))].mempool.push_back(k);
    });
    for (std::uint64_t slot = 1; static_cast<double>(slot) * slot_s_ < s_.duration_s; ++slot) {
      const NodeId author = pc::babe_slot_author(s_.seed, slot, relay_n_);
      rt_.set_timer(author, static_cast<double>(slot) * slot_s_, slot);
      slot_authors_.push_back(author);
    }
    const double round_s = p_.grandpa_round_ms / 1000.0;
    for (std::uint64_t r = 1; static_cast<double>(r) * round_s < s_.duration_s; ++r) {
      rt_.at(static_cast<double>(r) * round_s, [this]() { grandpa_round(); });
    }
    // Genesis is every node's relay parent 0: collators may build at once.
    for (NodeId c = relay_n_; c < n_; ++c) {
      if (!rt_.is_crashed(c)) maybe_author(c, 0);
    }
  }

  void on_timer(NodeId node, std::uint64_t slot) override { author_relay_block(node, slot); }

  void on_deliver(NodeId node, NodeId from, std::uint16_t channel,
                  const std::shared_ptr<const void>& payload) override {
    switch (channel) {
      case kRelayBlockChannel:
        import_relay_block(node, static_cast<const RelayBlockMsg*>(payload.get())->number);
        break;
      case kCollationChannel:
      case kSecondedChannel:
        validate(node, static_cast<const CollationMsg*>(payload.get())->id);
        break;
      case kChunkChannel: {
        const CandidateId id = static_cast<const ChunkMsg*>(payload.get())->id;
        auto& at = cands_.at(id).chunk_at;
        at[node] = std::min(at[node], rt_.now());
        if (rec_.traced(node)) {
          rec_.instant(node, sim::Track::kNetwork, fmt::format("chunk of {} from {}", id, from),
                       rt_.now());
        }
        break;
      }
      default:
        break;
    }
  }

  void on_finish() override { report(); }

 private:
  // ---- workload ----

  std::uint32_t para_of(const workload::TxArrival& t) const {
    return sender_bucket(t.tx.from) % paras_n_;
  }
  NodeId collator(std::uint32_t para, std::uint32_t k) const {
    return relay_n_ + para * collators_ + k;
  }
  NodeId home_of(const workload::TxArrival& t) const {
    return collator(para_of(t), (sender_bucket(t.tx.from) / paras_n_) % collators_);
  }
  bool is_collator(NodeId v) const { return v >= relay_n_; }
  std::uint32_t para_of_collator(NodeId v) const { return (v - relay_n_) / collators_; }

  /// Transactions enter at a collator of their parachain (sender bucket mod parachains, then
  /// mod its collators) and are gossiped among collators (visible one base latency later). Not
  /// counted as bytes (the kernel counts transaction gossip only to every validator).
  FeedPolicy collator_feed() {
    FeedPolicy policy;
    policy.entry = [this](const workload::TxArrival& t) { return home_of(t); };
    policy.gossip_visibility = true;
    return policy;
  }

  bool tx_taken(std::uint64_t t) const {
    if (tx_done_[t]) return true;
    const CandidateId owner = tx_owner_[t];
    if (owner == 0) return false;
    const auto* c = paras_[cands_.at(owner).para].tracker->find(owner);
    // Being authored (by a live collator) or live: taken; dropped: free again.
    if (c == nullptr) {
      const CandRec& rec = cands_.at(owner);
      return !rec.registered && !rt_.is_crashed(rec.collator);
    }
    return c->state != pc::CandidateState::kDropped;
  }

  // ---- collators ----

  void maybe_author(NodeId c, std::uint64_t relay_parent) {
    const std::uint32_t para = para_of_collator(c);
    // Aura-like collator slots: one per relay block (async) or per two (sync, 12 s parablocks).
    const std::uint64_t para_slot = relay_parent / (sync_ ? 2 : 1);
    if ((c - relay_n_) % collators_ != para_slot % collators_) return;  // not its slot
    Para& pa = paras_[para];
    const auto target = pa.tracker->build_target(relay_parent);
    if (!target) {
      ++authoring_skipped_;
      return;
    }
    const double now = rt_.now();
    while (pa.first_pending < pa.mempool.size() && tx_done_[pa.mempool[pa.first_pending]]) {
      ++pa.first_pending;
    }
    std::vector<std::uint64_t> picked;
    std::uint64_t gas = 0;
    std::uint64_t bytes = kParablockHeaderBytes;
    for (std::size_t k = pa.first_pending;
         k < pa.mempool.size() && picked.size() < s_.pipeline.max_block_txs; ++k) {
      const std::uint64_t t = pa.mempool[k];
      const auto& tx = feed_.tx(t);
      if (tx.submit_time_s > now) break;
      if (tx_taken(t) || !feed_.visible(tx, c, now)) continue;
      if (gas + tx.tx.gas_limit > s_.pipeline.block_gas_limit) break;
      if (bytes + tx.tx.size_bytes() > p_.pov_size_limit_bytes) break;
      gas += tx.tx.gas_limit;
      bytes += tx.tx.size_bytes();
      picked.push_back(t);
    }
    const CandidateId id = next_candidate_++;
    CandRec& rec = cands_[id];
    rec.para = para;
    rec.collator = c;
    rec.parent = target->parent;
    rec.para_height = target->para_height;
    rec.relay_parent = relay_parent;
    // Execute (compute once); cut the block to what fits the authoring time.
    std::shared_ptr<const ExecutedBlock> r;
    for (int attempt = 0;; ++attempt) {
      std::vector<const execution::Transaction*> list;
      list.reserve(picked.size());
      for (std::uint64_t t : picked) list.push_back(&feed_.tx(t).tx);
      r = chain_.execute(id, target->parent, list, c);
      const double took = r->job.makespan_s / rt_.speed_factor(c);  // the collator's own core
      if (took <= authoring_s_ || picked.empty() || attempt == 4) break;
      const auto keep = static_cast<std::size_t>(
          std::floor(static_cast<double>(picked.size()) * authoring_s_ / took * 0.95));
      picked.resize(keep);
      ++blocks_cut_;
    }
    rec.txs = picked;
    rec.exec = r;
    rec.gas = r->gas_used;
    rec.pov_bytes = kParablockHeaderBytes;
    for (std::uint64_t t : picked) {
      rec.pov_bytes += feed_.tx(t).tx.size_bytes();
      tx_owner_[t] = id;
    }
    charge(c, r, "author", [this, id, c](double done) { authored(id, c, done); });
    // Velocity > 1: the collator authors again on the same relay parent one para slot
    // (relay slot / velocity) later, as long as no newer relay block arrived.
    if (p_.block_processing_velocity > 1) {
      const double next = now + slot_s_ / p_.block_processing_velocity;
      rt_.at(next, [this, c, relay_parent]() {
        if (best_[c] == relay_parent && !rt_.is_crashed(c)) maybe_author(c, relay_parent);
      });
    }
  }

  void charge(NodeId node, const std::shared_ptr<const ExecutedBlock>& r, const char* what,
              std::function<void(double)> then) {
    LaneCharge lane;
    lane.label = fmt::format("{} {} txs", what, r->tx_count);
    lane.budget_s = authoring_s_;
    charge_execution(rt_, node, r, lane,
                     [then = std::move(then)](double done, double) { then(done); });
  }

  void authored(CandidateId id, NodeId c, double done) {
    CandRec& rec = cands_.at(id);
    rec.authored_s = done;
    rec.registered = true;
    ++rec.executions;
    Para& pa = paras_[rec.para];
    ++candidates_authored_;
    if (!pa.tracker->add_candidate(id, rec.parent, rec.relay_parent)) {
      ++dropped_[pc::to_string(pc::DropReason::kParentDropped)];
      return;
    }
    rec_.block_stage(c, ref(id), "authored", done);
    for (std::uint64_t t : rec.txs) {
      const NodeId home = home_of(feed_.tx(t));
      rec_.tx_executed(t, done + (home == c ? 0.0 : rt_.base_latency_s(c, home)));
    }
    segment_sample(rec.para, done);
    const std::uint32_t group = groups_.group_for_core(rec.para, rec.relay_parent);
    const auto& members = groups_.members(group);
    // The collator hands the collation to one live member of the group (a request to a crashed
    // validator would time out and go to another member; that delay is not modelled).
    std::vector<NodeId> live;
    for (NodeId m : members) {
      if (!rt_.is_crashed(m)) live.push_back(m);
    }
    if (live.empty()) return;  // the whole group is down: the candidate is never backed
    rec.seconder = live[id % live.size()];
    rt_.send(c, rec.seconder, kCollationChannel,
             std::make_shared<const CollationMsg>(CollationMsg{id}), rec.pov_bytes, done);
  }

  // ---- backing ----

  void validate(NodeId v, CandidateId id) {
    CandRec& rec = cands_.at(id);
    const auto* cand = paras_[rec.para].tracker->find(id);
    if (cand == nullptr || cand->state == pc::CandidateState::kDropped) return;
    charge(v, rec.exec, "validate", [this, v, id](double done) { statement(v, id, done); });
  }

  void statement(NodeId v, CandidateId id, double done) {
    CandRec& rec = cands_.at(id);
    ++rec.executions;
    rec.statements.emplace_back(v, done);
    rt_.account_broadcast_bytes(v, kStatementBytes);
    if (v == rec.seconder) {
      // Seconded: the PoV goes to the rest of the group.
      const auto& members = groups_.members(groups_.group_for_core(rec.para, rec.relay_parent));
      for (NodeId m : members) {
        if (m == v) continue;
        rt_.send(v, m, kSecondedChannel, std::make_shared<const CollationMsg>(CollationMsg{id}),
                 rec.pov_bytes, done);
      }
    }
    if (paras_[rec.para].tracker->add_valid_vote(id, v)) {
      rec.backed_s = done;
      rec_.block_stage(v, ref(id), "backed", done);
    }
  }

  /// Whether `author` holds at least minimum_backing_votes statements of `c` at `now`.
  bool author_knows(NodeId author, const pc::Candidate& c, double now) const {
    const CandRec& rec = cands_.at(c.id);
    std::uint32_t known = 0;
    for (const auto& [v, t] : rec.statements) {
      if (t + (v == author ? 0.0 : rt_.base_latency_s(v, author)) <= now) ++known;
    }
    return known >= p_.minimum_backing_votes;
  }

  /// Whether the bitfields on block `parent` that `author` holds at `now` make `id` available.
  bool available(NodeId author, CandidateId id, std::uint64_t parent, double now) const {
    const CandRec& rec = cands_.at(id);
    const auto& arrived = arrival_[parent];
    std::uint32_t bits = 0;
    const double delay = p_.bitfield_delay_ms / 1000.0;
    for (NodeId v = 0; v < relay_n_; ++v) {
      if (arrived[v] == kNever) continue;
      const double signed_at = arrived[v] + delay;
      if (rt_.is_crashed(v) && crash_at(v) <= signed_at) continue;
      if (signed_at + (v == author ? 0.0 : rt_.base_latency_s(v, author)) > now) continue;
      if (rec.chunk_at[v] <= signed_at) ++bits;
    }
    return bits >= pc::supermajority(relay_n_);
  }

  double crash_at(NodeId v) const {
    for (std::uint32_t c : s_.faults.crashed) {
      if (c == v) return s_.faults.crash_at_s;
    }
    return kNever;
  }

  // ---- relay chain ----

  void author_relay_block(NodeId author, std::uint64_t slot) {
    const double now = rt_.now();
    const std::uint64_t number = relay_.size();
    if (best_[author] != number - 1) relay_linear_ = false;
    RelayBlockRec b;
    b.number = number;
    b.slot = slot;
    b.author = author;
    b.authored_s = now;
    b.inherent = !(p_.stall_duration_s > 0.0 && now >= p_.stall_from_s &&
                   now < p_.stall_from_s + p_.stall_duration_s);
    for (std::uint32_t para = 0; para < paras_n_; ++para) {
      Para& pa = paras_[para];
      const auto pending = pa.tracker->pending_availability();
      const bool avail = pending && b.inherent && available(author, *pending, number - 1, now);
      const auto out = pa.tracker->on_relay_block(
          number, avail, [&](const pc::Candidate& c) { return author_knows(author, c, now); },
          b.inherent);
      if (out.included) {
        CandRec& rec = cands_.at(*out.included);
        rec.included_s = now;
        rec.included_block = number;
        b.included.push_back(*out.included);
        b.included_gas += rec.gas;
        b.included_bytes += rec.pov_bytes;
        pa.inclusion_times.push_back(now);
        for (std::uint64_t t : rec.txs) tx_done_[t] = 1;
        rec_.block_stage(author, ref(*out.included), "included", now);
      }
      for (CandidateId d : out.dropped) {
        const auto* c = pa.tracker->find(d);
        ++dropped_[pc::to_string(c->drop_reason)];
        rec_.block_stage(author, ref(d), "dropped", now);
      }
      if (out.backed_on_chain) {
        CandRec& rec = cands_.at(*out.backed_on_chain);
        rec.backed_on_chain_s = now;
        rec.chunk_at.assign(relay_n_, kNever);
        b.backed.push_back(*out.backed_on_chain);
        for (std::uint64_t t : rec.txs) {
          if (!tx_in_block_[t]) rec_.tx_included(t, now);
          tx_in_block_[t] = 1;
        }
        rec_.block_stage(author, ref(*out.backed_on_chain), "backed_on_chain", now);
      }
      segment_sample(para, now);
    }
    b.size_bytes = kRelayHeaderBytes + (b.inherent ? relay_n_ * (64 + (paras_n_ + 7) / 8 + 4) : 0) +
                   b.backed.size() * (kCandidateReceiptBytes + 2 * kStatementBytes);
    rec_.block_stage(author, relay_ref(b), "relay_authored", now);
    if (rec_.traced(author)) {
      rec_.instant(
          author, sim::Track::kConsensus,
          fmt::format("author relay #{} ({} backed, {} included{})", number, b.backed.size(),
                      b.included.size(), b.inherent ? "" : ", no inherent"),
          now);
    }
    relay_.push_back(b);
    arrival_.push_back(std::vector<double>(n_, kNever));
    rt_.broadcast(author, kRelayBlockChannel,
                  std::make_shared<const RelayBlockMsg>(RelayBlockMsg{number}), b.size_bytes, now);
    import_relay_block(author, number);
  }

  void import_relay_block(NodeId v, std::uint64_t number) {
    const double now = rt_.now();
    arrival_[number][v] = std::min(arrival_[number][v], now);
    if (number > best_[v]) best_[v] = number;
    const RelayBlockRec& b = relay_[number];
    if (rec_.traced(v)) {
      rec_.instant(v, sim::Track::kConsensus, fmt::format("import relay #{}", number), now);
      rec_.span(v, sim::Track::kNetwork, fmt::format("sign bitfield on #{}", number), now,
                now + p_.bitfield_delay_ms / 1000.0);
    }
    if (!is_collator(v)) {
      // Backers serve the erasure chunks of the candidates this block backed.
      for (CandidateId id : b.backed) {
        CandRec& rec = cands_.at(id);
        // Validator i fetches its chunk from live backer i mod (live backers): a request to a
        // crashed backer would time out and be retried elsewhere; the retry delay is not
        // modelled.
        std::vector<NodeId> backers;
        for (NodeId b : paras_[rec.para].tracker->find(id)->valid_votes) {
          if (!rt_.is_crashed(b)) backers.push_back(b);
        }
        const auto it = std::find(backers.begin(), backers.end(), v);
        if (it == backers.end()) continue;
        const std::size_t k = static_cast<std::size_t>(it - backers.begin());
        const std::uint64_t chunk = std::max<std::uint64_t>(1, 3 * rec.pov_bytes / relay_n_);
        auto msg = std::make_shared<const ChunkMsg>(ChunkMsg{id});
        for (NodeId i = 0; i < relay_n_; ++i) {
          if (i % backers.size() != k) continue;
          if (i == v) {
            rec.chunk_at[v] = std::min(rec.chunk_at[v], now);
          } else {
            rt_.send(v, i, kChunkChannel, msg, chunk, now);
          }
        }
      }
      return;
    }
    const std::uint32_t para = para_of_collator(v);
    for (CandidateId id : b.included) {
      const CandRec& rec = cands_.at(id);
      if (rec.para != para) continue;
      for (std::uint64_t t : rec.txs) {
        if (home_of(feed_.tx(t)) == v) {
          rec_.tx_committed(t, now, rec.txs.empty() ? 0 : rec.gas / rec.txs.size());
          ++txs_committed_;
        }
      }
    }
    maybe_author(v, number);
  }

  // ---- GRANDPA ----

  void grandpa_round() {
    const double t0 = rt_.now();
    std::vector<NodeId> voters;
    std::vector<std::uint64_t> prevote;
    for (NodeId v = 0; v < relay_n_; ++v) {
      if (rt_.is_crashed(v)) continue;
      voters.push_back(v);
      prevote.push_back(
          pc::grandpa_vote_target(best_[v], finalized_number_, p_.grandpa_vote_behind_blocks));
      rt_.account_broadcast_bytes(v, 2 * kGrandpaVoteBytes);  // prevote + precommit
    }
    // Each voter precommits the prevote-GHOST once a supermajority of prevotes reached it.
    std::vector<double> precommit_at(voters.size(), kNever);
    std::vector<std::uint64_t> precommit(voters.size(), 0);
    std::vector<std::pair<double, std::size_t>> order(voters.size());
    for (std::size_t u = 0; u < voters.size(); ++u) {
      for (std::size_t k = 0; k < voters.size(); ++k) {
        order[k] = {t0 + (k == u ? 0.0 : rt_.base_latency_s(voters[k], voters[u])), k};
      }
      std::sort(order.begin(), order.end());
      pc::GrandpaRound round(relay_n_);
      for (const auto& [t, k] : order) {
        if (round.add_prevote(voters[k], prevote[k])) {
          precommit_at[u] = t;
          precommit[u] = *round.prevote_ghost();
          break;
        }
      }
    }
    // The reference validator finalizes once a supermajority of precommits reached it.
    const auto ref_it = std::find(voters.begin(), voters.end(), reference_);
    if (ref_it == voters.end()) return;
    const std::size_t r = static_cast<std::size_t>(ref_it - voters.begin());
    order.clear();
    for (std::size_t k = 0; k < voters.size(); ++k) {
      if (precommit_at[k] == kNever) continue;
      order.emplace_back(
          precommit_at[k] + (k == r ? 0.0 : rt_.base_latency_s(voters[k], reference_)), k);
    }
    std::sort(order.begin(), order.end());
    pc::GrandpaRound round(relay_n_);
    for (const auto& [t, k] : order) {
      if (round.add_precommit(voters[k], precommit[k])) {
        const std::uint64_t number = *round.finalized();
        rt_.at(std::max(t, t0), [this, number]() { finalize(number); });
        break;
      }
    }
  }

  void finalize(std::uint64_t number) {
    const double now = rt_.now();
    if (number <= finalized_number_ || number >= relay_.size()) return;
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
    if (rec_.traced(reference_)) {
      rec_.instant(reference_, sim::Track::kConsensus, fmt::format("GRANDPA finalized #{}", number),
                   now);
    }
    finality_lag_blocks_.push_back(static_cast<double>(relay_.size() - 1 - number));
    if (rec_.traced(reference_)) {
      rec_.counter(reference_, "finalized_relay_block", now, static_cast<double>(number));
    }
  }

  // ---- observability ----

  sim::BlockRef ref(CandidateId id) const {
    const CandRec& r = cands_.at(id);
    return sim::BlockRef{r.para_height, id, r.para, r.collator};
  }
  static sim::BlockRef relay_ref(const RelayBlockRec& b) {
    return sim::BlockRef{b.number, kRelayBlockIdBase + b.number, b.slot, b.author};
  }

  void segment_sample(std::uint32_t para, double t) {
    const auto len = static_cast<double>(paras_[para].tracker->unincluded_segment().size());
    segment_samples_.push_back(len);
    rec_.counter(reference_, fmt::format("unincluded_segment_para{}", para), t, len);
  }

  void report() {
    auto count = [](std::uint64_t v, const char* unit) {
      return nlohmann::json{{"value", v}, {"unit", unit}};
    };
    // Parablock intervals.
    std::vector<double> pooled;
    std::uint64_t included = 0, txs = 0, gas = 0, re_executions = 0, executed_txs = 0;
    std::vector<double> executions_per_candidate;
    for (std::uint32_t para = 0; para < paras_n_; ++para) {
      const auto& times = paras_[para].inclusion_times;
      std::vector<double> iv;
      for (std::size_t k = 1; k < times.size(); ++k) iv.push_back(times[k] - times[k - 1]);
      rec_.sample_metric(fmt::format("parablock_interval_s_para{}", para), iv, "s");
      pooled.insert(pooled.end(), iv.begin(), iv.end());
      included += times.size();
    }
    rec_.sample_metric("parablock_interval_s", pooled, "s");
    // Candidates.
    std::vector<double> to_backed, to_on_chain, to_included, to_finalized;
    std::uint64_t backed_on_chain = 0;
    for (const auto& [id, c] : cands_) {
      if (!c.registered) continue;
      executions_per_candidate.push_back(c.executions);
      if (c.exec) {
        re_executions += c.exec->re_executions;
        executed_txs += c.exec->tx_count;
      }
      if (c.backed_s != kNever) to_backed.push_back(c.backed_s - c.authored_s);
      if (c.backed_on_chain_s != kNever) {
        ++backed_on_chain;
        to_on_chain.push_back(c.backed_on_chain_s - c.authored_s);
      }
      if (c.included_s != kNever) {
        to_included.push_back(c.included_s - c.authored_s);
        txs += c.txs.size();
        gas += c.gas;
      }
      if (c.finalized_s != kNever) to_finalized.push_back(c.finalized_s - c.authored_s);
    }
    rec_.sample_metric("latency_candidate_authored_to_backed_s", to_backed, "s");
    rec_.sample_metric("latency_candidate_authored_to_backed_on_chain_s", to_on_chain, "s");
    rec_.sample_metric("latency_candidate_authored_to_included_s", to_included, "s");
    rec_.sample_metric("latency_candidate_authored_to_finalized_s", to_finalized, "s");
    rec_.metric("candidates_authored", count(candidates_authored_, "candidates"));
    rec_.metric("candidates_backed", count(backed_on_chain, "candidates"));
    rec_.metric("candidates_included", count(included, "candidates"));
    std::uint64_t dropped = 0;
    for (const char* reason : {"not_backed_in_time", "relay_parent_out_of_ancestry",
                               "availability_timeout", "parent_dropped"}) {
      const std::uint64_t d = dropped_.count(reason) ? dropped_.at(reason) : 0;
      dropped += d;
      rec_.metric(fmt::format("candidates_dropped_{}", reason), count(d, "candidates"));
    }
    rec_.metric("candidates_dropped", count(dropped, "candidates"));
    rec_.metric("authoring_attempts_refused", count(authoring_skipped_, "count"));
    rec_.metric("parablocks_cut_to_authoring_time", count(blocks_cut_, "count"));
    rec_.sample_metric("unincluded_segment_length", segment_samples_, "candidates");
    std::uint32_t max_segment = 0;
    for (const auto& pa : paras_)
      max_segment = std::max(max_segment, pa.tracker->max_segment_length());
    rec_.metric("unincluded_segment_length_max", count(max_segment, "candidates"));
    // Relay chain.
    std::vector<double> relay_iv, lag, space_gas, space_bytes;
    for (std::size_t k = 1; k < relay_.size(); ++k) {
      const auto& b = relay_[k];
      if (k > 1) relay_iv.push_back(b.authored_s - relay_[k - 1].authored_s);
      if (b.finalized_s != kNever) lag.push_back(b.finalized_s - b.authored_s);
      space_gas.push_back(static_cast<double>(b.included_gas));
      space_bytes.push_back(static_cast<double>(b.included_bytes));
    }
    rec_.sample_metric("relay_block_interval_s", relay_iv, "s");
    rec_.sample_metric("finality_lag_s", lag, "s");
    rec_.sample_metric("finality_lag_blocks", finality_lag_blocks_, "blocks");
    rec_.sample_metric("blockspace_gas_per_relay_block", space_gas, "gas");
    rec_.sample_metric("blockspace_bytes_per_relay_block", space_bytes, "bytes");
    rec_.metric("relay_blocks_authored", count(relay_.size() - 1, "blocks"));
    rec_.metric("relay_slots_empty", count(slot_authors_.size() - (relay_.size() - 1), "slots"));
    rec_.metric("relay_blocks_finalized", count(finalized_number_, "blocks"));
    rec_.metric("relay_validators", count(relay_n_, "nodes"));
    rec_.metric("backing_groups", count(groups_.groups(), "groups"));
    // Common vocabulary.
    ChainTotals totals;
    totals.blocks = included;
    totals.txs_submitted = feed_.size();
    totals.txs_committed = txs;
    totals.gas = gas;
    // Executor incarnations beyond the first per transaction, as in the other pipelines (the
    // repeated executions of a whole parablock by its backers are executions_per_candidate).
    totals.re_executions = re_executions;
    totals.executed_txs = executed_txs;
    totals.block_intervals_s = pooled;
    report_chain_metrics(rec_, totals, feed_.source(), s_.duration_s);
    rec_.sample_metric("executions_per_candidate", executions_per_candidate, "executions");
    // Invariants.
    std::string order_detail, segment_detail, sync_detail;
    for (std::uint32_t para = 0; para < paras_n_; ++para) {
      const std::string d = paras_[para].tracker->check_invariants();
      if (d.empty()) continue;
      const std::string msg = fmt::format("parachain {}: {}", para, d);
      if (d.find("inclusion") == 0)
        order_detail = msg;
      else if (d.find("unincluded") == 0)
        segment_detail = msg;
      else
        sync_detail = msg;
    }
    rec_.invariant("inclusion_follows_parent_links", order_detail.empty(), order_detail);
    rec_.invariant("unincluded_segment_within_bound", segment_detail.empty(), segment_detail);
    if (sync_) {
      rec_.invariant("sync_builds_on_included_head", sync_detail.empty(), sync_detail);
    }
    rec_.invariant("relay_chain_linear", relay_linear_,
                   relay_linear_ ? "" : "an author had not imported the previous relay block");
  }

  const sim::Scenario& s_;
  const sim::PolkadotConfig& p_;
  sim::Runtime& rt_;
  sim::Recorder& rec_;
  WorkloadFeed feed_;
  ChainState chain_;
  std::uint32_t n_, paras_n_, collators_, relay_n_;
  pc::BackingGroups groups_;
  bool sync_;
  double slot_s_, authoring_s_;
  NodeId reference_ = 0;

  std::vector<Para> paras_;
  std::map<CandidateId, CandRec> cands_;
  CandidateId next_candidate_ = 1;
  std::vector<RelayBlockRec> relay_;
  std::vector<std::vector<double>> arrival_;  // [relay block][node] import time
  std::vector<std::uint64_t> best_;           // best relay block per node
  std::vector<NodeId> slot_authors_;
  std::uint64_t finalized_number_ = 0;
  bool relay_linear_ = true;

  std::vector<CandidateId> tx_owner_;
  std::vector<std::uint8_t> tx_done_;
  std::vector<std::uint8_t> tx_in_block_;
  std::uint64_t txs_committed_ = 0;

  std::uint64_t candidates_authored_ = 0, authoring_skipped_ = 0, blocks_cut_ = 0;
  std::map<std::string, std::uint64_t> dropped_;
  std::vector<double> segment_samples_, finality_lag_blocks_;
};

}  // namespace

std::unique_ptr<sim::Application> make_async_backing(const sim::Scenario& scenario,
                                                     sim::Runtime& runtime) {
  return std::make_unique<AsyncBacking>(scenario, runtime);
}

}  // namespace pipesim::pipelines
