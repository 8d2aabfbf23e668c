// Child processes of the pipesim CLI (`compare` variants, `sweep` points): each simulation runs
// in its own process because SimGrid allows one engine per process. POSIX only (posix_spawn or
// fork, waitpid). No SimGrid include.
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

/// glibc tunable added to every exec'd child's environment (and taken by `pipesim sweep`,
/// `capacity` and `compare` themselves when their children are forks, which inherit the
/// parent's allocator: main() starts again once with it): malloc advises transparent huge pages
/// for its heap and large blocks. A mainnet-replay point touches ~100 MB of fresh memory before it
/// simulates (replay cache, genesis tables, the genesis trie); with 4 KiB pages the page faults
/// are most of its start-up on a virtual machine (measured: start-up 0.40 -> 0.16 s,
/// docs/scale.md). Results do not depend on it. No effect where THP is "never" or glibc is older
/// than 2.35.
inline constexpr const char* kChildMallocTunable = "glibc.malloc.hugetlb=1";

/// GLIBC_TUNABLES for a child given the parent's value (nullptr if unset): `kChildMallocTunable`
/// appended (":"-separated), unless the parent's value already sets glibc.malloc.hugetlb (then
/// kept as is: `GLIBC_TUNABLES=glibc.malloc.hugetlb=0` turns it off).
std::string child_glibc_tunables(const char* parent_value);

/// The pipesim CLI's entry point (main's body), run by forked children instead of exec'ing args[0].
using ChildMain = int (*)(int argc, char** argv);

/// From now on spawn_process forks and runs `child_main(args)` in the child instead of executing
/// args[0] (nullptr: execute again). A forked child skips dynamic loading and finds in memory what
/// this process loaded before (models/common/input_reuse.hpp); its outputs are the same.
/// `PIPESIM_CHILDREN=exec` in the environment keeps exec (set_child_main is then a no-op);
/// "fork" is the default; pipesim's main() rejects any other value (exit 2).
void set_child_main(ChildMain child_main) noexcept;

/// Whether spawn_process forks (set_child_main was given an entry point and PIPESIM_CHILDREN is
/// not "exec").
bool children_forked() noexcept;

/// Starts `args` (args[0] is the executable path, not searched in PATH) with stdout and stderr
/// both redirected to `log` (created or truncated), kParentPidEnv set to this process's pid and
/// GLIBC_TUNABLES to child_glibc_tunables(parent's). Returns the child's pid. When
/// children_forked(), the child is a fork of this process running the set ChildMain with `args`
/// (kParentPidEnv set the same way, SIGINT/SIGTERM/SIGHUP back to their defaults; it ends with
/// _exit of the entry point's result after flushing stdio; GLIBC_TUNABLES cannot apply to a fork).
/// Throws std::runtime_error (with the errno text) if the log cannot be opened or starting fails.
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
