#include "app/api_silences.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <string>

namespace tocsin::app {
namespace {

using engine::TimePoint;
using namespace std::chrono_literals;

const TimePoint kNow = engine::from_unix_ms(1'767'600'000'000);  // 2026-01-05T08:00:00Z
const std::set<std::string> kCalendars{"nights", "weekends"};

engine::Silence parsed(const std::string& body) {
    std::string error;
    auto s = parse_silence_request(body, kNow, kCalendars, error);
    INFO(body << " -> " << error);
    REQUIRE(s);
    CHECK(error.empty());
    return std::move(*s);
}

std::string refused(const std::string& body) {
    std::string error;
    auto s = parse_silence_request(body, kNow, kCalendars, error);
    INFO(body);
    CHECK_FALSE(s);
    return error;
}

TEST_CASE("a silence request starts now by default and lasts its duration", "[app][silence]") {
    const auto s =
        parsed(R"({"matchers":["team=growth","severity=~\"warning|critical\""],"duration":"2h",)"
               R"("author":"ana","comment":"deploy"})");
    REQUIRE(s.matchers.size() == 2);
    CHECK(s.matchers[0].to_string() == R"(team="growth")");
    CHECK(s.matchers[1].to_string() == R"(severity=~"warning|critical")");
    CHECK(s.starts_at == kNow);
    CHECK(s.ends_at == kNow + 2h);
    CHECK(s.author == "ana");
    CHECK(s.comment == "deploy");
    CHECK(s.calendar.empty());
    CHECK(s.id.empty());
}

TEST_CASE("a silence request may give its start, its end and a calendar", "[app][silence]") {
    const auto s = parsed(
        R"({"matchers":["job!~\"backup|etl\"","team=ops"],"starts_at":"2026-01-06T00:00:00Z",)"
        R"("ends_at":"2026-01-31T00:00:00Z","author":"lee","calendar":"nights"})");
    CHECK(engine::format_rfc3339(s.starts_at) == "2026-01-06T00:00:00Z");
    CHECK(engine::format_rfc3339(s.ends_at) == "2026-01-31T00:00:00Z");
    CHECK(s.calendar == "nights");
    CHECK(silence_state(s, kNow) == std::string("pending"));
    CHECK(silence_state(s, s.starts_at) == std::string("active"));
    CHECK(silence_state(s, s.ends_at) == std::string("expired"));
}

TEST_CASE("a silence request that cannot be honoured says why", "[app][silence]") {
    CHECK_THAT(refused("not json"), Catch::StartsWith("body must be a JSON object"));
    CHECK_THAT(refused(R"({"duration":"1h","author":"a"})"),
               Catch::Contains("matchers is required"));
    CHECK_THAT(refused(R"({"matchers":"team=growth","duration":"1h","author":"a"})"),
               Catch::Contains("matchers must be a list of strings"));
    CHECK_THAT(refused(R"({"matchers":[1],"duration":"1h","author":"a"})"),
               Catch::Contains("matchers must be a list of strings"));
    CHECK_THAT(refused(R"({"matchers":["team"],"duration":"1h","author":"a"})"),
               Catch::Contains("is not a label matcher"));
    CHECK_THAT(refused(R"({"matchers":["team!=ops"],"duration":"1h","author":"a"})"),
               Catch::Contains("hide everything"));
    CHECK_THAT(refused(R"({"matchers":["team=ops"],"duration":"1h"})"),
               Catch::Contains("needs an author"));
    CHECK_THAT(refused(R"({"matchers":["team=ops"],"duration":"1h","author":7})"),
               Catch::Contains("author must be a string"));
    CHECK_THAT(refused(R"({"matchers":["team=ops"],"author":"a"})"),
               Catch::Contains("give ends_at (RFC 3339) or duration"));
    CHECK_THAT(refused(R"({"matchers":["team=ops"],"author":"a","duration":"-1h"})"),
               Catch::Contains("positive duration"));
    CHECK_THAT(
        refused(R"({"matchers":["team=ops"],"author":"a","duration":"1h","calendar":"lunch"})"),
        Catch::Contains("no calendar named 'lunch' in the rule files; known: nights, weekends"));
    CHECK_THAT(refused(R"({"matchers":["team=ops"],"author":"a","ends_at":"2026-01-05T07:00:00Z",)"
                       R"("starts_at":"2026-01-05T06:00:00Z"})"),
               Catch::Contains("would have ended already"));
    CHECK_THAT(refused(R"({"matchers":["team=ops"],"author":"a","duration":"1h","by":"x"})"),
               Catch::Contains("unknown field 'by'; allowed: matchers, starts_at"));
}

TEST_CASE("a silence is shown with its state and matchers in text form", "[app][silence]") {
    auto s = parsed(R"({"matchers":["team=growth"],"duration":"1h","author":"ana"})");
    s.id = "0123456789abcdef0123456789abcdef";
    s.created_at = kNow;
    const auto o = silence_json(s, kNow + 30min);
    CHECK(boost::json::serialize(o) ==
          R"({"id":"0123456789abcdef0123456789abcdef","state":"active",)"
          R"("matchers":["team=\"growth\""],"starts_at":"2026-01-05T08:00:00Z",)"
          R"("ends_at":"2026-01-05T09:00:00Z","author":"ana","comment":"",)"
          R"("created_at":"2026-01-05T08:00:00Z","calendar":null})");
    CHECK(silence_json(s, kNow + 1h).at("state") == "expired");
}

}  // namespace
}  // namespace tocsin::app
