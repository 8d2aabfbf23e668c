#include "models/execution/mv_memory.hpp"

#include <algorithm>

namespace pipesim::execution {

namespace {

template <typename Vec>
auto lower_tx(Vec& v, std::uint32_t tx) {
  return std::lower_bound(v.begin(), v.end(), tx,
                          [](const auto& e, std::uint32_t t) { return e.tx < t; });
}

bool contains(const WriteList& w, const StateKey& key) {
  for (const MvWrite& x : w)
    if (x.key == key) return true;
  return false;
}

}  // namespace

MvMemory::MvMemory(std::size_t n_txs) : reads_(n_txs), writes_(n_txs) {}

void MvMemory::declare_writes(std::uint32_t tx, const std::vector<StateKey>& keys) {
  for (const StateKey& key : keys) {
    if (contains(writes_[tx], key)) continue;
    auto& v = data_[key];
    auto pos = lower_tx(v, tx);
    v.insert(pos, Entry{tx, 0, true, false, U256{}});
    writes_[tx].push_back(MvWrite{key, U256{}, false});
  }
}

MvReadResult MvMemory::read(const StateKey& key, std::uint32_t tx) const {
  MvReadResult r;
  auto it = data_.find(key);
  if (it == data_.end()) return r;
  const auto& v = it->second;
  auto pos = lower_tx(v, tx);
  // Walk down from the highest lower entry: deltas accumulate until a value or an ESTIMATE.
  while (pos != v.begin()) {
    const Entry& e = *(--pos);
    if (e.estimate) {
      r.status = MvReadResult::Status::kEstimate;
      r.version = Version{e.tx, e.incarnation};
      return r;
    }
    if (e.delta) {
      r.delta_sum += e.value;
      continue;
    }
    r.status = MvReadResult::Status::kOk;
    r.version = Version{e.tx, e.incarnation};
    r.value = e.value + r.delta_sum;
    return r;
  }
  return r;
}

bool MvMemory::record(Version ver, std::vector<ReadDescriptor> reads, WriteList writes) {
  const std::uint32_t tx = ver.tx_index;
  bool wrote_new = false;
  for (const MvWrite& w : writes) {
    auto& v = data_[w.key];
    auto pos = lower_tx(v, tx);
    if (pos != v.end() && pos->tx == tx) {
      pos->incarnation = ver.incarnation;
      pos->estimate = false;
      pos->delta = w.delta;
      pos->value = w.value;
    } else {
      v.insert(pos, Entry{tx, ver.incarnation, false, w.delta, w.value});
    }
    if (!contains(writes_[tx], w.key)) wrote_new = true;
  }
  for (const MvWrite& old : writes_[tx]) {
    if (contains(writes, old.key)) continue;
    auto it = data_.find(old.key);
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
  for (const MvWrite& w : writes_[tx]) {
    auto it = data_.find(w.key);
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
    if (r.delta_sum != rd.delta_sum) return false;
  }
  return true;
}

}  // namespace pipesim::execution
