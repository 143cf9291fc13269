// The sqlite source: runs each KPI's SELECT against a read-only database file and turns the rows
// into samples (see sqlite_database.hpp for the row rules).

#include "sqlite_config.hpp"
#include "sqlite_database.hpp"
#include <tocsin/sdk/plugin.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace tocsin::plugins::sqlite {
namespace {

class SqliteSource final : public sdk::Source {
public:
    sdk::Status configure(const sdk::Config& config, sdk::Logger& log) override {
        log_ = &log;
        SqliteConfig parsed;
        if (auto status = parse_config(config, parsed); !status.is_ok()) {
            return status;
        }
        database_ = std::make_unique<Database>(parsed.path, parsed.busy_timeout);
        return sdk::Status::ok();
    }

    sdk::Status collect(const std::vector<sdk::KpiRequest>& kpis,
                        sdk::SampleSink& sink,
                        sdk::Deadline deadline) override {
        // One failing KPI does not stop the others; the first distinct reasons are reported.
        std::vector<std::string> errors;
        auto note = [&errors](std::string error) {
            if (std::find(errors.begin(), errors.end(), error) == errors.end()) {
                errors.push_back(std::move(error));
            }
        };
        for (const auto& request : kpis) {
            std::string sql;
            if (auto status = parse_query(request.kpi, request.params, sql); !status.is_ok()) {
                note(std::move(status.message));
                continue;
            }
            QueryResult result;
            if (auto error = database_->query(request.kpi, sql, deadline, result)) {
                note(std::move(*error));
                if (std::chrono::steady_clock::now() >= deadline) {
                    break;  // the rest would only time out too
                }
                continue;
            }
            for (const auto& warning : result.warnings) {
                log_->warning(warning);
            }
            for (const auto& row : result.rows) {
                sink.emit(request.kpi, row.value, row.labels, row.timestamp_ms);
            }
        }
        if (errors.empty()) {
            return sdk::Status::ok();
        }
        std::string message = errors.front();
        for (std::size_t i = 1; i < errors.size(); ++i) {
            message += "; " + errors[i];
        }
        return sdk::Status::failed(std::move(message));
    }

private:
    sdk::Logger* log_ = nullptr;
    std::unique_ptr<Database> database_;
};

}  // namespace
}  // namespace tocsin::plugins::sqlite

TOCSIN_EXPORT_SOURCE(tocsin::plugins::sqlite::SqliteSource,
                     "sqlite",
                     "1.0.0",
                     "reads KPIs with SQL from an SQLite database file, read-only",
                     tocsin::plugins::sqlite::kConfigKeys,
                     tocsin::plugins::sqlite::kKpiKeys)
