#include "tools/plot_command.hpp"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

extern char** environ;

namespace pipesim {

namespace fs = std::filesystem;

std::string analysis_dir() {
  if (const char* env = std::getenv("PIPESIM_ANALYSIS_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
#ifdef PIPESIM_ANALYSIS_DIR
  return PIPESIM_ANALYSIS_DIR;
#else
  return "analysis";
#endif
}

std::string python_interpreter() {
  if (const char* env = std::getenv("PIPESIM_PYTHON"); env != nullptr && *env != '\0') return env;
  return "/usr/bin/python3";
}

namespace {

constexpr const char* kUsage =
    "usage: pipesim plot DIR [--out FIGDIR] [--formats pdf,png] [--only NAMES] [--nodes 0]\n"
    "                        [--blocks 5]\n"
    "  DIR: a sweep folder (sweep.csv), a comparison folder (comparison.csv), a run folder\n"
    "  (summary.json), a folder of run folders, or an exec CSV (pipesim exec --sweep --csv).\n"
    "  Writes every figure the data supports to FIGDIR (default DIR/figures) as PDF and PNG and\n"
    "  reports each figure skipped for lack of data. Runs {} {}/plot.py\n"
    "  (override with PIPESIM_PYTHON and PIPESIM_ANALYSIS_DIR); see docs/plots.md.\n"
    "Exit codes: 0 done; 1 a figure failed; 2 usage error; 3 Python or matplotlib missing\n"
    "(Debian: apt-get install python3-matplotlib).\n";

}  // namespace

int plot_main(int argc, char** argv) {
  const std::string python = python_interpreter();
  const fs::path script = fs::path(analysis_dir()) / "plot.py";
  if (argc < 2) {
    fmt::print(stderr, "pipesim plot: missing DIR\n");
    fmt::print(stderr, fmt::runtime(kUsage), python, analysis_dir());
    return 2;
  }
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      fmt::print(fmt::runtime(kUsage), python, analysis_dir());
      return 0;
    }
  }
  if (access(python.c_str(), X_OK) != 0) {
    fmt::print(stderr,
               "pipesim plot: {} not found or not executable: install Debian's python3 and "
               "python3-matplotlib (apt-get install python3-matplotlib, or bash "
               "tools/install-deps.sh), or set PIPESIM_PYTHON\n",
               python);
    return 3;
  }
  std::error_code ec;
  if (!fs::is_regular_file(script, ec)) {
    fmt::print(stderr,
               "pipesim plot: {} not found: set PIPESIM_ANALYSIS_DIR to the repository's analysis/ "
               "folder\n",
               script.string());
    return 3;
  }
  std::vector<std::string> args{python, script.string()};
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  std::vector<char*> cargs;
  cargs.reserve(args.size() + 1);
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  pid_t pid = 0;
  if (const int rc = posix_spawn(&pid, python.c_str(), nullptr, nullptr, cargs.data(), environ);
      rc != 0) {
    fmt::print(stderr, "pipesim plot: cannot run {}: {}\n", python, std::strerror(rc));
    return 3;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      fmt::print(stderr, "pipesim plot: waitpid: {}\n", std::strerror(errno));
      return 1;
    }
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace pipesim
