#pragma once

#include "engine/time.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace date {
class time_zone;
}

/// IANA time zones for calendars and cron schedules, on Howard Hinnant's date/tz reading the
/// system tzdata (/usr/share/zoneinfo, Debian package `tzdata`). A TimeZone is a cheap handle: the
/// zone data belongs to the process-wide tz database, which lives until exit, so copies may be kept
/// anywhere and used from any thread. Nothing here throws.
namespace tocsin::engine {

/// A wall-clock reading in some zone, with the engine's millisecond precision.
using LocalTime = std::chrono::local_time<Duration>;
using LocalDays = std::chrono::local_days;

/// Where a wall-clock time falls on the real time line.
struct LocalMapping {
    enum class Kind {
        Unique,    // the usual case
        Gap,       // skipped by a spring-forward change: `first` is the instant the gap ends
        Repeated,  // a fall-back hour: `first` is the earlier occurrence, `second` the later
    };
    Kind kind = Kind::Unique;
    TimePoint first;
    TimePoint second;  // == first unless Repeated
};

class TimeZone {
public:
    /// The zone called `name` ("Europe/Berlin", "UTC"); nullopt when the tz database has no such
    /// zone or cannot be read.
    [[nodiscard]] static std::optional<TimeZone> find(std::string_view name);
    [[nodiscard]] static TimeZone utc();
    /// Every zone name the database knows, sorted; for "did you mean" in messages.
    [[nodiscard]] static const std::vector<std::string>& names();

    [[nodiscard]] const std::string& name() const;
    /// The wall clock in this zone at `t`.
    [[nodiscard]] LocalTime to_local(TimePoint t) const;
    /// The instant(s) at which the wall clock in this zone reads `local`.
    [[nodiscard]] LocalMapping to_sys(LocalTime local) const;
    /// The first instant after `t` at which the zone's UTC offset or abbreviation changes, or
    /// TimePoint::max() when the database knows of none.
    [[nodiscard]] TimePoint next_transition(TimePoint t) const;

    friend bool operator==(const TimeZone& a, const TimeZone& b) { return a.zone_ == b.zone_; }

private:
    explicit TimeZone(const date::time_zone* zone) : zone_(zone) {}

    const date::time_zone* zone_;
};

}  // namespace tocsin::engine
