#include "models/consensus/dag_bft.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "models/common/splitmix64.hpp"

namespace pipesim::consensus {

namespace {

constexpr double kTimeEpsilonS = 1e-9;

// Constructs the effect in place (a push_back of a temporary variant trips GCC 12's
// -Wmaybe-uninitialized false positive on the variant's move).
template <class T>
void emit(DagEffects& out, T&& effect) {
  out.emplace_back(std::in_place_type<std::decay_t<T>>, std::forward<T>(effect));
}

}  // namespace

NodeId dag_coin(std::uint64_t seed, std::uint64_t wave, std::uint32_t n) {
  return static_cast<NodeId>(splitmix64(splitmix64(seed) ^ wave) % n);
}

DagBft::DagBft(const DagBftConfig& config, NodeId self, std::uint32_t n)
    : config_(config), self_(self), n_(n), quorum_(quorum_size(n)), support_(quorum_size(n)) {
  if (n == 0) throw std::invalid_argument("DagBft: n must be > 0");
  if (self >= n)
    throw std::invalid_argument("DagBft: self " + std::to_string(self) + " >= n " +
                                std::to_string(n));
  if (config.wave_length_rounds < 2)
    throw std::invalid_argument("DagBft: wave_length_rounds must be >= 2, got " +
                                std::to_string(config.wave_length_rounds));
  if (config.round_time_ms < 0 || config.signature_verify_us < 0 || config.signature_sign_us < 0 ||
      config.certificate_verify_us < 0)
    throw std::invalid_argument("DagBft: round_time_ms and CPU costs must be >= 0");
  if (config.wave_length_rounds == 2) support_ = max_faulty(n) + 1;
}

Round DagBft::highest_dag_round() const {
  return round_count_.empty() ? 0 : round_count_.rbegin()->first;
}

const DagBft::DagVertex* DagBft::find(Round round, NodeId source) const {
  auto it = dag_.find({round, source});
  return it == dag_.end() ? nullptr : &it->second;
}

DagEffects DagBft::finish(Ctx& ctx, const char* label) const {
  if (ctx.cpu_us > 0.0) ctx.out.insert(ctx.out.begin(), Cpu{ctx.cpu_us * 1e-6, label});
  return std::move(ctx.out);
}

// ---------------------------------------------------------------------------------------------
// Public handlers

DagEffects DagBft::start(double now) {
  if (started_) return {};
  started_ = true;
  Ctx ctx{now, {}, 0.0};
  last_proposal_s = now;
  batch_requested_round_ = 1;
  emit(ctx.out, RequestBatch{1});
  return finish(ctx, "consensus.start");
}

DagEffects DagBft::on_message(double now, NodeId from, const DagMessage& msg) {
  if (!started_ || from >= n_ || from == self_) return {};
  Ctx ctx{now, {}, 0.0};
  const char* label = "consensus.message";
  if (const auto* v = std::get_if<VertexMsg>(&msg.body)) {
    label = "consensus.vertex";
    on_vertex(ctx, from, v->header);
  } else if (const auto* a = std::get_if<AckMsg>(&msg.body)) {
    label = "consensus.ack";
    if (a->signer == from) on_ack(ctx, *a);
  } else if (const auto* c = std::get_if<CertificateMsg>(&msg.body)) {
    label = "consensus.certificate";
    on_certificate(ctx, *c);
  }
  return finish(ctx, label);
}

DagEffects DagBft::on_timer(double now, TimerId id) {
  if (!started_ || id != timer_round_) return {};
  Ctx ctx{now, {}, 0.0};
  timer_round_ = 0;
  try_propose(ctx);
  return finish(ctx, "consensus.timer");
}

DagEffects DagBft::on_batch_ready(double now, Round round, const DagBatch& batch) {
  if (!started_ || round != batch_requested_round_ || next_batch_) return {};
  Ctx ctx{now, {}, 0.0};
  next_batch_ = batch;
  try_propose(ctx);
  return finish(ctx, "consensus.batch");
}

// ---------------------------------------------------------------------------------------------
// Reliable broadcast

void DagBft::on_vertex(Ctx& ctx, NodeId from, const VertexHeader& h) {
  ctx.cpu_us += config_.signature_verify_us;
  // Structural checks (a crash-fault run never produces malformed vertices; a runtime bug
  // would, so ignore rather than corrupt the DAG).
  if (h.source != from || h.round == 0 || h.digest != compute_vertex_digest(h)) return;
  if (h.round == 1 ? !h.parents.empty() : h.parents.size() < quorum_) return;
  for (const VertexRef& p : h.parents)
    if (p.round + 1 != h.round) return;
  const Key key{h.round, h.source};
  if (acked_.contains(key) || ack_waiting_.contains(key)) return;  // one ack per (round, source)
  if (parents_in_dag(h)) {
    send_ack(ctx, h);
  } else {
    ack_waiting_.emplace(key, Waiting{h, 0});
    block_or_ready(true, key);
  }
}

void DagBft::send_ack(Ctx& ctx, const VertexHeader& h) {
  acked_.insert({h.round, h.source});
  ctx.cpu_us += config_.signature_sign_us;
  emit(ctx.out, DagSend{h.source, make_dag_message(AckMsg{h.digest, h.round, h.source, self_})});
}

void DagBft::try_ack_pending(Ctx& ctx) {
  // Ascending (round, source) order, as the acks were always sent.
  for (const Key& key : ack_ready_) {
    auto it = ack_waiting_.find(key);
    send_ack(ctx, it->second.header);
    ack_waiting_.erase(it);
  }
  ack_ready_.clear();
}

void DagBft::on_ack(Ctx& ctx, const AckMsg& a) {
  ctx.cpu_us += config_.signature_verify_us;
  auto it = own_pending_.find(a.round);
  if (a.source != self_ || it == own_pending_.end() || a.digest != it->second.header.digest ||
      a.signer >= n_)
    return;
  std::vector<NodeId>& acks = it->second.acks;
  if (std::find(acks.begin(), acks.end(), a.signer) != acks.end()) return;
  acks.push_back(a.signer);
  if (acks.size() >= quorum_) certify_own(ctx, a.round);
}

void DagBft::certify_own(Ctx& ctx, Round round) {
  auto it = own_pending_.find(round);
  CertificateMsg cert;
  cert.header = std::move(it->second.header);
  cert.validators = n_;
  cert.signers = std::move(it->second.acks);
  std::sort(cert.signers.begin(), cert.signers.end());
  own_pending_.erase(it);
  emit(ctx.out,
       CertificateFormed{cert.header.ref(), static_cast<std::uint32_t>(cert.signers.size())});
  VertexHeader h = cert.header;
  emit(ctx.out, DagBroadcast{make_dag_message(std::move(cert))});
  accept_certified(ctx, h);
}

void DagBft::on_certificate(Ctx& ctx, const CertificateMsg& c) {
  const VertexHeader& h = c.header;
  const Key key{h.round, h.source};
  if (dag_.contains(key) || certified_waiting_.contains(key)) return;  // known: no re-verify
  ctx.cpu_us += config_.certificate_verify_us;
  if (h.round == 0 || h.digest != compute_vertex_digest(h) || c.signers.size() < quorum_) return;
  accept_certified(ctx, h);
}

bool DagBft::parents_arrived(Waiting& w) const {
  const auto& strong = w.header.parents;
  const auto& weak = w.header.weak_parents;
  const std::size_t total = strong.size() + weak.size();
  while (w.present < total) {
    const VertexRef& p =
        w.present < strong.size() ? strong[w.present] : weak[w.present - strong.size()];
    if (!in_dag(p.round, p.source)) return false;
    ++w.present;
  }
  return true;
}

bool DagBft::parents_in_dag(const VertexHeader& h) const {
  for (const VertexRef& p : h.parents)
    if (!in_dag(p.round, p.source)) return false;
  for (const VertexRef& p : h.weak_parents)
    if (!in_dag(p.round, p.source)) return false;
  return true;
}

void DagBft::block_or_ready(bool is_ack, const Key& key) {
  Waiting& w = (is_ack ? ack_waiting_ : certified_waiting_).at(key);
  if (parents_arrived(w)) {
    (is_ack ? ack_ready_ : certified_ready_).insert(key);
    return;
  }
  const std::size_t strong = w.header.parents.size();
  const VertexRef& p =
      w.present < strong ? w.header.parents[w.present] : w.header.weak_parents[w.present - strong];
  blocked_on_[{p.round, p.source}].emplace_back(is_ack, key);
}

void DagBft::accept_certified(Ctx& ctx, const VertexHeader& h) {
  const Key key{h.round, h.source};
  if (dag_.contains(key) || !certified_waiting_.emplace(key, Waiting{h, 0}).second) return;
  block_or_ready(false, key);
  // Nothing entered the DAG: every other waiting header is as blocked as before.
  if (certified_ready_.empty()) return;
  // Insert the ready certificates smallest (round, source) first; each wakes the headers blocked
  // on it, whose keys are larger (children have higher rounds), so the insertion order is the
  // ascending order of everything that becomes ready.
  while (!certified_ready_.empty()) {
    const Key k = *certified_ready_.begin();
    certified_ready_.erase(certified_ready_.begin());
    auto it = certified_waiting_.find(k);
    DagVertex v;
    v.header = std::move(it->second.header);
    certified_waiting_.erase(it);
    ++round_count_[k.first];
    uncovered_.insert(k);
    emit(ctx.out, VertexAdded{v.header.ref()});
    dag_.emplace(k, std::move(v));
    if (present_.size() <= k.first) present_.resize(k.first + 1);
    if (present_[k.first].empty()) present_[k.first].assign(n_, 0);
    present_[k.first][k.second] = 1;
    if (auto waiters = blocked_on_.extract(k)) {
      for (const auto& [is_ack, waiter] : waiters.mapped()) block_or_ready(is_ack, waiter);
    }
  }
  dag_changed(ctx);
}

void DagBft::dag_changed(Ctx& ctx) {
  try_ack_pending(ctx);
  try_commit(ctx);
  try_propose(ctx);
}

// ---------------------------------------------------------------------------------------------
// Proposing

void DagBft::try_propose(Ctx& ctx) {
  if (!next_batch_) return;
  Round target = proposed_round_ + 1;
  if (target > 1) {
    // Highest round with a quorum of vertices in the DAG; propose the round after it.
    Round best = 0;
    for (auto it = round_count_.rbegin(); it != round_count_.rend(); ++it)
      if (it->second >= quorum_) {
        best = it->first;
        break;
      }
    if (best + 1 < target) return;
    target = best + 1;
  }
  const double due = last_proposal_s + config_.round_time_ms * 1e-3;
  if (proposed_round_ > 0 && ctx.now + kTimeEpsilonS < due) {
    if (timer_round_ != target) {
      timer_round_ = target;
      emit(ctx.out, SetTimer{target, due});
    }
    return;
  }
  propose(ctx, target);
}

void DagBft::cover_from(const VertexRef& ref) {
  std::vector<Key> stack{{ref.round, ref.source}};
  while (!stack.empty()) {
    const Key k = stack.back();
    stack.pop_back();
    auto it = dag_.find(k);
    if (it == dag_.end() || it->second.covered) continue;
    it->second.covered = true;
    uncovered_.erase(k);
    for (const VertexRef& p : it->second.header.parents) stack.push_back({p.round, p.source});
    for (const VertexRef& p : it->second.header.weak_parents) stack.push_back({p.round, p.source});
  }
}

void DagBft::propose(Ctx& ctx, Round round) {
  VertexHeader h;
  h.round = round;
  h.source = self_;
  h.batch = *next_batch_;
  if (round > 1) {
    for (auto it = dag_.lower_bound({round - 1, 0});
         it != dag_.end() && it->first.first == round - 1; ++it)
      h.parents.push_back(it->second.header.ref());
    for (const VertexRef& p : h.parents) cover_from(p);
    if (config_.weak_links) {
      for (const Key& key : uncovered_) {
        if (key.first + 1 >= round) break;
        h.weak_parents.push_back(dag_.at(key).header.ref());
      }
      for (const VertexRef& p : h.weak_parents) cover_from(p);
    }
  }
  h.digest = compute_vertex_digest(h);
  next_batch_.reset();
  proposed_round_ = round;
  last_proposal_s = ctx.now;
  own_pending_[round] = OwnPending{h, {self_}};  // the source's own signature counts
  acked_.insert({round, self_});
  ctx.cpu_us += config_.signature_sign_us;
  emit(ctx.out, VertexProposed{h});
  emit(ctx.out, DagBroadcast{make_dag_message(VertexMsg{h})});
  batch_requested_round_ = round + 1;
  emit(ctx.out, RequestBatch{round + 1});
  if (quorum_ <= 1) certify_own(ctx, round);  // n == 1
}

// ---------------------------------------------------------------------------------------------
// Commit and ordering

std::uint32_t DagBft::support_of(const VertexHeader& anchor, Round last_round) const {
  // Forward propagation of "has a strong path to the anchor", round by round (flags per source).
  std::vector<char> reach(n_, 0), next(n_, 0);
  reach[anchor.source] = 1;
  std::uint32_t count = 1;
  for (Round r = anchor.round + 1; r <= last_round && count > 0; ++r) {
    std::fill(next.begin(), next.end(), 0);
    count = 0;
    for (auto it = dag_.lower_bound({r, 0}); it != dag_.end() && it->first.first == r; ++it) {
      for (const VertexRef& p : it->second.header.parents)
        if (p.source < n_ && reach[p.source]) {
          next[it->first.second] = 1;
          ++count;
          break;
        }
    }
    reach.swap(next);
  }
  return count;
}

bool DagBft::strong_path(const VertexHeader& from, const VertexHeader& to) const {
  if (from.round < to.round) return false;
  std::set<NodeId> frontier{from.source};
  for (Round r = from.round; r > to.round; --r) {
    std::set<NodeId> prev;
    for (NodeId s : frontier) {
      const DagVertex* v = find(r, s);
      if (v == nullptr) continue;
      for (const VertexRef& p : v->header.parents) prev.insert(p.source);
    }
    frontier = std::move(prev);
    if (frontier.empty()) return false;
  }
  return frontier.contains(to.source);
}

void DagBft::try_commit(Ctx& ctx) {
  const std::uint64_t L = config_.wave_length_rounds;
  const Round top = highest_dag_round();
  for (std::uint64_t w = last_committed_wave_ + 1; w * L <= top; ++w) {
    const DagVertex* anchor = find(anchor_round(w), anchor_source(w));
    if (anchor == nullptr) continue;
    // Support counts vertices of round wL: too few there, or no vertex added to the wave's
    // rounds since the last count, and the support cannot have reached support_.
    const auto last = round_count_.find(w * L);
    if (last == round_count_.end() || last->second < support_) continue;
    std::uint64_t wave_vertices = 0;
    for (Round r = anchor_round(w); r <= w * L; ++r) {
      const auto c = round_count_.find(r);
      if (c != round_count_.end()) wave_vertices += c->second;
    }
    auto [checked, fresh] = support_checked_.try_emplace(w, wave_vertices);
    if (!fresh && checked->second == wave_vertices) continue;
    checked->second = wave_vertices;
    if (support_of(anchor->header, w * L) < support_) continue;
    commit_anchor_chain(ctx, w);
  }
}

void DagBft::commit_anchor_chain(Ctx& ctx, std::uint64_t wave) {
  // Anchors to order, newest first: the directly committed one, then every earlier anchor
  // reachable by a strong path from the last one kept.
  std::vector<std::pair<std::uint64_t, const VertexHeader*>> chain;
  const VertexHeader* current = &find(anchor_round(wave), anchor_source(wave))->header;
  chain.emplace_back(wave, current);
  for (std::uint64_t w = wave - 1; w > last_committed_wave_; --w) {
    const DagVertex* a = find(anchor_round(w), anchor_source(w));
    if (a != nullptr && strong_path(*current, a->header)) {
      current = &a->header;
      chain.emplace_back(w, current);
    }
  }
  last_committed_wave_ = wave;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it)
    order_history(ctx, it->first, *it->second, it->first == wave);
}

void DagBft::order_history(Ctx& ctx, std::uint64_t wave, const VertexHeader& anchor, bool direct) {
  std::vector<Key> history;
  std::vector<Key> stack{{anchor.round, anchor.source}};
  std::set<Key> seen;
  while (!stack.empty()) {
    const Key k = stack.back();
    stack.pop_back();
    if (!seen.insert(k).second) continue;
    const DagVertex* v = find(k.first, k.second);
    if (v == nullptr || v->ordered) continue;
    history.push_back(k);
    for (const VertexRef& p : v->header.parents) stack.push_back({p.round, p.source});
    for (const VertexRef& p : v->header.weak_parents) stack.push_back({p.round, p.source});
  }
  std::sort(history.begin(), history.end());
  Ordered o;
  o.wave = wave;
  o.anchor = anchor.ref();
  o.direct = direct;
  o.vertices.reserve(history.size());
  for (const Key& k : history) {
    DagVertex& v = dag_.at(k);
    v.ordered = true;
    o.vertices.push_back(OrderedVertex{ordered_count_++, v.header});
  }
  emit(ctx.out, std::move(o));
}

}  // namespace pipesim::consensus
