#include "models/execution/mv_memory.hpp"

#include <algorithm>

namespace pipesim::execution {

MvMemory::MvMemory(std::size_t n_txs) : reads_(n_txs), writes_(n_txs) {}

MvReadResult MvMemory::read(const StateKey& key, std::uint32_t tx) const {
  MvReadResult r;
  auto it = data_.find(key);
  if (it == data_.end()) return r;
  const auto& v = it->second;
  auto pos = std::lower_bound(v.begin(), v.end(), tx,
                              [](const Entry& e, std::uint32_t t) { return e.tx < t; });
  if (pos == v.begin()) return r;
  const Entry& e = *(pos - 1);
  r.version = Version{e.tx, e.incarnation};
  if (e.estimate) {
    r.status = MvReadResult::Status::kEstimate;
  } else {
    r.status = MvReadResult::Status::kOk;
    r.value = e.value;
  }
  return r;
}

bool MvMemory::record(Version ver, std::vector<ReadDescriptor> reads, WriteList writes) {
  const std::uint32_t tx = ver.tx_index;
  bool wrote_new = false;
  for (const auto& [key, value] : writes) {
    auto& v = data_[key];
    auto pos = std::lower_bound(v.begin(), v.end(), tx,
                                [](const Entry& e, std::uint32_t t) { return e.tx < t; });
    if (pos != v.end() && pos->tx == tx) {
      pos->incarnation = ver.incarnation;
      pos->estimate = false;
      pos->value = value;
    } else {
      v.insert(pos, Entry{tx, ver.incarnation, false, value});
    }
    bool before = false;
    for (const auto& [k, unused] : writes_[tx])
      if (k == key) {
        before = true;
        break;
      }
    if (!before) wrote_new = true;
  }
  for (const auto& [old_key, unused] : writes_[tx]) {
    bool still = false;
    for (const auto& [k, v2] : writes)
      if (k == old_key) {
        still = true;
        break;
      }
    if (still) continue;
    auto it = data_.find(old_key);
    if (it == data_.end()) continue;
    auto& v = it->second;
    v.erase(std::remove_if(v.begin(), v.end(), [tx](const Entry& e) { return e.tx == tx; }),
            v.end());
  }
  reads_[tx] = std::move(reads);
  writes_[tx] = std::move(writes);
  return wrote_new;
}

void MvMemory::convert_writes_to_estimates(std::uint32_t tx) {
  for (const auto& [key, unused] : writes_[tx]) {
    auto it = data_.find(key);
    if (it == data_.end()) continue;
    for (Entry& e : it->second)
      if (e.tx == tx) e.estimate = true;
  }
}

bool MvMemory::validate_read_set(std::uint32_t tx) const {
  for (const ReadDescriptor& rd : reads_[tx]) {
    MvReadResult r = read(rd.key, tx);
    switch (r.status) {
      case MvReadResult::Status::kEstimate:
        return false;
      case MvReadResult::Status::kNotFound:
        if (rd.origin != ReadDescriptor::Origin::kStorage) return false;
        break;
      case MvReadResult::Status::kOk:
        if (rd.origin != ReadDescriptor::Origin::kMv || !(rd.version == r.version)) return false;
        break;
    }
  }
  return true;
}

}  // namespace pipesim::execution
