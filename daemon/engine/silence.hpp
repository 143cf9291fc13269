#pragma once

#include "engine/calendar.hpp"
#include "engine/matcher.hpp"
#include "engine/model.hpp"
#include "engine/time.hpp"

#include <optional>
#include <string>
#include <vector>

/// Silences (DESIGN.md §5, §7): people hide alerts matching some labels for a while, through the
/// API or the CLI. A silence is a plain value; the store keeps every one, expired ones too, for
/// audit. A recurring silence names a calendar and is active only while that calendar is in
/// (within its start and end), e.g. "silence batch jobs every night this month".
namespace tocsin::engine {

struct Silence {
    std::string id;
    std::vector<Matcher> matchers;  // all must hold
    TimePoint starts_at;
    TimePoint ends_at;  // exclusive
    std::string author;
    std::string comment;
    TimePoint created_at;
    std::string calendar;  // recurring: the calendar's name; empty for a plain silence

    /// Whether the silence's matchers all hold on `labels` (whether or not it is active).
    [[nodiscard]] bool matches(const Labels& labels) const;
    /// Whether the silence is in force at `t`: starts_at <= t < ends_at and, for a recurring
    /// silence, `cal` is in at `t`. `cal` is the calendar named by `calendar` (the
    /// caller looks it up; ignored for a plain silence). A recurring silence whose calendar is
    /// missing (null, e.g. removed by a reload) is never active: a lost calendar must not hide
    /// alerts.
    [[nodiscard]] bool active_at(TimePoint t, const Calendar* cal) const;
    /// Whether the silence hides an alert with `labels` at `t`.
    [[nodiscard]] bool silences(const Labels& labels, TimePoint t, const Calendar* cal) const {
        return active_at(t, cal) && matches(labels);
    }
    /// Ended for good (kept for audit only).
    [[nodiscard]] bool expired_at(TimePoint t) const { return t >= ends_at; }
    /// The first instant after `after` at which active_at() changes, for the engine's timer;
    /// TimePoint::max() when it never will.
    [[nodiscard]] TimePoint next_change(TimePoint after, const Calendar* cal) const;
};

/// What is wrong with a silence a person asks for (API, CLI), or nullopt when it is fine: it needs
/// at least one matcher, one that does not also match alerts lacking the label (so a silence
/// never hides everything), an end after its start, and an author.
[[nodiscard]] std::optional<std::string> check_silence(const Silence& silence);

}  // namespace tocsin::engine
