#pragma once

// The execd source's side of the JSON-lines protocol with one long-lived program: starting it
// lazily, one request line per collect, reading sample lines until {"done": true}, and
// restarting it with exponential backoff when it dies. Knows nothing of the plugin ABI; tests
// drive it directly with real scripts.
//
// Per collect the program gets one line on stdin:
//   {"collect": ["kpi_a", "kpi_b"], "deadline_ms": 4980, "params": {"kpi_a": {"query": "..."}}}
// and answers with any number of sample lines, then a done line:
//   {"kpi": "kpi_a", "value": 1.5, "labels": {"queue": "mail"}, "timestamp": 1767571200}
//   {"done": true}                       or  {"done": true, "error": "database is down"}
// Its stderr lines go to the host log.

#include "execd_config.hpp"
#include "samples.hpp"
#include "subprocess.hpp"
#include <tocsin/sdk/logger.hpp>
#include <tocsin/sdk/source.hpp>
#include <tocsin/sdk/status.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace tocsin::plugins::execd {

using Clock = std::chrono::steady_clock;

/// Longest line accepted from the program (stdout or stderr).
inline constexpr std::size_t kMaxLine = 1024 * 1024;

/// Threading: one caller at a time (the host never overlaps calls on one instance).
class Session {
public:
    /// Does no I/O: the program starts at the first exchange().
    Session(ExecdConfig config, const sdk::Logger& log);
    ~Session() = default;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    Session(Session&&) = delete;
    Session& operator=(Session&&) = delete;

    /// One collect: sends the request, appends the program's samples to `out`. Fails with retry
    /// while the program is waiting to be restarted, when it dies mid-answer or misses the
    /// deadline (it is then killed and started afresh next time), and with failed when it
    /// cannot be started, answers an error or writes lines that are not samples.
    sdk::Status exchange(const std::vector<sdk::KpiRequest>& kpis,
                         Clock::time_point deadline,
                         std::vector<local::ParsedSample>& out);

    /// The running program's process id, or -1 (for tests).
    [[nodiscard]] pid_t pid() const { return child_.pid(); }
    /// How many times the program was started (for tests).
    [[nodiscard]] int starts() const { return starts_; }
    /// The wait before the next restart after a death.
    [[nodiscard]] std::chrono::milliseconds current_delay() const { return delay_; }

private:
    sdk::Status ensure_started();
    /// The program died (`how`): schedule its restart with backoff and return the retry status.
    sdk::Status died(const std::string& how);
    sdk::Status send_request(const std::vector<sdk::KpiRequest>& kpis, Clock::time_point deadline);
    void log_stderr_lines(bool flush);
    void drain_stale_output();

    ExecdConfig config_;
    const sdk::Logger& log_;
    local::Child child_;
    std::string out_buffer_;
    std::string err_buffer_;
    Clock::time_point next_start_{};
    std::chrono::milliseconds delay_;
    std::string last_death_;
    int starts_ = 0;
};

}  // namespace tocsin::plugins::execd
