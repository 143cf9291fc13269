#include "engine/lua_loader.hpp"

#include "engine/lua_check.hpp"
#include "engine/yaml_util.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

namespace tocsin::engine {
namespace {

bool valid_module_name(const std::string& name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_';
    });
}

/// The folders of the rule files, in order, without repeats: the only places modules come from.
std::vector<std::string> rule_dirs(const RuleSet& set) {
    std::vector<std::string> dirs;
    for (const auto& file : set.files) {
        const std::string dir = std::filesystem::path(file).parent_path().string();
        if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) {
            dirs.push_back(dir);
        }
    }
    return dirs;
}

class ModuleLoader {
public:
    ModuleLoader(RuleSet& set, Diagnostics& diags)
        : set_(set), diags_(diags), dirs_(rule_dirs(set)) {}

    void need(const LuaNameRef& ref, const std::string& path) {
        if (set_.modules.contains(ref.name) || failed_.contains(ref.name)) {
            return;
        }
        if (!valid_module_name(ref.name)) {
            diags_.error(ref.loc,
                         path,
                         "'" + ref.name +
                             "' is not a module name; use letters, digits and '_' (the module "
                             "is <name>.lua next to the rule files)");
            failed_.insert(ref.name);
            return;
        }
        for (const auto& dir : dirs_) {
            const std::string file = (std::filesystem::path(dir) / (ref.name + ".lua")).string();
            if (!std::filesystem::is_regular_file(file)) {
                continue;
            }
            std::string why;
            auto text = yaml::read_text_file(file, why);
            if (!text) {
                diags_.error(ref.loc, path, "cannot read module " + file + ": " + why);
                failed_.insert(ref.name);
                return;
            }
            diags_.sources().add(file, *text);
            LuaModule m;
            m.name = ref.name;
            m.file = file;
            m.source = *text;
            m.code.source = *text;
            m.code.loc = SourceLoc{file, 1, 1};
            m.code.path = "module '" + ref.name + "'";
            lua::analyze(m.code, diags_);
            const std::vector<LuaNameRef> inner = m.code.modules;
            const std::string inner_path = m.code.path;
            set_.modules.emplace(ref.name, std::move(m));
            for (const auto& r : inner) {
                need(r, inner_path);
            }
            return;
        }
        failed_.insert(ref.name);
        diags_.error(ref.loc,
                     path,
                     "no module '" + ref.name + "'; put " + ref.name +
                         ".lua next to a rule file (looked in: " + yaml::join(dirs_) + ")");
    }

    /// Whether `name` or a module it requires calls a history helper.
    bool uses_history(const std::string& name, std::set<std::string>& seen) const {
        const auto it = set_.modules.find(name);
        if (it == set_.modules.end() || !seen.insert(name).second) {
            return false;
        }
        if (it->second.code.uses_history) {
            return true;
        }
        return std::any_of(it->second.code.modules.begin(),
                           it->second.code.modules.end(),
                           [&](const LuaNameRef& r) { return uses_history(r.name, seen); });
    }

private:
    RuleSet& set_;
    Diagnostics& diags_;
    std::vector<std::string> dirs_;
    std::set<std::string> failed_;
};

std::vector<LuaCode*> all_code(RuleSet& set) {
    std::vector<LuaCode*> out;
    for (auto& k : set.kpis) {
        if (k.lua) {
            out.push_back(&*k.lua);
        }
    }
    for (auto& r : set.rules) {
        if (r.lua) {
            out.push_back(&*r.lua);
        }
        for (const Template* t : {&r.summary, &r.description, &r.runbook}) {
            for (const LuaCode* c : t->lua_parts()) {
                // Template parts are shared and immutable elsewhere; the loader still owns them.
                out.push_back(
                    const_cast<LuaCode*>(c));  // NOLINT(cppcoreguidelines-pro-type-const-cast)
            }
        }
    }
    return out;
}

void check_cycles(const RuleSet& set, Diagnostics& diags) {
    std::map<std::string, const KpiDef*> derived;
    for (const auto& k : set.kpis) {
        if (k.lua) {
            derived[k.name] = &k;
        }
    }
    // Depth-first search; a KPI on the current path seen again closes a cycle.
    std::map<std::string, int> state;  // 1: on the path, 2: done
    std::vector<std::string> path;
    std::set<std::string> reported;
    std::function<void(const std::string&)> visit = [&](const std::string& name) {
        state[name] = 1;
        path.push_back(name);
        for (const auto& ref : derived[name]->lua->kpis) {
            if (!derived.contains(ref.name)) {
                continue;
            }
            if (state[ref.name] == 1) {
                const auto start = std::find(path.begin(), path.end(), ref.name);
                std::string cycle;
                for (auto it = start; it != path.end(); ++it) {
                    cycle += *it + " -> ";
                }
                cycle += ref.name;
                if (reported.insert(ref.name).second) {
                    diags.error(ref.loc,
                                derived[name]->lua->path,
                                "derived KPIs form a cycle: " + cycle +
                                    "; a KPI cannot depend on itself, remove one kpi() call");
                }
            } else if (state[ref.name] == 0) {
                visit(ref.name);
            }
        }
        path.pop_back();
        state[name] = 2;
    };
    for (const auto& [name, kpi] : derived) {
        if (state[name] == 0) {
            visit(name);
        }
    }
}

}  // namespace

void for_each_lua(const RuleSet& set,
                  const std::function<void(const LuaCode&, const std::string& kpi)>& fn) {
    for (const auto& k : set.kpis) {
        if (k.lua) {
            fn(*k.lua, k.name);
        }
    }
    for (const auto& r : set.rules) {
        if (r.lua) {
            fn(*r.lua, r.kpi);
        }
        for (const Template* t : {&r.summary, &r.description, &r.runbook}) {
            for (const LuaCode* c : t->lua_parts()) {
                fn(*c, r.kpi);
            }
        }
    }
}

bool keeps_history(const RuleSet& set, const KpiDef& kpi) {
    if (kpi.history_set) {
        return true;
    }
    bool used = false;
    for_each_lua(set, [&](const LuaCode& code, const std::string& name) {
        used = used || (name == kpi.name && code.uses_history);
    });
    return used;
}

std::vector<const KpiDef*> dependents(const RuleSet& set, const std::string& kpi) {
    std::vector<const KpiDef*> out;
    for (const auto& k : set.kpis) {
        if (k.lua && std::any_of(k.lua->kpis.begin(), k.lua->kpis.end(), [&](const LuaNameRef& r) {
                return r.name == kpi;
            })) {
            out.push_back(&k);
        }
    }
    return out;
}

namespace detail {

void check_lua(RuleSet& set, Diagnostics& diags) {
    ModuleLoader modules(set, diags);
    std::vector<std::string> kpi_names;
    for (const auto& k : set.kpis) {
        kpi_names.push_back(k.name);
    }
    for (LuaCode* code : all_code(set)) {
        for (const auto& ref : code->modules) {
            modules.need(ref, code->path);
        }
        for (const auto& ref : code->kpis) {
            if (set.find_kpi(ref.name) == nullptr) {
                diags.error(ref.loc,
                            code->path,
                            "unknown kpi '" + ref.name + "'" +
                                yaml::did_you_mean(ref.name, kpi_names) +
                                "; defined kpis: " + yaml::join(kpi_names));
            }
        }
    }
    for (LuaCode* code : all_code(set)) {
        for (const auto& ref : code->modules) {
            std::set<std::string> seen;
            code->uses_history = code->uses_history || modules.uses_history(ref.name, seen);
        }
    }
    check_cycles(set, diags);
    for_each_lua(set, [&](const LuaCode& code, const std::string& name) {
        const KpiDef* kpi = set.find_kpi(name);
        if (kpi == nullptr) {
            return;
        }
        for (const auto& use : code.windows) {
            if (use.window <= kpi->history) {
                continue;
            }
            diags.error(use.loc,
                        code.path,
                        "window " + format_duration(use.window) + " of " + use.helper +
                            "() is longer than the history kept for kpi '" + kpi->name + "' (" +
                            format_duration(kpi->history) + "); set history: " +
                            format_duration(use.window) + " (or more) on kpi '" + kpi->name + "'");
        }
    });
}

}  // namespace detail
}  // namespace tocsin::engine
