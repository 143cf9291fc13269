#include "exec_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tocsin::plugins::exec_notifier {
namespace {

constexpr std::size_t kStderrKept = 255;

class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    Fd(Fd&&) = delete;
    Fd& operator=(Fd&&) = delete;
    [[nodiscard]] int get() const { return fd_; }
    void reset(int fd = -1) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

std::string resolve(const std::string& program, const std::string& path) {
    if (program.find('/') != std::string::npos) {
        return program;
    }
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto end = std::min(path.find(':', start), path.size());
        const std::string dir = end > start ? path.substr(start, end - start) : ".";
        const std::string candidate = dir + "/" + program;
        struct stat info {};
        if (::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
        start = end + 1;
    }
    return {};
}

int set_nonblocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    return flags < 0 ? -1 : ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

}  // namespace

RunResult run_program(const std::vector<std::string>& argv,
                      const std::vector<std::string>& env,
                      const std::string& path,
                      const std::string& input,
                      std::chrono::steady_clock::time_point limit) {
    RunResult result;
    const std::string program = resolve(argv.front(), path);
    if (program.empty()) {
        result.error = "'" + argv.front() + "' not found in PATH";
        return result;
    }
    // Everything the child needs is built before fork(): after it, only async-signal-safe calls.
    std::vector<char*> args;
    for (const auto& arg : argv) {
        args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    std::vector<char*> envp;
    for (const auto& var : env) {
        envp.push_back(const_cast<char*>(var.c_str()));
    }
    envp.push_back(nullptr);

    // stdin is a socket so that writing to a program that closed it fails with EPIPE instead of
    // raising SIGPIPE in the daemon (send() with MSG_NOSIGNAL).
    int in_pair[2];
    int err_pipe[2];
    int exec_pipe[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0) {
        result.error = std::string("cannot create a socket pair: ") + std::strerror(errno);
        return result;
    }
    Fd in_parent(in_pair[0]);
    Fd in_child(in_pair[1]);
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        result.error = std::string("cannot create a pipe: ") + std::strerror(errno);
        return result;
    }
    Fd err_parent(err_pipe[0]);
    Fd err_child(err_pipe[1]);
    if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
        result.error = std::string("cannot create a pipe: ") + std::strerror(errno);
        return result;
    }
    Fd exec_parent(exec_pipe[0]);
    Fd exec_child(exec_pipe[1]);
    const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    Fd dev_null(null_fd);

    const pid_t pid = ::fork();
    if (pid < 0) {
        result.error = std::string("cannot fork: ") + std::strerror(errno);
        return result;
    }
    if (pid == 0) {
        ::setpgid(0, 0);
        ::dup2(in_child.get(), 0);
        ::dup2(null_fd >= 0 ? null_fd : err_child.get(), 1);
        ::dup2(err_child.get(), 2);
        ::signal(SIGPIPE, SIG_DFL);
        ::execve(program.c_str(), args.data(), envp.data());
        const int error = errno;
        [[maybe_unused]] const auto n = ::write(exec_child.get(), &error, sizeof(error));
        ::_exit(127);
    }
    ::setpgid(pid, pid);  // also here, so the group exists whoever runs first
    in_child.reset();
    err_child.reset();
    exec_child.reset();
    dev_null.reset();

    int exec_errno = 0;
    if (::read(exec_parent.get(), &exec_errno, sizeof(exec_errno)) == sizeof(exec_errno)) {
        ::waitpid(pid, nullptr, 0);
        result.error = "cannot run '" + argv.front() + "': " + std::strerror(exec_errno);
        return result;
    }
    result.started = true;

    set_nonblocking(in_parent.get());
    set_nonblocking(err_parent.get());
    std::size_t written = 0;
    if (input.empty()) {
        in_parent.reset();
    }
    int status = 0;
    bool reaped = false;
    while (!reaped) {
        const auto now = std::chrono::steady_clock::now();
        if (now >= limit) {
            result.timed_out = true;
            ::kill(-pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return result;
        }
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(limit - now);
        pollfd fds[2] = {{err_parent.get(), POLLIN, 0}, {in_parent.get(), POLLOUT, 0}};
        const int count = in_parent.get() >= 0 ? 2 : 1;
        // Poll in short steps: the program may exit while a grandchild keeps stderr open.
        ::poll(fds,
               static_cast<nfds_t>(count),
               static_cast<int>(std::min<long>(wait.count(), 20)) + 1);
        if ((fds[0].revents & (POLLIN | POLLHUP)) != 0) {
            char buffer[4096];
            const auto n = ::read(err_parent.get(), buffer, sizeof(buffer));
            if (n > 0 && result.stderr_head.size() < kStderrKept) {
                result.stderr_head.append(
                    buffer,
                    std::min(static_cast<std::size_t>(n), kStderrKept - result.stderr_head.size()));
            }
        }
        if (count == 2 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
            const auto n = ::send(in_parent.get(),
                                  input.data() + written,
                                  input.size() - written,
                                  MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                written += static_cast<std::size_t>(n);
            }
            if (written == input.size() || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                in_parent.reset();  // all written, or the program stopped reading
            }
        }
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            reaped = true;
        }
    }
    // Whatever it wrote to stderr just before exiting.
    char buffer[4096];
    ssize_t n = 0;
    while (result.stderr_head.size() < kStderrKept &&
           (n = ::read(err_parent.get(), buffer, sizeof(buffer))) > 0) {
        result.stderr_head.append(
            buffer, std::min(static_cast<std::size_t>(n), kStderrKept - result.stderr_head.size()));
    }
    if (WIFEXITED(status)) {
        result.exited = true;
        result.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result.signal = WTERMSIG(status);
    }
    return result;
}

}  // namespace tocsin::plugins::exec_notifier
