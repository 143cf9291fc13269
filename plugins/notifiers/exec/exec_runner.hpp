#pragma once

// Runs one program for the exec notifier: no shell, a clean environment, `input` on stdin, the
// start of stderr kept, and a hard time limit after which its whole process group is killed.
// Blocking; call it from a worker thread (send() runs on one).

#include <chrono>
#include <string>
#include <vector>

namespace tocsin::plugins::exec_notifier {

struct RunResult {
    bool started = false;
    std::string error;  // why it did not start (or an I/O failure)
    bool timed_out = false;
    bool exited = false;
    int exit_code = -1;
    int signal = 0;           // set when killed by a signal (not by our timeout)
    std::string stderr_head;  // the first 255 bytes of stderr
};

/// Runs `argv` (argv[0] is looked up in `path` unless it contains '/') with exactly `env`
/// ("NAME=value") as its environment, writes `input` to its stdin and closes it, and waits until
/// it exits or `limit` passes; then SIGKILLs its process group (it is made a group leader).
[[nodiscard]] RunResult run_program(const std::vector<std::string>& argv,
                                    const std::vector<std::string>& env,
                                    const std::string& path,
                                    const std::string& input,
                                    std::chrono::steady_clock::time_point limit);

}  // namespace tocsin::plugins::exec_notifier
