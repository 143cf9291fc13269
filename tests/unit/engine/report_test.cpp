#include "engine/report.hpp"

#include "calendar_fixture.hpp"

#include <catch2/catch.hpp>

using namespace tocsin::engine;
using tocsin::engine::testing::at;

namespace {

ReportDef report_def(const std::string& schedule_text = "0 9 * * mon-fri") {
    ReportDef def;
    def.name = "growth-daily";
    std::string why;
    auto spec = parse_cron(schedule_text, why);
    INFO(why);
    REQUIRE(spec.has_value());
    def.schedule = *spec;
    def.timezone = "Europe/Berlin";
    def.kpis = {"activation_rate", "signups", "churn"};
    def.notify = {"growth-slack", "leads-email"};
    def.title = "Growth KPIs";
    return def;
}

RuleSet rule_set() {
    RuleSet rules;
    KpiDef rate;
    rate.name = "activation_rate";
    rate.unit = Unit::Percent;
    rate.unit_text = "percent";
    rate.target = 0.40;
    KpiDef signups;
    signups.name = "signups";
    signups.unit = Unit::Count;
    signups.unit_text = "count";
    KpiDef churn;
    churn.name = "churn";
    rules.kpis = {rate, signups, churn};
    return rules;
}

AlertInstance firing(const std::string& rule,
                     const std::string& kpi,
                     Labels labels,
                     Severity severity,
                     bool nodata = false) {
    AlertInstance a;
    a.rule = rule;
    a.kpi = kpi;
    a.series_labels = std::move(labels);
    a.state = AlertState::Firing;
    a.severity = severity;
    a.nodata = nodata;
    return a;
}

}  // namespace

TEST_CASE("report lines carry value, target, status and the previous value", "[report]") {
    const auto def = report_def();
    const auto rules = rule_set();
    const TimePoint t = at("2026-03-02T08:00:00Z");
    const std::vector<Sample> latest{
        {"activation_rate", {}, 0.25, t},
        {"signups", {{"plan", "pro"}}, 40, t},
        {"signups", {{"plan", "free"}}, 900, t},
        {"other", {}, 1, t},
    };
    std::vector<AlertInstance> instances{
        firing("ActivationRateLow", "activation_rate", {}, Severity::Warning),
        firing("ActivationRateVeryLow", "activation_rate", {}, Severity::Critical),
        firing("SignupsStale", "signups", {{"plan", "pro"}}, Severity::Warning, true),
    };
    AlertInstance pending = firing("SignupsLow", "signups", {{"plan", "free"}}, Severity::Critical);
    pending.state = AlertState::Pending;
    instances.push_back(pending);
    const std::vector<ReportValue> previous{{"activation_rate", {}, 0.31},
                                            {"signups", {{"plan", "free"}}, 800}};

    const auto lines = build_report_lines(def, rules, latest, instances, previous);
    REQUIRE(lines.size() == 4);
    // KPIs in the order written; series of a labelled KPI sorted by labels.
    CHECK(lines[0].kpi == "activation_rate");
    CHECK(lines[0].value == Approx(0.25));
    CHECK(lines[0].target == Approx(0.40));
    CHECK(lines[0].unit == "percent");
    CHECK(lines[0].unit_kind == Unit::Percent);
    CHECK(lines[0].severity == Severity::Critical);  // the most severe firing alert
    CHECK(lines[0].alert == "ActivationRateVeryLow");
    CHECK(lines[0].previous == Approx(0.31));
    CHECK(lines[0].at == t);
    CHECK(lines[1].labels == Labels{{"plan", "free"}});
    CHECK(lines[1].severity == Severity::None);  // pending alerts do not count
    CHECK(lines[1].previous == Approx(800));
    CHECK(lines[2].labels == Labels{{"plan", "pro"}});
    CHECK(lines[2].stale);
    CHECK_FALSE(lines[2].previous.has_value());
    // A KPI without any sample still gets a line, without a value.
    CHECK(lines[3].kpi == "churn");
    CHECK_FALSE(lines[3].value.has_value());
    CHECK(lines[3].severity == Severity::None);
}

TEST_CASE("a nodata alert on a KPI that never reported marks its line stale", "[report]") {
    const auto def = report_def();
    const std::vector<AlertInstance> instances{
        firing("ChurnMissing", "churn", {}, Severity::Critical, true)};
    const auto lines = build_report_lines(def, rule_set(), {}, instances, {});
    REQUIRE(lines.size() == 3);
    CHECK(lines[2].stale);
    CHECK(lines[2].severity == Severity::Critical);
    CHECK_FALSE(lines[0].stale);
}

TEST_CASE("a report makes one notification per notifier with a stable id", "[report]") {
    const auto def = report_def();
    const TimePoint scheduled = at("2026-03-02T08:00:00Z");
    const auto lines =
        build_report_lines(def, rule_set(), {{"activation_rate", {}, 0.5, scheduled}}, {}, {});
    const auto out = build_report(def, lines, scheduled, scheduled + std::chrono::seconds(2));
    REQUIRE(out.size() == 2);
    CHECK(out[0].id == "report-growth-daily-1772438400000/growth-slack");
    CHECK(out[1].id == "report-growth-daily-1772438400000/leads-email");
    CHECK(out[0].kind == NotificationKind::Report);
    CHECK(out[0].notifier == "growth-slack");
    CHECK(out[0].report == "growth-daily");
    CHECK(out[0].report_title == "Growth KPIs");
    CHECK(out[0].starts_at == scheduled);
    CHECK(out[0].report_lines.size() == 3);
    // Building it again (a restart) gives the same ids, which the outbox keeps only once.
    CHECK(build_report(def, lines, scheduled, scheduled + std::chrono::minutes(5))[1].id ==
          out[1].id);
}

TEST_CASE("report values keep the last seen value of a series without data", "[report]") {
    std::vector<ReportLine> lines(2);
    lines[0].kpi = "a";
    lines[0].value = 3;
    lines[1].kpi = "b";
    const auto values = report_values(lines, {{"b", {}, 7}, {"gone", {}, 1}});
    REQUIRE(values.size() == 2);
    CHECK(values[0].kpi == "a");
    CHECK(values[0].value == 3);
    CHECK(values[1].kpi == "b");
    CHECK(values[1].value == 7);
}

TEST_CASE("a report run survives its JSON encoding", "[report]") {
    ReportRun run;
    run.scheduled = at("2026-03-02T08:00:00Z");
    run.sent_at = at("2026-03-02T08:00:01.500Z");
    run.values = {{"signups", {{"plan", "pro"}}, 40.5}, {"activation_rate", {}, 0.25}};
    const auto decoded = decode_report_run(encode_report_run(run));
    REQUIRE(decoded.has_value());
    CHECK(decoded->scheduled == run.scheduled);
    CHECK(decoded->sent_at == run.sent_at);
    REQUIRE(decoded->values.size() == 2);
    CHECK(decoded->values[0].labels == Labels{{"plan", "pro"}});
    CHECK(decoded->values[0].value == 40.5);
    CHECK_FALSE(decode_report_run("not json").has_value());
    CHECK_FALSE(decode_report_run(R"({"values": []})").has_value());
    CHECK(report_meta_key("growth-daily") == "report:growth-daily");
}

TEST_CASE("a report is next due at its cron instant in its zone across DST", "[report][schedule]") {
    // 09:00 Berlin on weekdays: 08:00Z in winter, 07:00Z in summer. Berlin moves to CEST on
    // Sunday 29 March 2026 and back on Sunday 25 October 2026.
    const auto schedule = report_schedule(report_def(), "UTC");
    CHECK(schedule.zone().name() == "Europe/Berlin");
    auto plan = plan_report(schedule, at("2026-03-27T08:00:00Z"), at("2026-03-27T12:00:00Z"));
    CHECK_FALSE(plan.due_now.has_value());
    CHECK(plan.next == at("2026-03-30T07:00:00Z"));  // Monday after the change: CEST
    plan = plan_report(schedule, at("2026-10-23T07:00:00Z"), at("2026-10-23T12:00:00Z"));
    CHECK(plan.next == at("2026-10-26T08:00:00Z"));  // Monday after the change back: CET
    // A report without a zone takes the config's, else UTC.
    auto def = report_def();
    def.timezone.clear();
    CHECK(report_schedule(def, "America/New_York").zone().name() == "America/New_York");
    CHECK(report_schedule(def, "").zone().name() == "UTC");
}

TEST_CASE("a run missed while down is sent once if less than an hour late", "[report][schedule]") {
    const auto schedule = report_schedule(report_def(), "UTC");
    const TimePoint last = at("2026-03-02T08:00:00Z");  // Monday's run
    SECTION("ten minutes late: sent now, for its own instant") {
        const auto plan = plan_report(schedule, last, at("2026-03-03T08:10:00Z"));
        REQUIRE(plan.due_now.has_value());
        CHECK(*plan.due_now == at("2026-03-03T08:00:00Z"));
        CHECK_FALSE(plan.skipped.has_value());
        CHECK(plan.next == at("2026-03-04T08:00:00Z"));
        // Once it ran, the same instant is never due again.
        const auto again = plan_report(schedule, *plan.due_now, at("2026-03-03T08:11:00Z"));
        CHECK_FALSE(again.due_now.has_value());
    }
    SECTION("due exactly now: sent") {
        const auto plan = plan_report(schedule, last, at("2026-03-03T08:00:00Z"));
        CHECK(plan.due_now == at("2026-03-03T08:00:00Z"));
    }
    SECTION("an hour late or more: skipped and logged") {
        const auto plan = plan_report(schedule, last, at("2026-03-03T09:00:00Z"));
        CHECK_FALSE(plan.due_now.has_value());
        CHECK(plan.skipped == at("2026-03-03T08:00:00Z"));
        CHECK(plan.next == at("2026-03-04T08:00:00Z"));
    }
    SECTION("down for days: only the latest instant may go out") {
        const auto plan = plan_report(schedule, last, at("2026-03-05T08:30:00Z"));
        CHECK(plan.due_now == at("2026-03-05T08:00:00Z"));
        CHECK(plan.skipped == at("2026-03-03T08:00:00Z"));
    }
    SECTION("never ran: the first run is the next instant") {
        const auto plan = plan_report(schedule, std::nullopt, at("2026-03-03T08:10:00Z"));
        CHECK_FALSE(plan.due_now.has_value());
        CHECK_FALSE(plan.skipped.has_value());
        CHECK(plan.next == at("2026-03-04T08:00:00Z"));
    }
}

TEST_CASE("a frequent report down for a month plans quickly", "[report][schedule]") {
    const auto schedule = report_schedule(report_def("* * * * *"), "UTC");
    const auto plan = plan_report(schedule, at("2026-01-01T00:00:00Z"), at("2026-02-01T00:00:30Z"));
    CHECK(plan.due_now == at("2026-02-01T00:00:00Z"));
    CHECK(plan.skipped == at("2026-01-01T00:01:00Z"));
    CHECK(plan.next == at("2026-02-01T00:01:00Z"));
}
