#include "app/reports.hpp"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

namespace tocsin::app {
namespace {

engine::TimePoint at(const char* text) {
    return *engine::parse_rfc3339(text);
}

std::shared_ptr<engine::LoadedConfig> config_with(const std::string& schedule) {
    auto loaded = std::make_shared<engine::LoadedConfig>();
    loaded->config.timezone = "Europe/Berlin";
    engine::KpiDef kpi;
    kpi.name = "signups";
    loaded->rules.kpis.push_back(kpi);
    engine::ReportDef def;
    def.name = "daily";
    std::string why;
    def.schedule = *engine::parse_cron(schedule, why);
    def.kpis = {"signups"};
    def.notify = {"slack", "mail"};
    loaded->rules.reports.push_back(def);
    return loaded;
}

/// A runner on a loop that never runs: start() and reload() plan synchronously, which is all
/// these tests look at; the timer's waits are the daemon's business.
struct Runner {
    boost::asio::io_context loop;
    engine::TimePoint now = at("2026-03-03T08:10:00Z");  // Tuesday 09:10 in Berlin
    double value = 12;
    std::vector<store::Batch> submitted;
    ReportRunner runner{loop,
                        [this] {
                            return ReportInputs{{engine::Sample{"signups", {}, value, now}}, {}};
                        },
                        [this](store::Batch b) { submitted.push_back(std::move(b)); },
                        [this] { return now; }};
};

}  // namespace

TEST_CASE("the runner sends a run missed at start-up once and records it", "[app][report]") {
    Runner r;
    std::map<std::string, engine::ReportRun> stored;
    stored["daily"] = {
        at("2026-03-02T08:00:00Z"), at("2026-03-02T08:00:01Z"), {{"signups", {}, 10}}};
    r.runner.start(config_with("0 9 * * *"), stored, "");
    REQUIRE(r.submitted.size() == 1);
    const auto& batch = r.submitted[0];
    REQUIRE(batch.outbox.size() == 2);
    CHECK(batch.outbox[0].id == "report-daily-1772524800000/slack");  // 2026-03-03T08:00:00Z
    CHECK(batch.outbox[1].notifier == "mail");
    REQUIRE(batch.meta.size() == 1);
    const auto run = engine::decode_report_run(batch.meta[0].second);
    REQUIRE(run.has_value());
    CHECK(run->scheduled == at("2026-03-03T08:00:00Z"));
    CHECK(run->values.at(0).value == 12);
    CHECK_THAT(batch.outbox[0].payload_json, Catch::Contains(R"("previous":1E1)"));
    CHECK(r.runner.next_due() == at("2026-03-04T08:00:00Z"));

    // A reload with the same schedule keeps the run: nothing is sent again.
    r.runner.reload(config_with("0 9 * * *"), "");
    CHECK(r.submitted.size() == 1);
    CHECK(r.runner.next_due() == at("2026-03-04T08:00:00Z"));
}

TEST_CASE("the runner skips a run more than an hour late and starts new reports now",
          "[app][report]") {
    Runner r;
    r.now = at("2026-03-03T09:30:00Z");
    std::map<std::string, engine::ReportRun> stored;
    stored["daily"] = {at("2026-03-02T08:00:00Z"), at("2026-03-02T08:00:01Z"), {}};
    r.runner.start(config_with("0 9 * * *"), stored, "");
    CHECK(r.submitted.empty());
    CHECK(r.runner.next_due() == at("2026-03-04T08:00:00Z"));

    Runner fresh;
    fresh.runner.start(config_with("0 9 * * *"), {}, "");
    CHECK(fresh.submitted.empty());
    CHECK(fresh.runner.next_due() == at("2026-03-04T08:00:00Z"));
}

TEST_CASE("a reload that reschedules a report starts it afresh", "[app][report]") {
    Runner r;
    r.runner.start(config_with("0 9 * * *"), {}, "");
    CHECK(r.runner.next_due() == at("2026-03-04T08:00:00Z"));
    // 08:00 Berlin already passed today (07:00Z); a changed schedule does not count as missed.
    r.runner.reload(config_with("0 8 * * *"), "");
    CHECK(r.submitted.empty());
    CHECK(r.runner.next_due() == at("2026-03-04T07:00:00Z"));
    r.runner.reload(std::make_shared<engine::LoadedConfig>(), "");
    CHECK_FALSE(r.runner.next_due().has_value());
}

}  // namespace tocsin::app
