#include "app/checked_config.hpp"

#include "plugin_host/config_check.hpp"
#include "plugin_host/instances.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <fstream>
#include <iterator>

namespace tocsin::app {
namespace {

const char* kind_word(tocsin_plugin_kind kind) {
    return kind == TOCSIN_KIND_SOURCE ? "source" : "notifier";
}

/// Finds the plugin an instance names, reporting a refused or missing module at `plugin:`.
const plugin_host::PluginInfo* resolve_plugin(const engine::PluginInstanceConfig& inst,
                                              tocsin_plugin_kind kind,
                                              const plugin_host::Registry& registry,
                                              const std::vector<std::string>& plugin_dirs,
                                              engine::Diagnostics& diags) {
    if (const auto* info = registry.find(inst.plugin, kind)) {
        return info;
    }
    const std::string path = fmt::format("{} '{}' > plugin", kind_word(kind), inst.name);
    for (const auto& refusal : registry.refusals()) {
        if (refusal.path.find(inst.plugin) != std::string::npos) {
            diags.error(inst.plugin_loc,
                        path,
                        fmt::format("plugin '{}' was refused: {}", inst.plugin, refusal.reason));
            return nullptr;
        }
    }
    std::vector<std::string> names;
    for (const auto& p : registry.plugins()) {
        if (p.kind == kind) {
            names.push_back(p.name);
        }
    }
    std::string hint;
    if (auto close = engine::closest_match(inst.plugin, names); !close.empty()) {
        hint = fmt::format(" (did you mean '{}'?)", close);
    }
    diags.error(inst.plugin_loc,
                path,
                fmt::format("unknown {} plugin '{}'{}; found: {}; searched: {}",
                            kind_word(kind),
                            inst.plugin,
                            hint,
                            names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")),
                            plugin_dirs.empty() ? "no plugin_dirs"
                                                : fmt::format("{}", fmt::join(plugin_dirs, ", "))));
    return nullptr;
}

constexpr const char* kPushPlugin = "push";

/// `plugin: push` is built in: samples arrive on `POST /api/v1/samples`, so there is no module
/// and no key but the host's own.
bool check_push_source(const engine::PluginInstanceConfig& inst, engine::Diagnostics& diags) {
    bool ok = true;
    for (const auto& entry : inst.settings) {
        diags.error(entry.key_loc,
                    fmt::format("source '{}'", inst.name),
                    fmt::format("unknown key '{}'; a push source takes no keys (samples arrive "
                                "on POST /api/v1/samples)",
                                entry.key));
        ok = false;
    }
    return ok;
}

/// Takes the host key `down_after:` out of a source's settings.
engine::Duration take_down_after(engine::PluginInstanceConfig& inst, engine::Diagnostics& diags) {
    engine::Duration down_after{std::chrono::minutes(1)};
    for (auto it = inst.settings.begin(); it != inst.settings.end(); ++it) {
        if (it->key != "down_after") {
            continue;
        }
        auto d = it->value.kind == engine::RawValue::Kind::Scalar
                     ? engine::parse_duration(it->value.scalar)
                     : std::nullopt;
        if (!d || d->count() < 0) {
            diags.error(it->value.loc,
                        fmt::format("source '{}' > down_after", inst.name),
                        "down_after must be a duration such as 1m (0s: at the first failure)");
        } else {
            down_after = *d;
        }
        inst.settings.erase(it);
        break;
    }
    return down_after;
}

/// A push KPI takes one key, `match:`, a series selector for pushed Prometheus text.
bool check_push_kpi(const engine::KpiDef& kpi, CheckedConfig& checked, engine::Diagnostics& diags) {
    std::optional<exposition::Selector> selector;
    for (const auto& p : kpi.params) {
        const std::string path = fmt::format("kpis > {} > {}", kpi.name, p.key);
        if (p.key != "match") {
            diags.error(
                p.key_loc,
                path,
                fmt::format("unknown key '{}'; a KPI of a push source takes only match", p.key));
            return false;
        }
        exposition::Selector parsed;
        if (p.value.kind != engine::RawValue::Kind::Scalar) {
            diags.error(p.value.loc, path, "match must be a series selector such as up{job=\"x\"}");
            return false;
        }
        if (auto error = exposition::Selector::parse(p.value.scalar, parsed)) {
            diags.error(p.value.loc, path, *error);
            return false;
        }
        selector = std::move(parsed);
    }
    checked.push_kpis[kpi.name] = std::move(selector);
    return true;
}

/// FNV-1a 64 over the text of every file the configuration was read from, in order.
std::string config_hash(const engine::LoadedConfig& loaded) {
    std::uint64_t h = 1469598103934665603ULL;
    auto feed = [&h](const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        for (const unsigned char c : path + '\0' + text) {
            h = (h ^ c) * 1099511628211ULL;
        }
    };
    feed(loaded.config.file);
    for (const auto& f : loaded.rules.files) {
        feed(f);
    }
    return fmt::format("{:016x}", h);
}

/// The API token: the first line of api.token_file, without surrounding blanks.
std::optional<std::string> read_api_token(const engine::ApiConfig& api,
                                          engine::Diagnostics& diags) {
    if (api.token_file.empty()) {
        return std::string{};
    }
    std::ifstream in(api.token_file);
    std::string token;
    if (!in || !std::getline(in, token)) {
        diags.error(api.loc,
                    "api > token_file",
                    fmt::format("cannot read the API token from {}", api.token_file));
        return std::nullopt;
    }
    const auto first = token.find_first_not_of(" \t\r");
    const auto last = token.find_last_not_of(" \t\r");
    token = first == std::string::npos ? "" : token.substr(first, last - first + 1);
    if (token.size() < 16) {
        diags.error(api.loc,
                    "api > token_file",
                    fmt::format("the API token in {} is shorter than 16 characters; make one with "
                                "'head -c 32 /dev/urandom | base64'",
                                api.token_file));
        return std::nullopt;
    }
    return token;
}

/// Adds the built-in source health KPI and its TocsinSourceDown rule (see checked_config.hpp).
void add_source_health_rule(engine::LoadedConfig& loaded, engine::Diagnostics& diags) {
    auto& rules = loaded.rules;
    for (const auto& k : rules.kpis) {
        if (k.name == kSourceUpKpi) {
            diags.error(k.loc,
                        fmt::format("kpis > {}", k.name),
                        fmt::format("the KPI name '{}' is reserved for tocsin's own source health",
                                    k.name));
            return;
        }
    }
    for (const auto& r : rules.rules) {
        if (r.alert == kSourceDownAlert) {
            diags.error(r.loc,
                        fmt::format("rules > {}", r.alert),
                        fmt::format("the alert name '{}' is reserved for tocsin's own source "
                                    "health",
                                    r.alert));
            return;
        }
    }
    engine::KpiDef kpi;
    kpi.name = kSourceUpKpi;
    kpi.description = "1 when the source's last collection succeeded, 0 when it failed";
    kpi.loc = loaded.config.loc;
    rules.kpis.push_back(std::move(kpi));

    engine::RuleDef rule;
    rule.alert = kSourceDownAlert;
    rule.kpi = kSourceUpKpi;
    rule.threshold.comparison = engine::Comparison::Below;
    rule.threshold.warning = engine::Interval{1, 1};
    // The hold time is each source's `down_after`, applied where the KPI is measured.
    engine::Diagnostics ignored;
    rule.summary = engine::Template::parse(
        "source {{ labels.source }} is down", loaded.config.loc, "TocsinSourceDown", ignored);
    rule.loc = loaded.config.loc;
    rules.rules.push_back(std::move(rule));
}

void check_instances(std::vector<engine::PluginInstanceConfig>& configured,
                     tocsin_plugin_kind kind,
                     const plugin_host::Registry& registry,
                     const engine::Config& config,
                     const CheckOptions& options,
                     std::vector<CheckedInstance>& out,
                     std::vector<std::string>& push_sources,
                     engine::Diagnostics& diags) {
    for (auto& inst : configured) {
        const auto down_after =
            kind == TOCSIN_KIND_SOURCE ? take_down_after(inst, diags) : engine::Duration{0};
        if (kind == TOCSIN_KIND_SOURCE && inst.plugin == kPushPlugin) {
            if (check_push_source(inst, diags)) {
                push_sources.push_back(inst.name);
            }
            continue;
        }
        const auto* info = resolve_plugin(inst, kind, registry, config.plugin_dirs, diags);
        if (info == nullptr) {
            continue;
        }
        auto json = plugin_host::check_instance_config(inst, *info, kind_word(kind), diags);
        if (!json) {
            continue;
        }
        if (options.probe_instances) {
            // Lets the plugin check cross-field rules; configure() does no I/O by contract.
            const std::string path = fmt::format("{} '{}'", kind_word(kind), inst.name);
            if (kind == TOCSIN_KIND_SOURCE) {
                if (auto made = plugin_host::SourceInstance::create(*info, inst.name, *json);
                    !made) {
                    diags.error(inst.loc, path, made.error().message);
                    continue;
                }
            } else if (auto made = plugin_host::NotifierInstance::create(*info, inst.name, *json);
                       !made) {
                diags.error(inst.loc, path, made.error().message);
                continue;
            }
        }
        out.push_back(CheckedInstance{inst.name,
                                      info,
                                      *json,
                                      plugin_host::redacted_config(inst, *info),
                                      inst.timeout,
                                      {},
                                      down_after});
    }
}

}  // namespace

const CheckedInstance* CheckedConfig::find_source(const std::string& name) const {
    for (const auto& s : sources) {
        if (s.name == name) {
            return &s;
        }
    }
    return nullptr;
}

std::optional<CheckedConfig> check_config(const std::string& config_path,
                                          engine::Diagnostics& diags,
                                          const CheckOptions& options) {
    // Partial: a broken rule file must not hide mistakes in plugin keys; every problem is
    // reported in one run, and nothing is returned unless there were none.
    auto loaded = engine::load_config_partial(config_path, diags, options.env);
    if (!loaded) {
        return std::nullopt;
    }
    auto registry = std::make_shared<plugin_host::Registry>(
        plugin_host::Registry::scan(loaded->config.plugin_dirs));
    for (const auto& refusal : registry->refusals()) {
        diags.warning(engine::SourceLoc{refusal.path, 0, 0}, "plugin", refusal.reason);
    }

    CheckedConfig checked;
    // The daemon's own notifier keys come out before the plugin sees the rest.
    std::vector<DeliveryPolicy> policies;
    for (auto& inst : loaded->config.notifiers) {
        policies.push_back(take_delivery_keys(inst, diags));
    }
    check_fallbacks(loaded->config.notifiers, policies, diags);
    check_instances(loaded->config.sources,
                    TOCSIN_KIND_SOURCE,
                    *registry,
                    loaded->config,
                    options,
                    checked.sources,
                    checked.push_sources,
                    diags);
    std::vector<std::string> no_push;
    check_instances(loaded->config.notifiers,
                    TOCSIN_KIND_NOTIFIER,
                    *registry,
                    loaded->config,
                    options,
                    checked.notifiers,
                    no_push,
                    diags);
    for (auto& n : checked.notifiers) {
        for (std::size_t i = 0; i < loaded->config.notifiers.size(); ++i) {
            if (loaded->config.notifiers[i].name == n.name) {
                n.delivery = policies[i];
            }
        }
    }

    for (const auto& kpi : loaded->rules.kpis) {
        if (std::find(checked.push_sources.begin(), checked.push_sources.end(), kpi.source) !=
            checked.push_sources.end()) {
            check_push_kpi(kpi, checked, diags);
            continue;
        }
        const auto* source = checked.find_source(kpi.source);
        if (source == nullptr) {
            continue;  // an unknown or broken source was reported above or by cross_check
        }
        if (auto params = plugin_host::check_kpi_params(kpi, *source->plugin, diags)) {
            checked.kpi_params_json[kpi.name] = *params;
        }
    }
    if (!checked.sources.empty()) {
        add_source_health_rule(*loaded, diags);
        checked.builtin_rules = 1;
    }
    if (auto token = read_api_token(loaded->config.api, diags)) {
        checked.api_token = std::move(*token);
    }
    checked.hash = config_hash(*loaded);
    if (diags.has_errors()) {
        return std::nullopt;
    }
    // The plugin keys of collected KPIs live on as kpi_params_json; the daemon keeps the model
    // for its whole run, so the YAML-shaped copies (10,000 KPIs: ~3 MB) go.
    for (auto& kpi : loaded->rules.kpis) {
        if (checked.kpi_params_json.count(kpi.name) != 0) {
            kpi.params.clear();
        }
    }
    loaded->rules.shrink_to_fit();
    checked.loaded = std::make_shared<const engine::LoadedConfig>(std::move(*loaded));
    checked.registry = std::move(registry);
    return checked;
}

}  // namespace tocsin::app
