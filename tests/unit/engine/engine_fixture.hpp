#pragma once

#include "engine/engine.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

/// Builds LoadedConfig values in C++ and drives an Engine on a virtual clock, keeping a map of
/// persisted instances exactly as the store would (upserted, then removed).
namespace tocsin::engine::testing {

using namespace std::chrono_literals;

inline const TimePoint kStart = from_unix_ms(1'767'225'600'000);  // 2026-01-01T00:00:00Z

inline TimePoint at(Duration offset) {
    return kStart + offset;
}

inline Interval level(double v) {
    return Interval{v, v};
}

struct ConfigBuilder {
    LoadedConfig cfg;

    KpiDef& kpi(const std::string& name, std::optional<double> target = std::nullopt) {
        KpiDef k;
        k.name = name;
        k.source = "db";
        k.target = target;
        cfg.rules.kpis.push_back(k);
        return cfg.rules.kpis.back();
    }

    RuleDef& rule(const std::string& alert,
                  const std::string& kpi,
                  Comparison comparison,
                  std::optional<Interval> warning,
                  std::optional<Interval> critical) {
        RuleDef r;
        r.alert = alert;
        r.kpi = kpi;
        r.threshold.comparison = comparison;
        r.threshold.warning = warning;
        r.threshold.critical = critical;
        cfg.rules.rules.push_back(r);
        return cfg.rules.rules.back();
    }

    PolicyDef& policy(const std::string& name) {
        PolicyDef p;
        p.name = name;
        cfg.rules.policies.push_back(p);
        return cfg.rules.policies.back();
    }

    static void step(PolicyDef& p,
                     Duration after,
                     std::vector<std::string> notify,
                     std::optional<Severity> severity = std::nullopt) {
        PolicyStep s;
        s.after = after;
        s.notify = std::move(notify);
        s.severity = severity;
        p.steps.push_back(s);
    }

    void route(std::vector<LabelMatcher> match, const std::string& policy) {
        Route r;
        r.match = std::move(match);
        r.policy = policy;
        cfg.config.routes.push_back(r);
    }

    /// A copy the engine can keep; builder references are invalid for it.
    [[nodiscard]] std::shared_ptr<const LoadedConfig> build() const {
        return std::make_shared<const LoadedConfig>(cfg);
    }
};

struct Driver {
    Driver(std::shared_ptr<const LoadedConfig> loaded, TimePoint start = kStart)
        : engine(std::make_unique<Engine>(std::move(loaded), start)) {}

    std::unique_ptr<Engine> engine;
    std::vector<Notification> sent;
    std::map<std::string, AlertInstance> store;

    void apply(StepOutput out) {
        for (auto& n : out.notifications) {
            sent.push_back(std::move(n));
        }
        for (auto& i : out.upserted) {
            std::string key = instance_key(i.rule, i.fingerprint);
            store[key] = std::move(i);
        }
        for (const auto& key : out.removed) {
            store.erase(key);
        }
    }

    /// Runs every timer up to `t`, each at its own instant, as the daemon's loop would.
    void advance_to(TimePoint t) {
        while (auto next = engine->next_wakeup()) {
            if (*next > t) {
                break;
            }
            apply(engine->advance(*next));
        }
    }

    void sample(const std::string& kpi, double value, TimePoint t, Labels labels = {}) {
        advance_to(t);
        apply(engine->ingest({Sample{kpi, std::move(labels), value, t}}, t));
    }

    /// Simulates kill -9 and a restart at `t` with the same config: a new engine restored from
    /// the persisted instances.
    void restart(std::shared_ptr<const LoadedConfig> loaded, TimePoint t) {
        std::vector<AlertInstance> persisted;
        for (const auto& [key, inst] : store) {
            persisted.push_back(inst);
        }
        engine = std::make_unique<Engine>(std::move(loaded), t);
        apply(engine->restore(std::move(persisted), t));
    }

    std::vector<Notification> take() {
        std::vector<Notification> out;
        out.swap(sent);
        return out;
    }
};

}  // namespace tocsin::engine::testing
