// Candidate backing of one relay validator, as a sans-I/O core (statement distribution and the
// backing subsystem of polkadot-sdk, polkadot/node/core/backing): on_message / on_validated
// return effects (messages.hpp).
//
//  - A Collation from a collator makes this validator the candidate's seconder; a forwarded one
//    (from the seconder) a further backer. Either way the backer validates the candidate once
//    (effect ValidateCandidate; the pipeline re-executes the PoV and answers on_validated).
//  - Valid: the backer issues its statement (Seconded for the seconder, Valid otherwise; effect
//    StatementIssued) and sends it to every other relay validator (block authors need it to put
//    the candidate on chain); the seconder then forwards the PoV to the other members of the
//    candidate's backing group. Invalid: no statement and nothing forwarded (refused()).
//  - Statements received are counted per candidate (statements_known()): a block author puts a
//    candidate on chain only when it holds minimum_backing_votes of them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>

#include "models/consensus/polkadot/messages.hpp"
#include "models/consensus/polkadot/parachain_backing.hpp"

namespace pipesim::consensus::polkadot {

class Backer {
 public:
  /// `groups` (shared by every backer) gives the members a seconder forwards the PoV to;
  /// `relay_validators` the statement recipients (nodes 0 .. relay_validators - 1).
  /// Throws std::invalid_argument when self >= relay_validators or groups is null.
  Backer(std::shared_ptr<const BackingGroups> groups, std::uint32_t relay_validators, NodeId self,
         SignatureCost signatures = {});

  /// Collation and Statement messages (others are ignored).
  Effects on_message(double now, NodeId from, const MessagePtr& msg);
  /// The pipeline's answer to ValidateCandidate{id}: `valid` false refuses the candidate.
  Effects on_validated(double now, CandidateId id, bool valid);

  /// Distinct validators whose statement on `id` this node holds (its own included).
  std::uint32_t statements_known(CandidateId id) const;
  std::uint64_t refused() const { return refused_; }

 private:
  struct Pending {
    MessagePtr collation;
    bool seconder = false;
  };
  std::shared_ptr<const BackingGroups> groups_;
  std::uint32_t relay_validators_;
  NodeId self_;
  std::map<CandidateId, Pending> validating_;
  std::set<CandidateId> seen_;
  std::map<CandidateId, std::set<NodeId>> statements_;
  std::uint64_t refused_ = 0;
  SignatureCost signatures_;  // per statement verified / signed
};

}  // namespace pipesim::consensus::polkadot
