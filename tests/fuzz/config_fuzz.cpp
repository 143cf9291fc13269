// Fuzzes the loading of tocsin.yaml (engine::load_config_partial, the path of `tocsin check`,
// start-up and reload): every top-level section, ${env:...} and ${file:...} references,
// rule_files patterns and the cross-checks against a fixed rule file next to it. Diagnostics
// are rendered both ways. Parse errors are expected outcomes; crashes, sanitizer reports, leaks
// and hangs are findings.
//
// The loader reads the files the config names. To keep it inside the target's private folder
// (and off /dev/zero, FIFOs or the whole file system), inputs that could name a path elsewhere
// are skipped: an absolute path, "..", or a backslash (a YAML escape could write either).
// Relative names and globs (rule_files: ["*.yaml"], ${file:token}) still reach the folder's own
// files.

#include "engine/loader.hpp"
#include "fuzz_util.hpp"
#include "sandbox.hpp"

#include <cctype>
#include <cstddef>
#include <cstdint>

using namespace tocsin;

namespace {

/// A rule file next to the config: a KPI of the `app` source, a rule, a policy naming the
/// notifier `ops`, a calendar and a report, so cross-checks have names to find or miss.
constexpr std::string_view kRules = R"(kpis:
  signups:
    source: app_db
    query: "SELECT COUNT(*) AS value FROM signups"
    every: 5m
rules:
  - alert: SignupsLow
    kpi: signups
    below: { warning: 10, critical: 2 }
    for: 10m
    labels: { team: growth }
    summary: "signups are {{ value }}"
policies:
  growth:
    steps:
      - notify: [ops]
calendars:
  nights:
    timezone: Europe/Berlin
    include: [{times: ["22:00-07:00"]}]
)";

/// True when `text` could name a path outside the folder: a '/' that does not follow a letter or
/// digit (an absolute path; "Europe/Berlin" and "30/m" are fine), "..", or a YAML escape, which
/// could write either.
bool reaches_outside(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '/' &&
            (i == 0 || std::isalnum(static_cast<unsigned char>(text[i - 1])) == 0)) {
            return true;
        }
    }
    return text.find("..") != std::string_view::npos || text.find('\\') != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const fuzz::Sandbox sandbox;
    static const bool ready =
        (sandbox.write("kpis.yaml", kRules), sandbox.write("token", "s3cret\n"), true);
    (void)ready;
    const auto text = fuzz::as_text(data, size);
    if (reaches_outside(text)) {
        return -1;  // not added to the corpus
    }
    const std::string path = sandbox.write("tocsin.yaml", text);

    // Every variable is set except UNSET, so both branches of ${env:...} are reachable.
    const engine::EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
        if (name == "UNSET") {
            return std::nullopt;
        }
        return "value-of-" + name;
    };
    engine::Diagnostics diags;
    const auto loaded = engine::load_config_partial(path, diags, env);
    (void)loaded;
    (void)diags.render();
    (void)diags.render_json();
    return 0;
}
