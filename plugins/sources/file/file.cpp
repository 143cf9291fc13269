// The file source: reads KPIs from a CSV or JSON file that something else writes (a cron job, an
// export), re-reading it only when it changed (see file_data.hpp and docs/plugin-authors.md).

#include "file_config.hpp"
#include "file_data.hpp"
#include "samples.hpp"
#include <tocsin/sdk/plugin.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace tocsin::plugins::file {
namespace {

std::int64_t unix_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class FileSource final : public sdk::Source {
public:
    sdk::Status configure(const sdk::Config& config, sdk::Logger& log) override {
        log_ = &log;
        FileConfig parsed;
        if (auto status = parse_config(config, parsed); !status.is_ok()) {
            return status;
        }
        path_ = parsed.path;
        format_ = parsed.format;
        watcher_ = std::make_unique<FileWatcher>(std::move(parsed));
        return sdk::Status::ok();
    }

    sdk::Status collect(const std::vector<sdk::KpiRequest>& kpis,
                        sdk::SampleSink& sink,
                        sdk::Deadline /*deadline*/) override {
        if (auto status = watcher_->refresh(unix_ms_now()); !status.is_ok()) {
            return status;
        }
        const FileData& data = *watcher_->data();
        std::vector<local::ParsedSample> csv;
        if (format_ == Format::Csv) {
            if (auto status = csv_samples(data.csv, kpis, csv); !status.is_ok()) {
                status.message = "'" + path_ + "': " + status.message;
                return status;
            }
        }
        const auto report =
            local::emit_requested(format_ == Format::Csv ? csv : data.samples, kpis, sink);
        if (report.refused > 0) {
            log_->warning(std::to_string(report.refused) + " sample(s) of '" + path_ +
                          "' refused by the host (bad label names?)");
        }
        if (!report.missing.empty()) {
            return sdk::Status::failed(local::missing_text(report.missing, "'" + path_ + "'"));
        }
        return sdk::Status::ok();
    }

private:
    sdk::Logger* log_ = nullptr;
    std::string path_;
    Format format_ = Format::Csv;
    std::unique_ptr<FileWatcher> watcher_;
};

}  // namespace
}  // namespace tocsin::plugins::file

TOCSIN_EXPORT_SOURCE(tocsin::plugins::file::FileSource,
                     "file",
                     "1.0.0",
                     "reads KPIs from a CSV or JSON file, re-read when it changes",
                     tocsin::plugins::file::kConfigKeys,
                     tocsin::plugins::file::kKpiKeys)
