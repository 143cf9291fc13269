#pragma once

#include "app/message.hpp"
#include "engine/alert.hpp"

#include <string>

/// The words of a scheduled report (kind Report): a title that counts the lines by status, a
/// body with one line per KPI series (status mark, value in its unit, target, status, trend since
/// the last report) and a short text listing each KPI with its value and status. Used by
/// compose_message() for reports; the notification JSON carries the lines too, so a channel may
/// lay them out itself (a table in e-mail, sections in Slack).
namespace tocsin::app {

/// "ok", "warning", "critical", "stale" (a nodata alert fires) or "no data" (no value yet).
[[nodiscard]] std::string report_status(const engine::ReportLine& line);

/// "↑ +2.0 pp since the last report (33.0%)", "→ unchanged since the last report", or "" when
/// there is no earlier value to compare with.
[[nodiscard]] std::string report_trend(const engine::ReportLine& line);

/// "activation_rate" or "signups{plan=pro, region=eu}".
[[nodiscard]] std::string report_series_name(const engine::ReportLine& line);

[[nodiscard]] Message compose_report_message(const engine::Notification& n);

}  // namespace tocsin::app
