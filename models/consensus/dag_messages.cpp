#include "models/consensus/dag_messages.hpp"

#include <stdexcept>

#include "models/common/splitmix64.hpp"
#include "models/consensus/messages.hpp"

namespace pipesim::consensus {

VertexDigest compute_vertex_digest(const VertexHeader& h) {
  std::uint64_t d = 0x7069'7065'6461'6731ULL;  // "pipedag1"
  d = splitmix64_absorb(d, h.round);
  d = splitmix64_absorb(d, h.source);
  d = splitmix64_absorb(d, h.batch.batch_id);
  d = splitmix64_absorb(d, h.batch.size_bytes);
  d = splitmix64_absorb(d, h.batch.tx_count);
  d = splitmix64_absorb(d, h.parents.size());
  for (const VertexRef& p : h.parents)
    d = splitmix64_absorb(splitmix64_absorb(splitmix64_absorb(d, p.round), p.source), p.digest);
  d = splitmix64_absorb(d, h.weak_parents.size());
  for (const VertexRef& p : h.weak_parents)
    d = splitmix64_absorb(splitmix64_absorb(splitmix64_absorb(d, p.round), p.source), p.digest);
  return d;
}

VertexHeaderPtr seal_vertex(VertexHeader header, std::uint32_t n) {
  if (header.round == 0 || header.source >= n)
    throw std::invalid_argument("seal_vertex: round must be >= 1 and source < n");
  for (std::size_t i = 0; i < header.parents.size(); ++i) {
    const VertexRef& p = header.parents[i];
    if (p.round + 1 != header.round || p.source >= n ||
        (i > 0 && header.parents[i - 1].source >= p.source))
      throw std::invalid_argument("seal_vertex: parents must be of round - 1, ascending, < n");
  }
  for (const VertexRef& p : header.weak_parents)
    if (p.round + 1 >= header.round || p.source >= n)
      throw std::invalid_argument("seal_vertex: weak parents must be older than round - 1");
  header.digest = compute_vertex_digest(header);
  header.parent_set = NodeBitmap(n);
  for (const VertexRef& p : header.parents) header.parent_set.set(p.source);
  return std::make_shared<const VertexHeader>(std::move(header));
}

std::size_t vertex_header_size_bytes(const VertexHeader& h) {
  return kU64Bytes + kNodeIdBytes + kHashBytes + kU64Bytes + kU64Bytes + 4 + 4 +
         (h.parents.size() + h.weak_parents.size()) * kHashBytes + kSignatureBytes;
}

std::size_t DagMessage::size_bytes() const {
  struct Visitor {
    std::size_t operator()(const VertexMsg& m) const {
      return kTagBytes + vertex_header_size_bytes(*m.header) + m.header->batch.size_bytes;
    }
    std::size_t operator()(const AckMsg&) const { return kAckBytes; }
    std::size_t operator()(const FetchMsg&) const { return kFetchBytes; }
    std::size_t operator()(const CertificateMsg& m) const {
      return kTagBytes + vertex_header_size_bytes(*m.header) + bitmap_bytes(m.validators) +
             kSignatureBytes;
    }
  };
  return std::visit(Visitor{}, body);
}

std::string_view DagMessage::kind() const {
  switch (body.index()) {
    case 0:
      return "vertex";
    case 1:
      return "ack";
    case 2:
      return "certificate";
    default:
      return "fetch";
  }
}

static_assert(kTagBytes + kHashBytes + kU64Bytes + 2 * kNodeIdBytes + kSignatureBytes == kAckBytes);
static_assert(kTagBytes + kU64Bytes + kNodeIdBytes + kHashBytes == kFetchBytes);

}  // namespace pipesim::consensus
