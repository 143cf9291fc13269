#include "execd_session.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <thread>

namespace tocsin::plugins::execd {
namespace {

using std::chrono::milliseconds;

// Stderr lines logged per collect before the rest are only counted, and their longest shown part.
constexpr std::size_t kMaxStderrLinesLogged = 20;
constexpr std::size_t kMaxStderrLineShown = 1000;

enum class ReadResult { Open, Closed };

// Appends what is available on the non-blocking `fd`.
ReadResult read_available(int fd, std::string& buffer) {
    std::array<char, 65536> chunk{};
    for (;;) {
        const ssize_t n = ::read(fd, chunk.data(), chunk.size());
        if (n > 0) {
            buffer.append(chunk.data(), static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return ReadResult::Open;
        }
        return ReadResult::Closed;
    }
}

// Takes the next complete line out of `buffer`.
bool next_line(std::string& buffer, std::string& line) {
    const auto end = buffer.find('\n');
    if (end == std::string::npos) {
        return false;
    }
    line.assign(buffer, 0, end);
    buffer.erase(0, end + 1);
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    return true;
}

bool is_blank(const std::string& line) {
    return line.find_first_not_of(" \t") == std::string::npos;
}

milliseconds left_until(Clock::time_point deadline) {
    return std::max(milliseconds(0), std::chrono::ceil<milliseconds>(deadline - Clock::now()));
}

}  // namespace

Session::Session(ExecdConfig config, const sdk::Logger& log)
    : config_(std::move(config)), log_(log), delay_(config_.restart_delay) {}

sdk::Status Session::died(const std::string& how) {
    // Read the program's last words before its pipes go.
    if (child_.stderr_fd() >= 0) {
        read_available(child_.stderr_fd(), err_buffer_);
    }
    log_stderr_lines(true);
    child_.stop();
    out_buffer_.clear();
    last_death_ = how;
    next_start_ = Clock::now() + delay_;
    const std::string message = "program '" + config_.command.argv.front() + "' " + how +
                                "; restarting in " + local::format_elapsed(delay_);
    log_.warning(message);
    delay_ = std::min(delay_ * 2, config_.max_restart_delay);
    return sdk::Status::retry(message);
}

sdk::Status Session::ensure_started() {
    if (child_.running()) {
        if (auto how = child_.poll_exit()) {
            return died(*how);
        }
        return sdk::Status::ok();
    }
    const auto now = Clock::now();
    if (now < next_start_) {
        return sdk::Status::retry(
            "program '" + config_.command.argv.front() + "' " + last_death_ + "; restarting in " +
            local::format_elapsed(std::chrono::ceil<milliseconds>(next_start_ - now)));
    }
    out_buffer_.clear();
    err_buffer_.clear();
    if (auto error = child_.start(config_.command)) {
        last_death_ = "could not be started";
        next_start_ = now + delay_;
        delay_ = std::min(delay_ * 2, config_.max_restart_delay);
        return sdk::Status::failed(*error);
    }
    ++starts_;
    log_.info("started program '" + config_.command.argv.front() + "' (pid " +
              std::to_string(child_.pid()) + ")");
    return sdk::Status::ok();
}

void Session::log_stderr_lines(bool flush) {
    std::size_t logged = 0;
    std::size_t dropped = 0;
    std::string line;
    auto emit = [&](const std::string& text) {
        if (is_blank(text)) {
            return;
        }
        if (logged++ < kMaxStderrLinesLogged) {
            log_.info("stderr: " + text.substr(0, kMaxStderrLineShown));
        } else {
            ++dropped;
        }
    };
    while (next_line(err_buffer_, line)) {
        emit(line);
    }
    if (flush || err_buffer_.size() > kMaxLine) {
        emit(err_buffer_);
        err_buffer_.clear();
    }
    if (dropped > 0) {
        log_.info("stderr: " + std::to_string(dropped) + " more lines not logged");
    }
}

void Session::drain_stale_output() {
    read_available(child_.stdout_fd(), out_buffer_);
    if (!out_buffer_.empty()) {
        log_.debug("discarding " + std::to_string(out_buffer_.size()) +
                   " bytes the program wrote after its last answer");
        out_buffer_.clear();
    }
    read_available(child_.stderr_fd(), err_buffer_);
    log_stderr_lines(false);
}

sdk::Status Session::send_request(const std::vector<sdk::KpiRequest>& kpis,
                                  Clock::time_point deadline) {
    sdk::Json names = sdk::Json::array();
    sdk::Json params = sdk::Json::object();
    for (const auto& k : kpis) {
        names.push_back(k.kpi);
        if (k.params.json().is_object() && !k.params.json().as_object().empty()) {
            params.set(k.kpi, k.params.json());
        }
    }
    sdk::Json request = sdk::Json::object()
                            .set("collect", std::move(names))
                            .set("deadline_ms", left_until(deadline).count());
    if (!params.as_object().empty()) {
        request.set("params", std::move(params));
    }
    const std::string line = request.dump() + "\n";
    std::size_t sent = 0;
    while (sent < line.size()) {
        const ssize_t n = ::send(
            child_.stdin_fd(), line.data() + sent, line.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (Clock::now() >= deadline) {
                return sdk::Status::retry("program '" + config_.command.argv.front() +
                                          "' does not read its stdin");
            }
            pollfd p{child_.stdin_fd(), POLLOUT, 0};
            ::poll(&p, 1, static_cast<int>(std::min<long long>(left_until(deadline).count(), 100)));
            continue;
        }
        return died("closed its stdin");
    }
    return sdk::Status::ok();
}

sdk::Status Session::exchange(const std::vector<sdk::KpiRequest>& kpis,
                              Clock::time_point deadline,
                              std::vector<local::ParsedSample>& out) {
    if (auto status = ensure_started(); !status.is_ok()) {
        return status;
    }
    drain_stale_output();
    if (auto status = send_request(kpis, deadline); !status.is_ok()) {
        return status;
    }
    const std::string program = "program '" + config_.command.argv.front() + "'";
    std::string protocol_error;
    std::string answered_error;
    std::size_t line_number = 0;
    bool done = false;
    std::string line;
    while (!done) {
        while (!done && next_line(out_buffer_, line)) {
            ++line_number;
            if (is_blank(line)) {
                continue;
            }
            sdk::Json value;
            std::string error;
            if (!sdk::Json::try_parse(line, value, &error)) {
                if (protocol_error.empty()) {
                    protocol_error =
                        "answer line " + std::to_string(line_number) + " is not JSON: " + error;
                }
                continue;
            }
            if (value.is_object() && value.find("done") != nullptr) {
                done = true;
                if (const auto* e = value.find("error"); e != nullptr && e->is_string()) {
                    answered_error = e->as_string();
                }
                continue;
            }
            local::ParsedSample sample;
            if (auto why = local::read_sample(value, sample)) {
                if (protocol_error.empty()) {
                    protocol_error = "answer line " + std::to_string(line_number) + ": " + *why;
                }
                continue;
            }
            out.push_back(std::move(sample));
        }
        if (done) {
            break;
        }
        if (out_buffer_.size() > kMaxLine) {
            child_.stop();
            next_start_ = Clock::now();
            return sdk::Status::failed(program + " wrote a line longer than " +
                                       std::to_string(kMaxLine) + " bytes; it was stopped");
        }
        if (Clock::now() >= deadline) {
            read_available(child_.stderr_fd(), err_buffer_);
            log_stderr_lines(true);
            child_.stop();
            next_start_ = Clock::now();  // a hang is not a crash: start again at once
            return sdk::Status::retry(program +
                                      " did not finish its answer in time; it was stopped and "
                                      "starts again at the next collect");
        }
        std::array<pollfd, 2> fds{pollfd{child_.stdout_fd(), POLLIN, 0},
                                  pollfd{child_.stderr_fd(), POLLIN, 0}};
        ::poll(fds.data(), fds.size(), static_cast<int>(left_until(deadline).count()));
        if (read_available(child_.stderr_fd(), err_buffer_) == ReadResult::Open) {
            log_stderr_lines(false);
        }
        if (read_available(child_.stdout_fd(), out_buffer_) == ReadResult::Closed &&
            out_buffer_.find('\n') == std::string::npos) {
            // End of output: the program is gone or going; give it a moment to be reaped.
            for (int i = 0; i < 40; ++i) {
                if (auto how = child_.poll_exit()) {
                    return died(*how);
                }
                std::this_thread::sleep_for(milliseconds(5));
            }
            return died("closed its stdout");
        }
    }
    if (!answered_error.empty()) {
        return sdk::Status::failed(program + " answered an error: " + answered_error);
    }
    if (!protocol_error.empty()) {
        return sdk::Status::failed(program + " broke the protocol: " + protocol_error);
    }
    delay_ = config_.restart_delay;  // a healthy answer ends the backoff
    return sdk::Status::ok();
}

}  // namespace tocsin::plugins::execd
