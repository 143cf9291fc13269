#include "sqlite_config.hpp"

#include <string_view>

namespace tocsin::plugins::sqlite {
namespace {

bool is_blank(std::string_view text) {
    return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace

sdk::Status parse_config(const sdk::Config& config, SqliteConfig& out) {
    out.path = config.get_string("path");
    if (is_blank(out.path)) {
        return sdk::Status::bad_config("path is empty; give the database file to read");
    }
    out.busy_timeout = config.get_duration("busy_timeout", kDefaultBusyTimeout);
    if (out.busy_timeout.count() < 0) {
        return sdk::Status::bad_config("busy_timeout is negative; use e.g. 5s");
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

}  // namespace tocsin::plugins::sqlite
