#pragma once

#include "engine/time.hpp"
#include "engine/timezone.hpp"

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace tocsin::engine::yaml {
class Reader;
struct Field;
}  // namespace tocsin::engine::yaml

/// Cron schedules for `reports:` (DESIGN.md §5): classic 5-field cron in an IANA zone.
///   minute hour day-of-month month day-of-week, e.g. "0 9 * * mon-fri", "*/15 8-18 * * *"
/// Each field takes `*`, numbers, ranges (`1-5`), lists (`1,15`), steps (`*/15`, `0-30/10`,
/// `5/20` = 5 to the end by 20) and, in the month and weekday fields, names (jan..dec, sun..sat;
/// 0 and 7 are both Sunday). `@hourly`, `@daily` (`@midnight`), `@weekly`, `@monthly`, `@yearly`
/// (`@annually`) stand for the usual expressions. As in Vixie cron, when both day-of-month and
/// day-of-week are restricted (neither starts with `*`), a day matches if EITHER does; otherwise
/// both must.
///
/// DST: times are read on the local wall clock. A time skipped by a spring-forward change fires
/// once, at the instant the gap ends (several skipped times fire together, once); a time in a
/// repeated fall-back hour fires once, at its first occurrence. Pure values; thread-safe.
namespace tocsin::engine {

struct CronSpec {
    std::bitset<60> minutes;
    std::bitset<24> hours;
    std::bitset<32> days;     // bit d: day d of the month (1..31)
    std::bitset<13> months;   // bit m: month m (1..12)
    std::bitset<7> weekdays;  // bit d: weekday d (0 = Sunday)
    bool days_star = false;   // the day-of-month field starts with '*'
    bool weekdays_star = false;
    std::string text;  // as written

    /// Whether the month, day-of-month and day-of-week fields allow `day`.
    [[nodiscard]] bool matches_day(LocalDays day) const;
};

/// Parses a cron expression; nullopt with a message (one lower-case sentence saying what to
/// write) in `why`. Expressions that can never fire ("0 0 30 2 *") are refused.
[[nodiscard]] std::optional<CronSpec> parse_cron(std::string_view text, std::string& why);

/// The same for a rule file value such as `schedule: "0 9 * * mon"`; problems are reported at the
/// value's position under `path`.
std::optional<CronSpec> parse_cron(yaml::Reader& reader,
                                   const yaml::Field& field,
                                   const std::string& path);

class CronSchedule {
public:
    /// How many local days next_fire() looks ahead: 28 years, the longest gap of any expression
    /// parse_cron() accepts (29 February on a given weekday).
    static constexpr int kSearchDays = 366 * 28 + 7;

    CronSchedule(CronSpec spec, TimeZone zone) : spec_(std::move(spec)), zone_(zone) {}

    [[nodiscard]] const CronSpec& spec() const { return spec_; }
    [[nodiscard]] const TimeZone& zone() const { return zone_; }

    /// The first firing instant strictly after `after` (so feeding the result back gives the
    /// firing after it), or TimePoint::max() when there is none within kSearchDays.
    [[nodiscard]] TimePoint next_fire(TimePoint after) const;

private:
    CronSpec spec_;
    TimeZone zone_;
};

}  // namespace tocsin::engine
