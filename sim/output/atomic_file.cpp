#include "sim/output/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <system_error>
#include <vector>

namespace pipesim::sim::output {
namespace {

constexpr std::size_t kBufferBytes = std::size_t{64} * 1024;

std::string errno_text(int err) {
  return std::system_category().message(err);
}

[[noreturn]] void throw_io(const char* what, const std::filesystem::path& path, int err) {
  throw std::runtime_error(std::string("cannot ") + what + " '" + path.string() +
                           "': " + errno_text(err));
}

// Writes all of [data, data + size) to fd, retrying on EINTR and short writes.
// Returns 0 or the errno of the failure.
int write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return 0;
}

// fsync of the folder holding `path`, so that the rename itself is durable.
int fsync_parent(const std::filesystem::path& path) {
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  const int rc = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return rc;
}

}  // namespace

std::filesystem::path atomic_temp_path(const std::filesystem::path& path) {
  std::filesystem::path tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid());
  return tmp;
}

// The streambuf's put area is the write buffer; write() and stream() share it.
struct AtomicFileWriter::Impl final : std::streambuf {
  std::filesystem::path path;
  std::filesystem::path temp;
  bool fsync = false;
  int fd = -1;
  int error = 0;  // first errno seen by a write through the streambuf (reported by commit)
  bool committed = false;
  std::uintmax_t flushed_bytes = 0;
  std::vector<char> buffer;
  std::ostream os{this};

  Impl(std::filesystem::path p, bool do_fsync)
      : path(std::move(p)), temp(atomic_temp_path(path)), fsync(do_fsync), buffer(kBufferBytes) {
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw_io("create temporary file", temp, errno);
    setp(buffer.data(), buffer.data() + buffer.size());
  }

  ~Impl() override {
    if (fd >= 0) ::close(fd);
    if (!committed) ::unlink(temp.c_str());
  }

  // Writes the buffered bytes to the file; returns 0 or errno.
  int flush_buffer() {
    const std::size_t n = static_cast<std::size_t>(pptr() - pbase());
    if (n == 0) return 0;
    const int err = write_all(fd, pbase(), n);
    if (err != 0) return err;
    flushed_bytes += n;
    setp(buffer.data(), buffer.data() + buffer.size());
    return 0;
  }

  void check_open() const {
    if (committed)
      throw std::logic_error("AtomicFileWriter: write after commit of '" + path.string() + "'");
  }

  void append(const char* data, std::size_t size) {
    check_open();
    if (error != 0) throw_io("write", temp, error);
    const std::size_t room = static_cast<std::size_t>(epptr() - pptr());
    if (size <= room) {
      std::memcpy(pptr(), data, size);
      pbump(static_cast<int>(size));
      return;
    }
    if (const int err = flush_buffer(); err != 0) {
      error = err;
      throw_io("write", temp, err);
    }
    if (size >= buffer.size()) {  // large block: bypass the buffer
      if (const int err = write_all(fd, data, size); err != 0) {
        error = err;
        throw_io("write", temp, err);
      }
      flushed_bytes += size;
      return;
    }
    std::memcpy(pptr(), data, size);
    pbump(static_cast<int>(size));
  }

  // std::streambuf interface (no exceptions: failures set `error` and return eof).
  int_type overflow(int_type ch) override {
    if (committed || error != 0) return traits_type::eof();
    if (const int err = flush_buffer(); err != 0) {
      error = err;
      return traits_type::eof();
    }
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }

  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (committed || error != 0) return 0;
    try {
      append(s, static_cast<std::size_t>(n));
    } catch (...) {
      return 0;
    }
    return n;
  }

  std::uintmax_t total_bytes() const {
    return flushed_bytes + static_cast<std::uintmax_t>(pptr() - pbase());
  }

  int sync() override { return 0; }  // data reaches the file at commit; nothing to do early

  void commit() {
    if (committed)
      throw std::logic_error("AtomicFileWriter: '" + path.string() + "' committed twice");
    auto fail = [&](const char* what, const std::filesystem::path& p, int err) {
      ::close(fd);
      fd = -1;
      ::unlink(temp.c_str());
      committed = true;  // nothing left to clean up; further writes are logic errors
      throw_io(what, p, err);
    };
    if (error != 0) fail("write", temp, error);
    if (os.bad()) fail("write", temp, EIO);
    if (const int err = flush_buffer(); err != 0) fail("write", temp, err);
    if (fsync && ::fsync(fd) != 0) fail("fsync", temp, errno);
    const int rc = ::close(fd);
    fd = -1;
    if (rc != 0) fail("close", temp, errno);
    if (::rename(temp.c_str(), path.c_str()) != 0) fail("rename temporary file onto", path, errno);
    committed = true;
    if (fsync) {
      if (const int err = fsync_parent(path); err != 0) throw_io("fsync the folder of", path, err);
    }
  }
};

AtomicFileWriter::AtomicFileWriter(std::filesystem::path path, bool fsync)
    : impl_(std::make_unique<Impl>(std::move(path), fsync)) {}
AtomicFileWriter::~AtomicFileWriter() = default;
AtomicFileWriter::AtomicFileWriter(AtomicFileWriter&&) noexcept = default;
AtomicFileWriter& AtomicFileWriter::operator=(AtomicFileWriter&&) noexcept = default;

void AtomicFileWriter::write(std::string_view bytes) {
  impl_->append(bytes.data(), bytes.size());
}

std::ostream& AtomicFileWriter::stream() {
  impl_->check_open();
  return impl_->os;
}

void AtomicFileWriter::commit() {
  impl_->commit();
}

std::uintmax_t AtomicFileWriter::bytes_written() const {
  return impl_->total_bytes();
}
bool AtomicFileWriter::committed() const {
  return impl_->committed;
}
const std::filesystem::path& AtomicFileWriter::path() const {
  return impl_->path;
}
const std::filesystem::path& AtomicFileWriter::temp_path() const {
  return impl_->temp;
}

void write_file_atomic(const std::filesystem::path& path, std::string_view content, bool fsync) {
  AtomicFileWriter out(path, fsync);
  out.write(content);
  out.commit();
}

}  // namespace pipesim::sim::output
