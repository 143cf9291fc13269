// The postgres source: runs each KPI's SELECT in one read-only transaction per collect over a
// reused libpq connection and turns the rows into samples (see postgres_database.hpp).

#include "postgres_config.hpp"
#include "postgres_database.hpp"
#include <tocsin/sdk/plugin.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace tocsin::plugins::postgres {
namespace {

class PostgresSource final : public sdk::Source {
public:
    sdk::Status configure(const sdk::Config& config, sdk::Logger& log) override {
        log_ = &log;
        PostgresConfig parsed;
        if (auto status = parse_config(config, parsed); !status.is_ok()) {
            return status;
        }
        database_ = std::make_unique<Database>(parsed.dsn, parsed.statement_timeout);
        return sdk::Status::ok();
    }

    sdk::Status collect(const std::vector<sdk::KpiRequest>& kpis,
                        sdk::SampleSink& sink,
                        sdk::Deadline deadline) override {
        std::vector<std::string> errors;
        bool all_temporary = true;
        auto note = [&](std::string error, bool temporary) {
            all_temporary = all_temporary && temporary;
            if (std::find(errors.begin(), errors.end(), error) == errors.end()) {
                errors.push_back(std::move(error));
            }
        };
        std::vector<KpiQuery> queries;
        for (const auto& request : kpis) {
            std::string sql;
            if (auto status = parse_query(request.kpi, request.params, sql); !status.is_ok()) {
                note(std::move(status.message), false);
                continue;
            }
            queries.push_back(KpiQuery{request.kpi, std::move(sql)});
        }
        if (!queries.empty()) {
            auto result = database_->run(queries, deadline);
            if (result.error) {
                note(std::move(*result.error), result.temporary);
            }
            for (std::size_t i = 0; i < result.kpis.size(); ++i) {
                auto& outcome = result.kpis[i];
                for (const auto& warning : outcome.warnings) {
                    log_->warning(warning);
                }
                if (outcome.error) {
                    note(std::move(*outcome.error), outcome.temporary);
                }
                for (const auto& row : outcome.rows) {
                    sink.emit(queries[i].kpi, row.value, row.labels, row.timestamp_ms);
                }
            }
        }
        if (errors.empty()) {
            return sdk::Status::ok();
        }
        std::string message = errors.front();
        for (std::size_t i = 1; i < errors.size(); ++i) {
            message += "; " + errors[i];
        }
        return all_temporary ? sdk::Status::retry(std::move(message))
                             : sdk::Status::failed(std::move(message));
    }

private:
    sdk::Logger* log_ = nullptr;
    std::unique_ptr<Database> database_;
};

}  // namespace
}  // namespace tocsin::plugins::postgres

TOCSIN_EXPORT_SOURCE(tocsin::plugins::postgres::PostgresSource,
                     "postgres",
                     "1.0.0",
                     "reads KPIs with SQL from PostgreSQL in read-only transactions",
                     tocsin::plugins::postgres::kConfigKeys,
                     tocsin::plugins::postgres::kKpiKeys)
