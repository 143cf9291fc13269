#include "engine/report_parser.hpp"

#include "engine/calendar_parser.hpp"
#include "engine/cron.hpp"

#include <algorithm>

namespace tocsin::engine {
namespace {

using yaml::Field;
using yaml::join_path;
using yaml::Reader;

/// A list of names (`kpis:`, `notify:`) with their positions; an empty list is an error because
/// a report with nothing in it or nobody to tell is a mistake, not a choice.
void parse_names(Reader& r,
                 const Field& f,
                 const std::string& path,
                 const char* what,
                 std::vector<std::string>& names,
                 std::vector<SourceLoc>& locs) {
    auto list = r.string_list(f, path);
    if (!list) {
        return;
    }
    if (list->empty()) {
        r.error(f.loc, path, std::string("the list is empty; name at least one ") + what);
        return;
    }
    for (auto& [name, loc] : *list) {
        if (std::find(names.begin(), names.end(), name) != names.end()) {
            r.error(loc, path, "'" + name + "' is listed twice; name each " + what + " once");
            continue;
        }
        names.push_back(name);
        locs.push_back(loc);
    }
}

ReportDef parse_report(Reader& r, const Field& item) {
    const std::string path = "report '" + item.key + "'";
    ReportDef def;
    def.name = item.key;
    def.loc = item.key_loc;
    auto fields = r.fields(item.node, item.loc, path);
    if (!fields) {
        return def;
    }
    r.check_keys(*fields, kReportKeys, path);
    bool has_schedule = false;
    bool has_kpis = false;
    bool has_notify = false;
    for (const Field& f : *fields) {
        const std::string key_path = join_path(path, f.key);
        if (f.key == "schedule") {
            has_schedule = true;
            def.schedule_loc = f.loc;
            if (auto spec = parse_cron(r, f, key_path)) {
                def.schedule = std::move(*spec);
            }
        } else if (f.key == "timezone") {
            def.timezone_loc = f.loc;
            if (auto zone = parse_timezone(r, f, key_path)) {
                def.timezone = *zone;
            }
        } else if (f.key == "kpis") {
            has_kpis = true;
            parse_names(r, f, key_path, "KPI", def.kpis, def.kpi_locs);
        } else if (f.key == "notify") {
            has_notify = true;
            parse_names(r, f, key_path, "notifier", def.notify, def.notify_locs);
        } else if (f.key == "title") {
            def.title = r.string(f, key_path).value_or("");
        }
    }
    if (!has_schedule) {
        r.error(item.key_loc,
                path,
                "missing required key 'schedule'; add a cron schedule such as \"0 9 * * mon-fri\" "
                "or @daily");
    }
    if (!has_kpis) {
        r.error(item.key_loc, path, "missing required key 'kpis'; list the KPIs to report");
    }
    if (!has_notify) {
        r.error(item.key_loc, path, "missing required key 'notify'; list the notifiers to send to");
    }
    return def;
}

}  // namespace

std::vector<ReportDef> parse_reports(Reader& reader, const Field& section) {
    std::vector<ReportDef> out;
    auto reports = reader.fields(section.node, section.loc, "reports");
    if (!reports) {
        return out;
    }
    for (const Field& item : *reports) {
        out.push_back(parse_report(reader, item));
    }
    return out;
}

}  // namespace tocsin::engine
