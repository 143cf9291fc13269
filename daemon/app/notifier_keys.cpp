#include "app/notifier_keys.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace tocsin::app {
namespace {

std::string where(const engine::PluginInstanceConfig& inst, const std::string& key) {
    return fmt::format("notifier '{}' > {}", inst.name, key);
}

std::optional<double> parse_number(const std::string& text) {
    try {
        std::size_t used = 0;
        const double v = std::stod(text, &used);
        if (used == text.size() && v > 0) {
            return v;
        }
    } catch (const std::exception&) {
    }
    return std::nullopt;
}

void parse_rate_value(const engine::RawEntry& entry,
                      const engine::PluginInstanceConfig& inst,
                      DeliveryPolicy& policy,
                      engine::Diagnostics& diags) {
    const auto& v = entry.value;
    const std::string path = where(inst, "rate_limit");
    const char* expected =
        "rate_limit must be 'N/s', 'N/m', 'N/h', 'off', or {rate: N/s, burst: B}";
    if (v.kind == engine::RawValue::Kind::Scalar) {
        if (v.scalar == "off") {
            policy.rate_limit.reset();
            return;
        }
        if (auto r = parse_rate(v.scalar)) {
            policy.rate_limit = r;
            return;
        }
        diags.error(v.loc, path, expected);
        return;
    }
    if (v.kind != engine::RawValue::Kind::Map) {
        diags.error(v.loc, path, expected);
        return;
    }
    std::optional<RateLimit> rate;
    std::optional<double> burst;
    for (const auto& e : v.entries) {
        if (e.key == "rate" && e.value.kind == engine::RawValue::Kind::Scalar) {
            rate = parse_rate(e.value.scalar);
            if (!rate) {
                diags.error(e.value.loc, path + " > rate", "rate must be 'N/s', 'N/m' or 'N/h'");
                return;
            }
        } else if (e.key == "burst" && e.value.kind == engine::RawValue::Kind::Scalar) {
            burst = parse_number(e.value.scalar);
            if (!burst || *burst < 1) {
                diags.error(e.value.loc, path + " > burst", "burst must be a number of at least 1");
                return;
            }
        } else {
            diags.error(
                e.key_loc, path, fmt::format("unknown key '{}'; allowed: rate, burst", e.key));
            return;
        }
    }
    if (!rate) {
        diags.error(v.loc, path, "rate_limit needs rate: N/s, N/m or N/h");
        return;
    }
    if (burst) {
        rate->burst = *burst;
        rate->text += fmt::format(" (burst {})", *burst);
    }
    policy.rate_limit = rate;
}

}  // namespace

std::optional<RateLimit> parse_rate(const std::string& text) {
    const auto slash = text.find('/');
    if (slash == std::string::npos) {
        return std::nullopt;
    }
    const auto count = parse_number(text.substr(0, slash));
    const std::string unit = text.substr(slash + 1);
    static const std::map<std::string, double> kSeconds{
        {"s", 1}, {"m", 60}, {"min", 60}, {"h", 3600}};
    auto it = kSeconds.find(unit);
    if (!count || it == kSeconds.end()) {
        return std::nullopt;
    }
    RateLimit r;
    r.per_second = *count / it->second;
    // A per-minute or per-hour budget may be spent in a short burst of a tenth of it.
    r.burst = std::max(1.0, it->second > 1 ? *count / 10 : 1.0);
    r.text = text;
    return r;
}

std::optional<RateLimit> default_rate_limit(const std::string& plugin) {
    if (plugin == "slack" || plugin == "twilio") {
        return parse_rate("1/s");
    }
    if (plugin == "pagerduty") {
        return parse_rate("120/m");
    }
    return std::nullopt;
}

DeliveryPolicy take_delivery_keys(engine::PluginInstanceConfig& inst, engine::Diagnostics& diags) {
    DeliveryPolicy policy;
    policy.rate_limit = default_rate_limit(inst.plugin);
    auto& settings = inst.settings;
    for (auto it = settings.begin(); it != settings.end();) {
        const auto& e = *it;
        const bool scalar = e.value.kind == engine::RawValue::Kind::Scalar;
        if (e.key == "fallback") {
            if (!scalar || e.value.scalar.empty()) {
                diags.error(e.value.loc, where(inst, e.key), "fallback must name a notifier");
            } else {
                policy.fallback = e.value.scalar;
            }
        } else if (e.key == "fallback_after") {
            auto d = scalar ? engine::parse_duration(e.value.scalar) : std::nullopt;
            if (!d || d->count() <= 0) {
                diags.error(e.value.loc,
                            where(inst, e.key),
                            "fallback_after must be a duration such as 5m");
            } else {
                policy.fallback_after = *d;
            }
        } else if (e.key == "fallback_attempts") {
            auto n = scalar ? parse_number(e.value.scalar) : std::nullopt;
            if (!n || *n != static_cast<int>(*n) || *n > 1000) {
                diags.error(e.value.loc,
                            where(inst, e.key),
                            "fallback_attempts must be a whole number from 1 to 1000");
            } else {
                policy.fallback_attempts = static_cast<int>(*n);
            }
        } else if (e.key == "rate_limit") {
            parse_rate_value(e, inst, policy, diags);
        } else {
            ++it;
            continue;
        }
        it = settings.erase(it);
    }
    return policy;
}

void check_fallbacks(const std::vector<engine::PluginInstanceConfig>& notifiers,
                     const std::vector<DeliveryPolicy>& policies,
                     engine::Diagnostics& diags) {
    std::map<std::string, std::string> next;
    for (std::size_t i = 0; i < notifiers.size(); ++i) {
        if (!policies[i].fallback.empty()) {
            next[notifiers[i].name] = policies[i].fallback;
        }
    }
    for (std::size_t i = 0; i < notifiers.size(); ++i) {
        const auto& fb = policies[i].fallback;
        if (fb.empty()) {
            continue;
        }
        // The loader has checked that the name exists and is not the notifier itself.
        const auto& inst = notifiers[i];
        // Follow the chain; meeting this notifier again is a cycle.
        std::string at = fb;
        std::string chain = inst.name + " -> " + fb;
        for (std::size_t hops = 0; hops < notifiers.size(); ++hops) {
            auto it = next.find(at);
            if (it == next.end()) {
                break;
            }
            at = it->second;
            chain += " -> " + at;
            if (at == inst.name) {
                diags.error(inst.loc, where(inst, "fallback"), "fallbacks form a cycle: " + chain);
                break;
            }
        }
    }
}

}  // namespace tocsin::app
