// RunFolder: the output folder of one `pipesim run`, written so that a folder never mixes two
// runs and an unfinished run is always visible as such.
//
//   RunFolder folder("out/minimal");   // lock + staging folder; throws if busy or unwritable
//   Simulation sim(scenario, folder.staging());   // outputs are written into the staging folder
//   folder.begin();                    // INCOMPLETE marker written, old summary.json removed
//   ... simulate, write outputs ...
//   folder.commit();                   // outputs moved in, summary.json last, marker removed
//
// Protocol (docs/scenario.md, "Output folder"):
// - Lock: `<dir>/.pipesim.lock`, flock(LOCK_EX | LOCK_NB) held for the whole run. A second run
//   into the same folder is refused (RunFolderBusy naming the holder's pid), never interleaved.
//   The lock file stays in the folder (unlinking it would let two runs lock different inodes).
// - Staging: every output is written into `<dir>/.run-<pid>/`; stale staging folders of killed
//   runs are removed when the next run takes the lock.
// - begin(): writes `<dir>/INCOMPLETE` (who started the run, when) and then removes the previous
//   run's `summary.json`, the file whose presence marks a finished run (pipesim sweep resumes on
//   it). From here until commit() the folder has no summary.json.
// - commit(): moves every staged file into `<dir>` (rename(2), same file system), removes outputs
//   of the previous run that this run did not produce, moves `summary.json` in last, removes
//   INCOMPLETE. A kill at any point leaves either the previous finished run (before begin()) or a
//   folder with INCOMPLETE and without summary.json — never a summary.json next to outputs of
//   another run.
// - Destroyed without commit (error, interrupt): the staging folder is removed; after begin() the
//   INCOMPLETE marker stays and says why (abandon()); before begin() a folder this object created
//   is removed entirely (an invalid scenario leaves nothing behind).
//
// POSIX only (flock, rename); no SimGrid include.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace pipesim::sim::output {

/// Another process holds the folder's lock.
class RunFolderBusy : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RunFolder {
 public:
  /// Creates `dir` if needed, takes its lock and creates the staging folder. Throws
  /// RunFolderBusy if another run holds the lock, std::runtime_error (path + errno text) if the
  /// folder cannot be created or written.
  explicit RunFolder(std::filesystem::path dir);
  ~RunFolder();
  RunFolder(const RunFolder&) = delete;
  RunFolder& operator=(const RunFolder&) = delete;

  /// Where the run writes its outputs until commit().
  const std::filesystem::path& staging() const { return staging_; }
  const std::filesystem::path& dir() const { return dir_; }

  /// Marks the folder as holding an unfinished run (see file comment). Throws std::runtime_error.
  void begin();
  /// Publishes the staged outputs (see file comment). Throws std::runtime_error.
  void commit();
  /// Records why the run did not finish in INCOMPLETE (after begin()); the destructor then
  /// removes the staging folder. Never throws.
  void abandon(const std::string& reason) noexcept;

  /// Names of the files a run may write (outputs of a previous run not rewritten are removed).
  static const char* const kOutputs[];
  static constexpr const char* kMarker = "INCOMPLETE";
  static constexpr const char* kLock = ".pipesim.lock";

 private:
  std::filesystem::path dir_;
  std::filesystem::path staging_;
  int lock_fd_ = -1;
  bool created_ = false;
  bool begun_ = false;
  bool committed_ = false;
};

}  // namespace pipesim::sim::output
