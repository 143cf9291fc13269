#include "postgres_config.hpp"

#include <string_view>

namespace tocsin::plugins::postgres {
namespace {

bool is_blank(std::string_view text) {
    return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace

sdk::Status parse_config(const sdk::Config& config, PostgresConfig& out) {
    out.dsn = config.get_string("dsn");
    if (is_blank(out.dsn)) {
        return sdk::Status::bad_config(
            "dsn is empty; give a libpq connection string such as 'host=db dbname=app "
            "user=tocsin'");
    }
    out.statement_timeout = config.get_duration("statement_timeout", kDefaultStatementTimeout);
    if (out.statement_timeout.count() <= 0) {
        return sdk::Status::bad_config("statement_timeout must be positive; use e.g. 10s");
    }
    return sdk::Status::ok();
}

sdk::Status parse_query(const std::string& kpi, const sdk::Config& params, std::string& sql) {
    sql = params.get_string("query");
    if (is_blank(sql)) {
        return sdk::Status::failed("KPI '" + kpi + "' has no query; set query to a SELECT");
    }
    return sdk::Status::ok();
}

}  // namespace tocsin::plugins::postgres
