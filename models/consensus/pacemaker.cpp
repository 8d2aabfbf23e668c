#include "models/consensus/pacemaker.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace pipesim::consensus {

Pacemaker::Pacemaker(const PacemakerConfig& config, std::uint32_t n) : config_(config), n_(n) {
  if (n == 0) throw std::invalid_argument("Pacemaker: n must be > 0");
  if (!(config.round_timeout_ms > 0.0))
    throw std::invalid_argument("Pacemaker: round_timeout_ms must be > 0");
  if (!(config.timeout_backoff >= 1.0))
    throw std::invalid_argument("Pacemaker: timeout_backoff must be >= 1");
}

bool Pacemaker::advance(Round round, bool via_tc, double now) {
  if (round <= round_) return false;
  if (round_ > 0) previous_entered_at_ = entered_at_;
  round_ = round;
  entered_at_ = now;
  consecutive_tc_rounds_ = via_tc ? consecutive_tc_rounds_ + 1 : 0;
  // Timeouts of rounds below the new round can no longer advance this node.
  timeouts_.erase(timeouts_.begin(), timeouts_.lower_bound(round_));
  return true;
}

double Pacemaker::timeout_duration_s() const {
  const auto k = std::min(consecutive_tc_rounds_, config_.max_backoff_exponent);
  return config_.round_timeout_ms * 1e-3 * std::pow(config_.timeout_backoff, k);
}

std::optional<TimeoutCert> Pacemaker::add_timeout(const Timeout& timeout) {
  if (timeout.round < round_ || timeout.sender >= n_) return std::nullopt;
  auto& c = timeouts_[timeout.round];
  if (c.seen.empty()) c.seen.assign(n_, false);
  if (c.done || c.seen[timeout.sender]) return std::nullopt;
  c.seen[timeout.sender] = true;
  c.signers.push_back(timeout.sender);
  if (c.signers.size() == 1 || timeout.high_qc.round > c.high_qc.round) c.high_qc = timeout.high_qc;
  if (c.signers.size() < quorum_size(n_)) return std::nullopt;
  c.done = true;
  TimeoutCert tc;
  tc.round = timeout.round;
  tc.validators = n_;
  tc.signers = c.signers;
  std::sort(tc.signers.begin(), tc.signers.end());
  tc.high_qc = c.high_qc;
  return tc;
}

std::uint32_t Pacemaker::timeout_count(Round round) const {
  auto it = timeouts_.find(round);
  return it == timeouts_.end() ? 0 : static_cast<std::uint32_t>(it->second.signers.size());
}

}  // namespace pipesim::consensus
