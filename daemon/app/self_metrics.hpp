#pragma once

#include "app/metrics.hpp"
#include "engine/engine.hpp"
#include "engine/time.hpp"

#include <string>
#include <unordered_map>
#include <vector>

/// tocsin's own metrics, served at GET /metrics. The names are a contract with the operators'
/// dashboards and with rules/tocsin: keep them stable (docs/operators.md lists them).
namespace tocsin::app {

/// Results a notification attempt is counted under in tocsin_notifications_total. Every failed
/// attempt counts as `failed` and then as exactly one of retried, rerouted or dead.
inline constexpr const char* kNotifySent = "sent";
inline constexpr const char* kNotifyFailed = "failed";
inline constexpr const char* kNotifyRetried = "retried";
inline constexpr const char* kNotifyDead = "dead";
inline constexpr const char* kNotifyRerouted = "rerouted";

class SelfMetrics {
public:
    SelfMetrics(const std::string& version, engine::TimePoint started_at);
    SelfMetrics(const SelfMetrics&) = delete;
    SelfMetrics& operator=(const SelfMetrics&) = delete;

    /// Declares the series of a configuration (sources, notifiers) at 0, so a counter exists
    /// before its first event and rate() sees its first increase.
    void configure(const engine::LoadedConfig& loaded);

    /// Counts what one engine step did: samples evaluated (collected, pushed, derived) and the
    /// rules they triggered, and the Lua failures. `kpi_rules` gives the rules per KPI.
    void observe_step(const std::vector<engine::Sample>& samples,
                      const engine::StepOutput& out,
                      const std::unordered_map<std::string, std::size_t>& kpi_rules);

    /// One notification attempt's result (kNotify*) for `notifier`.
    void notification(const std::string& notifier, const char* result);

    /// The alerts gauge from the engine's instances: every state x severity pair is exported.
    void set_alerts(const std::vector<engine::AlertInstance>& instances);

    [[nodiscard]] std::string render() const { return registry_.render(); }

private:
    metrics::Registry registry_;

public:
    // Families, in the order they are rendered.
    metrics::Gauge& build_info;
    metrics::Gauge& start_time;
    metrics::Counter& rule_evaluations;
    metrics::Histogram& step_duration;
    metrics::Gauge& alerts;
    metrics::Counter& notifications;
    metrics::Gauge& outbox_depth;
    metrics::Gauge& outbox_oldest_age;
    metrics::Gauge& outbox_dead_letters;
    metrics::Counter& source_collections;
    metrics::Counter& source_errors;
    metrics::Counter& source_skips;
    metrics::Gauge& source_up;
    metrics::Counter& lua_budget_hits;
    metrics::Counter& rule_errors;
    metrics::Counter& reloads;
    metrics::Gauge& last_reload_successful;
    metrics::Counter& samples_ingested;
    metrics::Gauge& store_up;
    metrics::Counter& store_write_failures;
    metrics::Counter& regex_limit_hits;

    /// Brings tocsin_regex_limit_hits_total up to the process-wide count (exposition::Regex
    /// keeps it, as matching happens in the engine, the API and the push endpoint alike).
    void sync_regex_limit_hits();
};

}  // namespace tocsin::app
