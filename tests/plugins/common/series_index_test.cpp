#include "series_index.hpp"

#include <catch2/catch.hpp>

#include <time.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace ex = tocsin::exposition;

namespace {

ex::Exposition parse_ok(std::string_view text) {
    ex::Exposition out;
    REQUIRE_FALSE(ex::parse(text, out));
    return out;
}

ex::Selector selector(std::string_view text) {
    ex::Selector s;
    REQUIRE_FALSE(ex::Selector::parse(text, s));
    return s;
}

// Positions a selector picks when the index narrows the walk, and when every series is tried.
std::vector<std::uint32_t> picked(const ex::Exposition& scrape,
                                  ex::SeriesIndex& index,
                                  const ex::Selector& s) {
    std::vector<std::uint32_t> out;
    if (const auto candidates = index.candidates(s)) {
        for (const auto position : *candidates) {
            if (s.matches(scrape.series[position])) {
                out.push_back(position);
            }
        }
        return out;
    }
    for (std::uint32_t i = 0; i < scrape.series.size(); ++i) {
        if (s.matches(scrape.series[i])) {
            out.push_back(i);
        }
    }
    return out;
}

std::vector<std::uint32_t> walked(const ex::Exposition& scrape, const ex::Selector& s) {
    std::vector<std::uint32_t> out;
    for (std::uint32_t i = 0; i < scrape.series.size(); ++i) {
        if (s.matches(scrape.series[i])) {
            out.push_back(i);
        }
    }
    return out;
}

std::chrono::nanoseconds thread_cpu_time() {
    timespec now{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

}  // namespace

TEST_CASE("series index picks exactly the series a full walk picks", "[exposition]") {
    const auto scrape = parse_ok(R"(kpi_value{kpi="k1",env="prod"} 1
kpi_value{kpi="k2",env="prod"} 2
kpi_value{kpi="k1",env="staging"} 3
kpi_value{env="prod"} 4
other{kpi="k1"} 5
kpi_value{kpi="k1",env="prod",extra=""} 6
)");
    ex::SeriesIndex index(scrape);
    for (const char* text : {R"(kpi_value{kpi="k1"})",
                             R"(kpi_value{kpi="k1",env="prod"})",
                             R"({kpi="k1"})",
                             R"(kpi_value)",
                             R"(other)",
                             R"(kpi_value{kpi=""})",
                             R"(kpi_value{kpi="k9"})",
                             R"(missing{kpi="k1"})",
                             R"(kpi_value{kpi=~"k.*",env!="prod"})",
                             R"({__name__=~"kpi_.*",kpi!="k1"})"}) {
        INFO(text);
        const auto s = selector(text);
        CHECK(picked(scrape, index, s) == walked(scrape, s));
    }
}

TEST_CASE("series index narrows by the rarest equality and leaves regex-only selectors alone",
          "[exposition]") {
    const auto scrape =
        parse_ok("a{k=\"1\",e=\"p\"} 1\na{k=\"2\",e=\"p\"} 2\na{k=\"3\",e=\"p\"} 3\n");
    ex::SeriesIndex index(scrape);
    const auto narrowed = index.candidates(selector(R"(a{e="p",k="2"})"));
    REQUIRE(narrowed.has_value());
    CHECK(std::vector<std::uint32_t>(narrowed->begin(), narrowed->end()) ==
          std::vector<std::uint32_t>{1});
    CHECK_FALSE(index.candidates(selector(R"({k=~"1|2"})")).has_value());
    CHECK(index.candidates(selector(R"(a{k=""})"))->size() == 3);  // by name; k="" is not indexed
}

TEST_CASE("10000 selectors pick their series from a 10000-series scrape in well under 100 ms",
          "[exposition]") {
    std::string text = "# TYPE kpi_value gauge\n";
    for (int i = 0; i < 10000; ++i) {
        text += "kpi_value{kpi=\"k" + std::to_string(i) + "\"} 0." + std::to_string(i % 9) + "\n";
    }
    const auto scrape = parse_ok(text);
    std::vector<ex::Selector> selectors;
    for (int i = 0; i < 10000; ++i) {
        selectors.push_back(selector("kpi_value{kpi=\"k" + std::to_string(i) + "\"}"));
    }
    // CPU time of this thread: a walk of every series per selector costs about 2 s here.
    const auto started = thread_cpu_time();
    ex::SeriesIndex index(scrape);
    std::size_t found = 0;
    for (const auto& s : selectors) {
        found += picked(scrape, index, s).size();
    }
    const auto took = thread_cpu_time() - started;
    CHECK(found == 10000);
    CHECK(took < std::chrono::milliseconds(100));
}
