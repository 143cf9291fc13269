#pragma once

#include "api/router.hpp"
#include "app/api_routes.hpp"

#include <boost/json/value.hpp>

/// The endpoints for operating tocsin: GET /metrics (Prometheus text) and GET /api/v1/rules,
/// and the parts of /api/v1/status about rule errors and refused reloads.
namespace tocsin::app {

/// Adds GET /metrics and GET /api/v1/rules to `router`; `backend` must outlive it.
void add_ops_routes(api::Router& router, ApiBackend& backend);

/// Every rule or derived KPI whose Lua failed since start: `[{rule, message, file, line, col,
/// at, count, limit, active}]`, active while its TocsinRuleError alert is.
[[nodiscard]] boost::json::value rule_errors_json(const ApiBackend& backend);

/// The last refused reload `{at, errors, diagnostics}`, or null.
[[nodiscard]] boost::json::value refused_reload_json(const ApiBackend& backend);

}  // namespace tocsin::app
