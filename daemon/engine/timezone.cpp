#include "engine/timezone.hpp"

#include <date/tz.h>

#include <algorithm>
#include <stdexcept>

namespace tocsin::engine {
namespace {

date::local_time<Duration> to_date(LocalTime t) {
    return date::local_time<Duration>{t.time_since_epoch()};
}

TimePoint to_point(date::sys_seconds s) {
    return TimePoint{std::chrono::duration_cast<Duration>(s.time_since_epoch())};
}

}  // namespace

std::optional<TimeZone> TimeZone::find(std::string_view name) {
    try {
        return TimeZone{date::locate_zone(name)};
    } catch (const std::exception&) {
        // date/tz reports an unknown name (and an unreadable database) by throwing.
        return std::nullopt;
    }
}

TimeZone TimeZone::utc() {
    static const TimeZone kUtc = [] {
        auto zone = find("Etc/UTC");
        if (!zone) {
            zone = find("UTC");
        }
        if (!zone) {
            // Without tzdata the daemon cannot honour any zone; the loader reports zones it cannot
            // find, and UTC is the one zone every install has.
            throw std::runtime_error("the time zone database has no UTC zone; install tzdata");
        }
        return *zone;
    }();
    return kUtc;
}

const std::vector<std::string>& TimeZone::names() {
    static const std::vector<std::string> kNames = [] {
        std::vector<std::string> out;
        try {
            for (const auto& zone : date::get_tzdb().zones) {
                out.push_back(zone.name());
            }
        } catch (const std::exception&) {
            // No database: there is nothing to suggest.
        }
        std::sort(out.begin(), out.end());
        return out;
    }();
    return kNames;
}

const std::string& TimeZone::name() const {
    return zone_->name();
}

LocalTime TimeZone::to_local(TimePoint t) const {
    const auto local = zone_->to_local(t);
    return LocalTime{std::chrono::duration_cast<Duration>(local.time_since_epoch())};
}

LocalMapping TimeZone::to_sys(LocalTime local) const {
    const date::local_info info = zone_->get_info(to_date(local));
    const TimePoint plain{local.time_since_epoch()};
    LocalMapping out;
    switch (info.result) {
        case date::local_info::unique:
            out.first = out.second = plain - Duration{info.first.offset};
            break;
        case date::local_info::nonexistent:
            out.kind = LocalMapping::Kind::Gap;
            out.first = out.second = to_point(info.second.begin);
            break;
        case date::local_info::ambiguous:
            out.kind = LocalMapping::Kind::Repeated;
            out.first = plain - Duration{info.first.offset};
            out.second = plain - Duration{info.second.offset};
            break;
    }
    return out;
}

TimePoint TimeZone::next_transition(TimePoint t) const {
    const date::sys_info info = zone_->get_info(t);
    // The last known period ends at the end of representable time; nothing changes before that.
    if (info.end >= date::sys_days{date::year{9999} / 1 / 1}) {
        return TimePoint::max();
    }
    return to_point(info.end);
}

}  // namespace tocsin::engine
