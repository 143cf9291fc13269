#pragma once

#include "engine/diagnostics.hpp"
#include "engine/loader.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <string>

/// Shared by the config and rule loader tests: a fake environment and checks on rendered
/// diagnostics.
namespace tocsin::engine::testing {

/// An environment for `${env:...}` that holds only what the test puts in it.
inline EnvLookup fake_env(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        const auto it = vars.find(name);
        if (it == vars.end()) {
            return std::nullopt;
        }
        return it->second;
    };
}

/// Checks that the rendered diagnostics hold `expected` (e.g. "/tmp/x/a.yaml:3:10: error: rule
/// 'X' > for: ...") at the start of a line, and prints them all when not.
inline void require_diag(const Diagnostics& diags, const std::string& expected) {
    const std::string rendered = diags.render();
    INFO("diagnostics:\n" << rendered);
    const bool found =
        rendered.rfind(expected, 0) == 0 || rendered.find("\n" + expected) != std::string::npos;
    CHECK(found);
}

}  // namespace tocsin::engine::testing
