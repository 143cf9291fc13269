#include "harness.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace tocsin::testing {
using namespace std::chrono_literals;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<char*> c_argv(std::vector<std::string>& args) {
    std::vector<char*> out;
    out.reserve(args.size() + 1);
    for (auto& a : args) {
        out.push_back(a.data());
    }
    out.push_back(nullptr);
    return out;
}

/// Spawns with stdout/stderr redirected to files and extra environment variables.
pid_t spawn(std::vector<std::string> argv,
            const std::string& out_path,
            const std::string& err_path,
            const std::map<std::string, std::string>& extra_env) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(
        &actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addopen(
        &actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string entry(*e);
        const auto name = entry.substr(0, entry.find('='));
        if (extra_env.count(name) == 0) {
            env.push_back(entry);
        }
    }
    for (const auto& [k, v] : extra_env) {
        env.push_back(k + "=" + v);
    }
    auto args = c_argv(argv);
    auto envp = c_argv(env);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        throw std::system_error(rc, std::generic_category(), "posix_spawn " + argv[0]);
    }
    return pid;
}

std::optional<int> wait_pid(pid_t pid, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        if (std::chrono::steady_clock::now() >= end) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(10ms);
    }
}

/// Fails the running test when `output` holds a sanitizer report.
void check_sanitizer_report(const std::string& who, const std::string& output) {
    const auto report = sanitizer_report(output);
    if (report.empty()) {
        return;
    }
    if (std::uncaught_exceptions() > 0) {
        // A REQUIRE is unwinding the test, which has failed already; Catch takes no assertion now.
        std::cerr << who << " wrote a sanitizer report:\n" << report << '\n';
        return;
    }
    FAIL_CHECK(who << " wrote a sanitizer report:\n" << report);
}

}  // namespace

std::string sanitizer_report(const std::string& output) {
    // The first line of every report: ASan/LSan/TSan errors and warnings, and UBSan's
    // "file:line:col: runtime error: ..." (fatal with -fno-sanitize-recover, but still printed).
    static constexpr std::array kMarkers{"ERROR: AddressSanitizer",
                                         "ERROR: LeakSanitizer",
                                         "WARNING: ThreadSanitizer",
                                         "FATAL: ThreadSanitizer",
                                         "ERROR: ThreadSanitizer",
                                         ": runtime error: "};
    auto first = std::string::npos;
    for (const char* marker : kMarkers) {
        first = std::min(first, output.find(marker));
    }
    if (first == std::string::npos) {
        return {};
    }
    const auto line_start = output.rfind('\n', first);
    auto begin = line_start == std::string::npos ? 0 : line_start + 1;
    auto end = begin;
    for (int lines = 0; lines < 60 && end != std::string::npos && end < output.size(); ++lines) {
        end = output.find('\n', end + 1);
    }
    return output.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= end) {
            return false;
        }
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    TempDir dir;
    const auto out = dir.file("out");
    const auto err = dir.file("err");
    const pid_t pid = spawn(argv, out, err, {});
    CommandResult result;
    if (auto code = wait_pid(pid, timeout)) {
        result.exit_code = *code;
    } else {
        ::kill(pid, SIGKILL);
        (void)wait_pid(pid, 5s);
        result.exit_code = -1;
    }
    result.out = read_file(out);
    result.err = read_file(err);
    check_sanitizer_report(argv.front(), result.err);
    return result;
}

DaemonProcess::DaemonProcess(std::string binary,
                             std::vector<std::string> args,
                             std::string log_path,
                             std::map<std::string, std::string> env)
    : log_path_(std::move(log_path)) {
    notify_path_ = log_path_ + ".notify";
    ::unlink(notify_path_.c_str());
    notify_fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (notify_path_.size() >= sizeof(addr.sun_path)) {
        throw std::runtime_error("notify socket path too long: " + notify_path_);
    }
    std::strcpy(addr.sun_path, notify_path_.c_str());
    if (::bind(notify_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        throw std::system_error(errno, std::generic_category(), "bind " + notify_path_);
    }
    args.insert(args.begin(), binary);
    env["NOTIFY_SOCKET"] = notify_path_;
    pid_ = spawn(args, log_path_, log_path_, env);
}

DaemonProcess::~DaemonProcess() {
    if (!reaped_) {
        // A clean stop, not SIGKILL: LeakSanitizer checks at exit, and shutdown paths get run.
        ::kill(pid_, SIGTERM);
        if (wait_pid(pid_, 20s)) {
            reaped_ = true;
        } else {
            kill9();
        }
    }
    ::close(notify_fd_);
    ::unlink(notify_path_.c_str());
    check_sanitizer_report("the daemon (" + log_path_ + ")", log());
}

bool DaemonProcess::wait_notify(const std::string& text, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            end - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return false;
        }
        pollfd p{notify_fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 200))) > 0) {
            char buf[4096];
            const auto n = ::recv(notify_fd_, buf, sizeof(buf), 0);
            if (n > 0 &&
                std::string(buf, static_cast<std::size_t>(n)).find(text) != std::string::npos) {
                return true;
            }
        }
        if (!reaped_ && wait_pid(pid_, 0ms)) {
            reaped_ = true;
            return false;  // it died
        }
    }
}

std::optional<std::string> DaemonProcess::next_notify(std::chrono::milliseconds timeout) {
    pollfd p{notify_fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
        return std::nullopt;
    }
    char buf[4096];
    const auto n = ::recv(notify_fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
        return std::nullopt;
    }
    return std::string(buf, static_cast<std::size_t>(n));
}

bool DaemonProcess::wait_ready(std::chrono::milliseconds timeout) {
    return wait_notify("READY=1", timeout);
}

void DaemonProcess::signal(int signo) {
    ::kill(pid_, signo);
}

void DaemonProcess::kill9() {
    if (reaped_) {
        return;
    }
    ::kill(pid_, SIGKILL);
    (void)wait_pid(pid_, 10s);
    reaped_ = true;
}

std::optional<int> DaemonProcess::wait_exit(std::chrono::milliseconds timeout) {
    auto code = wait_pid(pid_, timeout);
    if (code) {
        reaped_ = true;
    }
    return code;
}

std::string DaemonProcess::log() const {
    return read_file(log_path_);
}

std::string tocsin_binary() {
    return TOCSIN_BINARY;
}
std::string plugin_dir() {
    return TOCSIN_PLUGIN_DIR;
}

}  // namespace tocsin::testing
