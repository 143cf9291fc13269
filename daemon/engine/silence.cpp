#include "engine/silence.hpp"

#include <algorithm>

namespace tocsin::engine {

bool Silence::matches(const Labels& labels) const {
    return matches_all(matchers, labels);
}

bool Silence::active_at(TimePoint t, const Calendar* cal) const {
    if (t < starts_at || t >= ends_at) {
        return false;
    }
    if (calendar.empty()) {
        return true;
    }
    return cal != nullptr && cal->contains(t);
}

TimePoint Silence::next_change(TimePoint after, const Calendar* cal) const {
    if (after >= ends_at || (!calendar.empty() && cal == nullptr)) {
        return TimePoint::max();
    }
    if (after < starts_at) {
        if (calendar.empty() || cal->contains(starts_at)) {
            return starts_at;
        }
        // Inactive until the calendar is next in after the start.
        after = starts_at;
    } else if (calendar.empty()) {
        return ends_at;
    }
    // Walk the calendar's changes until active_at() differs from now; every other change of the
    // calendar flips it, but a change back within the window must still be returned.
    const bool now = active_at(after, cal);
    for (TimePoint t = cal->next_change(after); t < ends_at; t = cal->next_change(t)) {
        if (active_at(t, cal) != now) {
            return t;
        }
    }
    return now ? ends_at : TimePoint::max();
}

std::optional<std::string> check_silence(const Silence& silence) {
    if (silence.matchers.empty()) {
        return "a silence needs at least one matcher; e.g. team=\"growth\"";
    }
    const bool all_match_empty = std::all_of(silence.matchers.begin(),
                                             silence.matchers.end(),
                                             [](const Matcher& m) { return m.matches(Labels{}); });
    if (all_match_empty) {
        return "every matcher also matches alerts without that label, so the silence would hide "
               "everything; add one like team=\"growth\"";
    }
    if (silence.ends_at <= silence.starts_at) {
        return "the silence ends before it starts; give an end after the start";
    }
    if (silence.author.empty()) {
        return "a silence needs an author; say who asks for it";
    }
    return std::nullopt;
}

}  // namespace tocsin::engine
