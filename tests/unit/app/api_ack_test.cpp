#include "app/api_requests.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace tocsin::app {
namespace {

using namespace std::chrono_literals;

const engine::TimePoint kNow = engine::from_unix_ms(1'767'600'000'000);  // 2026-01-05T08:00:00Z

std::string refused(const std::string& body) {
    std::string error;
    auto a = parse_ack_request(body, kNow, error);
    INFO(body);
    CHECK_FALSE(a);
    return error;
}

TEST_CASE("an ack request takes author, comment and a duration from now", "[app][ack]") {
    std::string error;
    auto a = parse_ack_request(R"({"author":"ana","comment":"on it","for":"30m"})", kNow, error);
    REQUIRE(a);
    CHECK(error.empty());
    CHECK(a->author == "ana");
    CHECK(a->comment == "on it");
    CHECK(a->until == kNow + 30min);
}

TEST_CASE("an ack request takes until as RFC 3339 and no end at all", "[app][ack]") {
    std::string error;
    auto until =
        parse_ack_request(R"({"author":"bo","until":"2026-01-05T12:00:00Z"})", kNow, error);
    REQUIRE(until);
    CHECK(until->until == engine::parse_rfc3339("2026-01-05T12:00:00Z"));
    auto open = parse_ack_request(R"({"author":"bo"})", kNow, error);
    REQUIRE(open);
    CHECK_FALSE(open->until);
}

TEST_CASE("an ack request without author, with bad fields or bad JSON is refused", "[app][ack]") {
    CHECK(refused("") == "author is required: say who is on it");
    CHECK(refused(R"({"comment":"x"})") == "author is required: say who is on it");
    CHECK(refused("[1]").rfind("body must be a JSON object", 0) == 0);
    CHECK(refused("{").rfind("body must be a JSON object", 0) == 0);
    CHECK(refused(R"({"author":"a","for":"0s"})") == "for must be a duration such as 30m");
    CHECK(refused(R"({"author":"a","for":"soon"})") == "for must be a duration such as 30m");
    CHECK(refused(R"({"author":"a","until":"tomorrow"})") == "until must be an RFC 3339 time");
    CHECK(refused(R"({"author":3})") == "author must be a string");
    CHECK(refused(R"({"author":"a","who":"b"})") ==
          "unknown field 'who'; allowed: author, comment, for, until");
}

}  // namespace
}  // namespace tocsin::app
