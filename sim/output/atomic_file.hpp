// Atomic file output: a run never leaves a half-written output file.
//
// Every writer puts its bytes into a temporary file `<path>.tmp-<pid>` in the same folder as
// `<path>` and, on commit, renames it over `<path>` (rename(2) within one file system is atomic:
// a reader sees either the old file or the complete new one). If the writer is destroyed without
// commit (an exception, a crash of the run logic), the temporary file is removed and `<path>` is
// untouched. A process killed by a signal can leave a `*.tmp-<pid>` file behind, never a
// truncated `<path>`.
//
// POSIX only (open/write/fsync/rename). No SimGrid include.
#pragma once

#include <filesystem>
#include <memory>
#include <ostream>
#include <string_view>

namespace pipesim::sim::output {

/// The temporary file name used for `path`: `<path>.tmp-<pid>` (same folder, so the final
/// rename never crosses a file system).
std::filesystem::path atomic_temp_path(const std::filesystem::path& path);

/// Writes `content` to `path` atomically (see file comment). With `fsync` true, the data is
/// flushed to stable storage before the rename and the folder entry after it (slower; for
/// outputs that must survive a power loss, e.g. a sweep's resume index).
/// Throws std::runtime_error naming the path and the errno text if the folder does not exist,
/// is not writable, the disk is full, or the rename fails; `path` is then unchanged.
void write_file_atomic(const std::filesystem::path& path, std::string_view content,
                       bool fsync = false);

/// Streaming atomic writer: buffered writes (64 KiB) go to `<path>.tmp-<pid>`; commit() renames
/// the temporary over `path`. Memory stays bounded whatever the output size.
///
///   AtomicFileWriter out("run/blocks.csv");
///   out << "height,stage\n";    // or out.write(...), or out.stream()
///   out.commit();                // the file appears complete, or commit() throws
///
/// Errors: the constructor throws std::runtime_error (path + errno text) if the temporary cannot
/// be created; write() throws on a failed write; errors raised through stream() (which cannot
/// throw) are remembered and thrown by commit(). Destroying an uncommitted writer removes the
/// temporary file and never throws. Movable, not copyable (a moved-from writer may only be
/// destroyed or assigned to). Not thread-safe.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::filesystem::path path, bool fsync = false);
  ~AtomicFileWriter();
  AtomicFileWriter(AtomicFileWriter&&) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&&) noexcept;
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  /// Appends bytes. Throws std::runtime_error on a write error, std::logic_error after commit().
  void write(std::string_view bytes);

  /// A std::ostream over the same buffer (for operator<< of arbitrary types). Writes through it
  /// and through write() interleave in call order.
  std::ostream& stream();

  template <class T>
  AtomicFileWriter& operator<<(const T& value) {
    stream() << value;
    return *this;
  }

  /// Flushes, optionally fsyncs, closes and renames the temporary over the final path.
  /// Throws std::runtime_error (path + errno text) on any failure, after removing the temporary.
  /// Calling it twice throws std::logic_error.
  void commit();

  /// Bytes written so far.
  std::uintmax_t bytes_written() const;
  bool committed() const;
  const std::filesystem::path& path() const;
  const std::filesystem::path& temp_path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pipesim::sim::output
