// The execd source: keeps one program running and asks it for samples over JSON lines at each
// collect (protocol in execd_session.hpp and docs/plugin-authors.md).

#include "execd_config.hpp"
#include "execd_session.hpp"
#include "samples.hpp"
#include <tocsin/sdk/plugin.hpp>

#include <memory>
#include <string>
#include <vector>

namespace tocsin::plugins::execd {
namespace {

class ExecdSource final : public sdk::Source {
public:
    sdk::Status configure(const sdk::Config& config, sdk::Logger& log) override {
        ExecdConfig parsed;
        if (auto status = parse_config(config, parsed); !status.is_ok()) {
            return status;
        }
        program_ = parsed.command.argv.front();
        session_ = std::make_unique<Session>(std::move(parsed), log);
        return sdk::Status::ok();
    }

    sdk::Status collect(const std::vector<sdk::KpiRequest>& kpis,
                        sdk::SampleSink& sink,
                        sdk::Deadline deadline) override {
        std::vector<local::ParsedSample> samples;
        if (auto status = session_->exchange(kpis, deadline, samples); !status.is_ok()) {
            return status;
        }
        const auto report = local::emit_requested(samples, kpis, sink);
        if (!report.missing.empty()) {
            return sdk::Status::failed(
                local::missing_text(report.missing, "the answer of '" + program_ + "'"));
        }
        return sdk::Status::ok();
    }

private:
    std::string program_;
    std::unique_ptr<Session> session_;  // its destructor stops the program
};

}  // namespace
}  // namespace tocsin::plugins::execd

TOCSIN_EXPORT_SOURCE(tocsin::plugins::execd::ExecdSource,
                     "execd",
                     "1.0.0",
                     "keeps one program running and reads samples from it over JSON lines",
                     tocsin::plugins::execd::kConfigKeys,
                     tocsin::plugins::execd::kKpiKeys)
