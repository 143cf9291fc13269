#pragma once

// Running local programs for the exec and execd sources: posix_spawn into a process group of
// their own, stdin from /dev/null (or a socket for execd), stdout and stderr captured through
// pipes with size caps, and the whole group killed (SIGTERM, then SIGKILL) when time runs out.
// Knows nothing of the plugin ABI, so tests drive it directly with real scripts.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tocsin::plugins::local {

using Deadline = std::chrono::steady_clock::time_point;
using EnvList = std::vector<std::pair<std::string, std::string>>;

/// What to start. `argv[0]` without a slash is looked up in the daemon's PATH.
struct Command {
    std::vector<std::string> argv;
    EnvList env;      // added to (or replacing entries of) the daemon's environment
    std::string cwd;  // empty: the daemon's working directory
};

/// How long a process group gets between SIGTERM and SIGKILL.
inline constexpr std::chrono::milliseconds kTermGrace{500};

/// How one run ended.
struct RunResult {
    enum class End { Exited, Signaled, TimedOut, SpawnFailed };
    End end = End::SpawnFailed;
    int exit_code = -1;  // End::Exited
    int signal = 0;      // End::Signaled
    std::string out;
    std::string err;
    bool out_truncated = false;  // more than the cap was written; the rest was discarded
    bool err_truncated = false;
    std::string spawn_error;  // End::SpawnFailed: why (e.g. "cannot run 'x': No such file")
    std::chrono::milliseconds elapsed{0};
};

/// Limits of one run.
struct RunLimits {
    std::size_t max_out = 1024 * 1024;
    std::size_t max_err = 64 * 1024;
};

/// Runs `command` to completion or until `deadline`. On timeout the whole process group gets
/// SIGTERM, then SIGKILL after kTermGrace; the program is always reaped before this returns.
/// Whatever the program leaves running in its group after it exits is killed too.
/// Never throws for program failures; they are in the result.
[[nodiscard]] RunResult run_program(const Command& command,
                                    Deadline deadline,
                                    const RunLimits& limits = {});

/// "exited with code 2", "was killed by signal 9 (Killed)", "timed out after 1.2s; its process
/// group was killed", or the spawn error.
[[nodiscard]] std::string describe_end(const RunResult& result);

/// A long-running child (execd): stdin is one end of a socket pair (so writes to a dead child
/// fail with EPIPE instead of raising SIGPIPE), stdout and stderr are pipes. The child leads its
/// own process group. Not copyable; the destructor stops the child (stop()).
class Child {
public:
    Child() = default;
    ~Child();
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    Child(Child&&) = delete;
    Child& operator=(Child&&) = delete;

    /// Starts `command`; on failure returns the reason and stays stopped.
    [[nodiscard]] std::optional<std::string> start(const Command& command);
    /// Closes stdin, sends SIGTERM to the group, waits up to kTermGrace, then SIGKILLs and reaps.
    void stop();
    /// True while started and not yet seen to exit.
    [[nodiscard]] bool running() const { return pid_ > 0; }
    /// Reaps the child without blocking if it has exited; then returns how it ended
    /// ("exited with code 1") and kills what is left of its group.
    [[nodiscard]] std::optional<std::string> poll_exit();

    [[nodiscard]] int stdin_fd() const { return in_fd_; }
    [[nodiscard]] int stdout_fd() const { return out_fd_; }
    [[nodiscard]] int stderr_fd() const { return err_fd_; }
    [[nodiscard]] pid_t pid() const { return pid_; }

private:
    void close_fds();

    pid_t pid_ = -1;
    int in_fd_ = -1;
    int out_fd_ = -1;
    int err_fd_ = -1;
};

/// Text for a wait() status: "exited with code N" or "was killed by signal N (Name)".
[[nodiscard]] std::string describe_wait_status(int status);

/// "850ms", "1.2s".
[[nodiscard]] std::string format_elapsed(std::chrono::milliseconds elapsed);

}  // namespace tocsin::plugins::local
