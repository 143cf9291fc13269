// The exec source: runs a program once per collect and reads its output as Nagios plugin output,
// a JSON array of samples or Prometheus text (see exec_output.hpp and docs/plugin-authors.md).

#include "exec_config.hpp"
#include "exec_output.hpp"
#include "samples.hpp"
#include "subprocess.hpp"
#include <tocsin/sdk/plugin.hpp>

#include <string>
#include <vector>

namespace tocsin::plugins::exec {
namespace {

class ExecSource final : public sdk::Source {
public:
    sdk::Status configure(const sdk::Config& config, sdk::Logger& log) override {
        log_ = &log;
        if (auto status = parse_config(config, config_); !status.is_ok()) {
            return status;
        }
        if (config_.format == Format::Prometheus && !has_prometheus()) {
            return sdk::Status::bad_config(
                "format prometheus is not available in this build; use nagios or json");
        }
        return sdk::Status::ok();
    }

    sdk::Status collect(const std::vector<sdk::KpiRequest>& kpis,
                        sdk::SampleSink& sink,
                        sdk::Deadline deadline) override {
        const local::RunResult run = local::run_program(
            config_.command, deadline, local::RunLimits{config_.max_output, 64 * 1024});
        Interpreted result;
        const sdk::Status status = interpret(config_, run, kpis, result);
        for (const auto& warning : result.warnings) {
            log_->warning(warning);
        }
        if (!status.is_ok()) {
            return status;
        }
        const auto report = local::emit_requested(result.samples, kpis, sink);
        if (!report.missing.empty()) {
            return sdk::Status::failed(local::missing_text(
                report.missing, "the output of '" + config_.command.argv.front() + "'"));
        }
        return sdk::Status::ok();
    }

private:
    sdk::Logger* log_ = nullptr;
    ExecConfig config_;
};

}  // namespace
}  // namespace tocsin::plugins::exec

TOCSIN_EXPORT_SOURCE(tocsin::plugins::exec::ExecSource,
                     "exec",
                     "1.0.0",
                     "runs a program per collect and reads Nagios, JSON or Prometheus output",
                     tocsin::plugins::exec::kConfigKeys,
                     tocsin::plugins::exec::kKpiKeys)
