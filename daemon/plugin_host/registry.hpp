#pragma once

#include "tocsin/sdk/abi.h"

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

/// Finding and loading plugin modules. Each `*.so` in the plugin directories is loaded with
/// Boost.DLL (rtld_now | rtld_local), its entry struct checked (ABI version, struct size, required
/// functions, declared keys) and described as a PluginInfo. A module that fails any check is
/// refused with a reason and stays out; the others go on. Accepted modules stay loaded until the
/// process exits (a reload creates new instances, never unloads code), so `PluginInfo::api` and
/// every string it points to stay valid for the life of the process.
namespace tocsin::plugin_host {

/// One declared config key, copied out of the plugin's table.
struct KeySpec {
    std::string name;
    tocsin_config_type type = TOCSIN_TYPE_STRING;
    bool required = false;
    /// The default as JSON text, normalized to what the plugin receives (durations in ms).
    std::optional<std::string> default_json;
    bool secret = false;
    std::string description;
};

struct PluginInfo {
    std::string path;
    std::string name;
    std::string version;
    std::string description;
    tocsin_plugin_kind kind = TOCSIN_KIND_SOURCE;
    unsigned abi_major = 0;
    unsigned abi_minor = 0;
    std::vector<KeySpec> config_keys;
    std::vector<KeySpec> kpi_keys;
    const tocsin_plugin* api = nullptr;  // static storage inside the (never unloaded) module

    [[nodiscard]] const KeySpec* find_config_key(std::string_view key) const;
    [[nodiscard]] const KeySpec* find_kpi_key(std::string_view key) const;
};

/// A module that was not loaded. `reason` is one lower-case sentence without the path; print
/// text() ("/usr/lib/tocsin/plugins/x.so: plugin ABI 2.0, tocsin supports 1.0; ...").
struct Refusal {
    std::string path;
    std::string reason;

    [[nodiscard]] std::string text() const { return path + ": " + reason; }
};

class Registry {
public:
    /// Loads every `*.so` directly inside each of `dirs` (in name order). Never fails as a whole:
    /// unreadable directories and bad modules become refusals. For a plugin name found twice the
    /// first one wins and the second is refused.
    static Registry scan(const std::vector<std::string>& dirs);

    /// Loads exactly one module (for `tocsin plugins --check LIB.so`).
    static std::variant<PluginInfo, Refusal> load_one(const std::string& path);

    /// The plugin called `name` of that kind, or nullptr.
    [[nodiscard]] const PluginInfo* find(std::string_view name, tocsin_plugin_kind kind) const;
    /// The plugin called `name` of any kind, or nullptr.
    [[nodiscard]] const PluginInfo* find(std::string_view name) const;

    [[nodiscard]] const std::vector<PluginInfo>& plugins() const { return plugins_; }
    [[nodiscard]] const std::vector<Refusal>& refusals() const { return refusals_; }

private:
    std::vector<PluginInfo> plugins_;
    std::vector<Refusal> refusals_;
};

/// "source" / "notifier".
[[nodiscard]] const char* to_string(tocsin_plugin_kind kind);
/// "string", "int", "number", "bool", "duration", "string list", "string map".
[[nodiscard]] const char* to_string(tocsin_config_type type);

}  // namespace tocsin::plugin_host
