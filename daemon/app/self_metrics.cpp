#include "app/self_metrics.hpp"

#include "app/checked_config.hpp"
#include "app/collection_skips.hpp"

#include <regex.hpp>

namespace tocsin::app {

SelfMetrics::SelfMetrics(const std::string& version, engine::TimePoint started_at)
    : build_info(registry_.gauge(
          "tocsin_build_info", "Always 1; the label carries the running version", {"version"})),
      start_time(registry_.gauge("tocsin_start_time_seconds",
                                 "Start time of the process since the Unix epoch in seconds")),
      rule_evaluations(
          registry_.counter("tocsin_rule_evaluations_total",
                            "Rule evaluations: one per rule for each sample of its KPI")),
      step_duration(registry_.histogram(
          "tocsin_engine_step_duration_seconds",
          "Time the rule engine took per step (a batch of samples, or its timers)",
          {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1})),
      alerts(registry_.gauge(
          "tocsin_alerts", "Alert instances by state and severity", {"state", "severity"})),
      notifications(registry_.counter("tocsin_notifications_total",
                                      "Notification attempts by notifier and result (every "
                                      "failed attempt is also retried, rerouted or dead)",
                                      {"notifier", "result"})),
      outbox_depth(
          registry_.gauge("tocsin_outbox_depth", "Notifications waiting in the outbox to be sent")),
      outbox_oldest_age(
          registry_.gauge("tocsin_outbox_oldest_age_seconds",
                          "Age of the oldest notification waiting in the outbox; 0 when empty")),
      outbox_dead_letters(registry_.gauge("tocsin_outbox_dead_letters",
                                          "Notifications given up on, kept in the outbox")),
      source_collections(registry_.counter(
          "tocsin_source_collections_total", "Collections run by source instance", {"source"})),
      source_errors(registry_.counter(
          "tocsin_source_errors_total", "Collections that failed by source instance", {"source"})),
      source_skips(registry_.counter("tocsin_source_collections_skipped_total",
                                     "Due collections skipped by source instance and reason: "
                                     "store_behind, still_running or workers_busy",
                                     {"source", "reason"})),
      source_up(
          registry_.gauge("tocsin_source_up",
                          "1 while a source collects, 0 once it has failed for its down_after",
                          {"source"})),
      lua_budget_hits(registry_.counter(
          "tocsin_lua_budget_hits_total",
          "Lua runs stopped by the sandbox's instruction, time or memory budget")),
      rule_errors(registry_.counter("tocsin_rule_errors_total",
                                    "Lua failures by rule or derived KPI (budget hits included)",
                                    {"rule"})),
      reloads(registry_.counter(
          "tocsin_reloads_total", "Reloads by result: ok or refused", {"result"})),
      last_reload_successful(
          registry_.gauge("tocsin_last_reload_successful", "1 unless the last reload was refused")),
      samples_ingested(registry_.counter(
          "tocsin_samples_ingested_total",
          "Samples collected or pushed and handed to the rule engine (derived KPIs excluded)")),
      store_up(registry_.gauge(
          "tocsin_store_up",
          "1 while the state database can be written, 0 while writes fail (steps wait in memory)")),
      store_write_failures(registry_.counter("tocsin_store_write_failures_total",
                                             "Writes to the state database that failed")),
      regex_limit_hits(registry_.counter(
          "tocsin_regex_limit_hits_total",
          "Regex matches (label matchers, routes, silences, pushed selectors) given up for "
          "exceeding the work limit; the matcher did not hold")) {
    build_info.set({version}, 1);
    start_time.set(static_cast<double>(engine::to_unix_ms(started_at)) / 1000.0);
    reloads.touch({"ok"});
    reloads.touch({"refused"});
    last_reload_successful.set(1);
    lua_budget_hits.touch();
    rule_evaluations.touch();
    samples_ingested.touch();
    store_up.set(1);
    store_write_failures.touch();
    regex_limit_hits.touch();
    outbox_depth.set(0);
    outbox_oldest_age.set(0);
    outbox_dead_letters.set(0);
    set_alerts({});
}

void SelfMetrics::configure(const engine::LoadedConfig& loaded) {
    for (const auto& s : loaded.config.sources) {
        source_collections.touch({s.name});
        source_errors.touch({s.name});
        for (const auto reason :
             {SkipReason::StoreBehind, SkipReason::StillRunning, SkipReason::WorkersBusy}) {
            source_skips.touch({s.name, skip_label(reason)});
        }
    }
    for (const auto& n : loaded.config.notifiers) {
        for (const char* result :
             {kNotifySent, kNotifyFailed, kNotifyRetried, kNotifyDead, kNotifyRerouted}) {
            notifications.touch({n.name, result});
        }
    }
}

void SelfMetrics::observe_step(const std::vector<engine::Sample>& samples,
                               const engine::StepOutput& out,
                               const std::unordered_map<std::string, std::size_t>& kpi_rules) {
    std::size_t evaluations = 0;
    std::size_t ingested = 0;
    const auto count = [&](const engine::Sample& s) {
        auto it = kpi_rules.find(s.kpi);
        if (it != kpi_rules.end()) {
            evaluations += it->second;
        }
    };
    for (const auto& s : samples) {
        count(s);
        ingested += s.kpi != kSourceUpKpi ? 1 : 0;  // the daemon's own health sample
    }
    for (const auto& s : out.derived) {
        count(s);
    }
    if (evaluations > 0) {
        rule_evaluations.inc({}, static_cast<double>(evaluations));
    }
    if (ingested > 0) {
        samples_ingested.inc({}, static_cast<double>(ingested));
    }
    for (const auto& e : out.rule_errors) {
        rule_errors.inc({e.item});
        if (e.limit) {
            lua_budget_hits.inc();
        }
    }
}

void SelfMetrics::notification(const std::string& notifier, const char* result) {
    notifications.inc({notifier, result});
}

void SelfMetrics::set_alerts(const std::vector<engine::AlertInstance>& instances) {
    std::map<metrics::LabelValues, double> values;
    for (const char* state : {"pending", "firing"}) {
        for (const char* severity : {"warning", "critical"}) {
            values[{state, severity}] = 0;
        }
    }
    for (const auto& a : instances) {
        if (a.severity == engine::Severity::None) {
            continue;
        }
        values[{engine::to_string(a.state), engine::to_string(a.severity)}] += 1;
    }
    alerts.replace(std::move(values));
}

void SelfMetrics::sync_regex_limit_hits() {
    const auto total = static_cast<double>(exposition::regex_limit_hits());
    const double shown = regex_limit_hits.value();
    if (total > shown) {
        regex_limit_hits.inc({}, total - shown);
    }
}

}  // namespace tocsin::app
