#include "app/metrics.hpp"

#include "app/self_metrics.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <exposition.hpp>
#include <regex.hpp>
#include <string>
#include <thread>

namespace tocsin::app {
namespace {

/// The rendered text, parsed back with the exposition parser the scrape source uses.
exposition::Exposition parse_back(const std::string& text) {
    exposition::Exposition out;
    const auto error = exposition::parse(text, out);
    INFO(text);
    REQUIRE_FALSE(error);
    return out;
}

double series_value(const exposition::Exposition& e,
                    const std::string& name,
                    const exposition::Labels& labels = {}) {
    for (const auto& s : e.series) {
        if (s.name == name && s.labels == labels) {
            return s.value;
        }
    }
    FAIL("no series " << name);
    return 0;
}

}  // namespace

TEST_CASE("a counter renders HELP, TYPE and one line per label set", "[app][metrics]") {
    metrics::Registry r;
    auto& c = r.counter("jobs_total", "Jobs done", {"queue", "result"});
    c.inc({"mail", "ok"});
    c.inc({"mail", "ok"}, 2);
    c.inc({"sms", "failed"});
    CHECK(c.value({"mail", "ok"}) == 3);
    CHECK(r.render() ==
          "# HELP jobs_total Jobs done\n"
          "# TYPE jobs_total counter\n"
          "jobs_total{queue=\"mail\",result=\"ok\"} 3\n"
          "jobs_total{queue=\"sms\",result=\"failed\"} 1\n");
}

TEST_CASE("label values and help text are escaped as the text format requires", "[app][metrics]") {
    metrics::Registry r;
    auto& g = r.gauge("odd", "A help with \\ and a\nnewline", {"rule"});
    g.set({"say \"hi\"\\\nbye"}, 1.5);
    const auto text = r.render();
    CHECK_THAT(text, Catch::Contains("# HELP odd A help with \\\\ and a\\nnewline\n"));
    CHECK_THAT(text, Catch::Contains("odd{rule=\"say \\\"hi\\\"\\\\\\nbye\"} 1.5\n"));
    const auto parsed = parse_back(text);
    REQUIRE(parsed.series.size() == 1);
    CHECK(parsed.series[0].labels[0].second == "say \"hi\"\\\nbye");
    CHECK(parsed.families.at(0).help == "A help with \\ and a\nnewline");
}

TEST_CASE("values are written in the format's spelling", "[app][metrics]") {
    CHECK(metrics::format_value(3) == "3");
    CHECK(metrics::format_value(0.25) == "0.25");
    CHECK(metrics::format_value(1e21) == "1e+21");
    CHECK(metrics::format_value(std::nan("")) == "NaN");
    CHECK(metrics::format_value(HUGE_VAL) == "+Inf");
    CHECK(metrics::format_value(-HUGE_VAL) == "-Inf");
}

TEST_CASE("a histogram counts into cumulative buckets with sum and count", "[app][metrics]") {
    metrics::Registry r;
    auto& h = r.histogram("step_seconds", "Step time", {0.01, 0.1, 1});
    for (const double v : {0.005, 0.01, 0.05, 0.5, 7.0}) {
        h.observe(v);
    }
    CHECK(h.count() == 5);
    CHECK(h.sum() == Approx(7.565));
    const auto parsed = parse_back(r.render());
    CHECK(parsed.family("step_seconds")->type == "histogram");
    CHECK(series_value(parsed, "step_seconds_bucket", {{"le", "0.01"}}) == 2);  // le is inclusive
    CHECK(series_value(parsed, "step_seconds_bucket", {{"le", "0.1"}}) == 3);
    CHECK(series_value(parsed, "step_seconds_bucket", {{"le", "1"}}) == 4);
    CHECK(series_value(parsed, "step_seconds_bucket", {{"le", "+Inf"}}) == 5);
    CHECK(series_value(parsed, "step_seconds_count") == 5);
    CHECK(series_value(parsed, "step_seconds_sum") == Approx(7.565));
}

TEST_CASE("misuse of the registry is refused", "[app][metrics]") {
    metrics::Registry r;
    auto& c = r.counter("a_total", "A", {"x"});
    CHECK_THROWS_AS(c.inc({}), std::invalid_argument);         // wrong label count
    CHECK_THROWS_AS(c.inc({"v"}, -1), std::invalid_argument);  // counters only go up
    CHECK_THROWS_AS(r.gauge("a_total", "again"), std::invalid_argument);
    CHECK_THROWS_AS(r.gauge("bad-name", "x"), std::invalid_argument);
    CHECK_THROWS_AS(r.gauge("1st", "x"), std::invalid_argument);
    CHECK_THROWS_AS(r.gauge("", "x"), std::invalid_argument);
    CHECK_NOTHROW(r.gauge("job:ok_9", "x"));
    CHECK_THROWS_AS(r.gauge("ok_name", "x", {"__reserved"}), std::invalid_argument);
    CHECK_THROWS_AS(r.histogram("h", "x", {1, 1}), std::invalid_argument);
}

TEST_CASE("a gauge replaced at once drops the series it no longer has", "[app][metrics]") {
    metrics::Registry r;
    auto& g = r.gauge("alerts", "A", {"state"});
    g.replace({{{"firing"}, 2}, {{"pending"}, 1}});
    g.replace({{{"firing"}, 1}});
    CHECK(r.render() == "# HELP alerts A\n# TYPE alerts gauge\nalerts{state=\"firing\"} 1\n");
}

TEST_CASE("counters stay exact when many threads count at once", "[app][metrics]") {
    metrics::Registry r;
    auto& c = r.counter("hits_total", "Hits", {"t"});
    auto& h = r.histogram("lat", "Latency", {1});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 10000; ++i) {
                c.inc({t % 2 == 0 ? "even" : "odd"});
                h.observe(0.5);
                (void)r.render();
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    CHECK(c.value({"even"}) == 20000);
    CHECK(c.value({"odd"}) == 20000);
    CHECK(h.count() == 40000);
}

TEST_CASE("tocsin's own metrics parse and count engine steps", "[app][metrics]") {
    SelfMetrics m("1.2.3", engine::from_unix_ms(1700000000500));
    engine::LoadedConfig loaded;
    loaded.config.sources.push_back(engine::PluginInstanceConfig{});
    loaded.config.sources.back().name = "db";
    loaded.config.notifiers.push_back(engine::PluginInstanceConfig{});
    loaded.config.notifiers.back().name = "slack";
    m.configure(loaded);

    engine::StepOutput out;
    out.derived.push_back(engine::Sample{"ratio", {}, 0.5, {}});
    out.rule_errors.push_back(engine::RuleError{"Ratio", "rule 'Ratio' > lua", {}, "boom", false});
    out.rule_errors.push_back(engine::RuleError{"Ratio", "rule 'Ratio' > lua", {}, "slow", true});
    const std::vector<engine::Sample> samples{{"orders", {}, 1, {}},
                                              {"orders", {{"shop", "b"}}, 2, {}},
                                              {"tocsin_source_up", {{"source", "db"}}, 1, {}}};
    m.observe_step(samples, out, {{"orders", 2}, {"ratio", 1}, {"tocsin_source_up", 1}});
    m.notification("slack", kNotifyFailed);
    m.notification("slack", kNotifyRetried);

    engine::AlertInstance firing;
    firing.state = engine::AlertState::Firing;
    firing.severity = engine::Severity::Critical;
    m.set_alerts({firing, firing});

    const auto parsed = parse_back(m.render());
    CHECK(series_value(parsed, "tocsin_build_info", {{"version", "1.2.3"}}) == 1);
    CHECK(series_value(parsed, "tocsin_start_time_seconds") == Approx(1700000000.5));
    CHECK(series_value(parsed, "tocsin_rule_evaluations_total") == 2 * 2 + 1 + 1);
    CHECK(series_value(parsed, "tocsin_samples_ingested_total") == 2);  // not the health sample
    CHECK(series_value(parsed, "tocsin_rule_errors_total", {{"rule", "Ratio"}}) == 2);
    CHECK(series_value(parsed, "tocsin_lua_budget_hits_total") == 1);
    CHECK(series_value(parsed, "tocsin_alerts", {{"state", "firing"}, {"severity", "critical"}}) ==
          2);
    CHECK(series_value(parsed, "tocsin_alerts", {{"state", "pending"}, {"severity", "warning"}}) ==
          0);
    CHECK(series_value(parsed,
                       "tocsin_notifications_total",
                       {{"notifier", "slack"}, {"result", "retried"}}) == 1);
    CHECK(series_value(parsed,
                       "tocsin_notifications_total",
                       {{"notifier", "slack"}, {"result", "sent"}}) == 0);  // declared up front
    CHECK(series_value(parsed, "tocsin_source_errors_total", {{"source", "db"}}) == 0);
    CHECK(series_value(parsed, "tocsin_reloads_total", {{"result", "refused"}}) == 0);
    for (const auto& f : parsed.families) {
        CHECK_FALSE(f.type.empty());
        CHECK_FALSE(f.help.empty());
    }
}

TEST_CASE("regex matches that gave up are exported as a counter", "[app][metrics]") {
    SelfMetrics m("1.2.3", engine::from_unix_ms(1700000000500));
    m.sync_regex_limit_hits();
    const double before = series_value(parse_back(m.render()), "tocsin_regex_limit_hits_total");
    CHECK(before == static_cast<double>(exposition::regex_limit_hits()));
    std::string why;
    const auto re = exposition::Regex::compile("(a|a)*b", why);
    REQUIRE(re.has_value());
    CHECK(re->match(std::string(30, 'a')) == exposition::RegexMatch::LimitExceeded);
    CHECK(re->match(std::string(31, 'a')) == exposition::RegexMatch::LimitExceeded);
    m.sync_regex_limit_hits();
    m.sync_regex_limit_hits();  // idempotent: follows the process-wide count
    CHECK(series_value(parse_back(m.render()), "tocsin_regex_limit_hits_total") == before + 2);
}

}  // namespace tocsin::app
