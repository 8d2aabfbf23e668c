#include "tools/child_process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <stdexcept>
#include <string_view>

extern char** environ;

namespace pipesim::tools {

std::string child_glibc_tunables(const char* parent_value) {
  std::string current = parent_value != nullptr ? parent_value : "";
  if (current.find("glibc.malloc.hugetlb=") != std::string::npos) return current;
  return current.empty() ? std::string(kChildMallocTunable) : current + ":" + kChildMallocTunable;
}

namespace {

ChildMain g_child_main = nullptr;

/// fork() + `g_child_main(args)` in the child, output to `log`.
pid_t fork_child(const std::vector<std::string>& args, const std::filesystem::path& log) {
  // Opened here, so that a bad log path is the parent's error, as with posix_spawn.
  const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw std::runtime_error("cannot start " + args[0] + " (log " + log.string() +
                             "): " + std::strerror(errno));
  }
  // The caller is single-threaded (pipesim's sweep, capacity and compare are), so the child may
  // use the whole runtime (malloc, stdio) after fork.
  std::vector<std::string> argv_text = args;
  std::vector<char*> argv;
  argv.reserve(argv_text.size() + 1);
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string parent = std::to_string(getpid());
  std::fflush(nullptr);  // nothing buffered in this process is written twice
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    close(fd);
    throw std::runtime_error("cannot start " + args[0] + " (log " + log.string() +
                             "): " + std::strerror(err));
  }
  if (pid > 0) {
    close(fd);
    return pid;
  }
  // Child.
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) signal(sig, SIG_DFL);
  if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0) _exit(127);
  close(fd);
  setenv(kParentPidEnv, parent.c_str(), 1);
  int code = 1;
  try {
    code = g_child_main(static_cast<int>(argv.size()) - 1, argv.data());
  } catch (...) {
    code = 1;
  }
  std::fflush(nullptr);
  _exit(code);
}

}  // namespace

void set_child_main(ChildMain child_main) noexcept {
  const char* mode = std::getenv("PIPESIM_CHILDREN");
  g_child_main = mode != nullptr && std::string_view(mode) == "exec" ? nullptr : child_main;
}

bool children_forked() noexcept {
  return g_child_main != nullptr;
}

pid_t spawn_process(const std::vector<std::string>& args, const std::filesystem::path& log) {
  if (args.empty()) throw std::invalid_argument("spawn_process: empty command");
  if (g_child_main != nullptr) return fork_child(args, log);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<std::string> env_text;
  const std::string parent = std::string(kParentPidEnv) + "=" + std::to_string(getpid());
  const std::string tunables = "GLIBC_TUNABLES=";
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view v(*e);
    if (v.rfind(std::string(kParentPidEnv) + "=", 0) != 0 && v.rfind(tunables, 0) != 0) {
      env_text.emplace_back(*e);
    }
  }
  env_text.push_back(parent);
  env_text.push_back(tunables + child_glibc_tunables(std::getenv("GLIBC_TUNABLES")));
  std::vector<char*> envp;
  envp.reserve(env_text.size() + 1);
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw std::runtime_error("cannot start " + args[0] + " (log " + log.string() +
                             "): " + std::strerror(rc));
  }
  return pid;
}

void die_with_parent() {
  const char* parent = std::getenv(kParentPidEnv);
  if (parent == nullptr) return;
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  // The parent may have died before prctl: then this process was re-parented already.
  if (std::to_string(getppid()) != parent) _exit(128 + SIGTERM);
}

int exit_code_of(int wait_status) {
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return WEXITSTATUS(wait_status);
}

int run_process(const std::vector<std::string>& args, const std::filesystem::path& log) {
  pid_t pid = 0;
  try {
    pid = spawn_process(args, log);
  } catch (const std::runtime_error&) {
    return 127;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 127;
  }
  return exit_code_of(status);
}

std::string shell_quote(const std::string& arg) {
  const auto plain = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_./=:+@%,-").find(c) != std::string_view::npos;
  };
  bool quote = arg.empty();
  for (char c : arg) quote = quote || !plain(c);
  if (!quote) return arg;
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string tail_lines(const std::filesystem::path& file, std::size_t max_lines) {
  std::ifstream in(file);
  if (!in) return "";
  std::deque<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(std::move(line));
    if (lines.size() > max_lines) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace pipesim::tools
