#include "app/api_routes.hpp"

#include "app/ack_links.hpp"
#include "app/api_requests.hpp"
#include "app/api_silences.hpp"
#include "app/checked_config.hpp"
#include "app/log.hpp"
#include "app/ops_routes.hpp"
#include "app/push_parse.hpp"
#include "store/store.hpp"

#include <boost/json.hpp>
#include <boost/url/params_view.hpp>

#include <algorithm>

namespace tocsin::app {
namespace json = boost::json;
using api::Access;
using api::Reply;
using api::Request;
using engine::TimePoint;

namespace {

constexpr std::size_t kDefaultListLimit = 100;
constexpr std::size_t kMaxListLimit = 10000;
constexpr std::size_t kMaxHistoryPoints = 100000;
// Steps the store may lag behind before pushes are refused: with group commit that is a few
// hundred milliseconds of writes, and it bounds the memory a fast pusher can pile up.
constexpr std::size_t kMaxPushBacklog = 1000;
constexpr std::string_view kNotStored =
    "acknowledged, but the state database refuses writes; it is kept in memory and stored once "
    "writes succeed";

TimePoint wall_now() {
    return std::chrono::time_point_cast<engine::Duration>(std::chrono::system_clock::now());
}

json::object labels_json(const engine::Labels& labels) {
    json::object o;
    for (const auto& [k, v] : labels) {
        o[k] = v;
    }
    return o;
}

json::value time_or_null(const std::optional<TimePoint>& t) {
    return t ? json::value(engine::format_rfc3339(*t)) : json::value(nullptr);
}

/// RFC 3339 or Unix seconds (fractions allowed), as Prometheus' API takes them.
std::optional<TimePoint> parse_time_param(const std::string& text) {
    if (auto t = engine::parse_rfc3339(text)) {
        return t;
    }
    try {
        std::size_t used = 0;
        const double seconds = std::stod(text, &used);
        if (used == text.size()) {
            return engine::from_unix_ms(static_cast<std::int64_t>(seconds * 1000.0));
        }
    } catch (const std::exception&) {
    }
    return std::nullopt;
}

std::optional<std::size_t> parse_limit(const Request& req, std::string& error) {
    auto it = req.query.find("limit");
    if (it == req.query.end()) {
        return kDefaultListLimit;
    }
    try {
        std::size_t used = 0;
        const auto n = std::stoul(it->second, &used);
        if (used == it->second.size() && n > 0 && n <= kMaxListLimit) {
            return n;
        }
    } catch (const std::exception&) {
    }
    error = "limit must be a whole number from 1 to " + std::to_string(kMaxListLimit);
    return std::nullopt;
}

json::object alert_json(const engine::AlertInstance& a) {
    json::object o;
    o["id"] = a.fingerprint;
    o["rule"] = a.rule;
    o["kpi"] = a.kpi;
    o["state"] = engine::to_string(a.state);
    o["severity"] = engine::to_string(a.severity);
    o["labels"] = labels_json(a.series_labels);
    o["value"] = a.value;
    o["threshold"] = a.threshold ? json::value(*a.threshold) : json::value(nullptr);
    o["nodata"] = a.nodata;
    o["pending_since"] = engine::format_rfc3339(a.pending_since);
    o["firing_since"] = a.state == engine::AlertState::Firing
                            ? json::value(engine::format_rfc3339(a.firing_since))
                            : json::value(nullptr);
    o["last_sample_at"] = engine::format_rfc3339(a.last_sample_at);
    json::array notified;
    for (const auto& n : a.notified) {
        notified.emplace_back(n);
    }
    o["notified"] = std::move(notified);
    o["silenced_by"] = a.silenced_by.empty() ? json::value(nullptr) : json::value(a.silenced_by);
    if (a.ack) {
        o["ack"] = json::object{{"author", a.ack->author},
                                {"comment", a.ack->comment},
                                {"at", engine::format_rfc3339(a.ack->at)},
                                {"until", time_or_null(a.ack->until)}};
    } else {
        o["ack"] = nullptr;
    }
    return o;
}

json::object outbox_json(const store::OutboxItem& item) {
    json::object o;
    o["id"] = item.id;
    o["notifier"] = item.notifier;
    o["alert"] = item.alert;
    o["fingerprint"] = item.fingerprint;
    o["kind"] = item.kind;
    o["state"] = store::to_string(item.state);
    o["attempts"] = item.attempts;
    o["created_at"] = engine::format_rfc3339(item.created_at);
    o["next_attempt_at"] = item.state == store::OutboxState::Pending
                               ? json::value(engine::format_rfc3339(item.next_attempt_at))
                               : json::value(nullptr);
    o["finished_at"] = time_or_null(item.delivered_at);
    o["last_detail"] = item.last_detail;
    return o;
}

std::string html_escape(const std::string& s) {
    std::string out;
    for (const char c : s) {
        switch (c) {
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '&':
                out += "&amp;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

api::Response html_page(int status, const std::string& title, const std::string& body) {
    api::Response r;
    r.status = status;
    r.content_type = "text/html; charset=utf-8";
    r.body =
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
        "content=\"width=device-width\"><title>" +
        html_escape(title) +
        "</title><style>body{font-family:sans-serif;max-width:34em;margin:2em auto;"
        "padding:0 1em}button{font-size:1.1em;padding:.5em 1.5em}</style></head><body><h1>" +
        html_escape(title) + "</h1>" + body + "</body></html>";
    // The page acts on a secret link: no caching, no framing, no referrer leaking it.
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    r.headers.emplace_back("X-Frame-Options", "DENY");
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
    return r;
}

/// A link's query or a confirm form: the parameters s, e and sig, and optional name/comment.
std::map<std::string, std::string> form_fields(const std::string& body) {
    std::map<std::string, std::string> out;
    for (const auto& p : boost::urls::params_view(body)) {
        out[p.key] = p.value;
    }
    return out;
}

std::optional<engine::TimePoint> starts_of(const std::string& ms) {
    try {
        std::size_t used = 0;
        const auto v = std::stoll(ms, &used);
        if (used == ms.size()) {
            return engine::from_unix_ms(v);
        }
    } catch (const std::exception&) {
    }
    return std::nullopt;
}

class Routes {
public:
    explicit Routes(ApiBackend& backend) : b_(backend) {}

    /// 200 in both states: the process is alive and must not be restarted for a store problem
    /// (a restart would drop the steps it holds in memory until the store can be written).
    void healthz(const Request&, const Reply& reply) {
        const auto health = b_.store_health();
        if (health.ok) {
            reply(api::json_ok(R"({"status":"ok"})"));
            return;
        }
        json::object o{{"status", "degraded"},
                       {"problems", json::array{json::string("store: " + health.error)}}};
        reply(api::json_ok(json::serialize(o)));
    }

    /// The "store" object of the status: whether writes work, and what waits in memory.
    json::object store_json() const {
        const auto health = b_.store_health();
        json::object s;
        s["path"] = b_.store_path();
        s["ok"] = health.ok;
        s["error"] = health.ok ? json::value(nullptr) : json::value(health.error);
        s["failing_since"] = health.failing_since
                                 ? json::value(engine::format_rfc3339(*health.failing_since))
                                 : json::value(nullptr);
        s["unpersisted_steps"] = b_.store_backlog();
        s["write_failures"] = health.write_failures;
        return s;
    }

    void status(const Request&, const Reply& reply) {
        const auto now = wall_now();
        const auto& checked = b_.config();
        json::object o;
        o["version"] = TOCSIN_VERSION;
        o["started_at"] = engine::format_rfc3339(b_.started_at());
        o["uptime_s"] =
            std::chrono::duration_cast<std::chrono::seconds>(now - b_.started_at()).count();
        json::object config;
        config["file"] = checked.loaded->config.file;
        config["hash"] = b_.config_hash();
        config["rules"] = checked.loaded->rules.rules.size();
        config["kpis"] = checked.loaded->rules.kpis.size();
        if (auto last = b_.last_reload()) {
            json::object reload;
            reload["at"] = engine::format_rfc3339(last->first);
            reload["ok"] = last->second.ok;
            reload["errors"] = last->second.errors;
            config["last_reload"] = std::move(reload);
        } else {
            config["last_reload"] = nullptr;
        }
        config["last_refused_reload"] = refused_reload_json(b_);
        o["config"] = std::move(config);
        o["rule_errors"] = rule_errors_json(b_);

        json::array plugins;
        for (const auto& p : checked.registry->plugins()) {
            plugins.push_back(
                json::object{{"name", p.name},
                             {"kind", p.kind == TOCSIN_KIND_SOURCE ? "source" : "notifier"},
                             {"version", p.version},
                             {"path", p.path}});
        }
        o["plugins"] = std::move(plugins);

        json::array sources;
        for (const auto& s : b_.sources()) {
            sources.push_back(json::object{{"name", s.name},
                                           {"plugin", s.plugin},
                                           {"up", s.up},
                                           {"last_ok", time_or_null(s.last_ok)},
                                           {"last_error", s.last_error},
                                           {"failures", s.failures}});
        }
        o["sources"] = std::move(sources);

        std::size_t firing = 0;
        std::size_t pending = 0;
        for (const auto& a : b_.engine().instances()) {
            (a.state == engine::AlertState::Firing ? firing : pending) += 1;
        }
        o["alerts"] = json::object{{"firing", firing}, {"pending", pending}};
        o["store"] = store_json();

        // The outbox lives on the store thread; the answer completes there.
        b_.on_store([reply, o = std::move(o), now](store::Store& store) mutable {
            auto pending_items = store.list_outbox(store::OutboxState::Pending, 0);
            auto failed_items = store.list_outbox(store::OutboxState::Failed, 0);
            if (!pending_items || !failed_items) {
                // The rest of the status is worth having most when the store is in trouble.
                o["outbox"] = json::object{
                    {"error",
                     "cannot read the outbox: " +
                         (!pending_items ? pending_items.error() : failed_items.error()).text()}};
                reply(api::json_ok(json::serialize(o)));
                return;
            }
            json::object outbox;
            outbox["pending"] = pending_items.value().size();
            outbox["failed"] = failed_items.value().size();
            if (!pending_items.value().empty()) {
                const auto oldest = pending_items.value().back().created_at;  // newest first
                outbox["oldest_pending_age_s"] =
                    std::chrono::duration_cast<std::chrono::seconds>(now - oldest).count();
            } else {
                outbox["oldest_pending_age_s"] = 0;
            }
            o["outbox"] = std::move(outbox);
            reply(api::json_ok(json::serialize(o)));
        });
    }

    void alerts(const Request& req, const Reply& reply) {
        const auto state = req.query.count("state") ? req.query.at("state") : "";
        const auto severity = req.query.count("severity") ? req.query.at("severity") : "";
        if (!state.empty() && state != "pending" && state != "firing") {
            reply(api::json_error(400, "state must be 'pending' or 'firing'"));
            return;
        }
        if (!severity.empty() && !engine::parse_severity(severity)) {
            reply(api::json_error(400, "severity must be 'warning' or 'critical'"));
            return;
        }
        json::array out;
        for (const auto& a : b_.engine().instances()) {
            if ((!state.empty() && state != engine::to_string(a.state)) ||
                (!severity.empty() && severity != engine::to_string(a.severity))) {
                continue;
            }
            out.push_back(alert_json(a));
        }
        reply(api::json_ok(json::serialize(json::object{{"alerts", std::move(out)}})));
    }

    void ack(const Request& req, const Reply& reply) {
        std::string error;
        auto a = parse_ack_request(req.body, wall_now(), error);
        if (!a) {
            reply(api::json_error(400, error));
            return;
        }
        const auto& id = req.params.at("id");
        auto inst = b_.acknowledge(id, std::move(*a), std::nullopt);
        if (!inst) {
            reply(api::json_error(404, "no firing alert with id '" + id + "'"));
            return;
        }
        reply_when_committed(api::json_ok(json::serialize(alert_json(*inst))),
                             api::json_error(503, std::string(kNotStored)),
                             reply);
    }

    /// Answers an acknowledgement once it is committed: answered earlier, a crash could forget
    /// it, and escalation would go on while those told never hear who is on it.
    void reply_when_committed(api::Response ok, api::Response not_stored, const Reply& reply) {
        b_.when_committed([reply, ok = std::move(ok), not_stored = std::move(not_stored)](
                              bool committed) { reply(committed ? ok : not_stored); });
    }

    /// The page a signed link opens: it only shows what would be acknowledged (mail scanners
    /// and link previews open links too); the button posts the confirmation.
    void ack_page(const Request& req, const Reply& reply) {
        const auto& id = req.params.at("id");
        const auto q = [&](const char* k) {
            auto it = req.query.find(k);
            return it == req.query.end() ? std::string() : it->second;
        };
        if (!b_.ack_links().verify(id, q("s"), q("e"), q("sig"), wall_now())) {
            reply(html_page(403,
                            "Link not valid",
                            "<p>This acknowledge link is not valid or has expired. Acknowledge "
                            "with <code>tocsin ack</code> instead.</p>"));
            return;
        }
        std::string what = "alert " + id;
        for (const auto& a : b_.engine().instances()) {
            if (a.fingerprint == id) {
                what = a.rule + " (" + a.kpi + ", " + engine::to_string(a.severity) + ")";
            }
        }
        const std::string hidden =
            "<input type=\"hidden\" name=\"s\" value=\"" + html_escape(q("s")) +
            "\"><input type=\"hidden\" name=\"e\" value=\"" + html_escape(q("e")) +
            "\"><input type=\"hidden\" name=\"sig\" value=\"" + html_escape(q("sig")) + "\">";
        reply(
            html_page(200,
                      "Acknowledge " + what + "?",
                      "<form method=\"post\" action=\"/api/v1/alerts/" + html_escape(id) +
                          "/ack/confirm\">" + hidden +
                          "<p><label>Your name <input name=\"name\" maxlength=\"80\"></label></p>"
                          "<p><label>Comment <input name=\"comment\" maxlength=\"500\"></label></p>"
                          "<p><button type=\"submit\">Acknowledge</button></p></form>"));
    }

    void ack_confirm(const Request& req, const Reply& reply) {
        const auto& id = req.params.at("id");
        auto f = form_fields(req.body);
        if (!b_.ack_links().verify(id, f["s"], f["e"], f["sig"], wall_now())) {
            reply(html_page(403,
                            "Link not valid",
                            "<p>This acknowledge link is not valid or has expired.</p>"));
            return;
        }
        engine::Ack a;
        a.author = f["name"].empty() ? "acknowledge link" : f["name"].substr(0, 80);
        a.comment = f["comment"].substr(0, 500);
        auto inst = b_.acknowledge(id, std::move(a), starts_of(f["s"]));
        if (!inst) {
            reply(html_page(409,
                            "Nothing to acknowledge",
                            "<p>This alert is no longer firing (it resolved, or fired again since "
                            "this message).</p>"));
            return;
        }
        reply_when_committed(
            html_page(200,
                      "Acknowledged",
                      "<p>" + html_escape(inst->rule) +
                          " is acknowledged; the people already told are told you are on it, and "
                          "escalation stops.</p>"),
            html_page(
                503, "Not stored yet", "<p>" + html_escape(std::string(kNotStored)) + ".</p>"),
            reply);
    }

    void reload(const Request&, const Reply& reply) {
        const auto outcome = b_.reload();
        json::object o;
        o["ok"] = outcome.ok;
        o["errors"] = outcome.errors;
        o["diagnostics"] = json::parse(outcome.diagnostics_json);
        // 422: the new configuration was understood and refused; the old one keeps running.
        reply(api::json_ok(json::serialize(o), outcome.ok ? 200 : 422));
    }

    void kpis(const Request&, const Reply& reply) {
        const auto now = wall_now();
        const auto& rules = b_.config().loaded->rules;
        json::array out;
        for (const auto& sample : b_.engine().latest()) {
            json::object o;
            o["kpi"] = sample.kpi;
            o["labels"] = labels_json(sample.labels);
            o["value"] = sample.value;
            o["at"] = engine::format_rfc3339(sample.at);
            o["age_s"] = std::chrono::duration_cast<std::chrono::seconds>(now - sample.at).count();
            if (const auto* def = rules.find_kpi(sample.kpi)) {
                o["source"] = def->source;
                o["unit"] = def->unit_text;
                o["target"] = def->target ? json::value(*def->target) : json::value(nullptr);
            }
            out.push_back(std::move(o));
        }
        reply(api::json_ok(json::serialize(json::object{{"kpis", std::move(out)}})));
    }

    void history(const Request& req, const Reply& reply) {
        const auto& name = req.params.at("name");
        if (b_.config().loaded->rules.find_kpi(name) == nullptr) {
            reply(api::json_error(404, "no KPI named '" + name + "'"));
            return;
        }
        const auto now = wall_now();
        TimePoint from = now - std::chrono::hours(24);
        TimePoint to = now;
        engine::Labels labels;
        for (const auto& [key, value] : req.query) {
            if (key == "from" || key == "to") {
                auto t = parse_time_param(value);
                if (!t) {
                    reply(api::json_error(
                        400, key + " must be RFC 3339 (2026-01-05T06:00:00Z) or Unix seconds"));
                    return;
                }
                (key == "from" ? from : to) = *t;
            } else if (key.rfind("label.", 0) == 0 && key.size() > 6) {
                labels[key.substr(6)] = value;
            } else {
                reply(api::json_error(
                    400, "unknown parameter '" + key + "'; use from, to and label.<name>"));
                return;
            }
        }
        if (from > to) {
            reply(api::json_error(400, "from is after to"));
            return;
        }
        b_.on_store([reply, name, labels, from, to](store::Store& store) {
            auto points = store.history(name, labels, from, to);
            if (!points) {
                reply(api::json_error(500, "cannot read history: " + points.error().text()));
                return;
            }
            json::array out;
            const auto& all = points.value();
            const std::size_t first =
                all.size() > kMaxHistoryPoints ? all.size() - kMaxHistoryPoints : 0;
            for (std::size_t i = first; i < all.size(); ++i) {
                out.push_back(json::array{engine::format_rfc3339(all[i].at), all[i].value});
            }
            json::object o{{"kpi", name},
                           {"labels", labels_json(labels)},
                           {"from", engine::format_rfc3339(from)},
                           {"to", engine::format_rfc3339(to)},
                           {"truncated", first > 0},
                           {"points", std::move(out)}};
            reply(api::json_ok(json::serialize(o)));
        });
    }

    void notifications(const Request& req, const Reply& reply) {
        std::optional<store::OutboxState> state;
        if (auto it = req.query.find("state"); it != req.query.end()) {
            state = store::parse_outbox_state(it->second);
            if (!state) {
                reply(api::json_error(400, "state must be pending, delivered or failed"));
                return;
            }
        }
        std::string error;
        const auto limit = parse_limit(req, error);
        if (!limit) {
            reply(api::json_error(400, error));
            return;
        }
        b_.on_store([reply, state, limit = *limit](store::Store& store) {
            auto items = store.list_outbox(state, limit);
            if (!items) {
                reply(api::json_error(500, "cannot read the outbox: " + items.error().text()));
                return;
            }
            json::array out;
            for (const auto& item : items.value()) {
                out.push_back(outbox_json(item));
            }
            reply(api::json_ok(json::serialize(json::object{{"notifications", std::move(out)}})));
        });
    }

    void retry(const Request& req, const Reply& reply) {
        const auto id = req.params.at("id");
        b_.retry_notification(id, [reply, id](const std::string& error) {
            if (!error.empty()) {
                reply(api::json_error(error.find("no such item") != std::string::npos ? 404 : 409,
                                      error));
                return;
            }
            reply(api::json_ok(json::serialize(json::object{{"id", id}, {"state", "pending"}})));
        });
    }

    void samples(const Request& req, const Reply& reply) {
        if (const auto backlog = b_.store_backlog(); backlog > kMaxPushBacklog) {
            auto r = api::json_error(429,
                                     "the state database is " + std::to_string(backlog) +
                                         " steps behind; retry after the Retry-After seconds");
            r.headers.emplace_back("Retry-After", "1");
            reply(std::move(r));
            return;
        }
        auto parsed = parse_pushed_samples(req.content_type, req.body, b_.config(), wall_now());
        if (!parsed.error.empty()) {
            reply(api::json_error(parsed.unsupported_type ? 415 : 400, parsed.error));
            return;
        }
        const auto outcome = b_.push(std::move(parsed.samples), std::move(parsed.rejected));
        json::array rejected;
        for (const auto& r : outcome.rejected) {
            rejected.emplace_back(r);
        }
        json::object o{{"accepted", outcome.accepted}, {"rejected", std::move(rejected)}};
        // Nothing usable at all is the client's mistake; a partial success is still a success.
        const int status = outcome.accepted == 0 && !outcome.rejected.empty() ? 422 : 200;
        reply(api::json_ok(json::serialize(o), status));
    }

private:
    ApiBackend& b_;
};

}  // namespace

std::shared_ptr<api::Router> make_api_router(ApiBackend& backend) {
    auto routes = std::make_shared<Routes>(backend);
    auto router = std::make_shared<api::Router>();
    const auto bind = [routes](void (Routes::*fn)(const Request&, const Reply&)) {
        return [routes, fn](const Request& req, Reply reply) { ((*routes).*fn)(req, reply); };
    };
    router->add("GET", "/healthz", Access::Open, bind(&Routes::healthz));
    router->add("GET", "/api/v1/status", Access::Open, bind(&Routes::status));
    router->add("GET", "/api/v1/alerts", Access::Open, bind(&Routes::alerts));
    router->add("POST", "/api/v1/alerts/{id}/ack", Access::Token, bind(&Routes::ack));
    // A signed link authorizes these two by itself (see ack_links.hpp).
    router->add("GET", "/api/v1/alerts/{id}/ack", Access::Open, bind(&Routes::ack_page));
    router->add(
        "POST", "/api/v1/alerts/{id}/ack/confirm", Access::Open, bind(&Routes::ack_confirm));
    router->add("POST", "/api/v1/reload", Access::Token, bind(&Routes::reload));
    router->add("GET", "/api/v1/kpis", Access::Open, bind(&Routes::kpis));
    router->add("GET", "/api/v1/kpis/{name}/history", Access::Open, bind(&Routes::history));
    router->add("GET", "/api/v1/notifications", Access::Open, bind(&Routes::notifications));
    router->add("POST", "/api/v1/notifications/{id}/retry", Access::Token, bind(&Routes::retry));
    router->add("POST", "/api/v1/samples", Access::Token, bind(&Routes::samples));
    router->on_failure(
        [](const std::string& what) { log::error("api", "request failed: {}", what); });
    add_silence_routes(*router, backend);
    add_ops_routes(*router, backend);
    return router;
}

}  // namespace tocsin::app
