#include "models/consensus/polkadot/parachain_backing.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace pipesim::consensus::polkadot {

BackingGroups::BackingGroups(std::uint32_t validators, std::uint32_t group_size,
                             std::uint32_t rotation_relay_blocks)
    : rotation_(rotation_relay_blocks) {
  if (validators == 0 || group_size == 0 || rotation_relay_blocks == 0) {
    throw std::invalid_argument("BackingGroups: validators, group_size and rotation must be > 0");
  }
  const std::uint32_t groups = std::max<std::uint32_t>(1, validators / group_size);
  members_.resize(groups);
  for (std::uint32_t v = 0; v < validators; ++v) members_[v % groups].push_back(v);
}

std::uint32_t BackingGroups::group_for_core(std::uint32_t core, std::uint64_t relay_block) const {
  return static_cast<std::uint32_t>((core + relay_block / rotation_) % groups());
}

const char* to_string(CandidateState s) {
  switch (s) {
    case CandidateState::kSeconded:
      return "seconded";
    case CandidateState::kBacked:
      return "backed";
    case CandidateState::kPendingAvailability:
      return "pending_availability";
    case CandidateState::kIncluded:
      return "included";
    case CandidateState::kDropped:
      return "dropped";
  }
  return "?";
}

const char* to_string(DropReason r) {
  switch (r) {
    case DropReason::kNone:
      return "none";
    case DropReason::kNotBackedInTime:
      return "not_backed_in_time";
    case DropReason::kRelayParentOutOfAncestry:
      return "relay_parent_out_of_ancestry";
    case DropReason::kAvailabilityTimeout:
      return "availability_timeout";
    case DropReason::kParentDropped:
      return "parent_dropped";
  }
  return "?";
}

ParachainTracker::ParachainTracker(BackingParams params) : params_(params) {
  if (params_.minimum_backing_votes == 0 || params_.unincluded_segment_capacity == 0 ||
      params_.block_processing_velocity == 0 || params_.availability_timeout_relay_blocks == 0) {
    throw std::invalid_argument(
        "ParachainTracker: minimum_backing_votes, unincluded_segment_capacity, "
        "block_processing_velocity and availability_timeout_relay_blocks must be >= 1");
  }
  if (params_.mode == BackingMode::kSync) {
    params_.max_candidate_depth = 0;
    params_.allowed_ancestry_len = 0;
  }
}

std::uint32_t ParachainTracker::segment_bound() const {
  if (params_.mode == BackingMode::kSync) return 1;
  return std::min(params_.unincluded_segment_capacity, params_.max_candidate_depth + 1);
}

std::optional<ParachainTracker::BuildTarget> ParachainTracker::build_target(
    std::uint64_t relay_parent) const {
  if (segment_.size() >= segment_bound()) return std::nullopt;
  std::uint32_t at_this_parent = 0;
  for (CandidateId id : segment_) {
    if (candidates_.at(id).relay_parent == relay_parent) ++at_this_parent;
  }
  if (at_this_parent >= params_.block_processing_velocity) return std::nullopt;
  if (segment_.empty()) return BuildTarget{head_, head_height_ + 1};
  const Candidate& tip = candidates_.at(segment_.back());
  return BuildTarget{tip.id, tip.para_height + 1};
}

bool ParachainTracker::add_candidate(CandidateId id, CandidateId parent,
                                     std::uint64_t relay_parent) {
  if (id == 0 || candidates_.count(id)) {
    throw std::invalid_argument(
        fmt::format("ParachainTracker: candidate id {} is 0 or reused", id));
  }
  Candidate c;
  c.id = id;
  c.parent = parent;
  c.relay_parent = relay_parent;
  c.parent_was_included = parent == head_;
  const CandidateId tip = segment_.empty() ? head_ : segment_.back();
  if (parent != tip) {
    c.state = CandidateState::kDropped;
    c.drop_reason = DropReason::kParentDropped;
    const Candidate* p = find(parent);
    c.para_height = (p ? p->para_height : 0) + 1;
    candidates_.emplace(id, std::move(c));
    return false;
  }
  c.para_height = (segment_.empty() ? head_height_ : candidates_.at(tip).para_height) + 1;
  candidates_.emplace(id, std::move(c));
  segment_.push_back(id);
  max_segment_ = std::max<std::uint32_t>(max_segment_, static_cast<std::uint32_t>(segment_.size()));
  return true;
}

bool ParachainTracker::add_valid_vote(CandidateId id, std::uint32_t validator) {
  auto it = candidates_.find(id);
  if (it == candidates_.end()) return false;
  Candidate& c = it->second;
  if (c.state != CandidateState::kSeconded && c.state != CandidateState::kBacked) return false;
  if (std::find(c.valid_votes.begin(), c.valid_votes.end(), validator) != c.valid_votes.end()) {
    return false;
  }
  c.valid_votes.push_back(validator);
  if (c.state == CandidateState::kSeconded &&
      c.valid_votes.size() >= params_.minimum_backing_votes) {
    c.state = CandidateState::kBacked;
    return true;
  }
  return false;
}

std::optional<CandidateId> ParachainTracker::pending_availability() const {
  if (segment_.empty()) return std::nullopt;
  const Candidate& c = candidates_.at(segment_.front());
  if (c.state != CandidateState::kPendingAvailability) return std::nullopt;
  return c.id;
}

const Candidate* ParachainTracker::find(CandidateId id) const {
  auto it = candidates_.find(id);
  return it == candidates_.end() ? nullptr : &it->second;
}

void ParachainTracker::drop_from(std::size_t index, DropReason first, std::uint64_t block,
                                 ParaBlockOutcome& out) {
  for (std::size_t k = index; k < segment_.size(); ++k) {
    Candidate& c = candidates_.at(segment_[k]);
    c.state = CandidateState::kDropped;
    c.drop_reason = k == index ? first : DropReason::kParentDropped;
    c.dropped_in_block = block;
    out.dropped.push_back(c.id);
  }
  segment_.resize(index);
}

ParaBlockOutcome ParachainTracker::on_relay_block(
    std::uint64_t number, bool pending_available,
    const std::function<bool(const Candidate&)>& author_knows, bool inherent) {
  ParaBlockOutcome out;
  if (!inherent || number == 0) return out;
  // 1. Availability of the candidate occupying the core.
  if (auto pending = pending_availability()) {
    Candidate& c = candidates_.at(*pending);
    if (pending_available) {
      c.state = CandidateState::kIncluded;
      c.included_in_block = number;
      head_ = c.id;
      head_height_ = c.para_height;
      included_.push_back(c.id);
      segment_.erase(segment_.begin());
      out.included = c.id;
    } else if (number - c.backed_in_block >= params_.availability_timeout_relay_blocks) {
      drop_from(0, DropReason::kAvailabilityTimeout, number, out);
    }
  }
  // 2. Relay parents that left the allowed ancestry of this block's parent.
  const std::uint64_t parent = number - 1;
  const std::uint64_t min_relay_parent =
      parent >= params_.allowed_ancestry_len ? parent - params_.allowed_ancestry_len : 0;
  for (std::size_t k = 0; k < segment_.size(); ++k) {
    const Candidate& c = candidates_.at(segment_[k]);
    if (c.state == CandidateState::kPendingAvailability) continue;
    if (c.relay_parent < min_relay_parent) {
      drop_from(k,
                c.state == CandidateState::kBacked ? DropReason::kRelayParentOutOfAncestry
                                                   : DropReason::kNotBackedInTime,
                number, out);
      break;
    }
  }
  // 3. Put the next backable candidate on the free core.
  if (!segment_.empty()) {
    Candidate& c = candidates_.at(segment_.front());
    if (c.state == CandidateState::kBacked && c.relay_parent >= min_relay_parent &&
        c.relay_parent <= parent && author_knows(c)) {
      c.state = CandidateState::kPendingAvailability;
      c.backed_in_block = number;
      out.backed_on_chain = c.id;
    }
  }
  return out;
}

std::string ParachainTracker::check_invariants() const {
  CandidateId prev = 0;
  for (std::size_t k = 0; k < included_.size(); ++k) {
    const Candidate& c = candidates_.at(included_[k]);
    if (c.parent != prev || c.para_height != k + 1) {
      return fmt::format(
          "inclusion #{} is candidate {} at height {} on parent {}, expected "
          "parent {} at height {}",
          k, c.id, c.para_height, c.parent, prev, k + 1);
    }
    prev = c.id;
  }
  if (max_segment_ > segment_bound()) {
    return fmt::format("unincluded segment reached {} candidates, bound {}", max_segment_,
                       segment_bound());
  }
  if (params_.mode == BackingMode::kSync) {
    for (const auto& [id, c] : candidates_) {
      if (!c.parent_was_included) {
        return fmt::format("sync mode: candidate {} was built on unincluded parent {}", id,
                           c.parent);
      }
    }
  }
  return "";
}

}  // namespace pipesim::consensus::polkadot
