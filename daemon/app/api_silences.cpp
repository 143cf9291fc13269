#include "app/api_silences.hpp"

#include "app/ack_links.hpp"
#include "app/api_routes.hpp"
#include "app/checked_config.hpp"
#include "store/store.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace tocsin::app {
namespace json = boost::json;
using api::Access;
using api::Reply;
using api::Request;
using engine::TimePoint;

namespace {

constexpr std::size_t kIdBytes = 16;  // 128 bits: ids nobody can guess or collide with

TimePoint wall_now() {
    return std::chrono::time_point_cast<engine::Duration>(std::chrono::system_clock::now());
}

class SilenceRoutes {
public:
    explicit SilenceRoutes(ApiBackend& backend) : b_(backend) {}

    void list(const Request& req, const Reply& reply) {
        std::string state;
        if (auto it = req.query.find("state"); it != req.query.end()) {
            state = it->second;
            if (state != "active" && state != "pending" && state != "expired" && state != "all") {
                reply(api::json_error(400, "state must be active, pending, expired or all"));
                return;
            }
        }
        const auto now = wall_now();
        b_.on_store([reply, state, now](store::Store& store) {
            // Only `all` and `expired` need the audit rows; the rest are the ones not ended.
            const bool with_ended = state == "all" || state == "expired";
            auto silences =
                store.list_silences(with_ended ? std::nullopt : std::optional<TimePoint>(now));
            if (!silences) {
                reply(api::json_error(500, "cannot read silences: " + silences.error().text()));
                return;
            }
            json::array out;
            for (const auto& s : silences.value()) {
                if (state.empty() || state == "all" || state == silence_state(s, now)) {
                    out.push_back(silence_json(s, now));
                }
            }
            reply(api::json_ok(json::serialize(json::object{{"silences", std::move(out)}})));
        });
    }

    void get(const Request& req, const Reply& reply) {
        const auto id = req.params.at("id");
        const auto now = wall_now();
        b_.on_store([reply, id, now](store::Store& store) {
            auto found = store.get_silence(id);
            if (!found) {
                reply(api::json_error(500, "cannot read silences: " + found.error().text()));
            } else if (!found.value()) {
                reply(api::json_error(404, "no silence with id '" + id + "'"));
            } else {
                reply(api::json_ok(json::serialize(silence_json(*found.value(), now))));
            }
        });
    }

    void create(const Request& req, const Reply& reply) {
        const auto now = wall_now();
        std::set<std::string> calendars;
        for (const auto& c : b_.config().loaded->rules.calendars) {
            calendars.insert(c.name);
        }
        std::string error;
        auto silence = parse_silence_request(req.body, now, calendars, error);
        if (!silence) {
            reply(api::json_error(400, error));
            return;
        }
        silence->id = random_hex(kIdBytes);
        silence->created_at = now;
        auto shown = silence_json(*silence, now);
        b_.add_silence(std::move(*silence),
                       [reply, shown = std::move(shown)](const std::string& failed) {
                           if (!failed.empty()) {
                               reply(api::json_error(500, "cannot keep the silence: " + failed));
                               return;
                           }
                           reply(api::json_ok(json::serialize(shown), 201));
                       });
    }

    void end(const Request& req, const Reply& reply) {
        const auto id = req.params.at("id");
        b_.end_silence(id, [reply, id](const SilenceEnded& ended) {
            if (!ended.error.empty()) {
                reply(api::json_error(500, "cannot end the silence: " + ended.error));
                return;
            }
            switch (ended.outcome) {
                case store::SilenceEnd::Unknown:
                    reply(api::json_error(404, "no silence with id '" + id + "'"));
                    return;
                case store::SilenceEnd::AlreadyEnded:
                    reply(api::json_error(409, "silence '" + id + "' has already ended"));
                    return;
                case store::SilenceEnd::Ended:
                    break;
            }
            const auto now = wall_now();
            reply(ended.silence ? api::json_ok(json::serialize(silence_json(*ended.silence, now)))
                                : api::json_ok(json::serialize(json::object{{"id", id}})));
        });
    }

private:
    ApiBackend& b_;
};

}  // namespace

const char* silence_state(const engine::Silence& silence, TimePoint now) {
    if (silence.expired_at(now)) {
        return "expired";
    }
    return now < silence.starts_at ? "pending" : "active";
}

json::object silence_json(const engine::Silence& silence, TimePoint now) {
    json::array matchers;
    for (const auto& m : silence.matchers) {
        matchers.emplace_back(m.to_string());
    }
    json::object o;
    o["id"] = silence.id;
    o["state"] = silence_state(silence, now);
    o["matchers"] = std::move(matchers);
    o["starts_at"] = engine::format_rfc3339(silence.starts_at);
    o["ends_at"] = engine::format_rfc3339(silence.ends_at);
    o["author"] = silence.author;
    o["comment"] = silence.comment;
    o["created_at"] = engine::format_rfc3339(silence.created_at);
    o["calendar"] = silence.calendar.empty() ? json::value(nullptr) : json::value(silence.calendar);
    return o;
}

void add_silence_routes(api::Router& router, ApiBackend& backend) {
    auto routes = std::make_shared<SilenceRoutes>(backend);
    const auto bind = [routes](void (SilenceRoutes::*fn)(const Request&, const Reply&)) {
        return [routes, fn](const Request& req, Reply reply) { ((*routes).*fn)(req, reply); };
    };
    router.add("GET", "/api/v1/silences", Access::Open, bind(&SilenceRoutes::list));
    router.add("POST", "/api/v1/silences", Access::Token, bind(&SilenceRoutes::create));
    router.add("GET", "/api/v1/silences/{id}", Access::Open, bind(&SilenceRoutes::get));
    router.add("DELETE", "/api/v1/silences/{id}", Access::Token, bind(&SilenceRoutes::end));
}

}  // namespace tocsin::app
