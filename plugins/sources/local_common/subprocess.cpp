#include "subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

extern char** environ;  // NOLINT: POSIX declares it nowhere else

namespace tocsin::plugins::local {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// How often a wait re-checks whether the program has exited while its pipes are still open
// (a grandchild may hold them), and how long output may trail the program's exit.
constexpr milliseconds kTick{20};
constexpr milliseconds kExitGrace{200};

struct Spawned {
    pid_t pid = -1;
    int in_fd = -1;  // our end of stdin, or -1
    int out_fd = -1;
    int err_fd = -1;
};

void close_fd(int& fd) {
    if (fd >= 0) {
        ::close(fd);
        fd = -1;
    }
}

std::string errno_text(int error) {
    return std::strerror(error);  // NOLINT(concurrency-mt-unsafe): glibc returns static text
}

// The daemon's environment with `overrides` applied, as "NAME=value" strings.
std::vector<std::string> merged_environment(const EnvList& overrides) {
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string_view entry(*e);
        const std::string_view name = entry.substr(0, entry.find('='));
        const bool replaced = std::any_of(
            overrides.begin(), overrides.end(), [&](const auto& o) { return o.first == name; });
        if (!replaced) {
            env.emplace_back(entry);
        }
    }
    for (const auto& [name, value] : overrides) {
        env.push_back(name + "=" + value);
    }
    return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

// Starts the program as the leader of a new process group. With `socket_stdin` the child's
// stdin is a socket whose other end is returned in in_fd; otherwise it reads /dev/null.
std::optional<std::string> spawn(const Command& command, bool socket_stdin, Spawned& out) {
    if (command.argv.empty() || command.argv.front().empty()) {
        return std::string("command is empty; give the program and its arguments as a list");
    }
    const std::string& program = command.argv.front();
    int out_pipe[2] = {-1, -1};
    int err_pipe[2] = {-1, -1};
    int in_pair[2] = {-1, -1};
    auto cleanup = [&] {
        for (int* fd :
             {&out_pipe[0], &out_pipe[1], &err_pipe[0], &err_pipe[1], &in_pair[0], &in_pair[1]}) {
            close_fd(*fd);
        }
    };
    if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
        const int error = errno;
        cleanup();
        return "cannot create pipes for '" + program + "': " + errno_text(error);
    }
    if (socket_stdin) {
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0) {
            const int error = errno;
            cleanup();
            return "cannot create a socket for '" + program + "': " + errno_text(error);
        }
    } else {
        in_pair[1] = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (in_pair[1] < 0) {
            const int error = errno;
            cleanup();
            return "cannot open /dev/null: " + errno_text(error);
        }
    }

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_pair[1], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
    // Other threads of the daemon may open descriptors without O_CLOEXEC at any moment.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (!command.cwd.empty()) {
        posix_spawn_file_actions_addchdir_np(&actions, command.cwd.c_str());
    }
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t empty;
    sigset_t all;
    sigemptyset(&empty);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> args(command.argv.begin(), command.argv.end());
    std::vector<std::string> env = merged_environment(command.env);
    auto argv = c_strings(args);
    auto envp = c_strings(env);
    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, program.c_str(), &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    close_fd(out_pipe[1]);
    close_fd(err_pipe[1]);
    close_fd(in_pair[1]);
    if (rc != 0) {
        cleanup();
        std::string where = command.cwd.empty() ? "" : " in '" + command.cwd + "'";
        return "cannot run '" + program + "'" + where + ": " + errno_text(rc);
    }
    ::fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
    ::fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
    out.pid = pid;
    out.in_fd = in_pair[0];
    out.out_fd = out_pipe[0];
    out.err_fd = err_pipe[0];
    return std::nullopt;
}

// Reads what is available from `fd` into `text` up to `cap`; discards the rest. Returns false
// at end of file (or on an error, which ends the stream the same way).
bool drain(int fd, std::string& text, std::size_t cap, bool& truncated) {
    std::array<char, 65536> buffer{};
    for (;;) {
        const ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n > 0) {
            const auto got = static_cast<std::size_t>(n);
            const std::size_t room = cap > text.size() ? cap - text.size() : 0;
            text.append(buffer.data(), std::min(room, got));
            truncated = truncated || got > room;
            continue;
        }
        if (n == 0) {
            return false;
        }
        if (errno == EINTR) {
            continue;
        }
        return errno == EAGAIN || errno == EWOULDBLOCK;
    }
}

// True once `pid` has exited; it stays a zombie (not reaped), so its process group id cannot be
// reused until reap() and the group can still be killed safely.
bool has_exited(pid_t pid) {
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == pid;
}

// Reaps `pid` (blocking) and returns its wait status.
int reap(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

// Waits up to `limit` for `pid` to exit, without reaping it.
bool wait_exit(pid_t pid, milliseconds limit) {
    const auto until = Clock::now() + limit;
    for (;;) {
        if (has_exited(pid)) {
            return true;
        }
        if (Clock::now() >= until) {
            return false;
        }
        std::this_thread::sleep_for(milliseconds(5));
    }
}

// SIGTERM to the group, SIGKILL after the grace, then reap the leader. Returns its wait status.
int terminate_group(pid_t pid) {
    ::kill(-pid, SIGTERM);
    if (!wait_exit(pid, kTermGrace)) {
        ::kill(-pid, SIGKILL);
    }
    // The leader is dead but not reaped yet, so the group id is still ours: kill the members that
    // ignored SIGTERM (ESRCH when none are left), then reap.
    ::kill(-pid, SIGKILL);
    return reap(pid);
}

}  // namespace

std::string format_elapsed(milliseconds elapsed) {
    const auto ms = elapsed.count();
    if (ms < 1000) {
        return std::to_string(ms) + "ms";
    }
    const auto tenths = (ms + 50) / 100;
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "s";
}

std::string describe_wait_status(int status) {
    if (WIFEXITED(status)) {
        return "exited with code " + std::to_string(WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        const char* name = ::sigdescr_np(sig);
        return "was killed by signal " + std::to_string(sig) +
               (name != nullptr ? " (" + std::string(name) + ")" : std::string());
    }
    return "ended with wait status " + std::to_string(status);
}

std::string describe_end(const RunResult& result) {
    switch (result.end) {
        case RunResult::End::Exited:
            return "exited with code " + std::to_string(result.exit_code);
        case RunResult::End::Signaled: {
            const char* name = ::sigdescr_np(result.signal);
            return "was killed by signal " + std::to_string(result.signal) +
                   (name != nullptr ? " (" + std::string(name) + ")" : std::string());
        }
        case RunResult::End::TimedOut:
            return "timed out after " + format_elapsed(result.elapsed) +
                   "; its process group was killed";
        case RunResult::End::SpawnFailed:
            break;
    }
    return result.spawn_error;
}

RunResult run_program(const Command& command, Deadline deadline, const RunLimits& limits) {
    RunResult result;
    const auto started = Clock::now();
    Spawned child;
    if (auto error = spawn(command, false, child)) {
        result.spawn_error = std::move(*error);
        return result;
    }
    bool out_open = true;
    bool err_open = true;
    bool exited = false;
    bool timed_out = false;
    int status = 0;
    Clock::time_point exit_seen{};
    while (out_open || err_open) {
        const auto now = Clock::now();
        if (!exited && now >= deadline) {
            timed_out = true;
            break;
        }
        if (exited && now >= exit_seen + kExitGrace) {
            break;  // a grandchild holds the pipes; it is killed below
        }
        std::array<pollfd, 2> fds{};
        nfds_t n = 0;
        if (out_open) {
            fds[n++] = pollfd{child.out_fd, POLLIN, 0};
        }
        if (err_open) {
            fds[n++] = pollfd{child.err_fd, POLLIN, 0};
        }
        const auto limit = exited ? exit_seen + kExitGrace : deadline;
        const auto wait =
            std::clamp(std::chrono::ceil<milliseconds>(limit - now), milliseconds(0), kTick);
        ::poll(fds.data(), n, static_cast<int>(wait.count()));
        if (out_open) {
            out_open = drain(child.out_fd, result.out, limits.max_out, result.out_truncated);
        }
        if (err_open) {
            err_open = drain(child.err_fd, result.err, limits.max_err, result.err_truncated);
        }
        if (!exited && has_exited(child.pid)) {
            exited = true;
            exit_seen = Clock::now();
        }
    }
    if (!timed_out && !exited) {
        // Both pipes closed: the program is ending (or closed them itself); wait until the
        // deadline, then treat it as a timeout.
        exited = wait_exit(child.pid, std::chrono::ceil<milliseconds>(deadline - Clock::now()));
        timed_out = !exited;
    }
    if (timed_out) {
        status = terminate_group(child.pid);
    } else {
        ::kill(-child.pid, SIGKILL);  // whatever the program left running in its group
        status = reap(child.pid);
    }
    // Pick up what was written before the end; bounded, the writers are gone or killed.
    if (out_open) {
        drain(child.out_fd, result.out, limits.max_out, result.out_truncated);
    }
    if (err_open) {
        drain(child.err_fd, result.err, limits.max_err, result.err_truncated);
    }
    close_fd(child.out_fd);
    close_fd(child.err_fd);
    result.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
    if (timed_out) {
        result.end = RunResult::End::TimedOut;
    } else if (WIFEXITED(status)) {
        result.end = RunResult::End::Exited;
        result.exit_code = WEXITSTATUS(status);
    } else {
        result.end = RunResult::End::Signaled;
        result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
    return result;
}

Child::~Child() {
    stop();
}

void Child::close_fds() {
    close_fd(in_fd_);
    close_fd(out_fd_);
    close_fd(err_fd_);
}

std::optional<std::string> Child::start(const Command& command) {
    stop();
    Spawned spawned;
    if (auto error = spawn(command, true, spawned)) {
        return error;
    }
    pid_ = spawned.pid;
    in_fd_ = spawned.in_fd;
    out_fd_ = spawned.out_fd;
    err_fd_ = spawned.err_fd;
    return std::nullopt;
}

void Child::stop() {
    if (pid_ > 0) {
        close_fd(in_fd_);  // a well-behaved program ends at end of input
        terminate_group(pid_);
        pid_ = -1;
    }
    close_fds();
}

std::optional<std::string> Child::poll_exit() {
    if (pid_ <= 0 || !has_exited(pid_)) {
        return std::nullopt;
    }
    ::kill(-pid_, SIGKILL);  // before reaping: the group id is still ours
    const int status = reap(pid_);
    pid_ = -1;
    return describe_wait_status(status);
}

}  // namespace tocsin::plugins::local
