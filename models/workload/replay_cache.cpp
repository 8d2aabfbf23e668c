#include "models/workload/replay_cache.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "models/common/input_reuse.hpp"
#include "models/workload/eth_bal.hpp"
#include "models/workload/eth_mainnet.hpp"

namespace pipesim::workload {

namespace detail {
// Generated at build time by models/workload/source_hash.cmake (see CMakeLists.txt).
extern const char kReplayLoaderSourceHash[];
}  // namespace detail

using execution::AccessTrace;
using execution::KeyKind;
using execution::StateKey;
using execution::TraceWrite;
using execution::Transaction;
using execution::TxKind;
using execution::U256;

namespace {

// Bump when the payload layout below changes (the source hash changes with it anyway).
constexpr std::uint32_t kFormatVersion = 1;
constexpr char kMagic[8] = {'P', 'S', 'I', 'M', 'R', 'P', 'L', 'Y'};
// magic, version, reserved, key (2 x 8), payload size, payload checksum.
constexpr std::size_t kHeaderSize = 8 + 4 + 4 + 16 + 8 + 8;

std::uint64_t rotl(std::uint64_t x, int r) {
  return (x << r) | (x >> (64 - r));
}

std::uint64_t fmix64(std::uint64_t k) {  // murmur3 finaliser
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

// ---- Little-endian writer / bounds-checked reader ----

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void bytes(const void* p, std::size_t n) { out_.append(static_cast<const char*>(p), n); }
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(std::uint32_t v) { bytes(&v, sizeof v); }  // little-endian hosts (x86-64, arm64)
  void u64(std::uint64_t v) { bytes(&v, sizeof v); }
  void u256(const U256& v) {
    for (std::uint64_t l : v.limb) u64(l);
  }
  template <std::size_t N>
  void arr(const std::array<std::uint8_t, N>& a) {
    bytes(a.data(), N);
  }
  void key(const StateKey& k) {
    arr(k.address);
    u8(static_cast<std::uint8_t>(k.kind));
    arr(k.slot);
  }

 private:
  std::string& out_;
};

class Reader {
 public:
  Reader(const char* p, std::size_t n) : p_(p), end_(p + n) {}
  bool ok() const { return ok_; }
  bool at_end() const { return p_ == end_; }
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }
  void bytes(void* out, std::size_t n) {
    if (!ok_ || remaining() < n) {
      ok_ = false;
      std::memset(out, 0, n);
      return;
    }
    std::memcpy(out, p_, n);
    p_ += n;
  }
  std::uint8_t u8() {
    std::uint8_t v = 0;
    bytes(&v, 1);
    return v;
  }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    bytes(&v, sizeof v);
    return v;
  }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    bytes(&v, sizeof v);
    return v;
  }
  U256 u256() {
    U256 v;
    for (std::uint64_t& l : v.limb) l = u64();
    return v;
  }
  template <std::size_t N>
  void arr(std::array<std::uint8_t, N>& a) {
    bytes(a.data(), N);
  }
  StateKey key() {
    StateKey k;
    arr(k.address);
    const std::uint8_t kind = u8();
    if (kind > static_cast<std::uint8_t>(KeyKind::kStorage)) ok_ = false;
    k.kind = static_cast<KeyKind>(kind);
    arr(k.slot);
    return k;
  }
  /// A record count, rejected if `count` records of at least `min_bytes` cannot fit in what is
  /// left (no huge allocation from a damaged count).
  std::size_t count(std::size_t min_bytes) {
    const std::uint64_t n = u64();
    if (!ok_ || (min_bytes > 0 && n > remaining() / min_bytes)) {
      ok_ = false;
      return 0;
    }
    return static_cast<std::size_t>(n);
  }
  void fail() { ok_ = false; }

 private:
  const char* p_;
  const char* end_;
  bool ok_ = true;
};

constexpr std::size_t kKeyBytes = 20 + 1 + 32;
constexpr std::size_t kU256Bytes = 32;

void put_trace(Writer& w, const AccessTrace& t) {
  w.u64(t.reads.size());
  for (const StateKey& k : t.reads) w.key(k);
  w.u64(t.writes.size());
  for (const TraceWrite& x : t.writes) {
    w.key(x.key);
    w.u8(static_cast<std::uint8_t>(x.mode));
    w.u256(x.value);
  }
  w.u64(t.gas_used);
  w.u32(t.size_bytes);
  const execution::OpcodeProfile& p = t.opcodes;
  w.u8(p.recorded ? 1 : 0);
  for (std::uint32_t v :
       {p.arith_stack, p.memory_words, p.keccak_words, p.sload_cold, p.sload_warm, p.sstore_cold,
        p.sstore_warm, p.account_reads, p.calls, p.creates, p.logs, p.precompile_ecrecover,
        p.precompile_hash, p.precompile_bn254, p.precompile_modexp, p.precompile_other})
    w.u32(v);
  w.u8(t.exact ? 1 : 0);
  w.u64(t.tip_per_gas);
}

bool get_bool(Reader& r) {
  const std::uint8_t v = r.u8();
  if (v > 1) r.fail();
  return v == 1;
}

std::shared_ptr<const AccessTrace> get_trace(Reader& r) {
  auto t = std::make_shared<AccessTrace>();
  t->reads.resize(r.count(kKeyBytes));
  for (StateKey& k : t->reads) k = r.key();
  t->writes.resize(r.count(kKeyBytes + 1 + kU256Bytes));
  for (TraceWrite& x : t->writes) {
    x.key = r.key();
    const std::uint8_t mode = r.u8();
    if (mode > static_cast<std::uint8_t>(TraceWrite::Mode::kIncrement)) r.fail();
    x.mode = static_cast<TraceWrite::Mode>(mode);
    x.value = r.u256();
  }
  t->gas_used = r.u64();
  t->size_bytes = r.u32();
  execution::OpcodeProfile& p = t->opcodes;
  p.recorded = get_bool(r);
  for (std::uint32_t* f :
       {&p.arith_stack, &p.memory_words, &p.keccak_words, &p.sload_cold, &p.sload_warm,
        &p.sstore_cold, &p.sstore_warm, &p.account_reads, &p.calls, &p.creates, &p.logs,
        &p.precompile_ecrecover, &p.precompile_hash, &p.precompile_bn254, &p.precompile_modexp,
        &p.precompile_other})
    *f = r.u32();
  t->exact = get_bool(r);
  t->tip_per_gas = r.u64();
  return t;
}

void put_payload(Writer& w, const RecordedStream& s) {
  w.u32(s.coverage.exact_blocks);
  w.u32(s.coverage.approximated_blocks);
  w.u64(s.block_sizes.size());
  for (std::uint32_t n : s.block_sizes) w.u32(n);
  const auto genesis = s.genesis.sorted();
  w.u64(genesis.size());
  for (const auto& [k, v] : genesis) {
    w.key(k);
    w.u256(v);
  }
  w.u64(s.txs.size());
  for (const Transaction& t : s.txs) {
    w.u8(static_cast<std::uint8_t>(t.kind));
    w.arr(t.from);
    w.u64(t.nonce);
    w.u64(t.gas_limit);
    w.u64(t.gas_price);
    w.arr(t.to);
    w.arr(t.party);
    w.arr(t.party2);
    w.u256(t.amount);
    w.u256(t.min_out);
    w.u8(t.zero_for_one ? 1 : 0);
    w.u8(t.trace ? 1 : 0);
    if (t.trace) put_trace(w, *t.trace);
  }
}

std::optional<RecordedStream> get_payload(Reader& r) {
  RecordedStream s;
  s.coverage.exact_blocks = r.u32();
  s.coverage.approximated_blocks = r.u32();
  s.block_sizes.resize(r.count(4));
  for (std::uint32_t& n : s.block_sizes) n = r.u32();
  std::vector<std::pair<StateKey, U256>> genesis(r.count(kKeyBytes + kU256Bytes));
  for (auto& [k, v] : genesis) {
    k = r.key();
    v = r.u256();
  }
  // Sorted and distinct, as serialize wrote them (genesis_from_sorted relies on it).
  for (std::size_t i = 1; i < genesis.size(); ++i)
    if (!(genesis[i - 1].first < genesis[i].first)) r.fail();
  if (!r.ok()) return std::nullopt;
  s.genesis = genesis_from_sorted(genesis);
  s.txs.resize(r.count(1 + 20 + 8 * 3 + 20 * 3 + 2 * kU256Bytes + 2));
  for (Transaction& t : s.txs) {
    const std::uint8_t kind = r.u8();
    if (kind >= execution::kTxKindCount) r.fail();
    t.kind = static_cast<TxKind>(kind);
    r.arr(t.from);
    t.nonce = r.u64();
    t.gas_limit = r.u64();
    t.gas_price = r.u64();
    r.arr(t.to);
    r.arr(t.party);
    r.arr(t.party2);
    t.amount = r.u256();
    t.min_out = r.u256();
    t.zero_for_one = get_bool(r);
    if (get_bool(r)) t.trace = get_trace(r);
    if (!r.ok()) return std::nullopt;
  }
  std::uint64_t in_blocks = 0;
  for (std::uint32_t n : s.block_sizes) in_blocks += n;
  if (!r.ok() || !r.at_end() || in_blocks != s.txs.size()) return std::nullopt;
  return s;
}

std::uint64_t checksum(std::string_view payload) {
  ContentHasher h;
  h.update(payload);
  const ReplayCacheKey d = h.digest();
  return d[0] ^ rotl(d[1], 17);
}

/// `path` if it exists, else `path`.gz if that exists, else nullopt (read_data_file's rule).
std::optional<std::string> resolve(const std::string& path, bool* gz) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) {
    *gz = false;
    return path;
  }
  if (std::filesystem::is_regular_file(path + ".gz", ec)) {
    *gz = true;
    return path + ".gz";
  }
  return std::nullopt;
}

bool read_whole(const std::string& path, std::string& out) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  out.clear();
  // One read of the whole file when its size is known (a 12 MB cache file grown in 64 KiB
  // appends costs ~20 ms of reallocation and page faults), then whatever follows.
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > 0) {
    out.resize(static_cast<std::size_t>(size));
    out.resize(std::fread(out.data(), 1, out.size(), f));
  }
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const bool ok = std::ferror(f) == 0;
  std::fclose(f);
  return ok;
}

// Hashes one input file: relative name, storage ("plain" | "gzip" | "absent"), size, contents.
void hash_input(ContentHasher& h, const std::string& root, const std::string& rel,
                std::string& buffer) {
  h.field(rel);
  bool gz = false;
  const auto actual = resolve(root + "/" + rel, &gz);
  if (!actual || !read_whole(*actual, buffer)) {
    h.field("absent");
    return;
  }
  h.field(gz ? "gzip" : "plain");
  h.field(buffer);
}

}  // namespace

// ---- ContentHasher ----

void ContentHasher::word(std::uint64_t w) {
  a_ = rotl(a_ ^ (w * 0x9e3779b97f4a7c15ULL), 29) * 0xbf58476d1ce4e5b9ULL;
  b_ = (rotl(b_ ^ w, 23) + a_) * 0x94d049bb133111ebULL;
}

void ContentHasher::update(const void* data, std::size_t size) {
  if (size == 0) return;
  const auto* p = static_cast<const unsigned char*>(data);
  length_ += size;
  if (tail_size_ > 0) {
    while (size > 0 && tail_size_ < 8) {
      tail_[tail_size_++] = *p++;
      --size;
    }
    if (tail_size_ < 8) return;
    std::uint64_t w;
    std::memcpy(&w, tail_, 8);
    word(w);
    tail_size_ = 0;
  }
  while (size >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    word(w);
    p += 8;
    size -= 8;
  }
  if (size > 0) std::memcpy(tail_, p, size);
  tail_size_ = size;
}

void ContentHasher::field(std::string_view s) {
  u64(s.size());
  update(s);
}

ReplayCacheKey ContentHasher::digest() const {
  std::uint64_t a = a_, b = b_;
  std::uint64_t w = 0;
  std::memcpy(&w, tail_, tail_size_);
  a = rotl(a ^ (w * 0x9e3779b97f4a7c15ULL), 29) * 0xbf58476d1ce4e5b9ULL;
  b = (rotl(b ^ w, 23) + a) * 0x94d049bb133111ebULL;
  a ^= length_;
  b ^= length_ * 0x9e3779b97f4a7c15ULL;
  a = fmix64(a + b);
  b = fmix64(b + a);
  return {a, b};
}

// ---- Cache files ----

std::string replay_cache_dir() {
  if (const char* env = std::getenv("PIPESIM_CACHE_DIR"); env != nullptr && *env != '\0') {
    return std::string_view(env) == "off" ? std::string() : std::string(env);
  }
#ifdef PIPESIM_CACHE_DIR
  return PIPESIM_CACHE_DIR;
#else
  return {};
#endif
}

std::string_view replay_loader_source_hash() {
  return detail::kReplayLoaderSourceHash;
}

ReplayCacheKey replay_cache_key(const std::string& source, const std::string& data_root,
                                const std::vector<std::uint64_t>& numbers) {
  ContentHasher h;
  h.field("pipesim-replay-cache");
  h.u64(kFormatVersion);
  h.field(replay_loader_source_hash());
  h.field(source);
  h.u64(numbers.size());
  for (std::uint64_t n : numbers) h.u64(n);
  std::string buffer;
  for (std::uint64_t n : numbers) {
    const std::string num = std::to_string(n);
    if (source == "eth_mainnet") {
      // load_eth_block: N/block.json, N/pre_state.json and the exact trace beside the blocks,
      // by the path load_eth_block opens (eth-blocks/../eth-traces: the same file even when
      // eth-blocks is a symbolic link to another folder).
      hash_input(h, data_root, "eth-blocks/" + num + "/block.json", buffer);
      hash_input(h, data_root, "eth-blocks/" + num + "/pre_state.json", buffer);
      hash_input(h, data_root, "eth-blocks/../eth-traces/" + num + ".json", buffer);
    } else {
      hash_input(h, data_root, "eth-bal/rlp/" + num + "_with_reads.rlp", buffer);
    }
  }
  return h.digest();
}

std::string replay_cache_path(const std::string& dir, const std::string& source,
                              const ReplayCacheKey& key) {
  char hex[33];
  std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(key[0]),
                static_cast<unsigned long long>(key[1]));
  return dir + "/replay-" + source + "-" + hex + ".bin";
}

std::string serialize_recorded_stream(const RecordedStream& stream, const ReplayCacheKey& key) {
  std::string payload;
  Writer pw(payload);
  put_payload(pw, stream);
  std::string out;
  out.reserve(kHeaderSize + payload.size());
  Writer w(out);
  w.bytes(kMagic, sizeof kMagic);
  w.u32(kFormatVersion);
  w.u32(0);
  w.u64(key[0]);
  w.u64(key[1]);
  w.u64(payload.size());
  w.u64(checksum(payload));
  out += payload;
  return out;
}

std::optional<RecordedStream> deserialize_recorded_stream(std::string_view image,
                                                          const ReplayCacheKey& key) {
  if (image.size() < kHeaderSize) return std::nullopt;
  Reader h(image.data(), kHeaderSize);
  char magic[8];
  h.bytes(magic, sizeof magic);
  if (std::memcmp(magic, kMagic, sizeof magic) != 0) return std::nullopt;
  if (h.u32() != kFormatVersion || h.u32() != 0) return std::nullopt;
  if (h.u64() != key[0] || h.u64() != key[1]) return std::nullopt;
  const std::uint64_t size = h.u64();
  const std::uint64_t sum = h.u64();
  if (!h.ok() || size != image.size() - kHeaderSize) return std::nullopt;
  const std::string_view payload = image.substr(kHeaderSize);
  if (checksum(payload) != sum) return std::nullopt;
  Reader r(payload.data(), payload.size());
  return get_payload(r);
}

std::optional<RecordedStream> read_replay_cache(const std::string& path,
                                                const ReplayCacheKey& key) {
  // Mapped read-only and pre-faulted (MAP_POPULATE): no zero-filled buffer and no copy of the
  // ~12 MB image (page faults are the dominant cost of reading it on a virtual machine).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) {
    ::close(fd);
    return std::nullopt;
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return std::nullopt;
  auto out = deserialize_recorded_stream(std::string_view(static_cast<const char*>(p), size), key);
  ::munmap(p, size);
  return out;
}

bool write_replay_cache(const std::string& path, const RecordedStream& stream,
                        const ReplayCacheKey& key) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path target(path);
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  // Unique in this folder: pid, a per-process counter and the clock (several threads or
  // processes may write the same cache at once; the last rename wins, all images are equal).
  static std::atomic<std::uint64_t> counter{0};
  const auto ticks = std::chrono::steady_clock::now().time_since_epoch().count();
  const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." +
                          std::to_string(counter++) + "." + std::to_string(ticks);
  const std::string image = serialize_recorded_stream(stream, key);
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return false;
  const bool written = std::fwrite(image.data(), 1, image.size(), f) == image.size();
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) {
    fs::remove(tmp, ec);
    return false;
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return false;
  }
  if (target.has_parent_path()) prune_replay_cache(target.parent_path().string());
  return true;
}

std::size_t prune_replay_cache(const std::string& dir, std::size_t keep) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::pair<fs::file_time_type, fs::path>> files;
  std::size_t deleted = 0;
  const auto now = fs::file_time_type::clock::now();
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("replay-", 0) != 0) continue;
    std::error_code tec;
    const auto t = fs::last_write_time(it->path(), tec);
    if (tec) continue;
    if (name.find(".bin.tmp.") != std::string::npos) {
      if (now - t > std::chrono::hours(1) && fs::remove(it->path(), tec)) ++deleted;
    } else if (name.size() > 4 && name.compare(name.size() - 4, 4, ".bin") == 0) {
      files.emplace_back(t, it->path());
    }
  }
  if (files.size() <= keep) return deleted;
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;  // newest first
  });
  for (std::size_t i = keep; i < files.size(); ++i) {
    std::error_code rec;
    if (fs::remove(files[i].second, rec)) ++deleted;
  }
  return deleted;
}

RecordedStream parse_recorded_stream(const std::string& source, const std::string& data_root,
                                     const std::vector<std::uint64_t>& numbers) {
  RecordedStream out;
  if (source == "eth_mainnet") {
    std::vector<MainnetBlock> blocks;
    blocks.reserve(numbers.size());
    for (std::uint64_t b : numbers) {
      blocks.push_back(load_eth_block(data_root + "/eth-blocks", b));
      ++(blocks.back().exact ? out.coverage.exact_blocks : out.coverage.approximated_blocks);
    }
    ReplayStream stream = make_replay(blocks);
    for (const auto& block : stream.blocks) {
      out.txs.insert(out.txs.end(), block.txs.begin(), block.txs.end());
      out.block_sizes.push_back(static_cast<std::uint32_t>(block.txs.size()));
    }
    out.genesis = genesis_from_sorted(stream.genesis.sorted());
  } else if (source == "eth_bal") {
    std::vector<BalTraced> blocks;
    blocks.reserve(numbers.size());
    for (std::uint64_t b : numbers)
      blocks.push_back(bal_to_traced(read_bal_block(data_root + "/eth-bal/rlp", b)));
    for (const auto& b : blocks) {
      for (const auto& t : b.traced.txs) out.txs.push_back(t.tx);
      out.block_sizes.push_back(static_cast<std::uint32_t>(b.traced.txs.size()));
    }
    out.coverage.approximated_blocks = static_cast<std::uint32_t>(blocks.size());
    out.genesis = genesis_from_sorted(bal_genesis(blocks).sorted());
  } else {
    throw std::invalid_argument("unknown replay source \"" + source +
                                "\", expected eth_mainnet or eth_bal");
  }
  return out;
}

namespace {

/// load_recorded_stream without input reuse: parsed, or through the cache file.
RecordedStream load_from_files(const std::string& source, const std::string& data_root,
                               const std::vector<std::uint64_t>& numbers,
                               const std::string& cache_dir, ReplayCacheOutcome& outcome) {
  if (cache_dir.empty()) {
    outcome = ReplayCacheOutcome::kDisabled;
    return parse_recorded_stream(source, data_root, numbers);
  }
  const ReplayCacheKey key = replay_cache_key(source, data_root, numbers);
  const std::string path = replay_cache_path(cache_dir, source, key);
  if (auto cached = read_replay_cache(path, key)) {
    outcome = ReplayCacheOutcome::kHit;
    return std::move(*cached);
  }
  RecordedStream parsed = parse_recorded_stream(source, data_root, numbers);
  outcome = write_replay_cache(path, parsed, key) ? ReplayCacheOutcome::kWritten
                                                  : ReplayCacheOutcome::kNotWritten;
  return parsed;
}

}  // namespace

RecordedStream load_recorded_stream(const std::string& source, const std::string& data_root,
                                    const std::vector<std::uint64_t>& numbers,
                                    const std::string& cache_dir, ReplayCacheOutcome* outcome) {
  ReplayCacheOutcome what = ReplayCacheOutcome::kDisabled;
  RecordedStream loaded = load_from_files(source, data_root, numbers, cache_dir, what);
  if (outcome != nullptr) *outcome = what;
  return loaded;
}

std::shared_ptr<const RecordedStream> load_shared_recorded_stream(
    const std::string& source, const std::string& data_root,
    const std::vector<std::uint64_t>& numbers, const std::string& cache_dir,
    ReplayCacheOutcome* outcome) {
  // The stream kept for input reuse: one (a sweep's points replay the same blocks).
  struct Kept {
    std::string source, data_root;
    std::vector<std::uint64_t> numbers;
    std::shared_ptr<const RecordedStream> stream;
  };
  static Kept kept;
  const bool reuse = input_reuse_enabled();
  if (reuse && kept.stream && kept.source == source && kept.data_root == data_root &&
      kept.numbers == numbers) {
    if (outcome != nullptr) *outcome = ReplayCacheOutcome::kReused;
    return kept.stream;
  }
  auto loaded = std::make_shared<const RecordedStream>(
      load_recorded_stream(source, data_root, numbers, cache_dir, outcome));
  if (reuse) kept = Kept{source, data_root, numbers, loaded};
  return loaded;
}

execution::StateMap genesis_from_sorted(
    const std::vector<std::pair<execution::StateKey, execution::U256>>& entries) {
  execution::StateMap m(entries.size());
  for (const auto& [k, v] : entries) m.emplace(k, v);
  return m;
}

}  // namespace pipesim::workload
