#include "models/consensus/hotstuff.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

namespace pipesim::consensus {

namespace {

PacemakerConfig pacemaker_config(const HotStuffConfig& c) {
  PacemakerConfig p;
  p.round_timeout_ms = c.round_timeout_ms;
  p.timeout_backoff = c.timeout_backoff;
  p.max_backoff_exponent = c.max_backoff_exponent;
  return p;
}

}  // namespace

HotStuff::HotStuff(const HotStuffConfig& config, NodeId self, std::uint32_t n)
    : config_(config),
      self_(self),
      n_(n),
      pacemaker_(pacemaker_config(config), n == 0 ? 1 : n),
      high_qc_(genesis_qc(n)),
      committed_id_(genesis_header().id) {
  if (n == 0) throw std::invalid_argument("HotStuff: n must be > 0");
  if (self >= n)
    throw std::invalid_argument("HotStuff: self " + std::to_string(self) + " >= n " +
                                std::to_string(n));
  if (config.block_time_ms < 0 || config.signature_verify_us < 0 || config.signature_sign_us < 0 ||
      config.qc_verify_us < 0)
    throw std::invalid_argument("HotStuff: block_time_ms and CPU costs must be >= 0");
  Entry g;
  g.header = genesis_header();
  g.validation = Validation::kValid;
  blocks_.emplace(g.header.id, std::move(g));
  certified_.insert({0, genesis_header().id});
}

std::size_t HotStuff::orphan_count() const {
  std::size_t c = 0;
  for (const auto& [parent, children] : orphans_) c += children.size();
  return c;
}

Effects HotStuff::finish(Ctx& ctx, const char* label) const {
  if (ctx.cpu_us > 0.0) ctx.out.insert(ctx.out.begin(), Cpu{ctx.cpu_us * 1e-6, label});
  return std::move(ctx.out);
}

bool HotStuff::qc_known(const QuorumCert& qc) const {
  return certified_.contains({qc.round, qc.block_id});
}

// ---------------------------------------------------------------------------------------------
// Public handlers

Effects HotStuff::start(double now) {
  Ctx ctx{now, {}, 0.0};
  if (started_) return {};
  started_ = true;
  enter_round(ctx, 1, false);
  return finish(ctx, "consensus.start");
}

Effects HotStuff::on_message(double now, NodeId from, const Message& msg) {
  Ctx ctx{now, {}, 0.0};
  if (!started_ || from >= n_ || from == self_) return {};
  const char* label = "consensus.message";
  if (const auto* p = std::get_if<Proposal>(&msg.body)) {
    label = "consensus.proposal";
    on_proposal(ctx, from, *p);
  } else if (const auto* v = std::get_if<Vote>(&msg.body)) {
    label = "consensus.vote";
    if (v->voter == from) {
      ctx.cpu_us += config_.signature_verify_us;
      on_vote(ctx, *v);
    }
  } else if (const auto* t = std::get_if<Timeout>(&msg.body)) {
    label = "consensus.timeout";
    if (t->sender == from) {
      ctx.cpu_us += config_.signature_verify_us;
      if (!qc_known(t->high_qc)) ctx.cpu_us += config_.qc_verify_us;
      process_qc(ctx, t->high_qc);
      if (t->last_round_tc && t->last_round_tc->round + 1 == t->round) {
        if (!highest_tc_ || t->last_round_tc->round > highest_tc_->round) {
          ctx.cpu_us += config_.qc_verify_us;
          process_tc(ctx, *t->last_round_tc);
        }
      }
      on_timeout(ctx, *t);
    }
  } else if (const auto* rq = std::get_if<BlockRequest>(&msg.body)) {
    label = "consensus.sync";
    if (rq->requester == from) on_block_request(ctx, from, *rq);
  } else if (const auto* rs = std::get_if<BlockResponse>(&msg.body)) {
    label = "consensus.sync";
    on_block_response(ctx, from, *rs);
  }
  return finish(ctx, label);
}

Effects HotStuff::on_timer(double now, TimerId id) {
  Ctx ctx{now, {}, 0.0};
  if (!started_) return {};
  const Round r = timer_round(id);
  if (r != pacemaker_.current_round()) return {};  // stale
  switch (timer_kind(id)) {
    case TimerKind::kRoundTimeout:
      if (pacemaker_.timed_out(r)) {
        broadcast_timeout(ctx, r);  // still stuck in r: re-send (lost timeouts, missed TCs)
      } else {
        local_timeout(ctx);
      }
      break;
    case TimerKind::kPacing:
      propose(ctx);
      break;
  }
  return finish(ctx, "consensus.timer");
}

Effects HotStuff::on_payload_ready(double now, Round round, const Payload& payload,
                                   const std::optional<Payload>& conflicting) {
  Ctx ctx{now, {}, 0.0};
  if (!started_ || round != pacemaker_.current_round() || payload_requested_round_ != round ||
      proposed_round_ >= round || ready_payload_)
    return {};
  ready_payload_ = payload;
  conflicting_payload_.reset();
  if (conflicting && wants_conflicting_payload(now)) conflicting_payload_ = conflicting;
  if (now + kTimeEpsilonS < proposal_not_before_s_) {
    ctx.out.push_back(SetTimer{make_timer_id(TimerKind::kPacing, round), proposal_not_before_s_});
  } else {
    propose(ctx);
  }
  return finish(ctx, "consensus.propose");
}

Effects HotStuff::on_recover(double now) {
  Ctx ctx{now, {}, 0.0};
  if (!started_) return {};
  const Round r = pacemaker_.current_round();
  ctx.out.push_back(
      SetTimer{make_timer_id(TimerKind::kRoundTimeout, r), now + pacemaker_.timeout_duration_s()});
  return finish(ctx, "consensus.recover");
}

Effects HotStuff::on_validated(double now, BlockId block, bool valid) {
  Ctx ctx{now, {}, 0.0};
  auto it = blocks_.find(block);
  if (!started_ || it == blocks_.end() || it->second.validation != Validation::kPending) return {};
  // A Byzantine kInvalidExecutionVote node treats a refused block as valid: it attests it.
  const bool attest =
      !valid && byzantine(ByzantineWindow::Kind::kInvalidExecutionVote, now) != nullptr;
  it->second.validation = valid || attest ? Validation::kValid : Validation::kInvalid;
  if (valid || attest) {
    const Round before = highest_voted_round_;
    try_vote(ctx, block);
    if (attest && highest_voted_round_ != before) ++invalid_votes_;
  }
  return finish(ctx, "consensus.validated");
}

void HotStuff::add_byzantine(const ByzantineWindow& window) {
  if (!(window.until_s > window.from_s) || window.delay_ms < 0)
    throw std::invalid_argument(
        "HotStuff: a Byzantine window needs until_s > from_s and "
        "delay_ms >= 0");
  byzantine_.push_back(window);
}

const ByzantineWindow* HotStuff::byzantine(ByzantineWindow::Kind kind, double now) const {
  for (const ByzantineWindow& w : byzantine_) {
    if (w.kind == kind && now >= w.from_s && now < w.until_s) return &w;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Message handling

void HotStuff::on_proposal(Ctx& ctx, NodeId from, const Proposal& p) {
  const BlockHeader& h = p.header;
  ctx.cpu_us += config_.signature_verify_us;
  note_round_seen(h.round, ctx.now);
  // Structural checks (a crash-fault model never produces malformed proposals, but a runtime
  // bug would; ignore rather than corrupt the tree).
  if (h.proposer != from || leader_of(h.round, n_) != from || h.id != compute_block_id(h) ||
      h.justify.block_id != h.parent_id || h.justify.round >= h.round)
    return;
  if (p.last_round_tc && p.last_round_tc->round + 1 != h.round) return;
  if (!p.last_round_tc && h.justify.round + 1 != h.round) return;

  if (!qc_known(h.justify)) ctx.cpu_us += config_.qc_verify_us;
  process_qc(ctx, h.justify);
  if (p.last_round_tc) {
    if (!highest_tc_ || p.last_round_tc->round > highest_tc_->round)
      ctx.cpu_us += config_.qc_verify_us;
    process_tc(ctx, *p.last_round_tc);
  }
  attach(ctx, h, p.last_round_tc, Origin::kPeer, from);
}

void HotStuff::on_vote(Ctx& ctx, const Vote& v) {
  note_round_seen(v.round, ctx.now);
  if (leader_of(v.round + 1, n_) != self_ || v.voter >= n_) return;
  // A QC older than the previous round can no longer advance anybody.
  if (v.round + 1 < pacemaker_.current_round()) return;
  auto& c = votes_[{v.round, v.block_id}];
  if (c.seen.empty()) {
    c.seen.assign(n_, false);
    c.height = v.height;
  }
  if (c.done || c.seen[v.voter]) return;
  c.seen[v.voter] = true;
  c.signers.push_back(v.voter);
  if (c.signers.size() < quorum_size(n_)) return;
  c.done = true;
  QuorumCert qc;
  qc.block_id = v.block_id;
  qc.round = v.round;
  qc.height = c.height;
  qc.validators = n_;
  std::vector<NodeId> signers = c.signers;
  std::sort(signers.begin(), signers.end());
  qc.signers = SignerSet(std::move(signers));
  ctx.out.push_back(QcFormed{qc});
  process_qc(ctx, qc);
}

void HotStuff::on_timeout(Ctx& ctx, const Timeout& t) {
  note_round_seen(t.round, ctx.now);
  if (auto tc = pacemaker_.add_timeout(t)) {
    ctx.out.push_back(TcFormed{*tc});
    process_tc(ctx, *tc);
    return;
  }
  const Round r = pacemaker_.current_round();
  if (t.round == r && !pacemaker_.timed_out(r) && pacemaker_.timeout_count(r) >= max_faulty(n_) + 1)
    local_timeout(ctx);
}

// ---------------------------------------------------------------------------------------------
// Certificates and rounds

void HotStuff::process_qc(Ctx& ctx, const QuorumCert& qc) {
  note_round_seen(qc.round, ctx.now);
  if (qc.round > high_qc_.round) high_qc_ = qc;
  if (qc.round >= committed_round_) {
    const bool fresh = certified_.insert({qc.round, qc.block_id}).second;
    if (fresh) {
      auto it = blocks_.find(qc.block_id);
      if (it != blocks_.end()) apply_commit_rule(ctx, it->second.header);
    }
  }
  if (qc.round >= pacemaker_.current_round()) enter_round(ctx, qc.round + 1, false);
}

void HotStuff::process_tc(Ctx& ctx, const TimeoutCert& tc) {
  note_round_seen(tc.round, ctx.now);
  process_qc(ctx, tc.high_qc);
  if (!highest_tc_ || tc.round > highest_tc_->round) highest_tc_ = tc;
  if (tc.round >= pacemaker_.current_round()) enter_round(ctx, tc.round + 1, true);
}

void HotStuff::enter_round(Ctx& ctx, Round round, bool via_tc) {
  if (!pacemaker_.advance(round, via_tc, ctx.now)) return;
  note_round_seen(round, ctx.now);
  first_seen_.erase(first_seen_.begin(), first_seen_.lower_bound(round - 1));
  ctx.out.push_back(RoundEntered{round, via_tc ? RoundReason::kTc : RoundReason::kQc});
  ctx.out.push_back(SetTimer{make_timer_id(TimerKind::kRoundTimeout, round),
                             ctx.now + pacemaker_.timeout_duration_s()});
  // Votes for rounds below round - 1 can no longer form a useful QC here.
  votes_.erase(votes_.begin(), votes_.lower_bound({round > 0 ? round - 1 : 0, 0}));
  maybe_request_payload(ctx);
}

void HotStuff::local_timeout(Ctx& ctx) {
  const Round r = pacemaker_.current_round();
  if (pacemaker_.timed_out(r)) return;
  pacemaker_.mark_timed_out(r);
  highest_voted_round_ = std::max(highest_voted_round_, r);  // never vote in r afterwards
  broadcast_timeout(ctx, r);
}

void HotStuff::broadcast_timeout(Ctx& ctx, Round r) {
  ctx.cpu_us += config_.signature_sign_us;
  Timeout t{r, self_, high_qc_, std::nullopt};
  if (high_qc_.round + 1 != r && highest_tc_ && highest_tc_->round + 1 == r) {
    t.last_round_tc = highest_tc_;
  }
  ++timeouts_sent_;
  ctx.out.push_back(Broadcast{make_message(t)});
  // Re-armed: if the round is still current one timeout period later, the timeout is re-sent.
  ctx.out.push_back(SetTimer{make_timer_id(TimerKind::kRoundTimeout, r),
                             ctx.now + pacemaker_.timeout_duration_s()});
  on_timeout(ctx, t);
}

// ---------------------------------------------------------------------------------------------
// Proposing

void HotStuff::maybe_request_payload(Ctx& ctx) {
  const Round r = pacemaker_.current_round();
  if (leader_of(r, n_) != self_ || payload_requested_round_ >= r) return;
  const bool justified = high_qc_.round + 1 == r || (highest_tc_ && highest_tc_->round + 1 == r);
  if (!justified) return;
  auto pit = blocks_.find(high_qc_.block_id);
  if (pit == blocks_.end()) return;  // wait for the certified block itself (attach retries)
  std::optional<double> reference = pacemaker_.previous_entered_at();
  if (auto it = first_seen_.find(r - 1); it != first_seen_.end()) reference = it->second;
  payload_requested_round_ = r;
  requested_qc_ = high_qc_;
  ready_payload_.reset();
  proposal_not_before_s_ =
      reference ? std::max(ctx.now, *reference + config_.block_time_ms * 1e-3) : ctx.now;
  // Byzantine withholding leader: proposes late.
  if (const auto* w = byzantine(ByzantineWindow::Kind::kWithhold, ctx.now))
    proposal_not_before_s_ += w->delay_ms * 1e-3;
  ctx.out.push_back(RequestPayload{r, pit->second.header, proposal_not_before_s_});
}

BlockHeader HotStuff::make_header(Round round, const BlockHeader& parent, const Payload& payload,
                                  bool corrupt_root) const {
  BlockHeader h;
  h.parent_id = requested_qc_.block_id;
  h.round = round;
  h.height = parent.height + 1;
  h.proposer = self_;
  h.justify = requested_qc_;
  h.payload_id = payload.payload_id;
  h.payload_size_bytes = payload.size_bytes;
  h.state_root = payload.state_root;
  h.tx_count = payload.tx_count;
  h.gas_used = payload.gas_used;
  // Byzantine kInvalidExecutionVote leader: claims a state root its execution did not produce.
  if (corrupt_root) {
    for (auto& byte : h.state_root) byte ^= 0x5a;
  }
  h.id = compute_block_id(h);
  return h;
}

void HotStuff::propose(Ctx& ctx) {
  const Round round = pacemaker_.current_round();
  if (!ready_payload_ || payload_requested_round_ != round || proposed_round_ >= round ||
      ctx.now + kTimeEpsilonS < proposal_not_before_s_)
    return;
  auto pit = blocks_.find(requested_qc_.block_id);
  if (pit == blocks_.end()) return;  // parent pruned (a conflicting block was committed)
  const Payload payload = *ready_payload_;
  ready_payload_.reset();
  const std::optional<Payload> second = std::exchange(conflicting_payload_, std::nullopt);

  const bool corrupt = byzantine(ByzantineWindow::Kind::kInvalidExecutionVote, ctx.now) != nullptr;
  const BlockHeader h = make_header(round, pit->second.header, payload, corrupt);
  std::optional<TimeoutCert> tc;
  if (h.justify.round + 1 != round) {
    // Entered `round` through TC(round - 1): the proposal must carry it (maybe_request_payload
    // only requests when it is available).
    if (!highest_tc_ || highest_tc_->round + 1 != round) return;
    tc = highest_tc_;
  }
  proposed_round_ = round;
  ctx.cpu_us += config_.signature_sign_us;
  const ByzantineWindow* eq = byzantine(ByzantineWindow::Kind::kEquivocate, ctx.now);
  const ByzantineWindow* wh = byzantine(ByzantineWindow::Kind::kWithhold, ctx.now);
  std::optional<BlockHeader> b;
  if (eq && second) {
    b = make_header(round, pit->second.header, *second, corrupt);
    if (b->id == h.id) {
      b.reset();
    } else {
      ctx.cpu_us += config_.signature_sign_us;
    }
  }
  ctx.out.push_back(Proposed{h});
  if (b) ctx.out.push_back(Proposed{*b});
  const MessagePtr msg = make_message(Proposal{h, tc});
  if (wh) ++withheld_proposals_;
  if (!b && (!wh || wh->withhold_from.empty())) {
    ctx.out.push_back(Broadcast{msg});
  } else {
    // Equivocation: accomplices get both blocks, the other validators one each (disjoint
    // halves, by index); withholding: the listed validators get nothing.
    const MessagePtr other = b ? make_message(Proposal{*b, tc}) : msg;
    const auto listed = [](const std::vector<NodeId>& list, NodeId v) {
      return std::find(list.begin(), list.end(), v) != list.end();
    };
    std::vector<NodeId> rest;
    for (NodeId v = 0; v < n_; ++v) {
      if (v == self_ || (wh && listed(wh->withhold_from, v))) continue;
      if (b && listed(eq->accomplices, v)) {
        ctx.out.push_back(Send{v, msg});
        ctx.out.push_back(Send{v, other});
        continue;
      }
      rest.push_back(v);
    }
    const std::size_t half = b ? (rest.size() + 1) / 2 : rest.size();
    for (std::size_t k = 0; k < rest.size(); ++k) {
      ctx.out.push_back(Send{rest[k], k < half ? msg : other});
    }
    if (b) ++equivocations_;
  }
  attach(ctx, h, tc, Origin::kOwn, n_);
  if (b) attach(ctx, *b, tc, Origin::kOwn, n_);
  try_vote(ctx, h.id);
  if (b) try_vote(ctx, b->id);  // the equivocator's second vote (try_vote's double vote)
}

// ---------------------------------------------------------------------------------------------
// Block tree, voting, commit

void HotStuff::attach(Ctx& ctx, const BlockHeader& header, const std::optional<TimeoutCert>& tc,
                      Origin origin, NodeId peer) {
  if (header.height <= committed_height_ || blocks_.contains(header.id)) return;
  auto pit = blocks_.find(header.parent_id);
  if (pit == blocks_.end()) {
    auto& waiting = orphans_[header.parent_id];
    bool buffered = false;
    for (const auto& w : waiting) buffered = buffered || w.first.id == header.id;
    if (!buffered) waiting.emplace_back(header, tc);
    if (peer < n_ && peer != self_) request_sync(ctx, header.parent_id, peer);
    return;
  }
  if (pit->second.header.height + 1 != header.height) return;  // malformed height

  Entry e;
  e.header = header;
  e.tc = tc;
  e.validation = origin == Origin::kPeer ? Validation::kPending : Validation::kValid;
  blocks_.emplace(header.id, std::move(e));
  sync_requested_at_.erase(header.id);
  // (An equivocator also validates further blocks of the round it voted in: it double-votes.)
  const bool equivocating = byzantine(ByzantineWindow::Kind::kEquivocate, ctx.now) != nullptr;
  if (origin == Origin::kPeer && header.round == pacemaker_.current_round() &&
      (header.round > highest_voted_round_ ||
       (equivocating && header.round == highest_voted_round_)))
    ctx.out.push_back(RequestValidation{header});

  if (qc_known(QuorumCert{header.id, header.round, header.height, n_, {}}))
    apply_commit_rule(ctx, header);

  if (auto oit = orphans_.find(header.id); oit != orphans_.end()) {
    auto children = std::move(oit->second);
    orphans_.erase(oit);
    for (const auto& [child, child_tc] : children) attach(ctx, child, child_tc, Origin::kPeer, n_);
  }
  if (header.id == high_qc_.block_id) maybe_request_payload(ctx);
}

void HotStuff::request_sync(Ctx& ctx, BlockId missing, NodeId peer) {
  const double retry_s = pacemaker_.timeout_duration_s();
  auto [it, fresh] = sync_requested_at_.try_emplace(missing, ctx.now);
  if (!fresh && ctx.now < it->second + retry_s) return;
  it->second = ctx.now;
  ++sync_requests_;
  ctx.cpu_us += config_.signature_sign_us;
  ctx.out.push_back(Send{peer, make_message(BlockRequest{missing, committed_height_, self_})});
}

void HotStuff::on_block_request(Ctx& ctx, NodeId from, const BlockRequest& r) {
  ctx.cpu_us += config_.signature_verify_us;
  // Walk back from the requested block through the tree, then the committed log.
  std::vector<BlockHeader> path;
  BlockId cur = r.block_id;
  while (true) {
    const BlockHeader* h = nullptr;
    if (auto it = blocks_.find(cur); it != blocks_.end()) {
      h = &it->second.header;
    } else if (auto ct = committed_index_.find(cur); ct != committed_index_.end()) {
      h = &committed_log_[ct->second - 1];
    }
    if (h == nullptr || h->height <= r.have_height) break;
    path.push_back(*h);
    cur = h->parent_id;
  }
  // Serve only a contiguous chain down to the requester's height, oldest first.
  if (path.empty() || path.back().height != r.have_height + 1) return;
  std::reverse(path.begin(), path.end());
  if (path.size() > kMaxSyncBlocks) path.resize(kMaxSyncBlocks);
  ++sync_responses_;
  ctx.cpu_us += config_.signature_sign_us;
  ctx.out.push_back(Send{from, make_message(BlockResponse{std::move(path)})});
}

void HotStuff::on_block_response(Ctx& ctx, NodeId from, const BlockResponse& r) {
  for (const BlockHeader& h : r.blocks) {
    // Each block: its proposer's signature and its justify QC (certifying its parent).
    ctx.cpu_us += config_.signature_verify_us;
    if (h.id != compute_block_id(h) || h.justify.block_id != h.parent_id) return;
    if (h.height <= committed_height_ || blocks_.contains(h.id)) continue;
    if (!blocks_.contains(h.parent_id)) return;  // not contiguous with what this node holds
    if (!qc_known(h.justify)) ctx.cpu_us += config_.qc_verify_us;
    ++synced_blocks_;
    attach(ctx, h, std::nullopt, Origin::kSynced, n_);
    process_qc(ctx, h.justify);
  }
  // Still missing ancestors of buffered proposals (a response is capped): ask again.
  for (const auto& [parent, children] : orphans_) {
    if (!children.empty() && !blocks_.contains(parent)) {
      sync_requested_at_.erase(parent);
      request_sync(ctx, parent, from);
      break;
    }
  }
}

void HotStuff::try_vote(Ctx& ctx, BlockId id) {
  auto it = blocks_.find(id);
  if (it == blocks_.end() || it->second.validation != Validation::kValid) return;
  const BlockHeader& h = it->second.header;
  const auto& tc = it->second.tc;
  if (h.round != pacemaker_.current_round()) return;
  const bool extends_previous_round = h.justify.round + 1 == h.round;
  const bool extends_tc = tc && tc->round + 1 == h.round && h.justify.round >= tc->high_qc.round;
  if (!extends_previous_round && !extends_tc) return;
  if (h.round <= highest_voted_round_) {
    // Honest: at most one vote per round. A Byzantine equivocator votes once per block of its
    // current round (double voting).
    if (byzantine(ByzantineWindow::Kind::kEquivocate, ctx.now) == nullptr ||
        h.round != highest_voted_round_ || h.id == voted_block_ ||
        !double_voted_.insert(h.id).second)
      return;
    ++double_votes_;
  }

  highest_voted_round_ = h.round;
  voted_block_ = h.id;
  ctx.cpu_us += config_.signature_sign_us;
  ctx.out.push_back(Voted{h.id, h.round});
  const Vote v{h.id, h.round, h.height, self_};
  const NodeId next_leader = leader_of(h.round + 1, n_);
  if (next_leader == self_) {
    on_vote(ctx, v);
  } else {
    ctx.out.push_back(Send{next_leader, make_message(v)});
  }
}

void HotStuff::apply_commit_rule(Ctx& ctx, const BlockHeader& certified) {
  // 2-chain: QC(B) with B.justify = QC(P) and B.round == P.round + 1 commits P.
  if (certified.justify.round + 1 == certified.round) commit_to(ctx, certified.parent_id);
}

void HotStuff::commit_to(Ctx& ctx, BlockId id) {
  auto it = blocks_.find(id);
  if (it == blocks_.end()) return;  // pruned: at or below the committed height
  if (it->second.header.height <= committed_height_) {
    if (it->second.header.height == committed_height_ && id != committed_id_)
      throw std::logic_error("HotStuff: conflicting commit at height " +
                             std::to_string(committed_height_));
    return;
  }
  std::vector<BlockHeader> chain;
  const BlockHeader* cur = &it->second.header;
  while (cur->height > committed_height_) {
    chain.push_back(*cur);
    auto pit = blocks_.find(cur->parent_id);
    if (pit == blocks_.end()) throw std::logic_error("HotStuff: missing ancestor while committing");
    cur = &pit->second.header;
  }
  if (cur->id != committed_id_)
    throw std::logic_error("HotStuff: commit does not extend the committed chain at height " +
                           std::to_string(committed_height_));
  std::reverse(chain.begin(), chain.end());
  for (const BlockHeader& h : chain) {
    committed_index_.emplace(h.id, h.height);
    committed_log_.push_back(h);
  }
  committed_id_ = chain.back().id;
  committed_height_ = chain.back().height;
  committed_round_ = chain.back().round;
  ctx.out.push_back(Committed{std::move(chain)});
  prune();
}

void HotStuff::note_round_seen(Round round, double now) {
  if (round + 1 >= pacemaker_.current_round()) first_seen_.try_emplace(round, now);
}

void HotStuff::prune() {
  // Iteration order of blocks_ does not matter here: only erasures, no effects.
  for (auto it = blocks_.begin(); it != blocks_.end();) {
    const auto& h = it->second.header;
    if (h.height < committed_height_ || (h.height == committed_height_ && h.id != committed_id_))
      it = blocks_.erase(it);
    else
      ++it;
  }
  for (auto it = orphans_.begin(); it != orphans_.end();) {
    auto& v = it->second;
    std::erase_if(v, [&](const auto& w) { return w.first.height <= committed_height_; });
    it = v.empty() ? orphans_.erase(it) : std::next(it);
  }
  certified_.erase(certified_.begin(), certified_.lower_bound({committed_round_, 0}));
}

}  // namespace pipesim::consensus
