#pragma once

#include "engine/engine.hpp"
#include "engine/loader.hpp"
#include "engine_fixture.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

/// Lua tests: rules loaded from YAML text through the real loader, or built in C++ with Lua that
/// skips the static checks (to show what the sandbox refuses at run time).
namespace tocsin::engine::testing {

/// A config whose every alert goes to the notifier "ops" (default policy "ops").
inline LoadedConfig with_ops_policy(RuleSet rules) {
    LoadedConfig cfg;
    cfg.rules = std::move(rules);
    PolicyDef p;
    p.name = "ops";
    PolicyStep step;
    step.notify = {"ops"};
    p.steps.push_back(step);
    cfg.rules.policies.push_back(p);
    cfg.config.default_policy = "ops";
    return cfg;
}

/// Writes `text` to `dir/name` and returns the path.
inline std::string write_file(const std::string& dir,
                              const std::string& name,
                              const std::string& text) {
    const std::string path = dir + "/" + name;
    std::ofstream(path) << text;
    return path;
}

/// Loads rule files; REQUIREs that they load without errors.
inline std::shared_ptr<const LoadedConfig> load_ok(const std::vector<std::string>& paths) {
    Diagnostics diags;
    auto set = load_rule_files(paths, diags);
    INFO(diags.render(false));
    REQUIRE(set.has_value());
    return std::make_shared<const LoadedConfig>(with_ops_policy(std::move(*set)));
}

/// A Lua rule built in code, without the loader's static checks.
inline RuleDef lua_rule(const std::string& alert,
                        const std::string& kpi,
                        const std::string& source) {
    RuleDef r;
    r.alert = alert;
    r.kpi = kpi;
    LuaCode code;
    code.source = source;
    code.loc = SourceLoc{"rules/evil.yaml", 10, 9};
    code.path = "rule '" + alert + "' > lua";
    r.lua = code;
    return r;
}

inline const Notification* find_sent(const std::vector<Notification>& sent,
                                     const std::string& alert,
                                     NotificationKind kind = NotificationKind::Firing) {
    for (const auto& n : sent) {
        if (n.alert == alert && n.kind == kind) {
            return &n;
        }
    }
    return nullptr;
}

}  // namespace tocsin::engine::testing
