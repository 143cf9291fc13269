#include "app/ops_routes.hpp"

#include "app/checked_config.hpp"
#include "app/rule_activity.hpp"
#include "app/self_metrics.hpp"
#include "engine/routing.hpp"
#include "store/store.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <map>
#include <set>

namespace tocsin::app {
namespace json = boost::json;
using api::Reply;
using api::Request;
using engine::TimePoint;

namespace {

TimePoint wall_now() {
    return std::chrono::time_point_cast<engine::Duration>(std::chrono::system_clock::now());
}

json::value time_or_null(const std::optional<TimePoint>& t) {
    return t ? json::value(engine::format_rfc3339(*t)) : json::value(nullptr);
}

/// The items whose TocsinRuleError alert is pending or firing now.
std::set<std::string> failing_items(const engine::Engine& engine) {
    std::set<std::string> out;
    for (const auto& a : engine.instances()) {
        if (a.rule != engine::kRuleErrorAlert) {
            continue;
        }
        if (auto it = a.series_labels.find("rule"); it != a.series_labels.end()) {
            out.insert(it->second);
        }
    }
    return out;
}

json::object error_json(const RuleErrorRecord& r, bool active) {
    return json::object{{"message", r.error.message},
                        {"path", r.error.path},
                        {"file", r.error.where.file.str()},
                        {"line", r.error.where.line},
                        {"col", r.error.where.col},
                        {"where",
                         r.error.where.file + ":" + std::to_string(r.error.where.line) + ":" +
                             std::to_string(r.error.where.col)},
                        {"limit", r.error.limit},
                        {"at", engine::format_rfc3339(r.at)},
                        {"count", r.count},
                        {"active", active}};
}

/// Whether an alert of `rule` can reach critical (then its critical route is the one that pages).
bool can_be_critical(const engine::RuleDef& rule) {
    return rule.lua || rule.threshold.critical ||
           (rule.nodata && rule.nodata->severity == engine::Severity::Critical);
}

json::value policy_name(const engine::CompiledPolicy* p) {
    return p != nullptr && p->def != nullptr ? json::value(p->def->name) : json::value(nullptr);
}

class OpsRoutes {
public:
    explicit OpsRoutes(ApiBackend& backend) : b_(backend) {}

    void metrics(const Request&, const Reply& reply) {
        auto& m = b_.metrics();
        m.set_alerts(b_.engine().instances());
        m.sync_regex_limit_hits();
        const auto now = wall_now();
        // The outbox lives on the store thread; the answer completes there.
        b_.on_store([reply, &m, now](store::Store& store) {
            if (auto summary = store.outbox_summary()) {
                const auto& s = summary.value();
                m.outbox_depth.set(static_cast<double>(s.pending));
                m.outbox_dead_letters.set(static_cast<double>(s.failed));
                m.outbox_oldest_age.set(
                    s.oldest_pending
                        ? std::max(0.0,
                                   std::chrono::duration<double>(now - *s.oldest_pending).count())
                        : 0.0);
            }
            // When the outbox cannot be read the outbox gauges keep their last values; the
            // store's own gauges still say what is wrong, so the exposition is served anyway.
            api::Response r;
            r.content_type = metrics::kContentType;
            r.body = m.render();
            reply(std::move(r));
        });
    }

    void rules(const Request&, const Reply& reply) {
        const auto& loaded = *b_.config().loaded;
        const engine::Router router(loaded);
        std::map<std::string, std::map<std::string, std::size_t>> counts;  // rule -> state -> n
        for (const auto& a : b_.engine().instances()) {
            auto& c = counts[a.rule];
            c[engine::to_string(a.state)] += 1;
            if (a.ack) {
                c["acknowledged"] += 1;
            }
            if (!a.silenced_by.empty()) {
                c["silenced"] += 1;
            }
        }
        const auto failing = failing_items(b_.engine());
        const auto& activity = b_.rule_activity();
        const std::size_t user_rules = loaded.rules.rules.size() - b_.config().builtin_rules;
        json::array out;
        for (std::size_t i = 0; i < loaded.rules.rules.size(); ++i) {
            const auto& rule = loaded.rules.rules[i];
            json::object o;
            o["name"] = rule.alert;
            o["kpi"] = rule.kpi;
            o["kind"] = rule.lua ? "lua" : "threshold";
            o["builtin"] = i >= user_rules;
            if (rule.loc.line > 0) {
                o["file"] = rule.loc.file.str();
                o["line"] = rule.loc.line;
            } else {
                o["file"] = nullptr;
                o["line"] = nullptr;
            }
            json::object labels;
            for (const auto& [k, v] : rule.labels) {
                labels[k] = v;
            }
            o["labels"] = std::move(labels);
            json::object by_severity;
            for (const auto severity : {engine::Severity::Warning, engine::Severity::Critical}) {
                auto routed = engine::alert_labels(rule, {});
                routed["severity"] = engine::to_string(severity);
                by_severity[engine::to_string(severity)] = policy_name(router.route(rule, routed));
            }
            o["policy"] = by_severity[can_be_critical(rule) ? "critical" : "warning"];
            o["policy_by_severity"] = std::move(by_severity);
            json::object instances{
                {"pending", 0}, {"firing", 0}, {"acknowledged", 0}, {"silenced", 0}};
            if (auto it = counts.find(rule.alert); it != counts.end()) {
                for (const auto& [state, n] : it->second) {
                    instances[state] = n;
                }
            }
            o["instances"] = std::move(instances);
            o["last_evaluation"] = time_or_null(activity.last_evaluation(rule.kpi));
            const auto* error = activity.last_error(rule.alert);
            o["last_error"] = error != nullptr
                                  ? json::value(error_json(*error, failing.count(rule.alert) != 0))
                                  : json::value(nullptr);
            out.push_back(std::move(o));
        }
        reply(api::json_ok(json::serialize(json::object{{"rules", std::move(out)}})));
    }

private:
    ApiBackend& b_;
};

}  // namespace

void add_ops_routes(api::Router& router, ApiBackend& backend) {
    auto routes = std::make_shared<OpsRoutes>(backend);
    router.add("GET", "/metrics", api::Access::Open, [routes](const Request& req, Reply reply) {
        routes->metrics(req, reply);
    });
    router.add(
        "GET", "/api/v1/rules", api::Access::Open, [routes](const Request& req, Reply reply) {
            routes->rules(req, reply);
        });
}

json::value rule_errors_json(const ApiBackend& backend) {
    const auto failing = failing_items(backend.engine());
    json::array out;
    for (const auto& [item, record] : backend.rule_activity().errors()) {
        auto o = error_json(record, failing.count(item) != 0);
        o["rule"] = item;
        out.push_back(std::move(o));
    }
    return out;
}

json::value refused_reload_json(const ApiBackend& backend) {
    const auto refused = backend.last_refused_reload();
    if (!refused) {
        return nullptr;
    }
    return json::object{{"at", engine::format_rfc3339(refused->first)},
                        {"errors", refused->second.errors},
                        {"diagnostics", json::parse(refused->second.diagnostics_json)}};
}

}  // namespace tocsin::app
