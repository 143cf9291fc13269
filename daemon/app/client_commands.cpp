#include "app/client_commands.hpp"

#include "app/api_client.hpp"

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <fmt/format.h>

#include <iostream>
#include <optional>

namespace tocsin::app {
namespace json = boost::json;
namespace {

constexpr int kUnreachable = 3;
constexpr char kAlertRow[] = "{:<16}  {:<24} {:<8} {:<8} {:>12}  {:<24}  {}\n";
constexpr char kNotificationRow[] = "{:<24}  {:<9} {:<16} {:<24} {:<15} {:>3}  {}\n";
constexpr char kSilenceRow[] = "{:<32}  {:<8} {:<24} {:<24} {:<12} {}\n";

std::string str(const json::value& v) {
    if (v.is_string()) {
        return std::string(v.get_string());
    }
    if (v.is_null()) {
        return "-";
    }
    return json::serialize(v);
}

/// Numbers as people read them: 150 rather than 1.5E2.
std::string num(const json::value& v) {
    if (v.is_number()) {
        return fmt::format("{:.6g}", v.to_number<double>());
    }
    return str(v);
}

std::string labels_text(const json::value& v) {
    std::string out;
    if (const auto* o = v.if_object()) {
        for (const auto& [k, val] : *o) {
            out += (out.empty() ? "" : ",") + std::string(k) + "=" + str(val);
        }
    }
    return out.empty() ? "-" : out;
}

/// Performs the call and hands back the parsed JSON of a 2xx answer; prints the problem and sets
/// `exit_code` otherwise. `ok_statuses` beyond 2xx (e.g. 422 for a refused reload) also parse.
std::optional<json::value> call(const ClientOptions& options,
                                const std::string& method,
                                const std::string& path,
                                int& exit_code,
                                long also_ok = 0,
                                const std::string& request_body = "{}") {
    std::string error;
    auto target = resolve_api_target(options.config_path, options.url, error);
    if (!target) {
        std::cerr << "tocsin: " << error << "\n";
        exit_code = kUnreachable;
        return std::nullopt;
    }
    if (method != "GET" && target->token.empty()) {
        std::cerr
            << "tocsin: this needs the API token: set TOCSIN_API_TOKEN or make api.token_file "
               "readable\n";
        exit_code = 1;
        return std::nullopt;
    }
    auto answer = api_call(*target, method, path, method == "GET" ? "" : request_body);
    if (answer.status == 0) {
        std::cerr << "tocsin: " << answer.error << "\n";
        exit_code = kUnreachable;
        return std::nullopt;
    }
    boost::system::error_code ec;
    auto body = json::parse(answer.body, ec);
    if ((answer.status < 200 || answer.status >= 300) && answer.status != also_ok) {
        std::string message = answer.body;
        if (!ec && body.is_object() && body.as_object().contains("error")) {
            message = str(body.as_object().at("error"));
        }
        std::cerr << fmt::format("tocsin: the daemon answered {}: {}\n", answer.status, message);
        exit_code = 1;
        return std::nullopt;
    }
    if (ec) {
        std::cerr << "tocsin: the daemon's answer is not JSON: " << ec.message() << "\n";
        exit_code = 1;
        return std::nullopt;
    }
    exit_code = 0;
    return body;
}

std::string encode(const std::string& s) {
    return boost::urls::encode(s, boost::urls::unreserved_chars);
}

}  // namespace

int command_status(const ClientOptions& options) {
    int rc = 0;
    auto body = call(options, "GET", "/api/v1/status", rc);
    if (!body) {
        return rc;
    }
    if (options.json) {
        std::cout << json::serialize(*body) << "\n";
        return 0;
    }
    const auto& o = body->as_object();
    const auto& config = o.at("config").as_object();
    const auto& alerts = o.at("alerts").as_object();
    const auto& outbox = o.at("outbox").as_object();
    std::cout << fmt::format("tocsin {} up {}s, config {} ({} rules, {} KPIs, hash {})\n",
                             str(o.at("version")),
                             str(o.at("uptime_s")),
                             str(config.at("file")),
                             str(config.at("rules")),
                             str(config.at("kpis")),
                             str(config.at("hash")));
    if (const auto* last = config.at("last_reload").if_object()) {
        std::cout << fmt::format("last reload {}: {}\n",
                                 str(last->at("at")),
                                 last->at("ok").as_bool() ? "applied" : "REFUSED");
    }
    std::cout << fmt::format(
        "alerts: {} firing, {} pending\n", str(alerts.at("firing")), str(alerts.at("pending")));
    std::cout << fmt::format("outbox: {} pending (oldest {}s), {} failed\n",
                             str(outbox.at("pending")),
                             str(outbox.at("oldest_pending_age_s")),
                             str(outbox.at("failed")));
    std::cout << "sources:\n";
    for (const auto& s : o.at("sources").as_array()) {
        const auto& so = s.as_object();
        std::cout << fmt::format("  {:<20} {:<12} {}{}\n",
                                 str(so.at("name")),
                                 str(so.at("plugin")),
                                 so.at("up").as_bool() ? "up" : "DOWN",
                                 so.at("up").as_bool() ? "" : ": " + str(so.at("last_error")));
    }
    return 0;
}

namespace {

/// GETs a list endpoint, `?state=` added when given. Under --json the answer is printed as is
/// and nullopt comes back with rc 0; on an error, nullopt with rc set. Otherwise the array under
/// `key` for a table.
std::optional<json::array> fetch_list(const ClientOptions& options,
                                      const std::string& path,
                                      const std::string& state,
                                      const char* key,
                                      int& rc) {
    rc = 0;
    auto body = call(options, "GET", path + (state.empty() ? "" : "?state=" + encode(state)), rc);
    if (!body) {
        return std::nullopt;
    }
    if (options.json) {
        std::cout << json::serialize(*body) << "\n";
        return std::nullopt;
    }
    return body->as_object().at(key).as_array();
}

}  // namespace

int command_alerts(const ClientOptions& options, const std::string& state) {
    int rc = 0;
    const auto list = fetch_list(options, "/api/v1/alerts", state, "alerts", rc);
    if (!list) {
        return rc;
    }
    const auto& alerts = *list;
    if (alerts.empty()) {
        std::cout << "no pending or firing alerts\n";
        return 0;
    }
    std::cout << fmt::format(
        kAlertRow, "ID", "ALERT", "STATE", "SEVERITY", "VALUE", "SINCE", "LABELS");
    for (const auto& a : alerts) {
        const auto& o = a.as_object();
        const bool firing = str(o.at("state")) == "firing";
        // A firing alert a silence hides tells nobody new: show that rather than "firing".
        const bool silenced = firing && o.contains("silenced_by") && !o.at("silenced_by").is_null();
        std::cout << fmt::format(kAlertRow,
                                 str(o.at("id")),
                                 str(o.at("rule")),
                                 silenced ? "silenced" : str(o.at("state")),
                                 str(o.at("severity")),
                                 o.at("nodata").as_bool() ? "no data" : num(o.at("value")),
                                 str(firing ? o.at("firing_since") : o.at("pending_since")),
                                 labels_text(o.at("labels")));
    }
    return 0;
}

int command_reload(const ClientOptions& options) {
    int rc = 0;
    auto body = call(options, "POST", "/api/v1/reload", rc, 422);
    if (!body) {
        return rc;
    }
    if (options.json) {
        std::cout << json::serialize(*body) << "\n";
    }
    const auto& o = body->as_object();
    const bool ok = o.at("ok").as_bool();
    if (!options.json) {
        for (const auto& d : o.at("diagnostics").as_array()) {
            const auto& dobj = d.as_object();
            std::cerr << fmt::format("{}:{}:{}: {}: {}: {}\n",
                                     str(dobj.at("file")),
                                     str(dobj.at("line")),
                                     str(dobj.at("col")),
                                     str(dobj.at("severity")),
                                     str(dobj.at("path")),
                                     str(dobj.at("message")));
        }
        std::cout << (ok ? "reloaded\n"
                         : "reload refused; the daemon keeps running the previous configuration\n");
    }
    return ok ? 0 : 1;
}

int command_ack(const ClientOptions& options,
                const std::string& id,
                const std::string& author,
                const std::string& comment,
                const std::string& for_duration) {
    json::object body{{"author", author}, {"comment", comment}};
    if (!for_duration.empty()) {
        body["for"] = for_duration;
    }
    int rc = 0;
    auto answer = call(
        options, "POST", "/api/v1/alerts/" + encode(id) + "/ack", rc, 0, json::serialize(body));
    if (!answer) {
        return rc;
    }
    if (options.json) {
        std::cout << json::serialize(*answer) << "\n";
        return 0;
    }
    const auto& o = answer->as_object();
    std::cout << fmt::format("acknowledged {} ({}) as {}{}\n",
                             str(o.at("rule")),
                             id,
                             author,
                             for_duration.empty() ? "" : " for " + for_duration);
    return 0;
}

int command_notifications(const ClientOptions& options,
                          const std::string& state,
                          const std::string& retry_id) {
    int rc = 0;
    if (!retry_id.empty()) {
        auto body =
            call(options, "POST", "/api/v1/notifications/" + encode(retry_id) + "/retry", rc);
        if (body) {
            std::cout << "queued again: " << retry_id << "\n";
        }
        return rc;
    }
    const std::string path =
        "/api/v1/notifications" + (state.empty() ? "" : "?state=" + encode(state));
    auto body = call(options, "GET", path, rc);
    if (!body) {
        return rc;
    }
    if (options.json) {
        std::cout << json::serialize(*body) << "\n";
        return 0;
    }
    const auto& items = body->as_object().at("notifications").as_array();
    if (items.empty()) {
        std::cout << "no notifications\n";
        return 0;
    }
    std::cout << fmt::format(kNotificationRow,
                             "CREATED",
                             "STATE",
                             "NOTIFIER",
                             "ALERT",
                             "KIND",
                             "TRY",
                             "LAST ANSWER / ID");
    for (const auto& item : items) {
        const auto& o = item.as_object();
        std::cout << fmt::format(kNotificationRow,
                                 str(o.at("created_at")),
                                 str(o.at("state")),
                                 str(o.at("notifier")),
                                 str(o.at("alert")),
                                 str(o.at("kind")),
                                 str(o.at("attempts")),
                                 str(o.at("last_detail")))
                  << "      id " << str(o.at("id")) << "\n";
    }
    return 0;
}

int command_silence_add(const ClientOptions& options, const SilenceArgs& args) {
    json::array matchers;
    for (const auto& m : args.matchers) {
        matchers.emplace_back(m);
    }
    json::object body{{"matchers", std::move(matchers)}, {"author", args.author}};
    if (!args.comment.empty()) {
        body["comment"] = args.comment;
    }
    if (!args.duration.empty()) {
        body["duration"] = args.duration;
    }
    if (!args.until.empty()) {
        body["ends_at"] = args.until;
    }
    if (!args.from.empty()) {
        body["starts_at"] = args.from;
    }
    if (!args.calendar.empty()) {
        body["calendar"] = args.calendar;
    }
    int rc = 0;
    auto answer = call(options, "POST", "/api/v1/silences", rc, 0, json::serialize(body));
    if (!answer) {
        return rc;
    }
    if (options.json) {
        std::cout << json::serialize(*answer) << "\n";
        return 0;
    }
    const auto& o = answer->as_object();
    std::string text;
    for (const auto& m : o.at("matchers").as_array()) {
        text += (text.empty() ? "" : ", ") + str(m);
    }
    std::cout << fmt::format("silence {} {} from {} until {}: {}\n",
                             str(o.at("id")),
                             str(o.at("state")) == "pending" ? "starts" : "runs",
                             str(o.at("starts_at")),
                             str(o.at("ends_at")),
                             text);
    return 0;
}

int command_silence_list(const ClientOptions& options, const std::string& state) {
    int rc = 0;
    const auto list = fetch_list(options, "/api/v1/silences", state, "silences", rc);
    if (!list) {
        return rc;
    }
    const auto& silences = *list;
    if (silences.empty()) {
        std::cout << (state.empty() ? "no active or pending silences\n" : "no silences\n");
        return 0;
    }
    std::cout << fmt::format(
        kSilenceRow, "ID", "STATE", "STARTS", "ENDS", "AUTHOR", "MATCHERS / COMMENT");
    for (const auto& s : silences) {
        const auto& o = s.as_object();
        std::string matchers;
        for (const auto& m : o.at("matchers").as_array()) {
            matchers += (matchers.empty() ? "" : ", ") + str(m);
        }
        if (!o.at("calendar").is_null()) {
            matchers += " (during calendar " + str(o.at("calendar")) + ")";
        }
        std::cout << fmt::format(kSilenceRow,
                                 str(o.at("id")),
                                 str(o.at("state")),
                                 str(o.at("starts_at")),
                                 str(o.at("ends_at")),
                                 str(o.at("author")),
                                 matchers);
        if (const auto comment = str(o.at("comment")); !comment.empty()) {
            std::cout << fmt::format("{:<32}  {}\n", "", comment);
        }
    }
    return 0;
}

int command_silence_expire(const ClientOptions& options, const std::string& id) {
    int rc = 0;
    auto answer = call(options, "DELETE", "/api/v1/silences/" + encode(id), rc);
    if (!answer) {
        return rc;
    }
    if (options.json) {
        std::cout << json::serialize(*answer) << "\n";
        return 0;
    }
    std::cout << "silence " << id << " ended";
    if (const auto* o = answer->if_object(); o != nullptr && o->contains("ends_at")) {
        std::cout << " at " << str(o->at("ends_at"));
    }
    std::cout << "\n";
    return 0;
}

}  // namespace tocsin::app
