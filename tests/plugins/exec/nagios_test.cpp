#include "nagios.hpp"

#include <catch2/catch.hpp>

namespace ex = tocsin::plugins::exec;

TEST_CASE("nagios output splits into text and perfdata", "[exec][nagios]") {
    const auto out =
        ex::parse_nagios("DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n");
    CHECK(out.text == "DISK OK - free space: / 3326 MB (56%);");
    REQUIRE(out.perfdata.size() == 1);
    const auto& p = out.perfdata[0];
    CHECK(p.label == "/");
    CHECK(p.value == 2643);
    CHECK(p.uom == "MB");
    CHECK(p.warn == 5948);
    CHECK(p.crit == 5958);
    CHECK(p.min == 0);
    CHECK(p.max == 5968);
    CHECK(out.warnings.empty());
}

TEST_CASE("nagios quoted labels keep blanks and doubled quotes", "[exec][nagios]") {
    const auto out = ex::parse_nagios("OK | 'free space'=12.5%;80;90 'it''s'=3 plain=-1.5e3s");
    REQUIRE(out.perfdata.size() == 3);
    CHECK(out.perfdata[0].label == "free space");
    CHECK(out.perfdata[0].value == 12.5);
    CHECK(out.perfdata[0].uom == "%");
    CHECK(out.perfdata[1].label == "it's");
    CHECK(out.perfdata[1].value == 3);
    CHECK_FALSE(out.perfdata[1].warn);
    CHECK(out.perfdata[2].value == -1500);
    CHECK(out.perfdata[2].uom == "s");
}

TEST_CASE("nagios perfdata continues after a bar in the long text", "[exec][nagios]") {
    const auto out = ex::parse_nagios("OK - all fine | a=1\nline two\nline three | b=2\nc=3c\n");
    CHECK(out.text == "OK - all fine");
    REQUIRE(out.perfdata.size() == 3);
    CHECK(out.perfdata[0].label == "a");
    CHECK(out.perfdata[1].label == "b");
    CHECK(out.perfdata[2].label == "c");
    CHECK(out.perfdata[2].uom == "c");
}

TEST_CASE("nagios skips unknown and malformed perfdata with warnings", "[exec][nagios]") {
    const auto out = ex::parse_nagios("WARN | a=1;10:20;@5;; b=U c d=abc =4 'open=1");
    REQUIRE(out.perfdata.size() == 1);
    CHECK(out.perfdata[0].label == "a");
    CHECK_FALSE(out.perfdata[0].warn);  // ranges are not single numbers
    CHECK_FALSE(out.perfdata[0].crit);
    REQUIRE(out.warnings.size() == 5);
    CHECK(out.warnings[0] == "perfdata item 'b=U' skipped: its value is U (unknown)");
    CHECK(out.warnings[1] == "perfdata item 'c' skipped: expected label=value");
    CHECK(out.warnings[2] == "perfdata item 'd=abc' skipped: 'abc' is not a number");
    CHECK(out.warnings[3] == "perfdata item '=4' skipped: the label is empty");
    CHECK(out.warnings[4] == "perfdata item ''open=1' skipped: expected 'label'=value");
}

TEST_CASE("nagios output without perfdata is just text", "[exec][nagios]") {
    const auto out = ex::parse_nagios("CRITICAL - connection refused\n");
    CHECK(out.text == "CRITICAL - connection refused");
    CHECK(out.perfdata.empty());
    CHECK(ex::parse_nagios("").text.empty());
}

TEST_CASE("nagios perfdata fields and state names", "[exec][nagios]") {
    const auto out = ex::parse_nagios("OK | x=5;6;7;0");
    REQUIRE(out.perfdata.size() == 1);
    CHECK(ex::perf_field(out.perfdata[0], *ex::parse_perf_field("crit")) == 7);
    CHECK(ex::perf_field(out.perfdata[0], *ex::parse_perf_field("min")) == 0);
    CHECK_FALSE(ex::perf_field(out.perfdata[0], *ex::parse_perf_field("max")));
    CHECK_FALSE(ex::parse_perf_field("average"));
    CHECK(std::string(ex::state_name(2)) == "CRITICAL");
    CHECK(std::string(ex::state_name(7)) == "UNKNOWN");
}
