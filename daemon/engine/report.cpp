#include "engine/report.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace tocsin::engine {
namespace {

const ReportValue* find_value(const std::vector<ReportValue>& values,
                              const std::string& kpi,
                              const Labels& labels) {
    const auto it = std::find_if(values.begin(), values.end(), [&](const ReportValue& v) {
        return v.kpi == kpi && v.labels == labels;
    });
    return it == values.end() ? nullptr : &*it;
}

/// Status of one series from the instances firing on it.
void apply_alerts(ReportLine& line, const std::vector<AlertInstance>& instances) {
    for (const auto& inst : instances) {
        if (inst.state != AlertState::Firing || inst.kpi != line.kpi ||
            inst.series_labels != line.labels) {
            continue;
        }
        if (inst.nodata) {
            line.stale = true;
        }
        if (inst.severity > line.severity ||
            (inst.severity == line.severity && line.alert.empty())) {
            line.severity = inst.severity;
            line.alert = inst.rule;
        }
    }
}

std::optional<std::int64_t> int_member(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v == nullptr || !v->is_int64()) {
        return std::nullopt;
    }
    return v->as_int64();
}

}  // namespace

std::string report_meta_key(const std::string& name) {
    return "report:" + name;
}

std::string encode_report_run(const ReportRun& run) {
    boost::json::array values;
    for (const auto& v : run.values) {
        boost::json::object labels;
        for (const auto& [k, l] : v.labels) {
            labels[k] = l;
        }
        values.push_back(
            boost::json::object{{"kpi", v.kpi}, {"labels", labels}, {"value", v.value}});
    }
    boost::json::object root{{"scheduled_ms", to_unix_ms(run.scheduled)},
                             {"sent_at_ms", to_unix_ms(run.sent_at)},
                             {"values", values}};
    return boost::json::serialize(root);
}

std::optional<ReportRun> decode_report_run(std::string_view json) {
    boost::system::error_code ec;
    const auto doc = boost::json::parse(json, ec);
    if (ec || !doc.is_object()) {
        return std::nullopt;
    }
    const auto& root = doc.as_object();
    const auto scheduled = int_member(root, "scheduled_ms");
    if (!scheduled) {
        return std::nullopt;
    }
    ReportRun run;
    run.scheduled = from_unix_ms(*scheduled);
    run.sent_at = from_unix_ms(int_member(root, "sent_at_ms").value_or(*scheduled));
    const auto* values = root.if_contains("values");
    if (values != nullptr && values->is_array()) {
        for (const auto& item : values->as_array()) {
            const auto* o = item.if_object();
            if (o == nullptr) {
                continue;
            }
            const auto* kpi = o->if_contains("kpi");
            const auto* value = o->if_contains("value");
            if (kpi == nullptr || !kpi->is_string() || value == nullptr || !value->is_number()) {
                continue;
            }
            ReportValue v;
            v.kpi = std::string(kpi->as_string());
            v.value = value->to_number<double>();
            if (const auto* labels = o->if_contains("labels"); labels && labels->is_object()) {
                for (const auto& [k, l] : labels->as_object()) {
                    if (l.is_string()) {
                        v.labels[std::string(k)] = std::string(l.as_string());
                    }
                }
            }
            run.values.push_back(std::move(v));
        }
    }
    return run;
}

CronSchedule report_schedule(const ReportDef& def, std::string_view default_timezone) {
    const std::string_view name = def.timezone.empty() ? default_timezone : def.timezone;
    auto zone = TimeZone::find(name.empty() ? std::string_view("UTC") : name);
    return CronSchedule(def.schedule, zone ? *zone : TimeZone::utc());
}

ReportPlan plan_report(const CronSchedule& schedule,
                       std::optional<TimePoint> last_run,
                       TimePoint now) {
    ReportPlan plan;
    plan.next = schedule.next_fire(now);
    if (!last_run) {
        return plan;
    }
    const TimePoint first = schedule.next_fire(*last_run);
    if (first > now) {
        return plan;
    }
    // Only instants less than kReportCatchUp old may still go out; look no further back, so a
    // long outage of a minutely report costs at most an hour of instants here.
    const TimePoint window_start = std::max(*last_run, now - kReportCatchUp);
    if (first <= window_start) {
        plan.skipped = first;
    }
    for (TimePoint t = schedule.next_fire(window_start); t <= now; t = schedule.next_fire(t)) {
        plan.due_now = t;
    }
    return plan;
}

std::vector<ReportLine> build_report_lines(const ReportDef& def,
                                           const RuleSet& rules,
                                           const std::vector<Sample>& latest,
                                           const std::vector<AlertInstance>& instances,
                                           const std::vector<ReportValue>& previous) {
    std::vector<ReportLine> out;
    for (const auto& kpi_name : def.kpis) {
        const KpiDef* kpi = rules.find_kpi(kpi_name);
        ReportLine base;
        base.kpi = kpi_name;
        if (kpi != nullptr) {
            base.target = kpi->target;
            base.unit = kpi->unit_text;
            base.unit_kind = kpi->unit;
        }
        std::vector<const Sample*> series;
        for (const auto& s : latest) {
            if (s.kpi == kpi_name) {
                series.push_back(&s);
            }
        }
        std::sort(series.begin(), series.end(), [](const Sample* a, const Sample* b) {
            return a->labels < b->labels;
        });
        if (series.empty()) {
            ReportLine line = base;
            apply_alerts(line, instances);
            if (const auto* p = find_value(previous, kpi_name, line.labels)) {
                line.previous = p->value;
            }
            out.push_back(std::move(line));
            continue;
        }
        for (const Sample* s : series) {
            ReportLine line = base;
            line.labels = s->labels;
            line.value = s->value;
            line.at = s->at;
            apply_alerts(line, instances);
            if (const auto* p = find_value(previous, kpi_name, line.labels)) {
                line.previous = p->value;
            }
            out.push_back(std::move(line));
        }
    }
    return out;
}

std::string report_id(const std::string& name, TimePoint scheduled, const std::string& notifier) {
    return "report-" + name + "-" + std::to_string(to_unix_ms(scheduled)) + "/" + notifier;
}

std::vector<Notification> build_report(const ReportDef& def,
                                       const std::vector<ReportLine>& lines,
                                       TimePoint scheduled,
                                       TimePoint now) {
    std::vector<Notification> out;
    for (const auto& notifier : def.notify) {
        Notification n;
        n.id = report_id(def.name, scheduled, notifier);
        n.notifier = notifier;
        n.kind = NotificationKind::Report;
        n.at = now;
        n.starts_at = scheduled;
        n.alert = def.name;  // what the outbox lists the item under
        n.report = def.name;
        n.report_title = def.shown_title();
        n.report_lines = lines;
        for (const auto& line : lines) {
            n.severity = std::max(n.severity, line.severity);
        }
        out.push_back(std::move(n));
    }
    return out;
}

std::vector<ReportValue> report_values(const std::vector<ReportLine>& lines,
                                       const std::vector<ReportValue>& previous) {
    std::vector<ReportValue> out;
    for (const auto& line : lines) {
        if (line.value) {
            out.push_back(ReportValue{line.kpi, line.labels, *line.value});
        } else if (const auto* p = find_value(previous, line.kpi, line.labels)) {
            out.push_back(*p);
        }
    }
    return out;
}

}  // namespace tocsin::engine
