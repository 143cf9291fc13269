#include "app/checked_config.hpp"

#include "plugin_host/config_check.hpp"
#include "plugin_host/instances.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

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

/// `fallback` and `rate_limit` are the daemon's own notifier keys (DESIGN.md §6). Delivery does
/// not act on them yet, and a key that is silently ignored is worse than an error: a user must
/// not believe a fallback is in place when none is.
bool refuse_unsupported_delivery_keys(const engine::PluginInstanceConfig& inst,
                                      engine::Diagnostics& diags) {
    bool ok = true;
    for (const auto& entry : inst.settings) {
        if (entry.key == "fallback" || entry.key == "rate_limit") {
            diags.error(entry.key_loc,
                        fmt::format("notifier '{}'", inst.name),
                        fmt::format("'{}' is not supported by this version of tocsin yet; failed "
                                    "deliveries are retried with backoff and kept as dead letters",
                                    entry.key));
            ok = false;
        }
    }
    return ok;
}

void check_instances(const std::vector<engine::PluginInstanceConfig>& configured,
                     tocsin_plugin_kind kind,
                     const plugin_host::Registry& registry,
                     const engine::Config& config,
                     const CheckOptions& options,
                     std::vector<CheckedInstance>& out,
                     engine::Diagnostics& diags) {
    for (const auto& inst : configured) {
        const auto* info = resolve_plugin(inst, kind, registry, config.plugin_dirs, diags);
        if (info == nullptr) {
            continue;
        }
        if (kind == TOCSIN_KIND_NOTIFIER && !refuse_unsupported_delivery_keys(inst, diags)) {
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
        out.push_back(CheckedInstance{
            inst.name, info, *json, plugin_host::redacted_config(inst, *info), inst.timeout});
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
    check_instances(loaded->config.sources,
                    TOCSIN_KIND_SOURCE,
                    *registry,
                    loaded->config,
                    options,
                    checked.sources,
                    diags);
    check_instances(loaded->config.notifiers,
                    TOCSIN_KIND_NOTIFIER,
                    *registry,
                    loaded->config,
                    options,
                    checked.notifiers,
                    diags);

    for (const auto& kpi : loaded->rules.kpis) {
        const auto* source = checked.find_source(kpi.source);
        if (source == nullptr) {
            continue;  // an unknown or broken source was reported above or by cross_check
        }
        if (auto params = plugin_host::check_kpi_params(kpi, *source->plugin, diags)) {
            checked.kpi_params_json[kpi.name] = *params;
        }
    }
    if (diags.has_errors()) {
        return std::nullopt;
    }
    checked.loaded = std::make_shared<const engine::LoadedConfig>(std::move(*loaded));
    checked.registry = std::move(registry);
    return checked;
}

}  // namespace tocsin::app
