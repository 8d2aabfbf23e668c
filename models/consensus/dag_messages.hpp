// Value types and wire messages of the leaderless DAG BFT core (dag_bft.hpp): vertex headers,
// the three messages of Narwhal-style certified reliable broadcast, and their encoded sizes.
//
// Messages are immutable and shared (`DagMessagePtr`): the runtime sends one object to every
// receiver of a broadcast; `DagMessage::size_bytes()` is what the network model should charge.
// Vertex headers are immutable and shared too (`VertexHeaderPtr`, built once by their author
// with seal_vertex): the vertex message, the certificate and every node's DAG refer to the same
// object, so a simulation of n validators holds one copy of each vertex, not n (issue 16).
//
// Encoding assumptions (same conventions as messages.hpp; fixed-width integers, 1-byte tag):
//   - digests (vertex digest, batch digest, parent references): 32 bytes each (the 64-bit
//     VertexDigest used inside the simulator is an identifier only);
//   - round, batch size, tx count: 8 bytes; validator index: 4 bytes; list lengths: 4 bytes;
//   - individual signatures 96 bytes and aggregate signatures 96 bytes (BLS12-381 G2, as
//     Narwhal/Tusk's certificates aggregate votes), signer bitmap ceil(n/8) bytes;
//   - vertex header: round 8 + source 4 + batch digest 32 + batch size 8 + tx count 8
//     + 2 list lengths 4 + 4 + (strong + weak parents) x 32 + source signature 96
//     = 164 + 32 x references bytes;
//   - VertexMsg: tag 1 + header + the batch itself (`batch_size_bytes`, opaque to consensus;
//     Narwhal ships batches through workers, we fold them into the vertex message);
//   - AckMsg (a signed vote on a header, Narwhal's "vote"): tag 1 + digest 32 + round 8
//     + source 4 + signer 4 + signature 96 = 145 bytes;
//   - FetchMsg (request for a missing certificate): tag 1 + round 8 + source 4 + digest 32
//     = 45 bytes; the answer is the CertificateMsg below, unicast;
//   - CertificateMsg: tag 1 + header (without batch) + signer bitmap + aggregate signature 96.
//     The certificate carries the header so a node that missed the vertex can still extend the
//     DAG with it (Narwhal certificates carry the header too).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "models/consensus/types.hpp"

namespace pipesim::consensus {

/// 64-bit vertex identifier derived from the header contents (compute_vertex_digest). An
/// identifier for the simulation, accounted as a 32-byte hash on the wire.
using VertexDigest = std::uint64_t;

/// What the pipeline supplies for one vertex (answer to RequestBatch). Opaque to consensus.
struct DagBatch {
  std::uint64_t batch_id = 0;    // chosen by the pipeline (e.g. a batch digest)
  std::uint64_t size_bytes = 0;  // encoded batch size (transactions + speculation data)
  std::uint64_t tx_count = 0;    // transactions in the batch
  friend bool operator==(const DagBatch&, const DagBatch&) = default;
};

/// Reference to a certified vertex: (round, source) names it, digest pins its contents.
struct VertexRef {
  Round round = 0;
  NodeId source = 0;
  VertexDigest digest = 0;
  friend bool operator==(const VertexRef&, const VertexRef&) = default;
};

/// A set of validator indices, one bit each (word i / 64, bit i % 64); sized for n validators.
/// The flat container of the DAG core: subset and intersection tests cost n / 64 word
/// operations instead of a walk over parent lists.
class NodeBitmap {
 public:
  NodeBitmap() = default;
  explicit NodeBitmap(std::uint32_t n) : words_((n + 63) / 64, 0) {}
  bool test(NodeId i) const {
    return i / 64 < words_.size() && ((words_[i / 64] >> (i % 64)) & 1U) != 0;
  }
  /// Requires i < the n given at construction.
  void set(NodeId i) { words_[i / 64] |= std::uint64_t{1} << (i % 64); }
  bool empty() const {
    for (std::uint64_t w : words_)
      if (w != 0) return false;
    return true;
  }
  /// Every element of *this is in `other` (same n).
  bool subset_of(const NodeBitmap& other) const {
    for (std::size_t i = 0; i < words_.size(); ++i)
      if ((words_[i] & ~other.words_[i]) != 0) return false;
    return true;
  }
  /// Some element is in both (same n).
  bool intersects(const NodeBitmap& other) const {
    for (std::size_t i = 0; i < words_.size(); ++i)
      if ((words_[i] & other.words_[i]) != 0) return true;
    return false;
  }
  /// Smallest element of *this not in `other` (same n); `none` if *this is a subset. Starts at
  /// word `word` (the caller knows the words below are covered) and leaves there the word
  /// where it stopped, so repeated calls against a growing `other` cost n / 64 in total.
  NodeId first_not_in(const NodeBitmap& other, NodeId none, std::size_t& word) const {
    for (; word < words_.size(); ++word)
      if (const std::uint64_t d = words_[word] & ~other.words_[word]; d != 0)
        return static_cast<NodeId>(word * 64 + static_cast<std::size_t>(__builtin_ctzll(d)));
    return none;
  }
  /// *this |= other (same n).
  void merge(const NodeBitmap& other) {
    for (std::size_t i = 0; i < words_.size(); ++i) words_[i] |= other.words_[i];
  }
  /// Calls f(i) for every element, ascending.
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < words_.size(); ++i)
      for (std::uint64_t w = words_[i]; w != 0; w &= w - 1)
        f(static_cast<NodeId>(i * 64 + static_cast<std::size_t>(__builtin_ctzll(w))));
  }
  friend bool operator==(const NodeBitmap&, const NodeBitmap&) = default;

 private:
  std::vector<std::uint64_t> words_;
};

/// One vertex of the DAG: validator `source`'s proposal of `round` (rounds start at 1).
/// `parents` are >= quorum certified vertices of round - 1 (empty in round 1), ascending by
/// source; `weak_parents` are certified vertices of rounds < round - 1 not otherwise reachable
/// (DAG-Rider's weak edges), ascending by (round, source).
struct VertexHeader {
  VertexDigest digest = 0;  // compute_vertex_digest(*this)
  Round round = 0;
  NodeId source = 0;
  DagBatch batch;
  std::vector<VertexRef> parents;
  std::vector<VertexRef> weak_parents;
  /// Sources of `parents` (derived by seal_vertex; not on the wire, not in the digest).
  NodeBitmap parent_set;

  VertexRef ref() const { return VertexRef{round, source, digest}; }
  friend bool operator==(const VertexHeader&, const VertexHeader&) = default;
};

/// Deterministic digest of every header field except `digest` (splitmix64-style; see types.hpp
/// compute_block_id for the same construction). Not cryptographic.
VertexDigest compute_vertex_digest(const VertexHeader& header);

/// A header shared by every holder (messages, DAGs, Ordered effects); never modified.
using VertexHeaderPtr = std::shared_ptr<const VertexHeader>;
/// Completes `header` (digest, parent_set for n validators) and freezes it. The digest is
/// computed here, once per vertex; receivers identify a vertex by (round, source, digest) and
/// never recompute it. Throws std::invalid_argument unless the header is well formed: round
/// >= 1, parents of round - 1 with sources < n strictly ascending, weak parents of rounds below
/// round - 1 (malformed headers are not modelled: receivers rely on this check).
VertexHeaderPtr seal_vertex(VertexHeader header, std::uint32_t n);

/// A vertex broadcast by its source (header + batch payload).
struct VertexMsg {
  VertexHeaderPtr header;  // non-null
};
/// A signed acknowledgement of header (round, source, digest) by `signer`, sent to the source.
struct AckMsg {
  VertexDigest digest = 0;
  Round round = 0;
  NodeId source = 0;
  NodeId signer = 0;
};
/// Certificate of availability: >= quorum acks on `header`, aggregated. Broadcast by the source.
struct CertificateMsg {
  VertexHeaderPtr header;        // non-null
  std::uint32_t validators = 0;  // n, sizes the signer bitmap
  std::vector<NodeId> signers;   // ascending, distinct
};

/// Vertex fetch (issue 16): `requester` misses the certified vertex (round, source, digest),
/// a parent of a header it waits on, and asks one peer for its certificate; a peer that has the
/// vertex in its DAG answers with the CertificateMsg it holds (unicast).
struct FetchMsg {
  Round round = 0;
  NodeId source = 0;
  VertexDigest digest = 0;
};

struct DagMessage {
  std::variant<VertexMsg, AckMsg, CertificateMsg, FetchMsg> body;

  /// Encoded size in bytes (see the file comment).
  std::size_t size_bytes() const;
  /// "vertex" | "ack" | "certificate" | "fetch".
  std::string_view kind() const;
};

using DagMessagePtr = std::shared_ptr<const DagMessage>;

template <typename Body>
DagMessagePtr make_dag_message(Body body) {
  return std::make_shared<const DagMessage>(DagMessage{std::move(body)});
}

/// Encoded vertex header size in bytes (without the batch payload): 164 + 32 x references.
std::size_t vertex_header_size_bytes(const VertexHeader& header);
inline constexpr std::size_t kAckBytes = 145;
/// FetchMsg: tag 1 + round 8 + source 4 + digest 32.
inline constexpr std::size_t kFetchBytes = 45;

}  // namespace pipesim::consensus
