#include "engine/rule_parser.hpp"

#include "engine/lua_check.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace tocsin::engine::detail {
namespace {

using yaml::Field;
using yaml::join_path;
using yaml::Reader;

const std::vector<std::string> kRuleKeys{"alert",
                                         "kpi",
                                         "above",
                                         "below",
                                         "outside",
                                         "inside",
                                         "recover",
                                         "for",
                                         "keep_firing_for",
                                         "nodata",
                                         "labels",
                                         "summary",
                                         "description",
                                         "runbook",
                                         "policy",
                                         "lua",
                                         "flapping"};
const std::vector<std::string> kComparisons{"above", "below", "outside", "inside"};
const std::vector<std::string> kLevelKeys{"warning", "critical"};
const std::vector<std::string> kNoDataKeys{"after", "severity"};
const std::vector<std::string> kFlappingKeys{"low", "high"};

/// `flapping: true` (the defaults), `false`, or `{low: 0.2, high: 0.4}` (shares from 0 to 1).
std::optional<Flapping> parse_flapping(Reader& r, const Field& f, const std::string& path) {
    Flapping flapping;
    flapping.loc = f.loc;
    if (f.node.IsScalar()) {
        const std::string& text = f.node.Scalar();
        if (text == "true" || text == "false") {
            return text == "true" ? std::optional<Flapping>(flapping) : std::nullopt;
        }
    }
    auto fields = r.fields(f.node, f.loc, path);
    if (!fields) {
        return std::nullopt;
    }
    r.check_keys(*fields, kFlappingKeys, path);
    for (const Field& g : *fields) {
        const auto share = r.number(g, join_path(path, g.key));
        if (share && (*share <= 0 || *share >= 1)) {
            r.error(g.loc,
                    join_path(path, g.key),
                    "expected a share of state changes between 0 and 1, e.g. 0.3");
        } else if (share) {
            (g.key == "low" ? flapping.low : flapping.high) = *share;
        }
    }
    if (flapping.low >= flapping.high) {
        r.error(f.loc, path, "low must be below high, so a flapping alert can settle");
    }
    return flapping;
}

Comparison comparison_of(const std::string& key) {
    if (key == "above") {
        return Comparison::Above;
    }
    if (key == "below") {
        return Comparison::Below;
    }
    return key == "outside" ? Comparison::Outside : Comparison::Inside;
}

bool is_range(Comparison c) {
    return c == Comparison::Outside || c == Comparison::Inside;
}

std::string show(const Interval& i) {
    return "[" + show_number(i.low) + ", " + show_number(i.high) + "]";
}

bool is_label_name(const std::string& name) {
    if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
}

const Field* find(const std::vector<Field>& fields, const std::string& key) {
    const auto it =
        std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return f.key == key; });
    return it == fields.end() ? nullptr : &*it;
}

/// One level of a threshold: a number for above/below, a [low, high] pair for outside/inside.
std::optional<Interval> parse_level(Reader& r,
                                    const Field& f,
                                    Comparison c,
                                    const std::string& path) {
    if (!is_range(c)) {
        const auto v = r.number(f, path);
        if (!v) {
            return std::nullopt;
        }
        return Interval{*v, *v};
    }
    if (!f.node.IsSequence() || f.node.size() != 2) {
        r.error(f.loc, path, "expected a [low, high] pair, got " + r.describe(f.node));
        return std::nullopt;
    }
    const auto low = r.number(f.node[0], r.loc(f.node[0]), path);
    const auto high = r.number(f.node[1], r.loc(f.node[1]), path);
    if (!low || !high) {
        return std::nullopt;
    }
    if (*low > *high) {
        r.error(f.loc,
                path,
                "low bound " + show_number(*low) + " is above high bound " + show_number(*high) +
                    "; write [low, high]");
        return std::nullopt;
    }
    return Interval{*low, *high};
}

/// Checks that levels and `recover` are ordered so the alert can escalate and resolve.
void check_order(Reader& r,
                 const Threshold& t,
                 const std::string& cmp_path,
                 const SourceLoc& critical_loc,
                 const SourceLoc& recover_loc,
                 const std::string& recover_path) {
    const auto& w = t.warning;
    const auto& c = t.critical;
    const std::string critical_path = join_path(cmp_path, "critical");
    switch (t.comparison) {
        case Comparison::Above:
            if (w && c && c->low <= w->low) {
                r.error(critical_loc,
                        critical_path,
                        "critical (" + show_number(c->low) + ") must be above warning (" +
                            show_number(w->low) + ") for an 'above' rule; swap the two levels");
            }
            break;
        case Comparison::Below:
            if (w && c && c->low >= w->low) {
                r.error(critical_loc,
                        critical_path,
                        "critical (" + show_number(c->low) + ") must be below warning (" +
                            show_number(w->low) + ") for a 'below' rule; swap the two levels");
            }
            break;
        case Comparison::Outside:
            if (w && c && (c->low > w->low || c->high < w->high)) {
                r.error(critical_loc,
                        critical_path,
                        "critical " + show(*c) + " must contain warning " + show(*w) +
                            " for an 'outside' rule; widen critical");
            }
            break;
        case Comparison::Inside:
            if (w && c && (c->low < w->low || c->high > w->high)) {
                r.error(critical_loc,
                        critical_path,
                        "critical " + show(*c) + " must lie within warning " + show(*w) +
                            " for an 'inside' rule; narrow critical");
            }
            break;
    }
    if (!t.recover || (!w && !c)) {
        return;
    }
    const Interval& rec = *t.recover;
    // The least severe level decides where "breached" begins.
    const Interval& mild = w ? *w : *c;
    const char* mild_name = w ? "warning" : "critical";
    switch (t.comparison) {
        case Comparison::Above:
            if (rec.low > mild.low) {
                r.error(recover_loc,
                        recover_path,
                        "recover (" + show_number(rec.low) + ") must be at or below " + mild_name +
                            " (" + show_number(mild.low) + ") for an 'above' rule");
            }
            break;
        case Comparison::Below:
            if (rec.low < mild.low) {
                r.error(recover_loc,
                        recover_path,
                        "recover (" + show_number(rec.low) + ") must be at or above " + mild_name +
                            " (" + show_number(mild.low) + ") for a 'below' rule");
            }
            break;
        case Comparison::Outside:
            if (rec.low < mild.low || rec.high > mild.high) {
                r.error(recover_loc,
                        recover_path,
                        "recover " + show(rec) + " must lie within " + mild_name + " " +
                            show(mild) + " for an 'outside' rule");
            }
            break;
        case Comparison::Inside:
            if (rec.low > mild.low || rec.high < mild.high) {
                r.error(recover_loc,
                        recover_path,
                        "recover " + show(rec) + " must contain " + mild_name + " " + show(mild) +
                            " for an 'inside' rule");
            }
            break;
    }
}

/// Reads the comparison key (above/below/outside/inside) and `recover` into `rule.threshold`.
void parse_threshold(Reader& r,
                     const std::vector<Field>& fields,
                     RuleDef& rule,
                     const std::string& path) {
    const Field* cmp = nullptr;
    for (const Field& f : fields) {
        if (std::find(kComparisons.begin(), kComparisons.end(), f.key) == kComparisons.end()) {
            continue;
        }
        if (cmp != nullptr) {
            r.error(f.key_loc,
                    path,
                    "only one of above, below, outside, inside is allowed; '" + cmp->key +
                        "' is already set");
            continue;
        }
        cmp = &f;
    }
    const Field* recover = find(fields, "recover");
    if (cmp == nullptr) {
        if (find(fields, "lua") == nullptr) {
            r.error(rule.loc, path, "no condition; add one of above, below, outside, inside");
        }
        return;
    }
    Threshold& t = rule.threshold;
    t.comparison = comparison_of(cmp->key);
    const std::string cmp_path = join_path(path, cmp->key);
    SourceLoc critical_loc = cmp->loc;
    if (auto levels = r.fields(cmp->node, cmp->loc, cmp_path)) {
        r.check_keys(*levels, kLevelKeys, cmp_path);
        for (const Field& level : *levels) {
            const std::string level_path = join_path(cmp_path, level.key);
            if (level.key == "warning") {
                t.warning = parse_level(r, level, t.comparison, level_path);
            } else if (level.key == "critical") {
                t.critical = parse_level(r, level, t.comparison, level_path);
                critical_loc = level.loc;
            }
        }
        const bool has_levels =
            find(*levels, "warning") != nullptr || find(*levels, "critical") != nullptr;
        if (!has_levels) {
            r.error(cmp->loc, cmp_path, "no levels; set warning, critical or both");
        }
    }
    const std::string recover_path = join_path(path, "recover");
    SourceLoc recover_loc;
    if (recover != nullptr) {
        t.recover = parse_level(r, *recover, t.comparison, recover_path);
        recover_loc = recover->loc;
    }
    check_order(r, t, cmp_path, critical_loc, recover_loc, recover_path);
}

void parse_nodata(Reader& r, const Field& f, RuleDef& rule, const std::string& path) {
    auto fields = r.fields(f.node, f.loc, path);
    if (!fields) {
        return;
    }
    r.check_keys(*fields, kNoDataKeys, path);
    NoData nodata;
    const Field* after = find(*fields, "after");
    if (after == nullptr) {
        r.error(f.loc,
                path,
                "missing required key 'after'; say how long without data counts, e.g. after: 2h");
    } else if (auto d = r.duration(*after, join_path(path, "after"))) {
        if (d->count() <= 0) {
            r.error(after->loc, join_path(path, "after"), "must be longer than 0s");
        }
        nodata.after = *d;
    }
    if (const Field* sev = find(*fields, "severity")) {
        const std::string sev_path = join_path(path, "severity");
        if (auto text = r.string(*sev, sev_path)) {
            if (auto s = parse_severity(*text)) {
                nodata.severity = *s;
            } else {
                r.error(sev->loc,
                        sev_path,
                        "'" + *text + "' is not a severity; use warning or critical");
            }
        }
    }
    rule.nodata = nodata;
}

void parse_labels(Reader& r, const Field& f, RuleDef& rule, const std::string& path) {
    auto fields = r.fields(f.node, f.loc, path);
    if (!fields) {
        return;
    }
    for (const Field& label : *fields) {
        const std::string label_path = join_path(path, label.key);
        if (!is_label_name(label.key)) {
            r.error(label.key_loc,
                    path,
                    "'" + label.key +
                        "' is not a label name; use letters, digits and '_', not starting with a "
                        "digit");
            continue;
        }
        if (label.key == "alertname" || label.key == "severity") {
            r.error(label.key_loc,
                    path,
                    "label '" + label.key + "' is set by tocsin; choose another name");
            continue;
        }
        if (auto value = r.string(label, label_path)) {
            rule.labels[label.key] = *value;
        }
    }
}

Template parse_template(Reader& r, const Field& f, const std::string& path) {
    const auto text = r.string(f, path);
    if (!text) {
        return {};
    }
    return Template::parse(*text, r.text_loc(f.node, f.loc), path, r.diags());
}

}  // namespace

std::optional<LuaCode> parse_lua(Reader& r, const Field& f, const std::string& path) {
    const auto text = r.literal(f, path);
    if (!text) {
        return std::nullopt;
    }
    LuaCode code;
    code.source = *text;
    code.loc = r.text_loc(f.node, f.loc);
    code.path = path;
    if (code.source.find_first_not_of(" \t\r\n") == std::string::npos) {
        r.error(
            f.loc, path, "the Lua code is empty; write e.g. return kpi(\"ltv\") / kpi(\"cac\")");
        return std::nullopt;
    }
    lua::analyze(code, r.diags());
    return code;
}

std::string show_number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

std::optional<RuleDef> parse_rule(Reader& r,
                                  const yaml::Node& item,
                                  const SourceLoc& loc,
                                  int index) {
    std::string path = "rule #" + std::to_string(index);
    auto fields = r.fields(item, loc, path);
    if (!fields) {
        return std::nullopt;
    }
    RuleDef rule;
    rule.loc = loc;
    const Field* alert = find(*fields, "alert");
    if (alert == nullptr) {
        r.error(loc, path, "missing required key 'alert'; name the rule, e.g. alert: DiskFull");
        return std::nullopt;
    }
    auto name = r.string(*alert, join_path(path, "alert"));
    if (!name || name->empty()) {
        if (name) {
            r.error(alert->loc,
                    join_path(path, "alert"),
                    "the rule name is empty; name it, e.g. alert: DiskFull");
        }
        return std::nullopt;
    }
    rule.alert = *name;
    rule.loc = alert->loc;
    path = "rule '" + rule.alert + "'";
    r.check_keys(*fields, kRuleKeys, path);
    for (const Field& f : *fields) {
        const std::string key_path = join_path(path, f.key);
        if (f.key == "kpi") {
            if (auto kpi = r.string(f, key_path)) {
                rule.kpi = *kpi;
                rule.kpi_loc = f.loc;
            }
        } else if (f.key == "for") {
            rule.for_duration = r.duration(f, key_path).value_or(Duration{0});
        } else if (f.key == "keep_firing_for") {
            rule.keep_firing_for = r.duration(f, key_path).value_or(Duration{0});
        } else if (f.key == "nodata") {
            parse_nodata(r, f, rule, key_path);
        } else if (f.key == "labels") {
            parse_labels(r, f, rule, key_path);
        } else if (f.key == "summary") {
            rule.summary = parse_template(r, f, key_path);
        } else if (f.key == "description") {
            rule.description = parse_template(r, f, key_path);
        } else if (f.key == "runbook") {
            rule.runbook = parse_template(r, f, key_path);
        } else if (f.key == "policy") {
            if (auto policy = r.string(f, key_path)) {
                rule.policy = *policy;
                rule.policy_loc = f.loc;
            }
        } else if (f.key == "lua") {
            rule.lua = parse_lua(r, f, key_path);
        } else if (f.key == "flapping") {
            rule.flapping = parse_flapping(r, f, key_path);
        }
    }
    if (find(*fields, "kpi") == nullptr) {
        r.error(rule.loc, path, "missing required key 'kpi'; name the KPI this rule watches");
    }
    parse_threshold(r, *fields, rule, path);
    if (find(*fields, "lua") != nullptr) {
        for (const Field& f : *fields) {
            const bool threshold_key =
                std::find(kComparisons.begin(), kComparisons.end(), f.key) != kComparisons.end() ||
                f.key == "recover";
            if (threshold_key) {
                r.error(f.key_loc,
                        path,
                        "'" + f.key +
                            "' is for threshold rules; a Lua rule returns its severity (and "
                            "resolves by returning nothing), so remove '" +
                            f.key + "' or 'lua'");
            }
        }
    }
    if (rule.alert == kRuleErrorAlert) {
        r.error(rule.loc,
                path,
                "the alert name '" + rule.alert +
                    "' is reserved for tocsin's own Lua error alerts; choose another name");
    }
    return rule;
}

}  // namespace tocsin::engine::detail
