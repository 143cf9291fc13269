#include "engine/calendar.hpp"

#include <algorithm>

namespace tocsin::engine {
namespace {

using Days = std::chrono::days;
using std::chrono::floor;
using std::chrono::year_month_day;

constexpr Duration kDay = std::chrono::hours(24);

bool has_bit(unsigned mask, unsigned bit) {
    return ((mask >> bit) & 1U) != 0;
}

int month_length(const year_month_day& ymd) {
    const std::chrono::year_month_day_last last{ymd.year(),
                                                std::chrono::month_day_last{ymd.month()}};
    return static_cast<int>(static_cast<unsigned>(last.day()));
}

/// A day-of-month bound resolved against a month of `length` days.
int resolve_day(int day, int length) {
    return day > 0 ? day : length + 1 + day;
}

bool in_range(LocalDays day, const DateRange& r) {
    const LocalDays first{std::chrono::sys_days{r.first}.time_since_epoch()};
    const LocalDays last{std::chrono::sys_days{r.last}.time_since_epoch()};
    return first <= day && day <= last;
}

template <class Rules>
bool any_matches(const Rules& rules, LocalDays day, Duration time_of_day) {
    return std::any_of(rules.begin(), rules.end(), [&](const CalendarRule& r) {
        return r.matches(day, time_of_day);
    });
}

}  // namespace

bool CalendarRule::matches_day(LocalDays day) const {
    const year_month_day ymd{std::chrono::sys_days{day.time_since_epoch()}};
    const unsigned month = static_cast<unsigned>(ymd.month());
    if (months != 0 && !has_bit(months, month - 1)) {
        return false;
    }
    const std::chrono::weekday wd{day};
    if (weekdays != 0 && !has_bit(weekdays, wd.c_encoding())) {
        return false;
    }
    const int dom = static_cast<int>(static_cast<unsigned>(ymd.day()));
    if (!days.empty() || !nth.empty()) {
        const int length = month_length(ymd);
        if (!days.empty()) {
            const bool hit = std::any_of(days.begin(), days.end(), [&](const DayRange& r) {
                return resolve_day(r.first, length) <= dom && dom <= resolve_day(r.last, length);
            });
            if (!hit) {
                return false;
            }
        }
        if (!nth.empty()) {
            const bool hit = std::any_of(nth.begin(), nth.end(), [&](const NthWeekday& n) {
                if (n.weekday != wd || (n.month != 0 && n.month != month)) {
                    return false;
                }
                return n.nth > 0 ? (dom - 1) / 7 + 1 == n.nth : dom + 7 > length;
            });
            if (!hit) {
                return false;
            }
        }
    }
    if (!dates.empty()) {
        const bool hit = std::any_of(
            dates.begin(), dates.end(), [&](const DateRange& r) { return in_range(day, r); });
        if (!hit) {
            return false;
        }
    }
    return true;
}

bool CalendarRule::matches(LocalDays day, Duration time_of_day) const {
    if (times.empty()) {
        return matches_day(day);
    }
    // Each day's fields are checked at most once, and only when a range needs them.
    std::optional<bool> today;
    std::optional<bool> yesterday;
    const auto on_today = [&] {
        if (!today) {
            today = matches_day(day);
        }
        return *today;
    };
    const auto on_yesterday = [&] {
        if (!yesterday) {
            yesterday = matches_day(day - Days{1});
        }
        return *yesterday;
    };
    for (const TimeRange& r : times) {
        if (!r.crosses_midnight()) {
            if (r.start <= time_of_day && time_of_day < r.end && on_today()) {
                return true;
            }
            continue;
        }
        if (time_of_day >= r.start && on_today()) {
            return true;
        }
        if (time_of_day < r.end && on_yesterday()) {
            return true;
        }
    }
    return false;
}

Calendar::Calendar(CalendarDef def, TimeZone zone) : def_(std::move(def)), zone_(zone) {
    edges_.push_back(Duration{0});
    dated_only_ = !def_.include.empty() || !def_.exclude.empty();
    for (const auto* rules : {&def_.include, &def_.exclude}) {
        for (const CalendarRule& rule : *rules) {
            dated_only_ = dated_only_ && !rule.dates.empty();
            for (const TimeRange& r : rule.times) {
                edges_.push_back(r.start);
                if (r.end < kDay) {
                    edges_.push_back(r.end);
                }
            }
        }
    }
    std::sort(edges_.begin(), edges_.end());
    edges_.erase(std::unique(edges_.begin(), edges_.end()), edges_.end());
}

std::optional<Calendar> Calendar::from_def(const CalendarDef& def,
                                           std::string_view default_timezone) {
    const std::string_view name = def.timezone.empty() ? default_timezone : def.timezone;
    auto zone = name.empty() ? std::optional<TimeZone>(TimeZone::utc()) : TimeZone::find(name);
    if (!zone) {
        return std::nullopt;
    }
    return Calendar{def, *zone};
}

bool Calendar::contains_local(LocalDays day, Duration time_of_day) const {
    if (!def_.include.empty() && !any_matches(def_.include, day, time_of_day)) {
        return false;
    }
    return !any_matches(def_.exclude, day, time_of_day);
}

bool Calendar::contains(TimePoint t) const {
    const LocalTime local = zone_.to_local(t);
    const LocalDays day = floor<Days>(local);
    return contains_local(day, local - day);
}

bool Calendar::uniform_day(LocalDays day) const {
    for (const auto* rules : {&def_.include, &def_.exclude}) {
        for (const CalendarRule& rule : *rules) {
            if (rule.times.empty()) {
                continue;  // whole days: constant over any one day
            }
            for (const TimeRange& r : rule.times) {
                const bool whole_day = r.start == Duration{0} && r.end == kDay;
                if (!whole_day && rule.matches_day(day)) {
                    return false;
                }
                if (r.crosses_midnight() && rule.matches_day(day - Days{1})) {
                    return false;
                }
            }
        }
    }
    return true;
}

bool Calendar::outside_dates(LocalDays day) const {
    for (const auto* rules : {&def_.include, &def_.exclude}) {
        for (const CalendarRule& rule : *rules) {
            for (const DateRange& r : rule.dates) {
                // A range crossing midnight reaches into the day after the last date.
                if (in_range(day, r) || in_range(day - Days{1}, r)) {
                    return false;
                }
            }
        }
    }
    return true;
}

std::optional<LocalDays> Calendar::next_dated_start(LocalDays day) const {
    std::optional<LocalDays> best;
    for (const auto* rules : {&def_.include, &def_.exclude}) {
        for (const CalendarRule& rule : *rules) {
            for (const DateRange& r : rule.dates) {
                const LocalDays first{std::chrono::sys_days{r.first}.time_since_epoch()};
                if (first > day && (!best || first < *best)) {
                    best = first;
                }
            }
        }
    }
    return best;
}

void Calendar::add_candidates(LocalDays day, std::vector<TimePoint>& out) const {
    const LocalTime midnight{day};
    if (uniform_day(day)) {
        out.push_back(zone_.to_sys(midnight).first);
        return;
    }
    for (const Duration edge : edges_) {
        const LocalMapping m = zone_.to_sys(midnight + edge);
        out.push_back(m.first);
        if (m.kind == LocalMapping::Kind::Repeated) {
            out.push_back(m.second);
        }
    }
    // The wall clock jumps at a zone transition, which can enter or leave a window without
    // passing any edge (a fall-back from 03:00 to 02:00 re-enters 01:30-02:30).
    const TimePoint begin = zone_.to_sys(midnight).first;
    const TimePoint end = zone_.to_sys(midnight + kDay).first;
    for (TimePoint t = zone_.next_transition(begin - Duration{1}); t < end;
         t = zone_.next_transition(t)) {
        out.push_back(t);
    }
}

TimePoint Calendar::next_change(TimePoint after) const {
    if (def_.include.empty() && def_.exclude.empty()) {
        return TimePoint::max();
    }
    const bool state = contains(after);
    // Start a day early: a transition at midnight can put part of the previous local day after
    // `after` on the real time line.
    LocalDays day = floor<Days>(zone_.to_local(after)) - Days{1};
    std::vector<TimePoint> candidates;
    for (int walked = 0; walked < kHorizonDays;) {
        if (dated_only_ && outside_dates(day)) {
            // Nothing is active until the next dated item starts, so skip straight to it.
            const auto next = next_dated_start(day);
            if (!next) {
                return TimePoint::max();
            }
            if (*next > day + Days{1}) {
                day = *next - Days{1};
                continue;
            }
        }
        candidates.clear();
        add_candidates(day, candidates);
        std::sort(candidates.begin(), candidates.end());
        for (const TimePoint c : candidates) {
            if (c > after && contains(c) != state) {
                return c;
            }
        }
        day += Days{1};
        ++walked;
    }
    return zone_.to_sys(LocalTime{day}).first;
}

}  // namespace tocsin::engine
