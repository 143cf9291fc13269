#include "samples.hpp"

#include <catch2/catch.hpp>

namespace local = tocsin::plugins::local;

TEST_CASE("sample timestamps parse as Unix seconds or ISO-8601", "[exec][samples]") {
    CHECK(local::parse_timestamp_ms("1767571200") == 1767571200000);
    CHECK(local::parse_timestamp_ms(" 1767571200.25 ") == 1767571200250);
    CHECK(local::parse_timestamp_ms("2026-01-05") == 1767571200000);
    CHECK(local::parse_timestamp_ms("2026-01-05T06:00:00Z") == 1767592800000);
    CHECK(local::parse_timestamp_ms("2026-01-05 07:00:00+01:00") == 1767592800000);
    CHECK(local::parse_timestamp_ms("2026-01-05T06:00:00.125Z") == 1767592800125);
    CHECK_FALSE(local::parse_timestamp_ms("yesterday"));
    CHECK_FALSE(local::parse_timestamp_ms("2026-02-30"));
    CHECK_FALSE(local::parse_timestamp_ms(""));
}

TEST_CASE("sample arrays report the first bad item", "[exec][samples]") {
    std::vector<local::ParsedSample> out;
    CHECK(local::read_sample_array(R"({"kpi": "a"})", out) ==
          "expected a JSON array of samples, found an object");
    CHECK(local::read_sample_array(R"([{"kpi": "a", "value": null}])", out) ==
          "item 1: 'value' of KPI 'a' is not a number");
    CHECK(local::read_sample_array(R"([{"value": 1}])", out) ==
          "item 1: 'kpi' is missing or not a non-empty string");
    CHECK(local::read_sample_array(R"([{"kpi": "a", "value": 1, "labels": [1]}])", out) ==
          "item 1: 'labels' of KPI 'a' is not an object of strings");
    CHECK(local::read_sample_array(R"([{"kpi": "a", "value": 1, "timestamp": "soon"}])", out) ==
          "item 1: 'timestamp' of KPI 'a' is neither Unix seconds nor ISO-8601 text");
    CHECK(local::read_sample_array("[1]", out) ==
          "item 1: expected an object like {\"kpi\": \"name\", \"value\": 1}, found a number");
    out.clear();
    CHECK_FALSE(local::read_sample_array(
        R"([{"kpi": "a", "value": 2, "labels": {"ok": true, "gone": null}}])", out));
    REQUIRE(out.size() == 1);
    CHECK(out[0].labels == tocsin::sdk::LabelList{{"ok", "true"}});
}

TEST_CASE("missing KPIs are named in one sentence", "[exec][samples]") {
    CHECK(local::missing_text({"a"}, "x") == "KPI 'a' is missing from x");
    CHECK(local::missing_text({"a", "b"}, "x") == "KPIs 'a', 'b' are missing from x");
}
