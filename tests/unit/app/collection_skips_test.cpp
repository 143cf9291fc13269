#include "app/collection_skips.hpp"

#include <catch2/catch.hpp>

namespace tocsin::app {
namespace {
using namespace std::chrono_literals;
using Clock = CollectionSkips::Clock;

const engine::Duration kSecond{std::chrono::seconds(1)};

}  // namespace

TEST_CASE("a skipped collection is logged at once with its reason and the fix", "[backpressure]") {
    CollectionSkips skips;
    const auto t0 = Clock::time_point{} + 1h;
    const auto behind = skips.skipped("scrape", SkipReason::StoreBehind, kSecond, t0);
    REQUIRE(behind);
    CHECK_THAT(*behind, Catch::StartsWith("collection skipped: the state database has not yet"));
    CHECK_THAT(*behind, Catch::Contains("one every 1s"));
    CHECK_THAT(*behind, Catch::Contains("collect less often (every:)"));
    CHECK_THAT(*behind, !Catch::Contains("since the last warning"));

    const auto running = skips.skipped("exec", SkipReason::StillRunning, kSecond, t0);
    REQUIRE(running);
    CHECK_THAT(*running, Catch::Contains("still running after 1s"));
    CHECK_THAT(*running, Catch::Contains("timeout"));

    const auto busy = skips.skipped("sql", SkipReason::WorkersBusy, kSecond, t0);
    REQUIRE(busy);
    CHECK_THAT(*busy, Catch::Contains("every plugin worker is busy"));
}

TEST_CASE("skip warnings come at most once a minute per source and count the skips between",
          "[backpressure]") {
    CollectionSkips skips;
    const auto t0 = Clock::time_point{} + 1h;
    REQUIRE(skips.skipped("scrape", SkipReason::StoreBehind, kSecond, t0));
    for (int i = 1; i < 60; ++i) {
        CHECK_FALSE(skips.skipped("scrape", SkipReason::StoreBehind, kSecond, t0 + i * 1s));
    }
    // Another source has its own minute.
    CHECK(skips.skipped("other", SkipReason::StoreBehind, kSecond, t0 + 30s));
    const auto next = skips.skipped("scrape", SkipReason::StoreBehind, kSecond, t0 + 60s);
    REQUIRE(next);
    CHECK_THAT(*next, Catch::Contains("(60 skipped since the last warning)"));
    CHECK_FALSE(skips.skipped("scrape", SkipReason::StillRunning, kSecond, t0 + 61s));
}

TEST_CASE("skip reasons have stable metric labels", "[backpressure]") {
    CHECK(std::string(skip_label(SkipReason::StoreBehind)) == "store_behind");
    CHECK(std::string(skip_label(SkipReason::StillRunning)) == "still_running");
    CHECK(std::string(skip_label(SkipReason::WorkersBusy)) == "workers_busy");
}

}  // namespace tocsin::app
