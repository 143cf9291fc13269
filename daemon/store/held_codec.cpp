#include "store/held_codec.hpp"

#include "store/codec.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

namespace tocsin::store::codec {
namespace {

namespace json = boost::json;
using engine::from_unix_ms;
using engine::HeldBatch;
using engine::Notification;
using engine::to_unix_ms;

// JSON has no NaN or infinity, and a KPI value may be either (a division by zero in a derived
// KPI): they are kept as these strings so the batch still renders the same after a restart.
json::value number(double v) {
    if (std::isnan(v)) {
        return "nan";
    }
    if (std::isinf(v)) {
        return v > 0 ? "inf" : "-inf";
    }
    return v;
}

json::value optional_number(const std::optional<double>& v) {
    return v ? number(*v) : json::value(nullptr);
}

json::value optional_time(const std::optional<engine::TimePoint>& t) {
    return t ? json::value(to_unix_ms(*t)) : json::value(nullptr);
}

json::object labels_object(const engine::Labels& labels) {
    json::object o;
    for (const auto& [k, v] : labels) {
        o[k] = v;
    }
    return o;
}

json::array strings_array(const std::vector<std::string>& values) {
    json::array a;
    for (const auto& v : values) {
        a.emplace_back(v);
    }
    return a;
}

const char* unit_text(engine::Unit u) {
    switch (u) {
        case engine::Unit::None:
            return "none";
        case engine::Unit::Percent:
            return "percent";
        case engine::Unit::Ratio:
            return "ratio";
        case engine::Unit::Money:
            return "money";
        case engine::Unit::Count:
            return "count";
        case engine::Unit::Seconds:
            return "seconds";
    }
    return "none";
}

std::optional<engine::Unit> parse_unit(std::string_view s) {
    for (const auto u : {engine::Unit::None,
                         engine::Unit::Percent,
                         engine::Unit::Ratio,
                         engine::Unit::Money,
                         engine::Unit::Count,
                         engine::Unit::Seconds}) {
        if (s == unit_text(u)) {
            return u;
        }
    }
    return std::nullopt;
}

std::optional<HeldBatch::Kind> parse_batch_kind(std::string_view s) {
    for (const auto k : {HeldBatch::Kind::Group, HeldBatch::Kind::Defer, HeldBatch::Kind::Digest}) {
        if (s == engine::to_string(k)) {
            return k;
        }
    }
    return std::nullopt;
}

json::object report_line_object(const engine::ReportLine& line) {
    return json::object{{"kpi", line.kpi},
                        {"labels", labels_object(line.labels)},
                        {"value", optional_number(line.value)},
                        {"at", to_unix_ms(line.at)},
                        {"previous", optional_number(line.previous)},
                        {"target", optional_number(line.target)},
                        {"unit", line.unit},
                        {"unit_kind", unit_text(line.unit_kind)},
                        {"severity", severity_text(line.severity)},
                        {"stale", line.stale}};
}

json::object notification_object(const Notification& n) {
    json::object o;
    o["id"] = n.id;
    o["notifier"] = n.notifier;
    o["kind"] = engine::to_string(n.kind);
    o["at"] = to_unix_ms(n.at);
    o["alert"] = n.alert;
    o["kpi"] = n.kpi;
    o["fingerprint"] = n.fingerprint;
    o["labels"] = labels_object(n.labels);
    o["severity"] = severity_text(n.severity);
    o["previous_severity"] = severity_text(n.previous_severity);
    o["nodata"] = n.nodata;
    o["value"] = number(n.value);
    o["threshold"] = optional_number(n.threshold);
    o["target"] = optional_number(n.target);
    o["unit"] = n.unit;
    o["unit_kind"] = unit_text(n.unit_kind);
    o["summary"] = n.summary;
    o["description"] = n.description;
    o["runbook"] = n.runbook;
    o["starts_at"] = to_unix_ms(n.starts_at);
    o["ends_at"] = optional_time(n.ends_at);
    if (n.ack) {
        o["ack"] = json::object{{"author", n.ack->author},
                                {"comment", n.ack->comment},
                                {"at", to_unix_ms(n.ack->at)},
                                {"until", optional_time(n.ack->until)}};
    } else {
        o["ack"] = nullptr;
    }
    o["also_notified"] = strings_array(n.also_notified);
    o["previous_value"] = optional_number(n.previous_value);
    o["message_title"] = n.message_title;
    o["message_text"] = n.message_text;
    o["message_short"] = n.message_short;
    json::array members;
    for (const Notification& m : n.members) {
        members.emplace_back(notification_object(m));
    }
    o["members"] = std::move(members);
    o["group_labels"] = labels_object(n.group_labels);
    o["report"] = n.report;
    json::array lines;
    for (const auto& line : n.report_lines) {
        lines.emplace_back(report_line_object(line));
    }
    o["report_lines"] = std::move(lines);
    o["flapping"] = n.flapping;
    return o;
}

/// Reads the fields of one JSON object; the first problem is kept in `why` with its path, and
/// every later read is a no-op, so callers check once at the end.
class Reader {
public:
    Reader(const json::value& v, std::string path, std::string& why)
        : path_(std::move(path)), why_(why) {
        if (!v.is_object()) {
            fail("", "is not an object");
        } else {
            object_ = &v.get_object();
        }
    }

    [[nodiscard]] bool ok() const { return why_.empty(); }
    [[nodiscard]] const std::string& path() const { return path_; }

    /// The member `key`; null when absent (then a failure unless `optional`).
    const json::value* get(std::string_view key, bool optional = false) {
        if (!ok() || object_ == nullptr) {
            return nullptr;
        }
        const json::value* v = object_->if_contains(key);
        if (v == nullptr && !optional) {
            fail(key, "is missing");
        }
        return v;
    }

    void text(std::string_view key, std::string& out, bool optional = false) {
        if (const json::value* v = get(key, optional)) {
            if (!v->is_string()) {
                fail(key, "is not a string");
                return;
            }
            out = std::string(v->get_string());
        }
    }

    void flag(std::string_view key, bool& out) {
        if (const json::value* v = get(key, true)) {
            if (!v->is_bool()) {
                fail(key, "is not true or false");
                return;
            }
            out = v->get_bool();
        }
    }

    void num(std::string_view key, double& out) {
        if (const json::value* v = get(key, true)) {
            read_number(key, *v, out);
        }
    }

    void opt_num(std::string_view key, std::optional<double>& out) {
        if (const json::value* v = get(key, true); v != nullptr && !v->is_null()) {
            double d = 0;
            if (read_number(key, *v, d)) {
                out = d;
            }
        }
    }

    void time(std::string_view key, engine::TimePoint& out, bool optional = true) {
        if (const json::value* v = get(key, optional)) {
            std::int64_t ms = 0;
            if (read_ms(key, *v, ms)) {
                out = from_unix_ms(ms);
            }
        }
    }

    void opt_time(std::string_view key, std::optional<engine::TimePoint>& out) {
        if (const json::value* v = get(key, true); v != nullptr && !v->is_null()) {
            std::int64_t ms = 0;
            if (read_ms(key, *v, ms)) {
                out = from_unix_ms(ms);
            }
        }
    }

    void labels(std::string_view key, engine::Labels& out) {
        if (const json::value* v = get(key, true)) {
            if (!v->is_object()) {
                fail(key, "is not an object of label values");
                return;
            }
            for (const auto& [k, value] : v->get_object()) {
                if (!value.is_string()) {
                    fail(key, "label '" + std::string(k) + "' is not a string");
                    return;
                }
                out[std::string(k)] = std::string(value.get_string());
            }
        }
    }

    void strings(std::string_view key, std::vector<std::string>& out) {
        if (const json::value* v = get(key, true)) {
            if (!v->is_array()) {
                fail(key, "is not a list of strings");
                return;
            }
            for (const auto& item : v->get_array()) {
                if (!item.is_string()) {
                    fail(key, "is not a list of strings");
                    return;
                }
                out.emplace_back(item.get_string());
            }
        }
    }

    void severity(std::string_view key, engine::Severity& out) {
        std::string s;
        text(key, s, true);
        if (ok() && !s.empty()) {
            if (auto parsed = parse_severity_text(s)) {
                out = *parsed;
            } else {
                fail(key, "'" + s + "' is not a severity");
            }
        }
    }

    void unit(std::string_view key, engine::Unit& out) {
        std::string s;
        text(key, s, true);
        if (ok() && !s.empty()) {
            if (auto parsed = parse_unit(s)) {
                out = *parsed;
            } else {
                fail(key, "'" + s + "' is not a unit");
            }
        }
    }

    void fail(std::string_view key, const std::string& problem) {
        if (!ok()) {
            return;
        }
        std::string where = path_;
        if (!key.empty()) {
            where += (where.empty() ? "" : ".") + std::string(key);
        }
        why_ = (where.empty() ? std::string() : where + ": ") + problem;
    }

private:
    bool read_number(std::string_view key, const json::value& v, double& out) {
        if (v.is_number()) {
            out = v.to_number<double>();
            return true;
        }
        if (v.is_string()) {
            const std::string_view s = v.get_string();
            if (s == "nan") {
                out = std::numeric_limits<double>::quiet_NaN();
                return true;
            }
            if (s == "inf" || s == "-inf") {
                out = (s == "inf" ? 1 : -1) * std::numeric_limits<double>::infinity();
                return true;
            }
        }
        fail(key, "is not a number");
        return false;
    }

    bool read_ms(std::string_view key, const json::value& v, std::int64_t& out) {
        if (v.is_int64()) {
            out = v.get_int64();
            return true;
        }
        if (v.is_uint64() && v.get_uint64() <= std::uint64_t{INT64_MAX}) {
            out = static_cast<std::int64_t>(v.get_uint64());
            return true;
        }
        fail(key, "is not a time in milliseconds");
        return false;
    }

    const json::object* object_ = nullptr;
    std::string path_;
    std::string& why_;
};

std::optional<engine::ReportLine> read_report_line(const json::value& v,
                                                   const std::string& path,
                                                   std::string& why) {
    Reader r(v, path, why);
    engine::ReportLine line;
    r.text("kpi", line.kpi);
    r.labels("labels", line.labels);
    r.opt_num("value", line.value);
    r.time("at", line.at);
    r.opt_num("previous", line.previous);
    r.opt_num("target", line.target);
    r.text("unit", line.unit, true);
    r.unit("unit_kind", line.unit_kind);
    r.severity("severity", line.severity);
    r.flag("stale", line.stale);
    return r.ok() ? std::optional(std::move(line)) : std::nullopt;
}

std::optional<Notification> read_notification(const json::value& v,
                                              const std::string& path,
                                              std::string& why) {
    Reader r(v, path, why);
    Notification n;
    r.text("id", n.id);
    r.text("notifier", n.notifier);
    std::string kind;
    r.text("kind", kind);
    if (r.ok()) {
        if (auto parsed = engine::parse_notification_kind(kind)) {
            n.kind = *parsed;
        } else {
            r.fail("kind", "'" + kind + "' is not a notification kind");
        }
    }
    r.time("at", n.at, false);
    r.text("alert", n.alert, true);
    r.text("kpi", n.kpi, true);
    r.text("fingerprint", n.fingerprint, true);
    r.labels("labels", n.labels);
    r.severity("severity", n.severity);
    r.severity("previous_severity", n.previous_severity);
    r.flag("nodata", n.nodata);
    r.num("value", n.value);
    r.opt_num("threshold", n.threshold);
    r.opt_num("target", n.target);
    r.text("unit", n.unit, true);
    r.unit("unit_kind", n.unit_kind);
    r.text("summary", n.summary, true);
    r.text("description", n.description, true);
    r.text("runbook", n.runbook, true);
    r.time("starts_at", n.starts_at);
    r.opt_time("ends_at", n.ends_at);
    if (const json::value* ack = r.get("ack", true); ack != nullptr && !ack->is_null()) {
        Reader a(*ack, r.path() + (r.path().empty() ? "" : ".") + "ack", why);
        engine::Ack value;
        a.text("author", value.author);
        a.text("comment", value.comment, true);
        a.time("at", value.at);
        a.opt_time("until", value.until);
        n.ack = std::move(value);
    }
    r.strings("also_notified", n.also_notified);
    r.opt_num("previous_value", n.previous_value);
    r.text("message_title", n.message_title, true);
    r.text("message_text", n.message_text, true);
    r.text("message_short", n.message_short, true);
    const auto read_list = [&](std::string_view key, auto&& each) {
        const json::value* list = r.get(key, true);
        if (list == nullptr) {
            return;
        }
        if (!list->is_array()) {
            r.fail(key, "is not a list");
            return;
        }
        std::size_t i = 0;
        for (const auto& item : list->get_array()) {
            const std::string item_path = r.path() + (r.path().empty() ? "" : ".") +
                                          std::string(key) + "[" + std::to_string(i++) + "]";
            if (!each(item, item_path)) {
                return;
            }
        }
    };
    read_list("members", [&](const json::value& item, const std::string& item_path) {
        auto member = read_notification(item, item_path, why);
        if (member) {
            n.members.push_back(std::move(*member));
        }
        return member.has_value();
    });
    r.labels("group_labels", n.group_labels);
    r.text("report", n.report, true);
    read_list("report_lines", [&](const json::value& item, const std::string& item_path) {
        auto line = read_report_line(item, item_path, why);
        if (line) {
            n.report_lines.push_back(std::move(*line));
        }
        return line.has_value();
    });
    r.flag("flapping", n.flapping);
    return r.ok() ? std::optional(std::move(n)) : std::nullopt;
}

}  // namespace

std::string held_json(const HeldBatch& batch) {
    json::object o;
    o["key"] = batch.key;
    o["kind"] = engine::to_string(batch.kind);
    o["policy"] = batch.policy;
    o["notifier"] = batch.notifier;
    o["opened"] = to_unix_ms(batch.opened);
    o["flush_at"] = to_unix_ms(batch.flush_at);
    o["group_labels"] = labels_object(batch.group_labels);
    json::array members;
    for (const Notification& m : batch.members) {
        members.emplace_back(notification_object(m));
    }
    o["members"] = std::move(members);
    return json::serialize(o);
}

std::optional<HeldBatch> parse_held_json(std::string_view text, std::string& why) {
    why.clear();
    json::error_code ec;
    const json::value parsed = json::parse(text, ec);
    if (ec) {
        why = "not JSON: " + ec.message();
        return std::nullopt;
    }
    Reader r(parsed, "", why);
    HeldBatch b;
    r.text("key", b.key);
    std::string kind;
    r.text("kind", kind);
    if (r.ok()) {
        if (auto parsed_kind = parse_batch_kind(kind)) {
            b.kind = *parsed_kind;
        } else {
            r.fail("kind", "'" + kind + "' is not group, defer or digest");
        }
    }
    r.text("policy", b.policy, true);
    r.text("notifier", b.notifier);
    r.time("opened", b.opened);
    r.time("flush_at", b.flush_at, false);
    r.labels("group_labels", b.group_labels);
    if (const json::value* members = r.get("members")) {
        if (!members->is_array()) {
            r.fail("members", "is not a list");
        } else {
            std::size_t i = 0;
            for (const auto& item : members->get_array()) {
                auto m = read_notification(item, "members[" + std::to_string(i++) + "]", why);
                if (!m) {
                    break;
                }
                b.members.push_back(std::move(*m));
            }
        }
    }
    if (!r.ok()) {
        return std::nullopt;
    }
    return b;
}

}  // namespace tocsin::store::codec
