#include "sim/output/run_folder.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "sim/output/atomic_file.hpp"

namespace pipesim::sim::output {

namespace fs = std::filesystem;

const char* const RunFolder::kOutputs[] = {"trace.json", "blocks.csv", "txs.csv", "scenario.json",
                                           "summary.json"};

namespace {

[[noreturn]] void io_error(const std::string& what, const fs::path& path, int err) {
  throw std::runtime_error(fmt::format("{} {}: {}", what, path.string(), std::strerror(err)));
}

std::string utc_now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

RunFolder::RunFolder(fs::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  created_ = !fs::exists(dir_, ec);
  fs::create_directories(dir_, ec);
  if (ec || !fs::is_directory(dir_)) {
    throw std::runtime_error(fmt::format("cannot create the output folder {}: {}", dir_.string(),
                                         ec ? ec.message() : "not a directory"));
  }
  const fs::path lock = dir_ / kLock;
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) {
    const int err = errno;
    if (created_) fs::remove_all(dir_, ec);
    io_error("cannot write into the output folder: cannot create", lock, err);
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char holder[32] = {};
    const ssize_t got = ::pread(lock_fd_, holder, sizeof holder - 1, 0);
    ::close(lock_fd_);
    lock_fd_ = -1;
    if (err == EWOULDBLOCK) {
      throw RunFolderBusy(fmt::format(
          "the output folder {} is in use by another pipesim run (pid {}), expected one run per "
          "folder: wait for it or choose another --out",
          dir_.string(), got > 0 ? std::string_view(holder, static_cast<std::size_t>(got)) : "?"));
    }
    io_error("cannot lock", lock, err);
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(lock_fd_, 0) != 0 ||
      ::pwrite(lock_fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    io_error("cannot write", lock, errno);
  }
  // Staging folders of killed runs (nobody else can be using them: we hold the lock).
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    if (e.path().filename().string().rfind(".run-", 0) == 0) fs::remove_all(e.path(), ec);
  }
  staging_ = dir_ / (".run-" + pid);
  if (!fs::create_directory(staging_, ec) || ec) {
    const std::string msg = ec.message();
    ::close(lock_fd_);
    lock_fd_ = -1;
    if (created_) fs::remove_all(dir_, ec);
    throw std::runtime_error(
        fmt::format("cannot write into the output folder {}: {}", dir_.string(), msg));
  }
}

void RunFolder::begin() {
  write_file_atomic(dir_ / kMarker,
                    fmt::format("This folder holds no finished run: pipesim run (pid {}) started "
                                "writing here at {} and has not finished.\n",
                                ::getpid(), utc_now()),
                    /*fsync=*/true);
  std::error_code ec;
  fs::remove(dir_ / "summary.json", ec);
  if (ec) io_error("cannot remove the previous run's", dir_ / "summary.json", ec.value());
  begun_ = true;
}

void RunFolder::commit() {
  if (!begun_) begin();
  std::error_code ec;
  const auto move_in = [&](const std::string& name) {
    if (std::rename((staging_ / name).c_str(), (dir_ / name).c_str()) != 0) {
      io_error("cannot move the output into place:", dir_ / name, errno);
    }
  };
  for (const char* name : kOutputs) {
    const std::string n = name;
    if (n == "summary.json") continue;
    if (fs::exists(staging_ / n, ec)) {
      move_in(n);
    } else {
      fs::remove(dir_ / n, ec);  // a previous run's output this run does not write
    }
  }
  if (fs::exists(staging_ / "summary.json", ec)) move_in("summary.json");
  // Sync the folder entries before the marker goes: summary.json must never survive a crash
  // without the outputs it describes.
  if (const int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  fs::remove(dir_ / kMarker, ec);
  fs::remove_all(staging_, ec);
  committed_ = true;
}

void RunFolder::abandon(const std::string& reason) noexcept {
  if (!begun_) return;
  try {
    write_file_atomic(dir_ / kMarker,
                      fmt::format("This folder holds no finished run: pipesim run (pid {}) "
                                  "stopped at {} without writing its outputs: {}\n",
                                  ::getpid(), utc_now(), reason));
  } catch (...) {
    // The marker written by begin() stays: the folder still says the run did not finish.
  }
}

RunFolder::~RunFolder() {
  std::error_code ec;
  if (!committed_) {
    if (!staging_.empty()) fs::remove_all(staging_, ec);
    if (created_ && !begun_) fs::remove_all(dir_, ec);
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

}  // namespace pipesim::sim::output
