#include "app/api_requests.hpp"

#include "engine/matcher.hpp"

#include <boost/json.hpp>

namespace tocsin::app {
namespace json = boost::json;
using engine::TimePoint;

namespace {

constexpr const char* kAllowedFields =
    "matchers, starts_at, ends_at, duration, author, comment, calendar";

std::optional<std::string> string_field(const json::value& v,
                                        std::string_view key,
                                        std::string& error) {
    if (!v.is_string()) {
        error = std::string(key) + " must be a string";
        return std::nullopt;
    }
    return std::string(v.get_string());
}

std::optional<std::vector<engine::Matcher>> matchers_field(const json::value& v,
                                                           std::string& error) {
    const auto* list = v.if_array();
    if (list == nullptr) {
        error =
            "matchers must be a list of strings such as [\"team=growth\", "
            "\"severity=~warn|critical\"]";
        return std::nullopt;
    }
    std::vector<engine::Matcher> out;
    for (const auto& item : *list) {
        if (!item.is_string()) {
            error = "matchers must be a list of strings such as [\"team=growth\"]";
            return std::nullopt;
        }
        std::string why;
        auto m = engine::parse_matcher(std::string_view(item.get_string()), why);
        if (!m) {
            error = "matchers: " + why;
            return std::nullopt;
        }
        out.push_back(std::move(*m));
    }
    return out;
}

std::optional<TimePoint> time_field(const json::value& v,
                                    std::string_view key,
                                    std::string& error) {
    auto text = string_field(v, key, error);
    if (!text) {
        return std::nullopt;
    }
    auto t = engine::parse_rfc3339(*text);
    if (!t) {
        error = std::string(key) + " must be an RFC 3339 time such as 2026-01-05T06:00:00Z";
    }
    return t;
}

}  // namespace

std::optional<engine::Silence> parse_silence_request(const std::string& body,
                                                     TimePoint now,
                                                     const std::set<std::string>& calendars,
                                                     std::string& error) {
    boost::system::error_code ec;
    const auto doc = json::parse(body, ec);
    if (ec || !doc.is_object()) {
        error =
            "body must be a JSON object: {\"matchers\": [\"team=growth\"], \"duration\": "
            "\"2h\", \"author\": ..., \"comment\": ...}";
        return std::nullopt;
    }
    engine::Silence s;
    s.starts_at = now;
    std::optional<TimePoint> ends_at;
    std::optional<engine::Duration> duration;
    bool has_matchers = false;
    for (const auto& field : doc.as_object()) {
        const std::string_view key = field.key();
        const auto& v = field.value();
        if (key == "matchers") {
            auto m = matchers_field(v, error);
            if (!m) {
                return std::nullopt;
            }
            s.matchers = std::move(*m);
            has_matchers = true;
        } else if (key == "starts_at" || key == "ends_at") {
            auto t = time_field(v, key, error);
            if (!t) {
                return std::nullopt;
            }
            (key == "starts_at" ? s.starts_at : ends_at.emplace()) = *t;
        } else if (key == "duration") {
            auto text = string_field(v, key, error);
            if (!text) {
                return std::nullopt;
            }
            duration = engine::parse_duration(*text);
            if (!duration || duration->count() <= 0) {
                error = "duration must be a positive duration such as 2h or 30m";
                return std::nullopt;
            }
        } else if (key == "author" || key == "comment" || key == "calendar") {
            auto text = string_field(v, key, error);
            if (!text) {
                return std::nullopt;
            }
            (key == "author" ? s.author : key == "comment" ? s.comment : s.calendar) = *text;
        } else {
            error = "unknown field '" + std::string(key) + "'; allowed: " + kAllowedFields;
            return std::nullopt;
        }
    }
    if (!has_matchers) {
        error = "matchers is required: a list such as [\"team=growth\"]";
        return std::nullopt;
    }
    if (ends_at && duration) {
        error = "give ends_at or duration, not both";
        return std::nullopt;
    }
    if (!ends_at && !duration) {
        error = "give ends_at (RFC 3339) or duration (e.g. 2h) to say when the silence ends";
        return std::nullopt;
    }
    s.ends_at = ends_at ? *ends_at : s.starts_at + *duration;
    if (!s.calendar.empty() && calendars.count(s.calendar) == 0) {
        std::string known;
        for (const auto& name : calendars) {
            known += (known.empty() ? "" : ", ") + name;
        }
        error = "no calendar named '" + s.calendar +
                "' in the rule files; known: " + (known.empty() ? "none" : known);
        return std::nullopt;
    }
    if (auto why = engine::check_silence(s)) {
        error = *why;
        return std::nullopt;
    }
    if (s.ends_at <= now) {
        error = "the silence would have ended already; give an end in the future";
        return std::nullopt;
    }
    return s;
}

std::optional<engine::Ack> parse_ack_request(const std::string& body,
                                             TimePoint now,
                                             std::string& error) {
    boost::system::error_code ec;
    const auto doc = json::parse(body.empty() ? "{}" : body, ec);
    if (ec || !doc.is_object()) {
        error = "body must be a JSON object: {\"author\": ..., \"comment\": ..., \"for\": \"30m\"}";
        return std::nullopt;
    }
    engine::Ack a;
    for (const auto& field : doc.as_object()) {
        const auto& key = field.key();
        if (!field.value().is_string()) {
            error = std::string(key) + " must be a string";
            return std::nullopt;
        }
        const std::string value(field.value().get_string());
        if (key == "author") {
            a.author = value;
        } else if (key == "comment") {
            a.comment = value;
        } else if (key == "for") {
            const auto d = engine::parse_duration(value);
            if (!d || d->count() <= 0) {
                error = "for must be a duration such as 30m";
                return std::nullopt;
            }
            a.until = now + *d;
        } else if (key == "until") {
            a.until = engine::parse_rfc3339(value);
            if (!a.until) {
                error = "until must be an RFC 3339 time";
                return std::nullopt;
            }
        } else {
            error =
                "unknown field '" + std::string(key) + "'; allowed: author, comment, for, until";
            return std::nullopt;
        }
    }
    if (a.author.empty()) {
        error = "author is required: say who is on it";
        return std::nullopt;
    }
    return a;
}

}  // namespace tocsin::app
