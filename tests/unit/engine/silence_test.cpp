#include "engine/silence.hpp"

#include "calendar_fixture.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace tocsin::engine;
using tocsin::engine::testing::at;
using tocsin::engine::testing::make_calendar;

namespace {

Silence silence(const char* matchers, const char* from, const char* to) {
    std::string why;
    auto list = parse_matcher_list(matchers, why);
    INFO(why);
    REQUIRE(list.has_value());
    Silence s;
    s.id = "s1";
    s.matchers = std::move(*list);
    s.starts_at = at(from);
    s.ends_at = at(to);
    s.author = "ana";
    s.comment = "deploy";
    s.created_at = at(from);
    return s;
}

std::string show(TimePoint t) {
    return t == TimePoint::max() ? "max" : format_rfc3339(t);
}

}  // namespace

TEST_CASE("a silence hides matching alerts between its start and end", "[silence]") {
    const Silence s = silence(
        R"({team="growth", severity=~"warn"})", "2026-01-07T10:00:00Z", "2026-01-07T12:00:00Z");
    const Labels growth_warn{{"team", "growth"}, {"severity", "warn"}};
    CHECK_FALSE(s.silences(growth_warn, at("2026-01-07T09:59:59Z"), nullptr));
    CHECK(s.silences(growth_warn, at("2026-01-07T10:00:00Z"), nullptr));
    CHECK(s.silences(growth_warn, at("2026-01-07T11:59:59Z"), nullptr));
    CHECK_FALSE(s.silences(growth_warn, at("2026-01-07T12:00:00Z"), nullptr));
    CHECK_FALSE(s.silences(
        Labels{{"team", "growth"}, {"severity", "crit"}}, at("2026-01-07T11:00:00Z"), nullptr));
    CHECK_FALSE(s.expired_at(at("2026-01-07T11:59:59Z")));
    CHECK(s.expired_at(at("2026-01-07T12:00:00Z")));

    CHECK(show(s.next_change(at("2026-01-07T09:00:00Z"), nullptr)) == "2026-01-07T10:00:00Z");
    CHECK(show(s.next_change(at("2026-01-07T10:00:00Z"), nullptr)) == "2026-01-07T12:00:00Z");
    CHECK(show(s.next_change(at("2026-01-07T12:00:00Z"), nullptr)) == "max");
}

TEST_CASE("a recurring silence is active only while its calendar is in", "[silence]") {
    const Calendar nights = make_calendar(R"(calendars:
  nights:
    timezone: Europe/Berlin
    include:
      - times: ["22:00-07:00"]
)");
    Silence s = silence(R"(job="batch")", "2026-01-05T00:00:00Z", "2026-01-08T00:00:00Z");
    s.calendar = "nights";
    const Labels batch{{"job", "batch"}};
    CHECK(s.silences(batch, at("2026-01-05T22:00:00Z"), &nights));        // 23:00 CET
    CHECK_FALSE(s.silences(batch, at("2026-01-05T12:00:00Z"), &nights));  // 13:00 CET
    // Outside the silence's own window the calendar does not matter.
    CHECK_FALSE(s.silences(batch, at("2026-01-08T02:00:00Z"), &nights));
    // A calendar that is gone (reload) must not hide anything.
    CHECK_FALSE(s.silences(batch, at("2026-01-05T22:00:00Z"), nullptr));
    CHECK(show(s.next_change(at("2026-01-05T22:00:00Z"), nullptr)) == "max");

    // Starts at 01:00 CET inside a night: active at once, then 07:00 CET, 22:00 CET, ...
    CHECK(show(s.next_change(at("2026-01-04T12:00:00Z"), &nights)) == "2026-01-05T00:00:00Z");
    CHECK(show(s.next_change(at("2026-01-05T00:00:00Z"), &nights)) == "2026-01-05T06:00:00Z");
    CHECK(show(s.next_change(at("2026-01-05T06:00:00Z"), &nights)) == "2026-01-05T21:00:00Z");
    // The last night is cut by the silence's end (00:00Z = 01:00 CET on 8 Jan).
    CHECK(show(s.next_change(at("2026-01-07T21:00:00Z"), &nights)) == "2026-01-08T00:00:00Z");

    // Starting in the day, it waits for the night.
    Silence later = s;
    later.starts_at = at("2026-01-05T12:00:00Z");
    CHECK(show(later.next_change(at("2026-01-05T08:00:00Z"), &nights)) == "2026-01-05T21:00:00Z");
}

TEST_CASE("silences people ask for are checked", "[silence]") {
    Silence s = silence(R"(team="growth")", "2026-01-07T10:00:00Z", "2026-01-07T12:00:00Z");
    CHECK_FALSE(check_silence(s).has_value());

    Silence everything = silence(R"(team=~".*")", "2026-01-07T10:00:00Z", "2026-01-07T12:00:00Z");
    CHECK(check_silence(everything).value_or("").find("would hide everything") !=
          std::string::npos);
    Silence none = s;
    none.matchers.clear();
    CHECK(check_silence(none).value_or("").find("at least one matcher") != std::string::npos);
    Silence backwards = s;
    backwards.ends_at = backwards.starts_at;
    CHECK(check_silence(backwards).value_or("").find("ends before it starts") != std::string::npos);
    Silence anonymous = s;
    anonymous.author.clear();
    CHECK(check_silence(anonymous).value_or("").find("needs an author") != std::string::npos);
}
