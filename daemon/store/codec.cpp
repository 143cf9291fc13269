#include "store/codec.hpp"

#include <boost/json.hpp>

namespace tocsin::store::codec {

// The engine has its own to_string() for these enums; the store keeps its own spelling so the
// on-disk format cannot change by accident when the engine's texts do.

std::string labels_json(const engine::Labels& labels) {
    boost::json::object object;
    object.reserve(labels.size());
    for (const auto& [key, value] : labels) {  // std::map iterates sorted: canonical order
        object.emplace(key, value);
    }
    return boost::json::serialize(object);
}

std::optional<engine::Labels> parse_labels_json(std::string_view json) {
    boost::json::error_code ec;
    const boost::json::value parsed = boost::json::parse(json, ec);
    if (ec || !parsed.is_object()) {
        return std::nullopt;
    }
    engine::Labels labels;
    for (const auto& [key, value] : parsed.get_object()) {
        if (!value.is_string()) {
            return std::nullopt;
        }
        labels.emplace(std::string(key), std::string(value.get_string()));
    }
    return labels;
}

std::string strings_json(const std::vector<std::string>& values) {
    boost::json::array array;
    array.reserve(values.size());
    for (const auto& value : values) {
        array.emplace_back(value);
    }
    return boost::json::serialize(array);
}

std::optional<std::vector<std::string>> parse_strings_json(std::string_view json) {
    boost::json::error_code ec;
    const boost::json::value parsed = boost::json::parse(json, ec);
    if (ec || !parsed.is_array()) {
        return std::nullopt;
    }
    std::vector<std::string> values;
    values.reserve(parsed.get_array().size());
    for (const auto& value : parsed.get_array()) {
        if (!value.is_string()) {
            return std::nullopt;
        }
        values.emplace_back(value.get_string());
    }
    return values;
}

const char* alert_state_text(engine::AlertState s) {
    switch (s) {
        case engine::AlertState::Inactive:
            return "inactive";
        case engine::AlertState::Pending:
            return "pending";
        case engine::AlertState::Firing:
            return "firing";
    }
    return "inactive";  // unreachable for valid enum values
}

std::optional<engine::AlertState> parse_alert_state(std::string_view s) {
    if (s == "inactive") {
        return engine::AlertState::Inactive;
    }
    if (s == "pending") {
        return engine::AlertState::Pending;
    }
    if (s == "firing") {
        return engine::AlertState::Firing;
    }
    return std::nullopt;
}

const char* severity_text(engine::Severity s) {
    switch (s) {
        case engine::Severity::None:
            return "none";
        case engine::Severity::Warning:
            return "warning";
        case engine::Severity::Critical:
            return "critical";
    }
    return "none";  // unreachable for valid enum values
}

std::optional<engine::Severity> parse_severity_text(std::string_view s) {
    if (s == "none") {
        return engine::Severity::None;
    }
    if (s == "warning") {
        return engine::Severity::Warning;
    }
    if (s == "critical") {
        return engine::Severity::Critical;
    }
    return std::nullopt;
}

}  // namespace tocsin::store::codec
