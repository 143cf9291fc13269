#include "app/report_message.hpp"

#include "app/message.hpp"
#include "app/notification_json.hpp"
#include "app/reports.hpp"
#include "engine/format.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

namespace tocsin::app {
namespace {

engine::ReportLine line(std::string kpi, std::optional<double> value, engine::Unit unit) {
    engine::ReportLine l;
    l.kpi = std::move(kpi);
    l.value = value;
    l.unit_kind = unit;
    l.unit = engine::unit_name(unit);
    l.at = engine::from_unix_ms(1772437800000);  // 2026-03-02T07:50:00Z
    return l;
}

engine::Notification report_notification() {
    engine::Notification n;
    n.id = "report-growth-daily-1772438400000/growth-hook";
    n.notifier = "growth-hook";
    n.kind = engine::NotificationKind::Report;
    n.at = engine::from_unix_ms(1772438401000);
    n.starts_at = engine::from_unix_ms(1772438400000);  // 2026-03-02T08:00:00Z
    n.alert = "growth-daily";
    n.report = "growth-daily";
    n.report_title = "Growth KPIs";
    auto rate = line("activation_rate", 0.35, engine::Unit::Percent);
    rate.target = 0.40;
    rate.previous = 0.33;
    auto pro = line("signups", 40, engine::Unit::Count);
    pro.labels = {{"plan", "pro"}};
    pro.previous = 52;
    pro.severity = engine::Severity::Critical;
    pro.alert = "SignupsLow";
    auto free = line("signups", 900, engine::Unit::Count);
    free.labels = {{"plan", "free"}};
    free.previous = 900;
    auto churn = line("churn", std::nullopt, engine::Unit::Percent);
    auto stale = line("mrr", 1200, engine::Unit::Money);
    stale.stale = true;
    stale.severity = engine::Severity::Warning;
    n.report_lines = {rate, free, pro, churn, stale};
    return n;
}

std::string str(const boost::json::value& v) {
    return std::string(v.as_string());
}

}  // namespace

TEST_CASE("a report message has a line per KPI with status and trend", "[app][report]") {
    const auto m = compose_message(report_notification(), "");
    CHECK(m.title == "Growth KPIs: 1 critical, 1 stale, 1 no data, 2 ok");
    INFO(m.text);
    CHECK_THAT(m.text,
               Catch::StartsWith("Growth KPIs (report 'growth-daily', scheduled for "
                                 "2026-03-02T08:00:00Z)\n"));
    CHECK_THAT(m.text,
               Catch::Contains("activation_rate: 35.0% (target 40.0%), ok, \u2191 +2.0 pp since "
                               "the last report (33.0%)\n"));
    CHECK_THAT(m.text,
               Catch::Contains("signups{plan=free}: 900, ok, \u2192 unchanged since the last "
                               "report\n"));
    CHECK_THAT(
        m.text,
        Catch::Contains("\U0001F534 signups{plan=pro}: 40, critical (SignupsLow), \u2193 -12 "
                        "since the last report (52)\n"));
    CHECK_THAT(m.text, Catch::Contains("churn: no data\n"));
    CHECK_THAT(m.text, Catch::Contains("mrr: 1,200.00, stale"));
    CHECK(m.short_text ==
          "Growth KPIs: activation_rate 35.0% ok; signups{plan=free} 900 ok; signups{plan=pro} 40 "
          "critical; churn no data no data; mrr 1,200.00 stale");
}

TEST_CASE("a long report's short text is cut to the SMS limit", "[app][report]") {
    auto n = report_notification();
    for (int i = 0; i < 40; ++i) {
        n.report_lines.push_back(line("kpi_" + std::to_string(i), i, engine::Unit::Count));
    }
    const auto m = compose_message(n, "");
    CHECK(m.short_text.size() == kShortLimit);
}

TEST_CASE("a report renders as JSON with a report object and no alerts", "[app][report]") {
    const auto root =
        boost::json::parse(render_notification_json(report_notification(), "http://x")).as_object();
    CHECK(str(root.at("kind")) == "report");
    CHECK(str(root.at("status")) == "report");
    CHECK(str(root.at("id")) == "report-growth-daily-1772438400000/growth-hook");
    CHECK(root.at("alerts").as_array().empty());
    CHECK(str(root.at("message").at("title")) ==
          "Growth KPIs: 1 critical, 1 stale, 1 no data, 2 ok");
    const auto& report = root.at("report").as_object();
    CHECK(str(report.at("name")) == "growth-daily");
    CHECK(str(report.at("title")) == "Growth KPIs");
    CHECK(str(report.at("scheduled_at")) == "2026-03-02T08:00:00Z");
    const auto& lines = report.at("lines").as_array();
    REQUIRE(lines.size() == 5);
    const auto& rate = lines.at(0).as_object();
    CHECK(str(rate.at("kpi")) == "activation_rate");
    CHECK(rate.at("value").as_double() == Approx(0.35));
    CHECK(rate.at("target").as_double() == Approx(0.40));
    CHECK(rate.at("previous").as_double() == Approx(0.33));
    CHECK(str(rate.at("unit")) == "percent");
    CHECK(str(rate.at("status")) == "ok");
    CHECK(str(rate.at("sampled_at")) == "2026-03-02T07:50:00Z");
    const auto& pro = lines.at(2).as_object();
    CHECK(str(pro.at("labels").at("plan")) == "pro");
    CHECK(str(pro.at("status")) == "critical");
    CHECK(str(pro.at("alert")) == "SignupsLow");
    const auto& churn = lines.at(3).as_object();
    CHECK(churn.at("value").is_null());
    CHECK(churn.at("target").is_null());
    CHECK(str(churn.at("status")) == "no data");
    CHECK(str(lines.at(4).at("status")) == "stale");
}

TEST_CASE("a report run is one batch of outbox items and its meta record", "[app][report]") {
    const auto n = report_notification();
    engine::ReportRun run{n.starts_at, n.at, {{"activation_rate", {}, 0.35}}};
    const auto batch = report_batch({n}, "growth-daily", run, "");
    REQUIRE(batch.outbox.size() == 1);
    CHECK(batch.outbox[0].id == n.id);
    CHECK(batch.outbox[0].kind == "report");
    CHECK(batch.outbox[0].alert == "growth-daily");
    CHECK(batch.outbox[0].next_attempt_at == n.at);
    REQUIRE(batch.meta.size() == 1);
    CHECK(batch.meta[0].first == "report:growth-daily");
    const auto decoded = engine::decode_report_run(batch.meta[0].second);
    REQUIRE(decoded.has_value());
    CHECK(decoded->scheduled == n.starts_at);
    CHECK(decoded->values.at(0).value == Approx(0.35));
}

}  // namespace tocsin::app
