#include "models/consensus/polkadot/backing.hpp"

#include <stdexcept>
#include <utility>

namespace pipesim::consensus::polkadot {

Backer::Backer(std::shared_ptr<const BackingGroups> groups, std::uint32_t relay_validators,
               NodeId self, SignatureCost signatures)
    : groups_(std::move(groups)),
      relay_validators_(relay_validators),
      self_(self),
      signatures_(signatures) {
  if (!groups_ || self >= relay_validators) {
    throw std::invalid_argument("Backer: need backing groups and self < relay_validators");
  }
}

Effects Backer::on_message(double /*now*/, NodeId /*from*/, const MessagePtr& msg) {
  Effects out;
  if (const auto* s = std::get_if<Statement>(&msg->body)) {
    if (s->validator < relay_validators_) statements_[s->id].insert(s->validator);
    charge_signatures(out, signatures_, 1, 0, "backing.statement");
    return out;
  }
  const auto* c = std::get_if<Collation>(&msg->body);
  if (c == nullptr || !seen_.insert(c->id).second) return out;  // validated once
  validating_[c->id] = Pending{msg, !c->forwarded};
  out.emplace_back(ValidateCandidate{c->id, !c->forwarded});
  return out;
}

Effects Backer::on_validated(double /*now*/, CandidateId id, bool valid) {
  Effects out;
  const auto it = validating_.find(id);
  if (it == validating_.end()) return out;
  const Pending p = std::move(it->second);
  validating_.erase(it);
  if (!valid) {
    ++refused_;
    return out;
  }
  statements_[id].insert(self_);
  out.emplace_back(StatementIssued{id});
  if (p.seconder) {  // the PoV to the rest of the group first: they validate next
    Collation fwd = std::get<Collation>(p.collation->body);
    fwd.forwarded = true;
    const MessagePtr pov = make_message(fwd);
    for (NodeId m : groups_->members(fwd.group)) {
      if (m != self_) out.emplace_back(Send{m, pov});
    }
  }
  const MessagePtr statement = make_message(Statement{id, self_, p.seconder});
  for (NodeId to = 0; to < relay_validators_; ++to) {
    if (to != self_) out.emplace_back(Send{to, statement});
  }
  charge_signatures(out, signatures_, 0, 1, "backing.statement");
  return out;
}

std::uint32_t Backer::statements_known(CandidateId id) const {
  const auto it = statements_.find(id);
  return it == statements_.end() ? 0 : static_cast<std::uint32_t>(it->second.size());
}

}  // namespace pipesim::consensus::polkadot
