#include "plugin_host/registry.hpp"

#include "engine/time.hpp"
#include "tocsin/sdk/json.hpp"

#include <boost/dll/shared_library.hpp>

#include <dlfcn.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>

namespace tocsin::plugin_host {

namespace {

namespace fs = std::filesystem;
using sdk::Json;

/// Loaded modules, kept until exit on purpose: instances, their function pointers and the
/// strings in PluginInfo all point into module memory. Leaked so no static destructor unloads a
/// module while another static destructor may still call into it.
void keep_loaded(boost::dll::shared_library lib) {
    static std::mutex mutex;
    static auto* modules = new std::vector<boost::dll::shared_library>();
    const std::lock_guard lock(mutex);
    modules->push_back(std::move(lib));
}

std::string text_or_empty(const char* s) {
    return s != nullptr ? std::string(s) : std::string();
}

bool valid_plugin_name(std::string_view name) {
    if (name.empty() || name.size() > 64) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

/// The default as the plugin receives it, or nullopt when it does not fit the key's type.
std::optional<Json> normalize_default(const Json& v, tocsin_config_type type) {
    switch (type) {
        case TOCSIN_TYPE_STRING:
            return v.is_string() ? std::optional<Json>(v) : std::nullopt;
        case TOCSIN_TYPE_INT:
            return v.is_integer() ? std::optional<Json>(v) : std::nullopt;
        case TOCSIN_TYPE_NUMBER:
            return v.is_number() ? std::optional<Json>(v) : std::nullopt;
        case TOCSIN_TYPE_BOOL:
            return v.is_bool() ? std::optional<Json>(v) : std::nullopt;
        case TOCSIN_TYPE_DURATION:
            if (v.is_integer() && v.as_int() >= 0) {
                return v;
            }
            if (v.is_string()) {
                if (auto d = engine::parse_duration(v.as_string())) {
                    return Json(d->count());
                }
            }
            return std::nullopt;
        case TOCSIN_TYPE_STRING_LIST:
            if (!v.is_array()) {
                return std::nullopt;
            }
            for (const auto& item : v.as_array()) {
                if (!item.is_string()) {
                    return std::nullopt;
                }
            }
            return v;
        case TOCSIN_TYPE_STRING_MAP:
            if (!v.is_object()) {
                return std::nullopt;
            }
            for (const auto& [k, item] : v.as_object()) {
                if (!item.is_string()) {
                    return std::nullopt;
                }
            }
            return v;
    }
    return std::nullopt;
}

/// Copies a key table; on a malformed entry returns the reason instead.
std::variant<std::vector<KeySpec>, std::string> read_keys(const tocsin_config_key* keys,
                                                          std::size_t count,
                                                          const char* what) {
    std::vector<KeySpec> out;
    if (count > 0 && keys == nullptr) {
        return std::string(what) + " key table is NULL but its count is " + std::to_string(count);
    }
    if (count > 1000) {
        return std::string(what) + " key count " + std::to_string(count) + " is not plausible";
    }
    std::set<std::string> seen;
    for (std::size_t i = 0; i < count; ++i) {
        const tocsin_config_key& k = keys[i];
        if (k.name == nullptr || *k.name == '\0') {
            return std::string(what) + " key #" + std::to_string(i + 1) + " has no name";
        }
        KeySpec spec;
        spec.name = k.name;
        if (!seen.insert(spec.name).second) {
            return std::string(what) + " key '" + spec.name + "' is declared twice";
        }
        if (k.type < TOCSIN_TYPE_STRING || k.type > TOCSIN_TYPE_STRING_MAP) {
            return std::string(what) + " key '" + spec.name + "' has unknown type " +
                   std::to_string(static_cast<int>(k.type));
        }
        spec.type = k.type;
        spec.required = k.required != 0;
        spec.secret = k.secret != 0;
        spec.description = text_or_empty(k.description);
        if (k.default_json != nullptr) {
            Json parsed;
            std::string error;
            if (!Json::try_parse(k.default_json, parsed, &error)) {
                return std::string(what) + " key '" + spec.name +
                       "' has a default that is not JSON: " + error;
            }
            auto normalized = normalize_default(parsed, spec.type);
            if (!normalized) {
                return std::string(what) + " key '" + spec.name + "' has a default that is not a " +
                       to_string(spec.type);
            }
            spec.default_json = normalized->dump();
        }
        out.push_back(std::move(spec));
    }
    return out;
}

constexpr std::size_t kHeaderSize = offsetof(tocsin_plugin, abi_minor) + sizeof(uint16_t);

/// The struct size each minor of ABI 1 requires. Later minors only append fields, so a plugin
/// built for an older minor has a smaller struct and must still be accepted; its missing tail
/// reads as absent capabilities. Append the size here whenever a minor grows the struct.
constexpr std::size_t kStructSizeByMinor[] = {
    offsetof(tocsin_plugin, send) + sizeof(tocsin_plugin::send),  // 1.0
};
static_assert(std::size(kStructSizeByMinor) == TOCSIN_ABI_MINOR + 1,
              "every ABI minor needs its struct size in kStructSizeByMinor");

/// Checks the entry struct and describes it; `path` only names the module in the result.
std::variant<PluginInfo, Refusal> describe(const std::string& path, const tocsin_plugin* p) {
    auto refuse = [&](std::string reason) { return Refusal{path, std::move(reason)}; };
    if (p == nullptr) {
        return refuse("tocsin_plugin_entry() returned NULL");
    }
    if (p->struct_size < kHeaderSize) {
        return refuse("plugin struct is too small (" + std::to_string(p->struct_size) +
                      " bytes); rebuild the plugin against the tocsin SDK");
    }
    const std::string versions = "plugin ABI " + std::to_string(p->abi_major) + "." +
                                 std::to_string(p->abi_minor) + ", tocsin supports " +
                                 std::to_string(TOCSIN_ABI_MAJOR) + "." +
                                 std::to_string(TOCSIN_ABI_MINOR);
    if (p->abi_major != TOCSIN_ABI_MAJOR) {
        return refuse(versions + "; rebuild the plugin against this tocsin's SDK");
    }
    if (p->abi_minor > TOCSIN_ABI_MINOR) {
        return refuse(versions + "; upgrade tocsin or use an older build of the plugin");
    }
    const std::size_t needed = kStructSizeByMinor[p->abi_minor];
    if (p->struct_size < needed) {
        return refuse("plugin struct is too small (" + std::to_string(p->struct_size) +
                      " bytes, ABI " + std::to_string(TOCSIN_ABI_MAJOR) + "." +
                      std::to_string(p->abi_minor) + " needs " + std::to_string(needed) +
                      "); rebuild the plugin");
    }
    PluginInfo info;
    info.path = path;
    info.name = text_or_empty(p->name);
    if (!valid_plugin_name(info.name)) {
        return refuse("plugin name '" + info.name +
                      "' is not valid; use lower-case letters, digits, '_' and '-'");
    }
    info.version = text_or_empty(p->version);
    info.description = text_or_empty(p->description);
    if (p->kind != TOCSIN_KIND_SOURCE && p->kind != TOCSIN_KIND_NOTIFIER) {
        return refuse("plugin '" + info.name + "' has unknown kind " +
                      std::to_string(static_cast<int>(p->kind)) + "; expected source or notifier");
    }
    info.kind = p->kind;
    info.abi_major = p->abi_major;
    info.abi_minor = p->abi_minor;

    std::vector<std::string> missing;
    if (p->create == nullptr) {
        missing.emplace_back("create");
    }
    if (p->destroy == nullptr) {
        missing.emplace_back("destroy");
    }
    if (p->last_error == nullptr) {
        missing.emplace_back("last_error");
    }
    if (p->kind == TOCSIN_KIND_SOURCE && p->collect == nullptr) {
        missing.emplace_back("collect");
    }
    if (p->kind == TOCSIN_KIND_NOTIFIER && p->send == nullptr) {
        missing.emplace_back("send");
    }
    if (!missing.empty()) {
        std::string list;
        for (const auto& m : missing) {
            list += (list.empty() ? "" : ", ") + m;
        }
        return refuse(std::string(to_string(p->kind)) + " plugin '" + info.name +
                      "' lacks required function" + (missing.size() > 1 ? "s " : " ") + list);
    }

    auto config_keys = read_keys(p->config_keys, p->config_key_count, "config");
    if (auto* reason = std::get_if<std::string>(&config_keys)) {
        return refuse("plugin '" + info.name + "': " + *reason);
    }
    info.config_keys = std::get<std::vector<KeySpec>>(std::move(config_keys));
    auto kpi_keys = read_keys(p->kpi_keys, p->kpi_key_count, "per-KPI");
    if (auto* reason = std::get_if<std::string>(&kpi_keys)) {
        return refuse("plugin '" + info.name + "': " + *reason);
    }
    info.kpi_keys = std::get<std::vector<KeySpec>>(std::move(kpi_keys));
    info.api = p;
    return info;
}

const KeySpec* find_key(const std::vector<KeySpec>& keys, std::string_view name) {
    for (const auto& k : keys) {
        if (k.name == name) {
            return &k;
        }
    }
    return nullptr;
}

/// "uid 1000 (alice)", or just "uid 1000" when the user database does not know it.
std::string describe_uid(uid_t uid) {
    std::string out = "uid " + std::to_string(uid);
    struct passwd pw {};
    struct passwd* found = nullptr;
    char buf[1024];
    if (::getpwuid_r(uid, &pw, buf, sizeof(buf), &found) == 0 && found != nullptr) {
        out += std::string(" (") + found->pw_name + ")";
    }
    return out;
}

/// Why the daemon must not load code from `path` (a module or a plugin directory), or "" when
/// it may: whoever can change the file runs code as the daemon. Group or world write access, or
/// an owner other than root and the daemon's own user, is refused. The folders above `path` are
/// not checked; the package installs them root-owned.
std::string unsafe_because(const std::string& path, const char* what) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return {};  // the caller reports a missing or unreadable file itself
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        return std::string("the ") + what +
               " is writable by group or others, so anyone could change the daemon's code; run "
               "'chmod go-w " +
               path + "'";
    }
    const uid_t self = ::geteuid();
    if (st.st_uid != 0 && st.st_uid != self) {
        return std::string("the ") + what + " is owned by " + describe_uid(st.st_uid) +
               ", not by root or the user tocsin runs as (" + describe_uid(self) +
               "), so that user could change the daemon's code; run 'chown root: " + path + "'";
    }
    return {};
}

}  // namespace

const KeySpec* PluginInfo::find_config_key(std::string_view key) const {
    return find_key(config_keys, key);
}

const KeySpec* PluginInfo::find_kpi_key(std::string_view key) const {
    return find_key(kpi_keys, key);
}

std::variant<PluginInfo, Refusal> Registry::load_one(const std::string& path) {
    auto refuse = [&](std::string reason) { return Refusal{path, std::move(reason)}; };
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
        return refuse("cannot read the module: " + (ec ? ec.message() : "no such file"));
    }
    if (!fs::is_regular_file(st)) {
        return refuse("not a regular file");
    }
    if (auto unsafe = unsafe_because(path, "module"); !unsafe.empty()) {
        return refuse(std::move(unsafe));
    }

    boost::dll::shared_library lib;
    boost::dll::fs::error_code load_ec;
    ::dlerror();  // clear a stale message so the one read below is ours
    lib.load(boost::dll::fs::path(path),
             boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local,
             load_ec);
    if (load_ec || !lib.is_loaded()) {
        const char* dl_text = ::dlerror();
        return refuse("cannot load the module: " +
                      (dl_text != nullptr ? std::string(dl_text) : load_ec.message()));
    }
    if (!lib.has(TOCSIN_PLUGIN_ENTRY_SYMBOL)) {
        return refuse("the module does not export tocsin_plugin_entry; is it a tocsin plugin?");
    }
    const tocsin_plugin* p = nullptr;
    try {
        auto& entry = lib.get<const tocsin_plugin*()>(TOCSIN_PLUGIN_ENTRY_SYMBOL);
        p = entry();
    } catch (const std::exception& e) {
        return refuse(std::string("tocsin_plugin_entry() failed: ") + e.what());
    } catch (...) {
        return refuse("tocsin_plugin_entry() threw an exception");
    }
    auto result = describe(path, p);
    if (std::holds_alternative<PluginInfo>(result)) {
        keep_loaded(std::move(lib));
    }
    return result;
}

Registry Registry::scan(const std::vector<std::string>& dirs) {
    Registry reg;
    for (const auto& dir : dirs) {
        std::error_code ec;
        const fs::file_status st = fs::status(dir, ec);
        if (st.type() == fs::file_type::not_found) {
            reg.refusals_.push_back(Refusal{dir, "the plugin directory does not exist"});
            continue;
        }
        if (ec || !fs::is_directory(st)) {
            reg.refusals_.push_back(Refusal{dir,
                                            ec ? "cannot read the plugin directory: " + ec.message()
                                               : "not a directory; plugin_dirs lists directories"});
            continue;
        }
        // Anyone who may add a file here could add a module: nothing in it is loaded.
        if (auto unsafe = unsafe_because(dir, "plugin directory"); !unsafe.empty()) {
            reg.refusals_.push_back(Refusal{dir, unsafe + "; no module in it was loaded"});
            continue;
        }
        std::vector<std::string> files;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            if (it->path().extension() == ".so") {
                files.push_back(it->path().string());
            }
        }
        if (ec) {
            reg.refusals_.push_back(
                Refusal{dir, "cannot read the plugin directory: " + ec.message()});
        }
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
            auto loaded = load_one(file);
            if (auto* refusal = std::get_if<Refusal>(&loaded)) {
                reg.refusals_.push_back(std::move(*refusal));
                continue;
            }
            auto& info = std::get<PluginInfo>(loaded);
            if (const PluginInfo* first = reg.find(info.name, info.kind)) {
                reg.refusals_.push_back(Refusal{file,
                                                std::string(to_string(info.kind)) + " plugin '" +
                                                    info.name + "' is already loaded from " +
                                                    first->path + "; remove one of the two"});
                continue;
            }
            reg.plugins_.push_back(std::move(info));
        }
    }
    return reg;
}

const PluginInfo* Registry::find(std::string_view name, tocsin_plugin_kind kind) const {
    for (const auto& p : plugins_) {
        if (p.name == name && p.kind == kind) {
            return &p;
        }
    }
    return nullptr;
}

const PluginInfo* Registry::find(std::string_view name) const {
    for (const auto& p : plugins_) {
        if (p.name == name) {
            return &p;
        }
    }
    return nullptr;
}

const char* to_string(tocsin_plugin_kind kind) {
    switch (kind) {
        case TOCSIN_KIND_SOURCE:
            return "source";
        case TOCSIN_KIND_NOTIFIER:
            return "notifier";
    }
    return "unknown";
}

const char* to_string(tocsin_config_type type) {
    switch (type) {
        case TOCSIN_TYPE_STRING:
            return "string";
        case TOCSIN_TYPE_INT:
            return "int";
        case TOCSIN_TYPE_NUMBER:
            return "number";
        case TOCSIN_TYPE_BOOL:
            return "bool";
        case TOCSIN_TYPE_DURATION:
            return "duration";
        case TOCSIN_TYPE_STRING_LIST:
            return "string list";
        case TOCSIN_TYPE_STRING_MAP:
            return "string map";
    }
    return "unknown";
}

}  // namespace tocsin::plugin_host
