// Fuzzes the rule file loader (`tocsin test`, `tocsin check`, every reload): kpis, rules,
// policies, calendars, reports, templates and the static checks of Lua code (compiled, never
// run). The input is written to a rule file in a private folder and loaded with
// engine::load_rule_files(); the diagnostics are rendered both ways, as `tocsin check` does.
// Errors are the expected outcome for most inputs; only crashes, sanitizer reports, leaks and
// hangs are findings.

#include "engine/loader.hpp"
#include "fuzz_util.hpp"
#include "sandbox.hpp"

#include <cstddef>
#include <cstdint>

using namespace tocsin;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const fuzz::Sandbox sandbox;
    const auto text = fuzz::as_text(data, size);
    const std::string path = sandbox.write("rules.yaml", text);

    engine::Diagnostics diags;
    const auto rules = engine::load_rule_files({path}, diags);
    if (!rules && !diags.has_errors()) {
        fuzz::fuzz_fail("the rule file was refused without an error", text);
    }
    (void)diags.render();
    (void)diags.render_json();
    return 0;
}
