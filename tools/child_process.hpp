// Child processes of the pipesim CLI (`compare` variants, `sweep` points): each simulation runs
// in its own process because SimGrid allows one engine per process. POSIX only (posix_spawn,
// waitpid). No SimGrid include.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace pipesim::tools {

/// Environment variable set in every child to the parent's pid: a pipesim child that sees it
/// asks the kernel for SIGTERM when the parent dies (PR_SET_PDEATHSIG; die_with_parent()), so
/// killing `pipesim sweep` or `compare`, even with SIGKILL, leaves no orphan simulation running.
inline constexpr const char* kParentPidEnv = "PIPESIM_PARENT_PID";

/// In a child started by spawn_process: SIGTERM when the parent dies; exits at once (status 143)
/// if the parent is already gone. No effect without kParentPidEnv. Call first thing in main().
void die_with_parent();

/// Starts `args` (args[0] is the executable path, not searched in PATH) with stdout and stderr
/// both redirected to `log` (created or truncated), kParentPidEnv set to this process's pid.
/// Returns the child's pid.
/// Throws std::runtime_error (with the errno text) if the log cannot be opened or spawning fails.
pid_t spawn_process(const std::vector<std::string>& args, const std::filesystem::path& log);

/// A waitpid() status as a shell-style exit code: the exit status, or 128 + signal number.
int exit_code_of(int wait_status);

/// Runs `args` to completion (output to `log`) and returns exit_code_of its status; 127 if it
/// could not be started.
int run_process(const std::vector<std::string>& args, const std::filesystem::path& log);

/// `arg` quoted for a POSIX shell: returned as is when it has only [A-Za-z0-9_./=:+@%,-]
/// characters, else in single quotes with each ' written as '\''.
std::string shell_quote(const std::string& arg);

/// The last `max_lines` lines of a text file ("" if it cannot be read).
std::string tail_lines(const std::filesystem::path& file, std::size_t max_lines);

}  // namespace pipesim::tools
