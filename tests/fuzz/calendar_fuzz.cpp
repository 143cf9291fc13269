// Fuzzes the calendar text parsers (the list entries of `calendars:` items: weekdays, months,
// times, dates, days, nth) and cron expressions (`reports:` schedules), then asks the parsed
// values the questions the engine asks: is an instant in the calendar, when does that next
// change, when does the schedule next fire.
//
// Input: one entry per line, `<field>: <text>`, e.g. `times: 22:00-07:00`, `exclude dates:
// 2026-12-24..2026-12-26` or `cron: 0 9 * * mon`. Lines without a known field are fed to every
// parser, so plain mutated text reaches them all.

#include "engine/calendar.hpp"
#include "engine/calendar_parser.hpp"
#include "engine/cron.hpp"
#include "fuzz_util.hpp"

#include <cstddef>
#include <cstdint>

namespace {

using namespace tocsin;
using engine::CalendarRule;
namespace text = engine::calendar_text;

constexpr std::size_t kMaxLines = 16;  // more only repeats work; keeps each run fast

/// Parses `value` as `field` into `rule`; with an empty field, tries every parser.
void add_field(std::string_view field, std::string_view value, CalendarRule& rule) {
    std::string why;
    const bool any = field.empty();
    if (any || field == "weekdays") {
        if (auto w = text::weekdays(value, why)) {
            rule.weekdays |= *w;
        }
    }
    if (any || field == "months") {
        if (auto m = text::months(value, why)) {
            rule.months |= *m;
        }
    }
    if (any || field == "times") {
        if (auto t = text::times(value, why)) {
            rule.times.push_back(*t);
        }
    }
    if (any || field == "dates") {
        if (auto d = text::dates(value, why)) {
            rule.dates.push_back(*d);
        }
    }
    if (any || field == "days") {
        if (auto d = text::days(value, why)) {
            rule.days.push_back(*d);
        }
    }
    if (any || field == "nth") {
        if (auto n = text::nth(value, why)) {
            rule.nth.push_back(*n);
        }
    }
}

void check_cron(std::string_view value, engine::TimePoint at) {
    std::string why;
    auto spec = engine::parse_cron(value, why);
    if (!spec) {
        if (why.empty()) {
            fuzz::fuzz_fail("parse_cron refused an expression without saying why", value);
        }
        return;
    }
    const engine::CronSchedule schedule(std::move(*spec), engine::TimeZone::utc());
    const auto next = schedule.next_fire(at);
    if (next <= at) {
        fuzz::fuzz_fail("next_fire did not move forward", value);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = fuzz::as_text(data, size);
    // 2026-03-29T00:30:00Z: Europe's spring-forward night, where edge cases live.
    const engine::TimePoint at = engine::from_unix_ms(1774744200000);

    engine::CalendarDef def;
    def.name = "fuzz";
    CalendarRule include;
    CalendarRule exclude;
    bool has_exclude = false;  // an empty exclude item would exclude everything
    std::size_t count = 0;
    for (auto line : fuzz::lines(input)) {
        if (++count > kMaxLines) {
            break;
        }
        const auto colon = line.find(": ");
        std::string_view field = colon == std::string_view::npos ? "" : line.substr(0, colon);
        const std::string_view value =
            colon == std::string_view::npos ? line : line.substr(colon + 2);
        if (field == "cron") {
            check_cron(value, at);
            continue;
        }
        const bool excluded = field.rfind("exclude ", 0) == 0;
        if (excluded) {
            field.remove_prefix(8);
            has_exclude = true;
        }
        add_field(field, value, excluded ? exclude : include);
        if (field.empty()) {
            check_cron(value, at);
        }
    }
    def.include.push_back(std::move(include));
    if (has_exclude) {
        def.exclude.push_back(std::move(exclude));
    }

    for (const char* zone : {"UTC", "Europe/Berlin"}) {
        auto calendar = engine::Calendar::from_def(def, zone);
        if (!calendar) {
            continue;
        }
        const bool in = calendar->contains(at);
        const auto change = calendar->next_change(at);
        if (change <= at) {
            fuzz::fuzz_fail("next_change did not move forward", input);
        }
        // At the change the answer differs, unless the walk gave up at its horizon.
        const auto horizon = at + std::chrono::days(engine::Calendar::kHorizonDays - 2);
        if (change < horizon && calendar->contains(change) == in) {
            fuzz::fuzz_fail("contains() is the same before and at next_change()", input);
        }
    }
    return 0;
}
