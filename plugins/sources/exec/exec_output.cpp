#include "exec_output.hpp"

#include "nagios.hpp"

#include <algorithm>

namespace tocsin::plugins::exec {
namespace {

constexpr std::size_t kMaxStderrShown = 200;

std::string program_name(const ExecConfig& config) {
    return "'" + config.command.argv.front() + "'";
}

// "command '/x' exited with code 2: no such table" (stderr's first line when there is one).
std::string failure_text(const ExecConfig& config, const local::RunResult& run) {
    std::string text = "command " + program_name(config) + " " + local::describe_end(run);
    if (const auto line = first_stderr_line(run.err); !line.empty()) {
        text += ": " + line;
    }
    return text;
}

sdk::Status interpret_nagios(const ExecConfig& config,
                             const local::RunResult& run,
                             const std::vector<sdk::KpiRequest>& kpis,
                             Interpreted& out) {
    if (run.end != local::RunResult::End::Exited || run.exit_code > 3) {
        // Not a Nagios state: the check itself is broken (127: not found, 126: not runnable).
        return sdk::Status::failed(failure_text(config, run));
    }
    const NagiosOutput parsed = parse_nagios(run.out);
    std::vector<std::string> errors;
    for (const auto& request : kpis) {
        const bool status = request.params.get_bool("status", false);
        const std::string label = request.params.get_string("perfdata");
        if (status == !label.empty()) {
            errors.push_back("KPI '" + request.kpi + "' needs either perfdata: LABEL or " +
                             "status: true (not both)");
            continue;
        }
        if (status) {
            out.samples.push_back({request.kpi, static_cast<double>(run.exit_code), {}, 0});
            continue;
        }
        const std::string field_name = request.params.get_string("perfdata_field", "value");
        const auto field = parse_perf_field(field_name);
        if (!field) {
            errors.push_back("KPI '" + request.kpi + "': perfdata_field '" + field_name +
                             "' is unknown; use value, warn, crit, min or max");
            continue;
        }
        const auto it = std::find_if(parsed.perfdata.begin(),
                                     parsed.perfdata.end(),
                                     [&](const PerfData& p) { return p.label == label; });
        if (it == parsed.perfdata.end()) {
            std::string found;
            for (const auto& p : parsed.perfdata) {
                found += (found.empty() ? "'" : ", '") + p.label + "'";
            }
            errors.push_back(
                "KPI '" + request.kpi + "': perfdata label '" + label +
                "' is not in the output of " + program_name(config) + " (" +
                (found.empty() ? std::string("it has no perfdata") : "found " + found) + ")");
            continue;
        }
        const auto value = perf_field(*it, *field);
        if (!value) {
            errors.push_back("KPI '" + request.kpi + "': perfdata label '" + label + "' has no " +
                             field_name + " number");
            continue;
        }
        out.samples.push_back({request.kpi, *value, {}, 0});
    }
    out.warnings.insert(out.warnings.end(), parsed.warnings.begin(), parsed.warnings.end());
    if (!errors.empty()) {
        std::string message = errors.front();
        for (std::size_t i = 1; i < errors.size(); ++i) {
            message += "; " + errors[i];
        }
        return sdk::Status::failed(message);
    }
    return sdk::Status::ok();
}

}  // namespace

std::string first_stderr_line(const std::string& err) {
    std::string_view text(err);
    while (!text.empty() && (text.front() == '\n' || text.front() == '\r' || text.front() == ' ' ||
                             text.front() == '\t')) {
        text.remove_prefix(1);
    }
    text = text.substr(0, text.find('\n'));
    while (!text.empty() && (text.back() == '\r' || text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    if (text.size() > kMaxStderrShown) {
        return std::string(text.substr(0, kMaxStderrShown)) + "...";
    }
    return std::string(text);
}

sdk::Status interpret(const ExecConfig& config,
                      const local::RunResult& run,
                      const std::vector<sdk::KpiRequest>& kpis,
                      Interpreted& out) {
    using End = local::RunResult::End;
    if (run.end == End::SpawnFailed) {
        return sdk::Status::failed(run.spawn_error);
    }
    if (run.end == End::TimedOut) {
        return sdk::Status::retry("command " + program_name(config) + " " +
                                  local::describe_end(run));
    }
    if (run.out_truncated) {
        return sdk::Status::failed("command " + program_name(config) + " wrote more than " +
                                   std::to_string(config.max_output) +
                                   " bytes to stdout; raise max_output or print less");
    }
    if (!run.err.empty()) {
        out.warnings.push_back("command " + program_name(config) +
                               " wrote to stderr: " + first_stderr_line(run.err));
    }
    if (config.format == Format::Nagios) {
        return interpret_nagios(config, run, kpis, out);
    }
    if (run.end != End::Exited || run.exit_code != 0) {
        return sdk::Status::failed(failure_text(config, run));
    }
    if (config.format == Format::Json) {
        if (auto error = local::read_sample_array(run.out, out.samples)) {
            return sdk::Status::failed("output of " + program_name(config) + ": " + *error);
        }
        return sdk::Status::ok();
    }
    if (auto status = interpret_prometheus(run.out, kpis, out); !status.is_ok()) {
        return sdk::Status::failed("output of " + program_name(config) + ": " + status.message);
    }
    return sdk::Status::ok();
}

}  // namespace tocsin::plugins::exec
