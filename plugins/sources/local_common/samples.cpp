#include "samples.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace tocsin::plugins::local {
namespace {

std::string scalar_text(const sdk::Json& v) {
    return v.is_string() ? v.as_string() : v.dump();
}

}  // namespace

std::optional<std::string> read_sample(const sdk::Json& object, ParsedSample& out) {
    if (!object.is_object()) {
        return std::string("expected an object like {\"kpi\": \"name\", \"value\": 1}, found ") +
               object.type_name();
    }
    for (const auto& [key, value] : object.as_object()) {
        if (key != "kpi" && key != "value" && key != "labels" && key != "timestamp") {
            return "unknown field '" + key + "'; allowed: kpi, value, labels, timestamp";
        }
    }
    const sdk::Json* kpi = object.find("kpi");
    if (kpi == nullptr || !kpi->is_string() || kpi->as_string().empty()) {
        return std::string("'kpi' is missing or not a non-empty string");
    }
    out.kpi = kpi->as_string();
    const sdk::Json* value = object.find("value");
    if (value == nullptr) {
        return "'value' of KPI '" + out.kpi + "' is missing";
    }
    std::optional<double> number;
    if (value->is_number()) {
        number =
            std::isfinite(value->as_number()) ? std::optional(value->as_number()) : std::nullopt;
    } else if (value->is_string()) {
        number = parse_number(value->as_string());
    }
    if (!number) {
        return "'value' of KPI '" + out.kpi + "' is not a number";
    }
    out.value = *number;
    out.labels.clear();
    if (const sdk::Json* labels = object.find("labels"); labels != nullptr && !labels->is_null()) {
        if (!labels->is_object()) {
            return "'labels' of KPI '" + out.kpi + "' is not an object of strings";
        }
        for (const auto& [name, label] : labels->as_object()) {
            if (label.is_array() || label.is_object()) {
                return "label '" + name + "' of KPI '" + out.kpi + "' is not a scalar";
            }
            if (!label.is_null()) {
                out.labels.emplace_back(name, scalar_text(label));
            }
        }
    }
    out.timestamp_ms = 0;
    if (const sdk::Json* ts = object.find("timestamp"); ts != nullptr && !ts->is_null()) {
        std::optional<std::int64_t> ms;
        if (ts->is_number()) {
            ms = seconds_to_ms(ts->as_number());
        } else if (ts->is_string()) {
            ms = parse_timestamp_ms(ts->as_string());
        }
        if (!ms || *ms < 0) {
            return "'timestamp' of KPI '" + out.kpi + "' is neither Unix seconds nor ISO-8601 text";
        }
        out.timestamp_ms = *ms;
    }
    return std::nullopt;
}

std::optional<std::string> read_sample_array(std::string_view text,
                                             std::vector<ParsedSample>& out) {
    sdk::Json doc;
    std::string error;
    std::size_t offset = 0;
    if (!sdk::Json::try_parse(text, doc, &error, &offset)) {
        return "not JSON: " + error + " at byte " + std::to_string(offset);
    }
    if (!doc.is_array()) {
        return std::string("expected a JSON array of samples, found ") + doc.type_name();
    }
    std::size_t index = 0;
    for (const auto& item : doc.as_array()) {
        ++index;
        ParsedSample sample;
        if (auto why = read_sample(item, sample)) {
            return "item " + std::to_string(index) + ": " + *why;
        }
        out.push_back(std::move(sample));
    }
    return std::nullopt;
}

EmitReport emit_requested(const std::vector<ParsedSample>& samples,
                          const std::vector<sdk::KpiRequest>& kpis,
                          sdk::SampleSink& sink) {
    EmitReport report;
    std::unordered_set<std::string> wanted;
    for (const auto& k : kpis) {
        wanted.insert(k.kpi);
    }
    std::unordered_set<std::string> seen;
    for (const auto& s : samples) {
        if (wanted.count(s.kpi) == 0) {
            continue;
        }
        seen.insert(s.kpi);
        if (sink.emit(s.kpi, s.value, s.labels, s.timestamp_ms)) {
            ++report.emitted;
        } else {
            ++report.refused;
        }
    }
    for (const auto& k : kpis) {
        if (seen.count(k.kpi) == 0 &&
            std::find(report.missing.begin(), report.missing.end(), k.kpi) ==
                report.missing.end()) {
            report.missing.push_back(k.kpi);
        }
    }
    return report;
}

std::string missing_text(const std::vector<std::string>& missing, std::string_view where) {
    std::string names;
    for (const auto& m : missing) {
        names += (names.empty() ? "'" : ", '") + m + "'";
    }
    return (missing.size() == 1 ? "KPI " + names + " is" : "KPIs " + names + " are") +
           " missing from " + std::string(where);
}

}  // namespace tocsin::plugins::local
