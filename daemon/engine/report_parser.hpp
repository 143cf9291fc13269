#pragma once

#include "engine/model.hpp"
#include "engine/yaml_util.hpp"

#include <vector>

/// Reading `reports:` from rule files (DESIGN.md §5):
///   reports:
///     growth-daily:
///       schedule: "0 9 * * mon-fri"     # cron, 5 fields or @daily etc.
///       timezone: Europe/Berlin          # default: tocsin.yaml `timezone`, else UTC
///       kpis: [activation_rate, ltv_cac]
///       notify: [growth-slack]
///       title: "Growth KPIs"             # default: the report's name
/// Every problem is reported to the reader's diagnostics at the value it is about (item path
/// "report 'growth-daily' > schedule"); nothing throws. Names unique across files, KPI names and
/// notifier names are checked by the rule and config loaders, which know all files.
namespace tocsin::engine {

/// Keys a report may have, for messages.
inline const std::vector<std::string> kReportKeys{
    "schedule", "timezone", "kpis", "notify", "title"};

/// Parses the value of a `reports:` key (a map of name -> report). Returns every report that has
/// a name, in file order, also those with errors (so references can still be cross-checked).
std::vector<ReportDef> parse_reports(yaml::Reader& reader, const yaml::Field& section);

}  // namespace tocsin::engine
