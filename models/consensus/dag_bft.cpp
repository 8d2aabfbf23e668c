#include "models/consensus/dag_bft.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "models/common/splitmix64.hpp"

namespace pipesim::consensus {

namespace {

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
      config.certificate_verify_us < 0 || config.header_resend_ms < 0)
    throw std::invalid_argument(
        "DagBft: round_time_ms, header_resend_ms and CPU costs must be >= 0");
  if (config.wave_length_rounds == 2) support_ = max_faulty(n) + 1;
}

DagBft::RoundSlot& DagBft::slot(Round round) {
  while (rounds_.size() <= round) {
    RoundSlot& s = rounds_.emplace_back();
    s.in_dag = s.seen = s.certified = s.covered = s.ordered = s.reach = NodeBitmap(n_);
  }
  return rounds_[round];
}

void DagBft::set_header(Round round, NodeId source, const VertexHeaderPtr& h) {
  RoundSlot& s = slot(round);
  if (s.header.empty()) s.header.resize(n_);
  s.header[source] = h;
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
  return on_message(now, from, std::make_shared<const DagMessage>(msg));
}

DagEffects DagBft::on_message(double now, NodeId from, const DagMessagePtr& msg) {
  if (!started_ || from >= n_ || from == self_ || !msg) return {};
  Ctx ctx{now, {}, 0.0};
  const char* label = "consensus.message";
  if (const auto* v = std::get_if<VertexMsg>(&msg->body)) {
    label = "consensus.vertex";
    if (v->header) on_vertex(ctx, from, v->header);
  } else if (const auto* a = std::get_if<AckMsg>(&msg->body)) {
    label = "consensus.ack";
    if (a->signer == from) on_ack(ctx, *a);
  } else if (const auto* c = std::get_if<CertificateMsg>(&msg->body)) {
    label = "consensus.certificate";
    if (c->header) on_certificate(ctx, *c, msg);
  } else if (const auto* f = std::get_if<FetchMsg>(&msg->body)) {
    label = "consensus.fetch";
    on_fetch(ctx, from, *f);
  }
  arm_fetch(ctx);
  return finish(ctx, label);
}

DagEffects DagBft::on_timer(double now, TimerId id) {
  if (!started_) return {};
  Ctx ctx{now, {}, 0.0};
  if (id == kFetchTimerId) {
    fetch_armed_ = false;
    fetch_tick(ctx);
    arm_fetch(ctx);
    return finish(ctx, "consensus.fetch");
  }
  if (id == kResendTimerId) {
    resend_armed_ = false;
    resend_tick(ctx);
    return finish(ctx, "consensus.resend");
  }
  if (id != timer_round_) return {};
  timer_round_ = 0;
  try_propose(ctx);
  arm_fetch(ctx);
  return finish(ctx, "consensus.timer");
}

DagEffects DagBft::on_recover(double now) {
  if (!started_) return {};
  Ctx ctx{now, {}, 0.0};
  // Timers due while the node was down were lost: re-arm the ticks and the round timer.
  fetch_armed_ = false;
  resend_armed_ = false;
  timer_round_ = 0;
  if (const double next = next_resend_due(); next > 0) arm_resend(ctx, std::max(next, now));
  try_propose(ctx);
  arm_fetch(ctx);
  return finish(ctx, "consensus.recover");
}

DagEffects DagBft::on_batch_ready(double now, Round round, const DagBatch& batch) {
  if (!started_ || round != batch_requested_round_ || next_batch_) return {};
  Ctx ctx{now, {}, 0.0};
  next_batch_ = batch;
  try_propose(ctx);
  arm_fetch(ctx);
  return finish(ctx, "consensus.batch");
}

// ---------------------------------------------------------------------------------------------
// Reliable broadcast

void DagBft::on_vertex(Ctx& ctx, NodeId from, const VertexHeaderPtr& hp) {
  ctx.cpu_us += config_.signature_verify_us;
  const VertexHeader& h = *hp;
  // Structural checks, O(1): headers are sealed by their author (seal_vertex: digest, parent
  // set), so the digest is not recomputed per receiver (issue 16).
  if (h.source != from || h.round == 0) return;
  if (h.round == 1 ? !h.parents.empty() : h.parents.size() < quorum_) return;
  RoundSlot& s = slot(h.round);
  if (s.seen.test(h.source)) {  // one digest acked per (round, source)
    const VertexHeaderPtr* first = s.header.empty() ? nullptr : &s.header[h.source];
    VertexDigest acked = 0;
    if (first != nullptr && *first) {
      acked = (*first)->digest;
    } else if (auto it = released_acks_.find({h.round, h.source}); it != released_acks_.end()) {
      acked = it->second;  // the round's headers were released by garbage collection
    } else {
      return;
    }
    if (acked != h.digest) {
      ++equivocations_detected_;
      return;
    }
    // The same header again (its author re-sent it, header_resend_ms): the ack was lost or is
    // still coming. Acks are idempotent, so it is sent again, unless the header still waits for
    // its parents (queued once, acked when they arrive).
    if (!ack_waiting_.contains({h.round, h.source})) {
      ++acks_resent_;
      send_ack(ctx, h);
    }
    return;
  }
  s.seen.set(h.source);
  if (!s.in_dag.test(h.source)) {
    if (!s.released) {
      set_header(h.round, h.source, hp);
    } else {
      released_acks_.emplace(Key{h.round, h.source}, h.digest);
    }
  }
  const Key key{h.round, h.source};
  Waiting w{hp};
  VertexRef missing;
  if (parents_arrived(w, missing)) {
    send_ack(ctx, h);
  } else {
    ack_waiting_.emplace(key, std::move(w));
    block_on(ctx, missing, true, key, h.source);
  }
}

void DagBft::send_ack(Ctx& ctx, const VertexHeader& h) {
  ctx.cpu_us += config_.signature_sign_us;
  emit(ctx.out, DagSend{h.source, make_dag_message(AckMsg{h.digest, h.round, h.source, self_})});
}

void DagBft::try_ack_pending(Ctx& ctx) {
  // Ascending (round, source) order, as the acks were always sent.
  for (const Key& key : ack_ready_) {
    auto it = ack_waiting_.find(key);
    send_ack(ctx, *it->second.header);
    ack_waiting_.erase(it);
  }
  ack_ready_.clear();
}

void DagBft::on_ack(Ctx& ctx, const AckMsg& a) {
  ctx.cpu_us += config_.signature_verify_us;
  auto it = own_pending_.find(a.round);
  if (a.source != self_ || it == own_pending_.end() || a.signer >= n_) return;
  for (std::size_t c = 0; c < it->second.size(); ++c) {
    Candidate& cand = it->second[c];
    if (cand.header->digest != a.digest) continue;
    if (cand.acks.test(a.signer)) return;
    cand.acks.set(a.signer);
    if (++cand.ack_count >= quorum_) certify_own(ctx, a.round, c);
    return;
  }
}

void DagBft::certify_own(Ctx& ctx, Round round, std::size_t candidate) {
  auto it = own_pending_.find(round);
  Candidate cand = std::move(it->second[candidate]);
  own_pending_.erase(it);
  CertificateMsg cert;
  cert.header = cand.header;
  cert.validators = n_;
  cert.signers.reserve(cand.ack_count);
  cand.acks.for_each([&](NodeId i) { cert.signers.push_back(i); });
  emit(ctx.out, CertificateFormed{cand.header->ref(), cand.ack_count});
  const DagMessagePtr msg = make_dag_message(std::move(cert));
  emit(ctx.out, DagBroadcast{msg});
  if (round == proposed_round_ && config_.header_resend_ms > 0 && quorum_ > 1) {
    cert_round_ = round;
    cert_due_s_ = ctx.now + config_.header_resend_ms * 1e-3;
    arm_resend(ctx, cert_due_s_);
  }
  accept_certified(ctx, cand.header, msg);
}

void DagBft::on_certificate(Ctx& ctx, const CertificateMsg& c, const DagMessagePtr& msg) {
  const VertexHeader& h = *c.header;
  if (h.round == 0 || h.source >= n_) return;
  if (slot(h.round).certified.test(h.source)) return;  // known: no re-verify
  ctx.cpu_us += config_.certificate_verify_us;
  if (c.signers.size() < quorum_) return;
  if (h.round == 1 ? !h.parents.empty() : h.parents.size() < quorum_) return;
  accept_certified(ctx, c.header, msg);
}

void DagBft::on_fetch(Ctx& ctx, NodeId from, const FetchMsg& f) {
  const RoundSlot* s = slot_if(f.round);
  if (s == nullptr || f.source >= n_ || s->certificate.empty() || !s->certificate[f.source]) return;
  const DagMessagePtr& cert = s->certificate[f.source];
  if (std::get<CertificateMsg>(cert->body).header->digest != f.digest) return;
  ++fetches_answered_;
  emit(ctx.out, DagSend{from, cert});
}

void DagBft::arm_fetch(Ctx& ctx) {
  if (fetch_armed_ || blocked_on_.empty() || config_.fetch_timeout_ms <= 0) return;
  fetch_armed_ = true;
  emit(ctx.out, SetTimer{kFetchTimerId, ctx.now + config_.fetch_timeout_ms * 1e-3});
}

void DagBft::arm_resend(Ctx& ctx, double at_s) {
  if (resend_armed_) return;  // armed no later than at_s: dues only grow with time
  resend_armed_ = true;
  emit(ctx.out, SetTimer{kResendTimerId, at_s});
}

void DagBft::resend_tick(Ctx& ctx) {
  // Every own header still uncertified past its due time, oldest round first, to the validators
  // whose ack has not arrived; a round with two candidates (equivocation) is never re-sent.
  // Certified headers have left own_pending_; with none left the tick stops until the next
  // proposal arms it.
  const double period = config_.header_resend_ms * 1e-3;
  for (auto& [round, cands] : own_pending_) {
    if (cands.size() != 1) continue;
    Candidate& cand = cands.front();
    if (cand.resend_due_s <= ctx.now + kTimeEpsilonS) {
      const DagMessagePtr msg = make_dag_message(VertexMsg{cand.header});
      for (NodeId j = 0; j < n_; ++j) {
        if (j == self_ || cand.acks.test(j)) continue;
        ++headers_resent_;
        emit(ctx.out, DagSend{j, msg});
      }
      cand.resend_due_s = ctx.now + period;
    }
  }
  // The certificate of the current round, while the node is stuck in it (its DAG lacks a
  // quorum of the round's vertices): to every peer whose next-round header did not reference
  // it. Stops once the node proposes a later round; not re-armed once the quorum is there.
  if (cert_round_ != 0 && (cert_round_ != proposed_round_ || quorum_round_ >= cert_round_))
    cert_round_ = 0;
  if (cert_round_ != 0 && cert_due_s_ <= ctx.now + kTimeEpsilonS) {
    const RoundSlot& s = rounds_[cert_round_];
    const RoundSlot* next_round = slot_if(cert_round_ + 1);
    if (!s.certificate.empty() && s.certificate[self_]) {
      for (NodeId j = 0; j < n_; ++j) {
        if (j == self_) continue;
        if (next_round != nullptr && next_round->seen.test(j) && !next_round->header.empty() &&
            next_round->header[j] && next_round->header[j]->parent_set.test(self_))
          continue;
        ++certificates_resent_;
        emit(ctx.out, DagSend{j, s.certificate[self_]});
      }
    }
    cert_due_s_ = ctx.now + period;
  }
  const double next = next_resend_due();
  if (next > 0) arm_resend(ctx, next);
}

double DagBft::next_resend_due() const {
  double next = -1.0;
  for (const auto& [round, cands] : own_pending_)
    if (cands.size() == 1)
      next = next < 0 ? cands.front().resend_due_s : std::min(next, cands.front().resend_due_s);
  if (cert_round_ != 0) next = next < 0 ? cert_due_s_ : std::min(next, cert_due_s_);
  return config_.header_resend_ms > 0 ? next : -1.0;
}

void DagBft::fetch_tick(Ctx& ctx) {
  // Every parent missing past its due time is requested from one peer: first the author of
  // the header waiting on it (which had it in its DAG), then the next validators in turn.
  const double period = config_.fetch_timeout_ms * 1e-3;
  double next = -1.0;
  for (auto& [key, b] : blocked_on_) {
    if (slot(key.first).certified.test(key.second)) continue;  // held, waits on its own parents
    if (b.next_fetch_s <= ctx.now + kTimeEpsilonS) {
      NodeId to = static_cast<NodeId>((b.author + b.fetches) % n_);
      if (to == self_) to = static_cast<NodeId>((to + 1) % n_);
      ++b.fetches;
      b.next_fetch_s = ctx.now + period;
      ++fetches_sent_;
      emit(ctx.out, DagSend{to, make_dag_message(FetchMsg{key.first, key.second, b.digest})});
    }
    next = next < 0 ? b.next_fetch_s : std::min(next, b.next_fetch_s);
  }
  if (next > ctx.now + kTimeEpsilonS) {
    fetch_armed_ = true;
    emit(ctx.out, SetTimer{kFetchTimerId, next});
  }
}

void DagBft::block_on(Ctx& ctx, const VertexRef& missing, bool is_ack, const Key& key,
                      NodeId author) {
  auto [it, fresh] = blocked_on_.try_emplace({missing.round, missing.source});
  if (fresh) {
    it->second.digest = missing.digest;
    it->second.author = author;
    it->second.next_fetch_s = ctx.now + config_.fetch_timeout_ms * 1e-3;
  }
  it->second.waiters.emplace_back(is_ack, key);
}

bool DagBft::parents_arrived(Waiting& w, VertexRef& missing) const {
  const VertexHeader& h = *w.header;
  if (h.round > 1) {
    const RoundSlot* below = slot_if(h.round - 1);
    const NodeId first = below == nullptr
                             ? (h.parents.empty() ? n_ : h.parents.front().source)
                             : h.parent_set.first_not_in(below->in_dag, n_, w.strong_word);
    if (first < n_) {
      // parents are ascending by source
      missing =
          *std::lower_bound(h.parents.begin(), h.parents.end(), first,
                            [](const VertexRef& p, NodeId source) { return p.source < source; });
      return false;
    }
  }
  while (w.weak < h.weak_parents.size()) {
    const VertexRef& p = h.weak_parents[w.weak];
    if (!in_dag(p.round, p.source)) {
      missing = p;
      return false;
    }
    ++w.weak;
  }
  return true;
}

void DagBft::block_or_ready(Ctx& ctx, bool is_ack, const Key& key) {
  Waiting& w = (is_ack ? ack_waiting_ : certified_waiting_).at(key);
  VertexRef missing;
  if (parents_arrived(w, missing)) {
    (is_ack ? ack_ready_ : certified_ready_).insert(key);
    return;
  }
  block_on(ctx, missing, is_ack, key, w.header->source);
}

void DagBft::accept_certified(Ctx& ctx, const VertexHeaderPtr& hp,
                              const DagMessagePtr& certificate) {
  const VertexHeader& h = *hp;
  RoundSlot& s = slot(h.round);
  if (s.certified.test(h.source)) return;
  s.certified.set(h.source);
  if (certificate && !s.released) {
    if (s.certificate.empty()) s.certificate.resize(n_);
    s.certificate[h.source] = certificate;
  }
  const Key key{h.round, h.source};
  certified_waiting_.emplace(key, Waiting{hp});
  block_or_ready(ctx, false, key);
  // Nothing entered the DAG: every other waiting header is as blocked as before.
  if (certified_ready_.empty()) return;
  // Insert the ready certificates smallest (round, source) first; each wakes the headers blocked
  // on it, whose keys are larger (children have higher rounds), so the insertion order is the
  // ascending order of everything that becomes ready.
  while (!certified_ready_.empty()) {
    const Key k = *certified_ready_.begin();
    certified_ready_.erase(certified_ready_.begin());
    auto it = certified_waiting_.find(k);
    const VertexHeaderPtr v = std::move(it->second.header);
    certified_waiting_.erase(it);
    insert_vertex(ctx, v);
    if (auto waiters = blocked_on_.extract(k)) {
      for (const auto& [is_ack, waiter] : waiters.mapped().waiters)
        block_or_ready(ctx, is_ack, waiter);
    }
  }
  dag_changed(ctx);
}

void DagBft::insert_vertex(Ctx& ctx, const VertexHeaderPtr& hp) {
  const Round r = hp->round;
  const NodeId src = hp->source;
  RoundSlot& s = slot(r);
  s.in_dag.set(src);
  set_header(r, src, hp);
  if (s.released) {  // a late vertex in a collected round: keep it until it is done with
    s.released = false;
    gc_low_ = std::min(gc_low_, r);
  }
  if (!released_acks_.empty()) released_acks_.erase({r, src});
  ++dag_size_;
  ++s.count;
  if (s.count >= quorum_) quorum_round_ = std::max(quorum_round_, r);
  highest_round_ = std::max(highest_round_, r);
  uncovered_low_ = std::min(uncovered_low_, r);
  // Commit support, incrementally: strong path to the anchor of the round's wave.
  const std::uint64_t wave = (r - 1) / config_.wave_length_rounds + 1;
  if (wave > last_committed_wave_) {
    const Round ar = anchor_round(wave);
    const bool reaches =
        r == ar ? src == anchor_source(wave)
                : rounds_[r - 1].reach_count > 0 && hp->parent_set.intersects(rounds_[r - 1].reach);
    if (reaches) {
      s.reach.set(src);
      ++s.reach_count;
    }
  }
  emit(ctx.out, VertexAdded{hp->ref()});
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
    const Round best = quorum_round_;
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

void DagBft::cover(std::map<Round, NodeBitmap> todo) {
  // Highest round first: a vertex's parents are in lower rounds, so each round is complete
  // when it is reached. The covered set stays closed under ancestors.
  while (!todo.empty()) {
    auto top = std::prev(todo.end());
    const Round r = top->first;
    const NodeBitmap bits = std::move(top->second);
    todo.erase(top);
    RoundSlot& s = rounds_[r];
    bits.for_each([&](NodeId src) {
      if (!s.in_dag.test(src) || s.covered.test(src)) return;
      // A collected header (weak links off: collected once ordered) is not walked again.
      if (s.header.empty() || !s.header[src]) return;
      s.covered.set(src);
      ++s.covered_count;
      const VertexHeader& h = *s.header[src];
      if (r > 1) {
        auto [it, fresh] = todo.try_emplace(r - 1, n_);
        it->second.merge(h.parent_set);
      }
      for (const VertexRef& p : h.weak_parents)
        todo.try_emplace(p.round, n_).first->second.set(p.source);
    });
  }
}

void DagBft::propose(Ctx& ctx, Round round) {
  VertexHeader h;
  h.round = round;
  h.source = self_;
  h.batch = *next_batch_;
  if (round > 1) {
    const RoundSlot& below = slot(round - 1);
    below.in_dag.for_each([&](NodeId src) { h.parents.push_back(below.header[src]->ref()); });
    cover({{round - 1, below.in_dag}});
    if (config_.weak_links) {
      while (uncovered_low_ + 1 < round && uncovered_low_ < rounds_.size() &&
             rounds_[uncovered_low_].count == rounds_[uncovered_low_].covered_count)
        ++uncovered_low_;
      std::map<Round, NodeBitmap> weak;
      for (Round r = uncovered_low_; r + 1 < round && r < rounds_.size(); ++r) {
        const RoundSlot& s = rounds_[r];
        if (s.count == s.covered_count) continue;
        s.in_dag.for_each([&](NodeId src) {
          if (s.covered.test(src)) return;
          h.weak_parents.push_back(s.header[src]->ref());
          weak.try_emplace(r, n_).first->second.set(src);
        });
      }
      if (!weak.empty()) cover(std::move(weak));
    }
  }
  const bool equivocate = equivocating_ && n_ > 2;
  VertexHeaderPtr twin;
  if (equivocate) {
    // The conflicting twin: same parents, an empty batch (one byte when the real batch is
    // empty too, so that the digests differ).
    VertexHeader t = h;
    t.batch = DagBatch{};
    if (t.batch == h.batch) t.batch.size_bytes = 1;
    twin = seal_vertex(std::move(t), n_);
  }
  const VertexHeaderPtr hp = seal_vertex(std::move(h), n_);
  next_batch_.reset();
  proposed_round_ = round;
  last_proposal_s = ctx.now;
  std::vector<Candidate>& cands = own_pending_[round];
  cands.clear();
  for (const VertexHeaderPtr& c : {hp, twin}) {
    if (!c) continue;
    Candidate cand{c, NodeBitmap(n_), 1, 0.0};
    cand.acks.set(self_);  // the source's own signature counts
    cands.push_back(std::move(cand));
  }
  slot(round).seen.set(self_);
  if (!slot(round).in_dag.test(self_)) set_header(round, self_, hp);
  ctx.cpu_us += config_.signature_sign_us * static_cast<double>(cands.size());
  emit(ctx.out, VertexProposed{hp});
  if (!equivocate) {
    emit(ctx.out, DagBroadcast{make_dag_message(VertexMsg{hp})});
  } else {
    const DagMessagePtr first = make_dag_message(VertexMsg{hp});
    const DagMessagePtr second = make_dag_message(VertexMsg{twin});
    const std::uint32_t split = n_ / 2;  // ceil((n - 1) / 2) peers get the first vertex
    std::uint32_t peer = 0;
    for (NodeId j = 0; j < n_; ++j) {
      if (j == self_) continue;
      emit(ctx.out, DagSend{j, peer++ < split ? first : second});
    }
  }
  batch_requested_round_ = round + 1;
  emit(ctx.out, RequestBatch{round + 1});
  if (quorum_ <= 1) {  // n == 1
    certify_own(ctx, round, 0);
  } else if (!equivocate && config_.header_resend_ms > 0) {
    cands.front().resend_due_s = ctx.now + config_.header_resend_ms * 1e-3;
    arm_resend(ctx, cands.front().resend_due_s);
  }
}

// ---------------------------------------------------------------------------------------------
// Commit and ordering

bool DagBft::strong_path(const VertexHeader& from, const VertexHeader& to) const {
  if (from.round < to.round) return false;
  NodeBitmap frontier(n_);
  frontier.set(from.source);
  for (Round r = from.round; r > to.round; --r) {
    NodeBitmap prev(n_);
    const RoundSlot& s = rounds_[r];
    frontier.for_each([&](NodeId src) {
      if (s.in_dag.test(src)) prev.merge(s.header[src]->parent_set);
    });
    frontier = std::move(prev);
    if (frontier.empty()) return false;
  }
  return frontier.test(to.source);
}

void DagBft::try_commit(Ctx& ctx) {
  const std::uint64_t L = config_.wave_length_rounds;
  for (std::uint64_t w = last_committed_wave_ + 1; w * L <= highest_round_; ++w) {
    // Support (vertices of round wL with a strong path to the anchor) is kept up to date by
    // insert_vertex; without the anchor it is 0.
    if (rounds_[w * L].reach_count < support_) continue;
    commit_anchor_chain(ctx, w);
  }
}

void DagBft::commit_anchor_chain(Ctx& ctx, std::uint64_t wave) {
  // Anchors to order, newest first: the directly committed one, then every earlier anchor
  // reachable by a strong path from the last one kept.
  std::vector<std::pair<std::uint64_t, VertexHeaderPtr>> chain;
  VertexHeaderPtr current = header_of(anchor_round(wave), anchor_source(wave));
  chain.emplace_back(wave, current);
  for (std::uint64_t w = wave - 1; w > last_committed_wave_; --w) {
    const Round ar = anchor_round(w);
    const NodeId as = anchor_source(w);
    if (!in_dag(ar, as)) continue;
    const VertexHeaderPtr& a = header_of(ar, as);
    if (strong_path(*current, *a)) {
      current = a;
      chain.emplace_back(w, current);
    }
  }
  last_committed_wave_ = wave;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it)
    order_history(ctx, it->first, it->second, it->first == wave);
  collect_garbage();
}

void DagBft::order_history(Ctx& ctx, std::uint64_t wave, const VertexHeaderPtr& anchor,
                           bool direct) {
  // The anchor's causal history minus ordered vertices, walked round by round from the top
  // (parents are in lower rounds), each vertex once.
  std::vector<Key> history;
  std::map<Round, NodeBitmap> todo;
  todo.try_emplace(anchor->round, n_).first->second.set(anchor->source);
  while (!todo.empty()) {
    auto top = std::prev(todo.end());
    const Round r = top->first;
    const NodeBitmap bits = std::move(top->second);
    todo.erase(top);
    RoundSlot& s = rounds_[r];
    bits.for_each([&](NodeId src) {
      if (!s.in_dag.test(src) || s.ordered.test(src)) return;
      s.ordered.set(src);
      ++s.ordered_count;
      history.emplace_back(r, src);
      const VertexHeader& h = *s.header[src];
      if (r > 1) todo.try_emplace(r - 1, n_).first->second.merge(h.parent_set);
      for (const VertexRef& p : h.weak_parents)
        todo.try_emplace(p.round, n_).first->second.set(p.source);
    });
  }
  std::sort(history.begin(), history.end());
  Ordered o;
  o.wave = wave;
  o.anchor = anchor->ref();
  o.direct = direct;
  o.vertices.reserve(history.size());
  for (const Key& k : history)
    o.vertices.push_back(OrderedVertex{ordered_count_++, header_of(k.first, k.second)});
  emit(ctx.out, std::move(o));
}

void DagBft::collect_garbage() {
  // Below the last committed anchor's round, a round whose DAG vertices are all ordered (and
  // covered, when weak links are on) is never read again: ordering, covering and the commit
  // rule stop at ordered/covered vertices and never go below that anchor otherwise. Its
  // header pointers are dropped; the per-round bitmaps stay (n / 8 bytes each).
  const Round bound = anchor_round(last_committed_wave_);
  for (Round r = gc_low_; r < bound && r < rounds_.size(); ++r) {
    RoundSlot& s = rounds_[r];
    if (s.released) continue;
    if (s.ordered_count != s.count || (config_.weak_links && s.covered_count != s.count)) continue;
    // Headers seen (acked or waiting) but not certified yet keep their digest: a re-sent copy
    // is acked again, another digest is still equivocation evidence.
    s.seen.for_each([&](NodeId src) {
      if (!s.in_dag.test(src) && s.header[src])
        released_acks_.emplace(Key{r, src}, s.header[src]->digest);
    });
    std::vector<VertexHeaderPtr>().swap(s.header);
    std::vector<DagMessagePtr>().swap(s.certificate);
    s.released = true;
    ++rounds_collected_;
  }
  while (gc_low_ < bound && gc_low_ < rounds_.size() && rounds_[gc_low_].released) ++gc_low_;
}

}  // namespace pipesim::consensus
