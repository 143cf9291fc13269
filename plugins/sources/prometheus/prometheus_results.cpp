#include "prometheus_results.hpp"

#include <tocsin/sdk/json.hpp>

#include <cmath>

namespace tocsin::plugins::prometheus {
namespace {

// Skipped series are reported one by one up to this many, then summed up.
constexpr std::size_t kMaxSkipWarnings = 5;

using sdk::Json;

std::string describe_series(std::string_view name, const Labels& labels) {
    std::string text(name);
    text += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
        text += (i == 0 ? "" : ",") + labels[i].first + "=\"" + labels[i].second + "\"";
    }
    return text + '}';
}

// True for a finite value; a NaN or an infinity (the host refuses them) becomes a bounded
// warning instead.
bool accept(const std::string& kpi,
            std::string_view name,
            const Labels& labels,
            double value,
            KpiResult& out) {
    if (std::isfinite(value)) {
        ++out.picked;
        return true;
    }
    if (++out.skipped <= kMaxSkipWarnings) {
        out.warnings.push_back("KPI '" + kpi + "': series " + describe_series(name, labels) +
                               " skipped: value is " + (std::isnan(value) ? "NaN" : "infinite"));
    }
    return false;
}

void add_row(const std::string& kpi, std::string_view name, Row row, KpiResult& out) {
    if (accept(kpi, name, row.labels, row.value, out)) {
        out.rows.push_back(std::move(row));
    }
}

void summarize_skips(const std::string& kpi, KpiResult& out) {
    if (out.skipped > kMaxSkipWarnings) {
        out.warnings.push_back("KPI '" + kpi +
                               "': " + std::to_string(out.skipped - kMaxSkipWarnings) +
                               " more series skipped");
    }
}

std::optional<std::int64_t> seconds_to_ms(const Json& time) {
    // Beyond about 292 million years the milliseconds no longer fit an int64.
    if (!time.is_number() || !std::isfinite(time.as_number()) || time.as_number() < 0 ||
        time.as_number() > 9.2e15) {
        return std::nullopt;
    }
    return std::llround(time.as_number() * 1000.0);
}

// Reads `[<unix seconds>, "<value>"]`; an error sentence or nothing.
std::optional<std::string> read_pair(const Json& pair, Row& row, bool string_result) {
    if (!pair.is_array() || pair.as_array().size() != 2 || !pair.at(1).is_string()) {
        return std::string("a sample is not [time, \"value\"]");
    }
    const auto ms = seconds_to_ms(pair.at(0));
    if (!ms) {
        return std::string("a sample has an invalid time");
    }
    row.timestamp_ms = *ms;
    const std::string& text = pair.at(1).as_string();
    const auto value = exposition::parse_value(text);
    if (!value) {
        return (string_result ? "the string result '" : "the value '") + text + "' is not a number";
    }
    row.value = *value;
    return std::nullopt;
}

void read_result(const std::string& kpi, const Json& data, KpiResult& out) {
    const std::string what = "query for KPI '" + kpi + "'";
    const Json* type = data.find("resultType");
    const Json* result = data.find("result");
    if (type == nullptr || !type->is_string() || result == nullptr) {
        out.error = what + ": the answer has no data.resultType and data.result";
        return;
    }
    const std::string& kind = type->as_string();
    if (kind == "scalar" || kind == "string") {
        Row row;
        if (auto problem = read_pair(*result, row, kind == "string")) {
            out.error = what + ": " + *problem;
            return;
        }
        add_row(kpi, kind, std::move(row), out);
        return;
    }
    if (kind == "matrix") {
        out.error =
            what + " returned a range vector; write an instant query (no [range] at the end)";
        return;
    }
    if (kind != "vector" || !result->is_array()) {
        out.error = what + " returned an unknown result type '" + kind + "'";
        return;
    }
    for (const auto& series : result->as_array()) {
        Row row;
        std::string name;
        if (const Json* metric = series.find("metric"); metric != nullptr && metric->is_object()) {
            for (const auto& [label, value] : metric->as_object()) {
                if (!value.is_string()) {
                    continue;
                }
                if (label == "__name__") {
                    name = value.as_string();
                } else {
                    row.labels.emplace_back(label, value.as_string());
                }
            }
        }
        const Json* pair = series.find("value");
        if (pair == nullptr) {
            out.error = what + ": a series has no value";
            return;
        }
        if (auto problem = read_pair(*pair, row, false)) {
            out.error = what + ": " + *problem;
            return;
        }
        add_row(kpi, name, std::move(row), out);
    }
}

void percent_encode(std::string_view text, std::string& out) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        const bool plain = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
                           (u >= '0' && u <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
        if (plain) {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHex[u >> 4]);
            out.push_back(kHex[u & 0xf]);
        }
    }
}

}  // namespace

std::string query_form(std::string_view query, std::int64_t time_unix_ms) {
    std::string form = "query=";
    percent_encode(query, form);
    const std::int64_t millis = time_unix_ms % 1000;
    std::string fraction = std::to_string(millis);
    fraction.insert(0, 3 - fraction.size(), '0');
    form += "&time=" + std::to_string(time_unix_ms / 1000) + "." + fraction;
    return form;
}

KpiResult read_query_answer(const std::string& kpi,
                            const http::Response& response,
                            const std::string& origin) {
    KpiResult out;
    const std::string what = "query for KPI '" + kpi + "'";
    if (!response.error.empty()) {
        out.error = what + ": " + response.error;
        out.temporary = response.temporary();
        return out;
    }
    Json answer;
    std::string parse_error;
    if (!Json::try_parse(response.body, answer, &parse_error) || !answer.is_object() ||
        !answer.contains("status")) {
        // Not the API's JSON: a proxy's error page, or not a Prometheus server at all.
        out.temporary = response.temporary();
        if (response.status < 200 || response.status >= 300) {
            out.error = what + ": " + http::describe_status(response, origin);
        } else {
            out.error = what + ": the answer from " + origin +
                        " is not Prometheus API JSON; point url at the server's base address";
        }
        return out;
    }
    if (const Json* warnings = answer.find("warnings");
        warnings != nullptr && warnings->is_array()) {
        for (const auto& warning : warnings->as_array()) {
            if (warning.is_string()) {
                out.warnings.push_back("KPI '" + kpi +
                                       "': Prometheus warns: " + warning.as_string());
            }
        }
    }
    if (answer["status"].is_string() && answer["status"].as_string() == "success" &&
        response.status >= 200 && response.status < 300) {
        read_result(kpi, answer["data"], out);
        summarize_skips(kpi, out);
        return out;
    }
    const std::string type = answer["errorType"].is_string() ? answer["errorType"].as_string() : "";
    const std::string message = answer["error"].is_string() ? answer["error"].as_string() : "";
    out.error = what + " failed: " + (type.empty() ? "" : type + ": ") +
                (message.empty() ? "HTTP " + std::to_string(response.status) : message);
    out.temporary = type == "timeout" || type == "unavailable" || response.temporary();
    return out;
}

KpiResult select_series(const std::string& kpi,
                        const exposition::Exposition& scrape,
                        const exposition::Selector& selector) {
    KpiResult out;
    for (const auto& series : scrape.series) {
        if (!selector.matches(series)) {
            continue;
        }
        add_row(kpi,
                series.name,
                Row{series.value, series.labels, series.timestamp_ms.value_or(0)},
                out);
    }
    summarize_skips(kpi, out);
    return out;
}

KpiResult select_series(const std::string& kpi,
                        const exposition::Exposition& scrape,
                        const exposition::Selector& selector,
                        exposition::SeriesIndex& index) {
    std::vector<Row> rows;
    KpiResult out =
        select_series(kpi, scrape, selector, index, [&rows](const exposition::Series& series) {
            rows.push_back(Row{series.value, series.labels, series.timestamp_ms.value_or(0)});
        });
    out.rows = std::move(rows);
    return out;
}

KpiResult select_series(const std::string& kpi,
                        const exposition::Exposition& scrape,
                        const exposition::Selector& selector,
                        exposition::SeriesIndex& index,
                        const SeriesVisitor& on_series) {
    KpiResult out;
    const auto visit = [&](const exposition::Series& series) {
        if (selector.matches(series) &&
            accept(kpi, series.name, series.labels, series.value, out)) {
            on_series(series);
        }
    };
    if (const auto candidates = index.candidates(selector)) {
        for (const auto position : *candidates) {
            visit(scrape.series[position]);
        }
    } else {
        for (const auto& series : scrape.series) {
            visit(series);
        }
    }
    summarize_skips(kpi, out);
    return out;
}

}  // namespace tocsin::plugins::prometheus
