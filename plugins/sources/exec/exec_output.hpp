#pragma once

// Turning one finished run of the exec source's program into samples, per format. Pure: tests
// feed it RunResults directly.

#include "exec_config.hpp"
#include "samples.hpp"
#include "subprocess.hpp"
#include <tocsin/sdk/source.hpp>
#include <tocsin/sdk/status.hpp>

#include <string>
#include <vector>

namespace tocsin::plugins::exec {

/// What one run gave: samples for the requested KPIs (and maybe others, which the caller drops)
/// and lines worth logging (skipped perfdata items, the program's stderr).
struct Interpreted {
    std::vector<local::ParsedSample> samples;
    std::vector<std::string> warnings;
};

/// Reads `run` as `config.format` for `kpis`. Fails (retry for a timeout, failed otherwise) when
/// the program could not run, timed out, wrote too much, exited badly or its output does not
/// parse. `program` names it in messages.
[[nodiscard]] sdk::Status interpret(const ExecConfig& config,
                                    const local::RunResult& run,
                                    const std::vector<sdk::KpiRequest>& kpis,
                                    Interpreted& out);

/// The first line of the program's stderr, trimmed and cut to 200 bytes ("" when empty).
[[nodiscard]] std::string first_stderr_line(const std::string& err);

/// Prometheus text (format: prometheus): the series each KPI's `match` selects. Fails on text
/// that does not parse or on a bad selector.
[[nodiscard]] sdk::Status interpret_prometheus(const std::string& text,
                                               const std::vector<sdk::KpiRequest>& kpis,
                                               Interpreted& out);

/// True when this build can read format: prometheus.
[[nodiscard]] bool has_prometheus();

}  // namespace tocsin::plugins::exec
