#include "app/push_parse.hpp"

#include "app/checked_config.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <exposition.hpp>

namespace tocsin::app {
namespace json = boost::json;
using engine::TimePoint;

namespace {

constexpr engine::Duration kMaxFuture{std::chrono::minutes(5)};

std::string sample_ref(std::size_t index) {
    return "sample " + std::to_string(index + 1) + ": ";
}

/// Why a sample's time is refused; "" when good. Before 1970 is no Unix time (plugins refuse it
/// too), and a clock far ahead would hold a series' latest value for good.
std::string time_problem(TimePoint at, TimePoint now) {
    if (at < TimePoint{}) {
        return "timestamp is before 1970";
    }
    if (at > now + kMaxFuture) {
        return "timestamp is more than 5 minutes in the future";
    }
    return {};
}

/// Checks one JSON sample; "" when good.
std::string read_json_sample(const json::value& v,
                             const CheckedConfig& config,
                             TimePoint now,
                             engine::Sample& out) {
    const auto* o = v.if_object();
    if (o == nullptr) {
        return "must be an object with kpi and value";
    }
    for (const auto& field : *o) {
        if (field.key() != "kpi" && field.key() != "value" && field.key() != "labels" &&
            field.key() != "timestamp") {
            return "unknown field '" + std::string(field.key()) +
                   "'; allowed: kpi, value, labels, timestamp";
        }
    }
    const auto* kpi = o->if_contains("kpi");
    if (kpi == nullptr || !kpi->is_string()) {
        return "kpi must be a string";
    }
    out.kpi = std::string(kpi->get_string());
    if (config.push_kpis.count(out.kpi) == 0) {
        return "no KPI named '" + out.kpi +
               "' takes pushed samples (its source must be a push "
               "source)";
    }
    const auto* value = o->if_contains("value");
    if (value == nullptr || !value->is_number()) {
        return "value must be a number";
    }
    out.value = value->to_number<double>();
    if (!std::isfinite(out.value)) {
        return "value must be finite";
    }
    if (const auto* labels = o->if_contains("labels")) {
        if (!labels->is_object()) {
            return "labels must be an object of strings";
        }
        for (const auto& l : labels->get_object()) {
            if (!l.value().is_string()) {
                return "label '" + std::string(l.key()) + "' must be a string";
            }
            out.labels[std::string(l.key())] = std::string(l.value().get_string());
        }
    }
    out.at = now;
    if (const auto* ts = o->if_contains("timestamp")) {
        if (ts->is_string()) {
            auto t = engine::parse_rfc3339(ts->get_string());
            if (!t) {
                return "timestamp must be RFC 3339 or Unix milliseconds";
            }
            out.at = *t;
        } else if (ts->is_int64()) {
            out.at = engine::from_unix_ms(ts->get_int64());
        } else if (ts->is_uint64()) {
            // Above the largest int64: thousands of millions of years ahead.
            return "timestamp is more than 5 minutes in the future";
        } else {
            return "timestamp must be RFC 3339 or Unix milliseconds";
        }
        return time_problem(out.at, now);
    }
    return {};
}

void parse_json(const std::string& body,
                const CheckedConfig& config,
                TimePoint now,
                ParsedPush& out) {
    boost::system::error_code ec;
    const auto doc = json::parse(body, ec);
    if (ec) {
        out.error = "body is not valid JSON: " + ec.message();
        return;
    }
    const json::array* samples = doc.if_array();
    if (samples == nullptr) {
        if (const auto* o = doc.if_object()) {
            if (const auto* s = o->if_contains("samples")) {
                samples = s->if_array();
            }
        }
    }
    if (samples == nullptr) {
        out.error = R"(body must be {"samples": [...]} or an array of samples)";
        return;
    }
    for (std::size_t i = 0; i < samples->size(); ++i) {
        engine::Sample s;
        auto problem = read_json_sample((*samples)[i], config, now, s);
        if (problem.empty()) {
            out.samples.push_back(std::move(s));
        } else {
            out.rejected.push_back(sample_ref(i) + problem);
        }
    }
}

/// Each series goes to every push KPI that selects it: by `match:`, or by name = KPI name.
void parse_text(const std::string& body,
                const CheckedConfig& config,
                TimePoint now,
                ParsedPush& out) {
    exposition::Exposition parsed;
    if (auto error = exposition::parse(body, parsed)) {
        out.error = "body is not in the Prometheus text format: " + error->to_string();
        return;
    }
    for (std::size_t i = 0; i < parsed.series.size(); ++i) {
        const auto& series = parsed.series[i];
        bool used = false;
        for (const auto& [kpi, selector] : config.push_kpis) {
            const bool selected = selector ? selector->matches(series) : series.name == kpi;
            if (!selected) {
                continue;
            }
            engine::Sample s;
            s.kpi = kpi;
            s.value = series.value;
            for (const auto& [name, value] : series.labels) {
                s.labels[name] = value;
            }
            s.at = series.timestamp_ms ? engine::from_unix_ms(*series.timestamp_ms) : now;
            if (!std::isfinite(s.value)) {
                out.rejected.push_back(sample_ref(i) + series.name + " has no finite value");
            } else if (auto problem = time_problem(s.at, now); !problem.empty()) {
                out.rejected.push_back(sample_ref(i) + series.name + ": " + problem);
            } else {
                out.samples.push_back(std::move(s));
            }
            used = true;
        }
        if (!used) {
            out.rejected.push_back(sample_ref(i) + "no push KPI selects series '" + series.name +
                                   "'");
        }
    }
}

}  // namespace

ParsedPush parse_pushed_samples(const std::string& content_type,
                                const std::string& body,
                                const CheckedConfig& config,
                                TimePoint now) {
    ParsedPush out;
    if (content_type == "application/json") {
        parse_json(body, config, now, out);
    } else if (content_type == "text/plain" || content_type == "application/openmetrics-text") {
        parse_text(body, config, now, out);
    } else {
        out.error = "Content-Type must be application/json or text/plain (Prometheus text format)";
        out.unsupported_type = true;
    }
    return out;
}

}  // namespace tocsin::app
