#include "plugin_host/config_check.hpp"

#include "engine/time.hpp"
#include "tocsin/sdk/json.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <utility>
#include <vector>

namespace tocsin::plugin_host {

namespace {

using engine::RawEntry;
using engine::RawValue;
using engine::SourceLoc;
using sdk::Json;

std::string with_article(tocsin_config_type type) {
    const std::string name = to_string(type);
    return (type == TOCSIN_TYPE_INT ? "an " : "a ") + name;
}

bool contains_secret(const RawValue& v) {
    if (v.secret) {
        return true;
    }
    for (const auto& item : v.items) {
        if (contains_secret(item)) {
            return true;
        }
    }
    for (const auto& e : v.entries) {
        if (contains_secret(e.value)) {
            return true;
        }
    }
    return false;
}

/// How a value is named in a message; never its text when it is (or may be) secret.
std::string describe(const RawValue& v, bool secret) {
    switch (v.kind) {
        case RawValue::Kind::Null:
            return "nothing";
        case RawValue::Kind::List:
            return "a list";
        case RawValue::Kind::Map:
            return "a map";
        case RawValue::Kind::Scalar:
            break;
    }
    if (secret || v.secret) {
        return "the secret value";
    }
    constexpr std::size_t kMaxShown = 60;
    return "'" + (v.scalar.size() > kMaxShown ? v.scalar.substr(0, kMaxShown) + "..." : v.scalar) +
           "'";
}

/// A value as written, for display: scalars as strings.
Json raw_json(const RawValue& v) {
    switch (v.kind) {
        case RawValue::Kind::Null:
            return Json(nullptr);
        case RawValue::Kind::Scalar:
            return Json(v.scalar);
        case RawValue::Kind::List: {
            Json a = Json::array();
            for (const auto& item : v.items) {
                a.push_back(raw_json(item));
            }
            return a;
        }
        case RawValue::Kind::Map: {
            Json o = Json::object();
            for (const auto& e : v.entries) {
                o.set(e.key, raw_json(e.value));
            }
            return o;
        }
    }
    return Json(nullptr);
}

std::optional<bool> parse_bool(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    if (text == "true" || text == "yes" || text == "on") {
        return true;
    }
    if (text == "false" || text == "no" || text == "off") {
        return false;
    }
    return std::nullopt;
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) {
        out += (out.empty() ? "" : ", ") + s;
    }
    return out.empty() ? "none" : out;
}

/// Checks one settings list against a key table; with `diags` null it only converts.
class Checker {
public:
    Checker(const std::vector<KeySpec>& keys, std::string prefix, engine::Diagnostics* diags)
        : keys_(keys), prefix_(std::move(prefix)), diags_(diags) {}

    /// Keys the host consumes itself: offered in "allowed" and "did you mean", never passed on.
    std::vector<std::string> host_keys;
    /// Host keys the loader leaves among the settings: skipped here, checked by the app.
    std::vector<std::string> skipped;

    std::optional<Json> check(const std::vector<RawEntry>& settings, const SourceLoc& owner_loc) {
        std::map<std::string, Json> given;
        std::set<std::string> seen;
        for (const RawEntry& e : settings) {
            if (std::find(skipped.begin(), skipped.end(), e.key) != skipped.end()) {
                continue;
            }
            if (!seen.insert(e.key).second) {
                continue;  // the YAML reader already reported the duplicate
            }
            const KeySpec* spec = find(e.key);
            if (spec == nullptr) {
                report_unknown(e);
                continue;
            }
            if (auto v = convert(e.value, *spec, prefix_ + " > " + e.key)) {
                given.emplace(e.key, std::move(*v));
            }
        }
        Json out = Json::object();
        for (const KeySpec& spec : keys_) {
            if (auto it = given.find(spec.name); it != given.end()) {
                out.set(spec.name, std::move(it->second));
            } else if (spec.required) {
                error(owner_loc,
                      prefix_,
                      "missing required key '" + spec.name + "' (" + with_article(spec.type) +
                          (spec.description.empty() ? "" : ": " + spec.description) + ")");
            } else if (spec.default_json) {
                out.set(spec.name, Json::parse(*spec.default_json));
            }
        }
        if (!ok_) {
            return std::nullopt;
        }
        return out;
    }

    /// The value converted to the key's type, or nullopt (reported unless quiet).
    std::optional<Json> convert(const RawValue& v, const KeySpec& spec, const std::string& path) {
        const bool secret = spec.secret || v.secret;
        const auto expect_scalar = [&]() {
            if (v.kind == RawValue::Kind::Scalar) {
                return true;
            }
            error(v.loc,
                  path,
                  "expected " + with_article(spec.type) + ", got " + describe(v, secret));
            return false;
        };
        // "5" in quotes is a string in YAML; only ${env:...}/${file:...} values are always text.
        const auto reject_quoted = [&](const char* how) {
            if (v.quoted && !v.secret) {
                error(v.loc,
                      path,
                      describe(v, secret) +
                          " is quoted, so it is a string; write it without quotes as " + how);
                return true;
            }
            return false;
        };
        switch (spec.type) {
            case TOCSIN_TYPE_STRING:
                if (!expect_scalar()) {
                    return std::nullopt;
                }
                return Json(v.scalar);
            case TOCSIN_TYPE_INT: {
                if (!expect_scalar() || reject_quoted("an int")) {
                    return std::nullopt;
                }
                std::int64_t n = 0;
                const char* end = v.scalar.data() + v.scalar.size();
                const auto r = std::from_chars(v.scalar.data(), end, n);
                if (r.ec != std::errc() || r.ptr != end) {
                    error(
                        v.loc,
                        path,
                        describe(v, secret) + " is not an integer; use a whole number such as 10");
                    return std::nullopt;
                }
                return Json(n);
            }
            case TOCSIN_TYPE_NUMBER: {
                if (!expect_scalar() || reject_quoted("a number")) {
                    return std::nullopt;
                }
                double d = 0;
                const char* end = v.scalar.data() + v.scalar.size();
                const auto r = std::from_chars(v.scalar.data(), end, d);
                if (r.ec != std::errc() || r.ptr != end || !std::isfinite(d)) {
                    error(
                        v.loc, path, describe(v, secret) + " is not a number; use e.g. 10 or 0.5");
                    return std::nullopt;
                }
                return Json(d);
            }
            case TOCSIN_TYPE_BOOL: {
                if (!expect_scalar() || reject_quoted("a bool")) {
                    return std::nullopt;
                }
                auto b = parse_bool(v.scalar);
                if (!b) {
                    error(v.loc, path, describe(v, secret) + " is not a bool; use true or false");
                    return std::nullopt;
                }
                return Json(*b);
            }
            case TOCSIN_TYPE_DURATION: {
                if (!expect_scalar()) {
                    return std::nullopt;
                }
                auto d = engine::parse_duration(v.scalar);
                if (!d) {
                    error(v.loc,
                          path,
                          describe(v, secret) + " is not a duration; use e.g. 30s or 2m");
                    return std::nullopt;
                }
                return Json(d->count());
            }
            case TOCSIN_TYPE_STRING_LIST: {
                if (v.kind != RawValue::Kind::List) {
                    error(v.loc,
                          path,
                          "expected a list of strings, got " + describe(v, secret) +
                              "; write e.g. [a, b]");
                    return std::nullopt;
                }
                Json a = Json::array();
                bool good = true;
                for (std::size_t i = 0; i < v.items.size(); ++i) {
                    const RawValue& item = v.items[i];
                    if (item.kind != RawValue::Kind::Scalar) {
                        error(item.loc,
                              path,
                              "item " + std::to_string(i + 1) + ": expected a string, got " +
                                  describe(item, secret));
                        good = false;
                        continue;
                    }
                    a.push_back(Json(item.scalar));
                }
                return good ? std::optional<Json>(std::move(a)) : std::nullopt;
            }
            case TOCSIN_TYPE_STRING_MAP: {
                if (v.kind != RawValue::Kind::Map) {
                    error(v.loc,
                          path,
                          "expected a map of strings, got " + describe(v, secret) +
                              "; write e.g. {name: value}");
                    return std::nullopt;
                }
                Json o = Json::object();
                bool good = true;
                for (const RawEntry& e : v.entries) {
                    if (e.value.kind != RawValue::Kind::Scalar) {
                        error(e.value.loc,
                              path + " > " + e.key,
                              "expected a string, got " + describe(e.value, secret));
                        good = false;
                        continue;
                    }
                    o.set(e.key, Json(e.value.scalar));
                }
                return good ? std::optional<Json>(std::move(o)) : std::nullopt;
            }
        }
        error(v.loc, path, "the plugin declares an unknown type for this key");
        return std::nullopt;
    }

private:
    const KeySpec* find(const std::string& name) const {
        for (const auto& k : keys_) {
            if (k.name == name) {
                return &k;
            }
        }
        return nullptr;
    }

    void report_unknown(const RawEntry& e) {
        std::vector<std::string> allowed;
        for (const auto& k : keys_) {
            allowed.push_back(k.name);
        }
        allowed.insert(allowed.end(), host_keys.begin(), host_keys.end());
        const std::string best = engine::closest_match(e.key, allowed);
        error(e.key_loc,
              prefix_,
              "unknown key '" + e.key + "'" +
                  (best.empty() ? "" : " (did you mean '" + best + "'?)") +
                  "; allowed: " + join(allowed));
    }

    void error(const SourceLoc& loc, const std::string& path, const std::string& message) {
        ok_ = false;
        if (diags_ != nullptr) {
            diags_->error(loc, path, message);
        }
    }

    const std::vector<KeySpec>& keys_;
    std::string prefix_;
    engine::Diagnostics* diags_;
    bool ok_ = true;
};

}  // namespace

std::optional<std::string> check_instance_config(const engine::PluginInstanceConfig& instance,
                                                 const PluginInfo& info,
                                                 std::string_view kind_word,
                                                 engine::Diagnostics& diags) {
    Checker checker(info.config_keys, std::string(kind_word) + " '" + instance.name + "'", &diags);
    checker.host_keys = {"plugin", "timeout"};
    // The app takes its own keys out before this check; they are listed for did-you-mean.
    if (info.kind == TOCSIN_KIND_SOURCE) {
        checker.host_keys.emplace_back("every");
        checker.host_keys.emplace_back("down_after");
        checker.skipped = {"down_after"};
    } else {
        checker.skipped = {"fallback", "fallback_after", "fallback_attempts", "rate_limit"};
        checker.host_keys.insert(
            checker.host_keys.end(), checker.skipped.begin(), checker.skipped.end());
        checker.host_keys.emplace_back("message");  // taken by the config loader
    }
    auto out = checker.check(instance.settings, instance.loc);
    if (!out) {
        return std::nullopt;
    }
    return out->dump();
}

std::optional<std::string> check_kpi_params(const engine::KpiDef& kpi,
                                            const PluginInfo& info,
                                            engine::Diagnostics& diags) {
    Checker checker(info.kpi_keys, "kpi '" + kpi.name + "'", &diags);
    checker.host_keys = {"source", "every", "unit", "target", "description"};
    auto out = checker.check(kpi.params, kpi.loc);
    if (!out) {
        return std::nullopt;
    }
    return out->dump();
}

std::string redacted_config(const engine::PluginInstanceConfig& instance, const PluginInfo& info) {
    Json out = Json::object();
    out.set("plugin", instance.plugin);
    out.set("timeout", engine::format_duration(instance.timeout));
    if (instance.every) {
        out.set("every", engine::format_duration(*instance.every));
    }
    Checker quiet(info.config_keys, {}, nullptr);
    for (const RawEntry& e : instance.settings) {
        const KeySpec* spec = info.find_config_key(e.key);
        if ((spec != nullptr && spec->secret) || contains_secret(e.value)) {
            out.set(e.key, Json(std::string(kRedacted)));
            continue;
        }
        std::optional<Json> typed;
        if (spec != nullptr &&
            spec->type != TOCSIN_TYPE_DURATION) {  // durations read best as written
            typed = quiet.convert(e.value, *spec, e.key);
        }
        out.set(e.key, typed ? std::move(*typed) : raw_json(e.value));
    }
    return out.dump();
}

}  // namespace tocsin::plugin_host
