#pragma once

#include "support/temp_dir.hpp"

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

/// What the integration tests need to drive the real `tocsin` binary: temp dirs, a child process
/// with its output captured, systemd's readiness protocol (a real NOTIFY_SOCKET), and bounded
/// waits on conditions.
namespace tocsin::testing {

/// Calls `condition` until it holds or `timeout` passes; true when it held. Polls every 20 ms:
/// used only for states another process reaches (a file written, a row committed).
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

/// The output of a finished command.
struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

/// Runs `argv` to completion (bounded by `timeout`, then SIGKILL) and captures its output. A
/// sanitizer report in its stderr fails the running test.
CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

/// The report a sanitizer (AddressSanitizer, LeakSanitizer, UBSan, ThreadSanitizer) wrote into
/// `output`, from its first line on (at most 60 lines), or "" when there is none. The sanitizer
/// builds run the real binary as a child; its reports reach only the child's stderr.
std::string sanitizer_report(const std::string& output);

/// A running `tocsin run` child. Its stderr goes to a log file; it gets its own NOTIFY_SOCKET so
/// wait_ready() knows exactly when start-up finished. On destruction a child still running gets
/// SIGTERM (SIGKILL after 20 s), so that LeakSanitizer runs at its exit, and a sanitizer report in
/// its log fails the running test.
class DaemonProcess {
public:
    /// `env` adds variables to the child's environment (e.g. WATCHDOG_USEC).
    DaemonProcess(std::string binary,
                  std::vector<std::string> args,
                  std::string log_path,
                  std::map<std::string, std::string> env = {});
    ~DaemonProcess();
    DaemonProcess(const DaemonProcess&) = delete;
    DaemonProcess& operator=(const DaemonProcess&) = delete;

    /// Waits for READY=1 (start-up done, or reload done when called after signal(SIGHUP)).
    bool wait_ready(std::chrono::milliseconds timeout);
    /// Waits for a notify message containing `text` (e.g. "STATUS=running (last reload refused)").
    bool wait_notify(const std::string& text, std::chrono::milliseconds timeout);
    /// The next notify datagram, whole ("RELOADING=1\nMONOTONIC_USEC=...\nSTATUS=..."), or
    /// nullopt when none came within `timeout`.
    std::optional<std::string> next_notify(std::chrono::milliseconds timeout);
    void signal(int signo);
    /// SIGKILL and reap: the crash the durability tests simulate.
    void kill9();
    /// Waits for the process to exit; its exit status, or nullopt on timeout.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);
    [[nodiscard]] std::string log() const;
    [[nodiscard]] pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
    int notify_fd_ = -1;
    std::string notify_path_;
    std::string log_path_;
    bool reaped_ = false;
};

/// The paths the build passes in.
std::string tocsin_binary();
std::string plugin_dir();

}  // namespace tocsin::testing
