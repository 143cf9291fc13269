#pragma once

/// Read access to a plugin's validated config (or one KPI's params). The host has already
/// rejected unknown keys, checked types and required keys and filled defaults, so getters only
/// fall back when a key is absent (or, defensively, of another type). Durations arrive as integer
/// milliseconds; get_duration() also reads "30s"-style strings so that a plugin test may hand
/// its config in directly.

#include "tocsin/sdk/json.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tocsin::sdk {

namespace config_detail {

/// "500ms", "30s", "5m", "6h", "2d", "1w" and sums such as "1h30m"; false on anything else.
inline bool parse_duration(std::string_view text, std::chrono::milliseconds& out) {
    if (text.empty()) {
        return false;
    }
    std::int64_t total = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        std::int64_t n = 0;
        const std::size_t digits_start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            if (n > 1000000000000LL) {
                return false;
            }
            n = n * 10 + (text[i] - '0');
            ++i;
        }
        if (i == digits_start) {
            return false;
        }
        std::int64_t unit = 0;
        if (text.substr(i, 2) == "ms") {
            unit = 1, i += 2;
        } else if (i < text.size()) {
            switch (text[i]) {
                case 's':
                    unit = 1000;
                    break;
                case 'm':
                    unit = 60000;
                    break;
                case 'h':
                    unit = 3600000;
                    break;
                case 'd':
                    unit = 86400000;
                    break;
                case 'w':
                    unit = 604800000;
                    break;
                default:
                    return false;
            }
            ++i;
        } else {
            return false;
        }
        total += n * unit;
        if (total < 0 || total > 100LL * 365 * 86400000) {
            return false;
        }
    }
    out = std::chrono::milliseconds(total);
    return true;
}

/// Scalars as text: strings as they are, numbers and bools in JSON form.
inline std::string scalar_text(const Json& v) {
    return v.is_string() ? v.as_string() : v.dump();
}

}  // namespace config_detail

class Config {
public:
    /// `object` should be a JSON object; anything else reads as an empty config.
    explicit Config(Json object = Json::object()) : json_(std::move(object)) {
        if (!json_.is_object()) {
            json_ = Json::object();
        }
    }

    [[nodiscard]] bool has(std::string_view key) const {
        const Json* v = json_.find(key);
        return v != nullptr && !v->is_null();
    }

    [[nodiscard]] std::string get_string(std::string_view key, std::string fallback = {}) const {
        const Json* v = json_.find(key);
        if (v == nullptr || v->is_null() || v->is_array() || v->is_object()) {
            return fallback;
        }
        return config_detail::scalar_text(*v);
    }

    [[nodiscard]] std::int64_t get_int(std::string_view key, std::int64_t fallback = 0) const {
        const Json* v = json_.find(key);
        return v != nullptr && v->is_integer() ? v->as_int() : fallback;
    }

    [[nodiscard]] double get_number(std::string_view key, double fallback = 0) const {
        const Json* v = json_.find(key);
        return v != nullptr && v->is_number() ? v->as_number() : fallback;
    }

    [[nodiscard]] bool get_bool(std::string_view key, bool fallback = false) const {
        const Json* v = json_.find(key);
        return v != nullptr && v->is_bool() ? v->as_bool() : fallback;
    }

    /// The host passes durations as integer milliseconds.
    [[nodiscard]] std::chrono::milliseconds get_duration(
        std::string_view key, std::chrono::milliseconds fallback = {}) const {
        const Json* v = json_.find(key);
        if (v == nullptr) {
            return fallback;
        }
        if (v->is_integer()) {
            return std::chrono::milliseconds(v->as_int());
        }
        std::chrono::milliseconds parsed{};
        if (v->is_string() && config_detail::parse_duration(v->as_string(), parsed)) {
            return parsed;
        }
        return fallback;
    }

    /// The strings of a list key (other items are skipped); empty when absent.
    [[nodiscard]] std::vector<std::string> get_string_list(std::string_view key) const {
        std::vector<std::string> out;
        const Json* v = json_.find(key);
        if (v != nullptr && v->is_array()) {
            for (const auto& item : v->as_array()) {
                if (!item.is_null() && !item.is_array() && !item.is_object()) {
                    out.push_back(config_detail::scalar_text(item));
                }
            }
        }
        return out;
    }

    /// The entries of a map key, in written order; empty when absent.
    [[nodiscard]] std::vector<std::pair<std::string, std::string>> get_string_map(
        std::string_view key) const {
        std::vector<std::pair<std::string, std::string>> out;
        const Json* v = json_.find(key);
        if (v != nullptr && v->is_object()) {
            for (const auto& [k, item] : v->as_object()) {
                if (!item.is_null() && !item.is_array() && !item.is_object()) {
                    out.emplace_back(k, config_detail::scalar_text(item));
                }
            }
        }
        return out;
    }

    [[nodiscard]] const Json& json() const { return json_; }

private:
    Json json_;
};

}  // namespace tocsin::sdk
