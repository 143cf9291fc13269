// The body of `POST /api/v1/samples`: which timestamps a pushed sample may carry, in JSON and in
// the Prometheus text format.
#include "app/push_parse.hpp"

#include "app/checked_config.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace tocsin::app {
namespace {

CheckedConfig push_config() {
    CheckedConfig config;
    config.push_sources = {"pushed"};
    config.push_kpis["signups"] = std::nullopt;
    return config;
}

const engine::TimePoint kNow = engine::from_unix_ms(1767607200000);  // 2026-01-05T10:00:00Z

ParsedPush push_json(const std::string& timestamp) {
    return parse_pushed_samples("application/json",
                                R"([{"kpi":"signups","value":1,"timestamp":)" + timestamp + "}]",
                                push_config(),
                                kNow);
}

ParsedPush push_text(const std::string& timestamp) {
    return parse_pushed_samples("text/plain", "signups 1 " + timestamp + "\n", push_config(), kNow);
}

}  // namespace

TEST_CASE("a pushed sample keeps its timestamp when it lies between 1970 and 5 minutes ahead",
          "[push]") {
    for (const auto& parsed : {push_json("1767607000000"),
                               push_json(R"("2026-01-05T09:56:40Z")"),
                               push_text("1767607000000")}) {
        CHECK(parsed.error.empty());
        CHECK(parsed.rejected.empty());
        REQUIRE(parsed.samples.size() == 1);
        CHECK(engine::to_unix_ms(parsed.samples[0].at) == 1767607000000);
    }
    CHECK(push_json("0").samples.size() == 1);
    CHECK(push_json("1767607500000").samples.size() == 1);  // exactly 5 minutes ahead
}

TEST_CASE("a pushed timestamp too far ahead, before 1970 or past int64 is refused by name",
          "[push]") {
    const auto refused = [](const ParsedPush& parsed, const std::string& why) {
        CHECK(parsed.error.empty());
        CHECK(parsed.samples.empty());
        REQUIRE(parsed.rejected.size() == 1);
        CHECK_THAT(parsed.rejected[0], Catch::StartsWith("sample 1: ") && Catch::Contains(why));
    };
    refused(push_json("1767607500001"), "more than 5 minutes in the future");
    // Larger than any int64: JSON holds it as uint64, which used to throw out of the parser.
    refused(push_json("17333333367607100000"), "more than 5 minutes in the future");
    refused(push_json("-1"), "before 1970");
    refused(push_json("-9223372036854775808"), "before 1970");
    refused(push_json(R"("1969-12-31T23:59:59Z")"), "before 1970");
    refused(push_json("1.5e12"), "RFC 3339 or Unix milliseconds");
    refused(push_text("1767607500001"), "signups: timestamp is more than 5 minutes in the future");
    refused(push_text("-9223372036854775808"), "signups: timestamp is before 1970");
}

}  // namespace tocsin::app
