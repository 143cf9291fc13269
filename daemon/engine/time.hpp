#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

/// Time in the engine: Unix milliseconds, never read from the wall clock inside the engine. The
/// daemon passes a real clock's readings in; `tocsin test` and `tocsin simulate` a virtual one.
namespace tocsin::engine {

using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::sys_time<Duration>;

/// Source of "now" for the parts of the process that need one (the app's loop, tests).
class Clock {
public:
    virtual ~Clock() = default;
    [[nodiscard]] virtual TimePoint now() const = 0;
};

/// A clock that moves only when told to; used by tests and the virtual-time runners.
class ManualClock final : public Clock {
public:
    explicit ManualClock(TimePoint start) : now_(start) {}
    [[nodiscard]] TimePoint now() const override { return now_; }
    void set(TimePoint t) { now_ = t; }
    void advance(Duration d) { now_ += d; }

private:
    TimePoint now_;
};

/// Parses "500ms", "30s", "5m", "6h", "2d", "1w" and sums like "1h30m". Negative values, empty
/// strings, unknown units and overflow give nullopt.
[[nodiscard]] std::optional<Duration> parse_duration(std::string_view text);
/// Shortest exact form: 90000ms -> "1m30s", 0 -> "0s".
[[nodiscard]] std::string format_duration(Duration d);
/// RFC 3339 in UTC with millisecond precision when non-zero: "2026-01-05T10:00:00Z".
[[nodiscard]] std::string format_rfc3339(TimePoint t);
/// Parses RFC 3339 ("2026-01-05T10:00:00Z", "...T10:00:00.250+01:00") or a bare date (midnight
/// UTC).
[[nodiscard]] std::optional<TimePoint> parse_rfc3339(std::string_view text);

inline std::int64_t to_unix_ms(TimePoint t) {
    return t.time_since_epoch().count();
}
inline TimePoint from_unix_ms(std::int64_t ms) {
    return TimePoint{Duration{ms}};
}

}  // namespace tocsin::engine
