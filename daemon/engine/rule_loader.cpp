#include "engine/calendar_parser.hpp"
#include "engine/loader.hpp"
#include "engine/lua_loader.hpp"
#include "engine/policy_parser.hpp"
#include "engine/report_parser.hpp"
#include "engine/rule_parser.hpp"
#include "engine/yaml_util.hpp"

#include <algorithm>
#include <map>
#include <string_view>
#include <unordered_set>

namespace tocsin::engine {
namespace detail {
namespace {

using yaml::Field;
using yaml::join_path;
using yaml::Reader;

const std::vector<std::string> kFileKeys{"kpis", "rules", "policies", "calendars", "reports"};
const std::vector<std::string> kKpiHostKeys{
    "source", "every", "unit", "target", "description", "lua", "history"};

std::string where(const SourceLoc& loc) {
    return loc.file + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col);
}

const Field* find(const std::vector<Field>& fields, const std::string& key) {
    const auto it =
        std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return f.key == key; });
    return it == fields.end() ? nullptr : &*it;
}

Unit parse_unit(const std::string& text) {
    static const std::map<std::string, Unit> kWords{{"percent", Unit::Percent},
                                                    {"ratio", Unit::Ratio},
                                                    {"count", Unit::Count},
                                                    {"seconds", Unit::Seconds},
                                                    {"money", Unit::Money}};
    if (const auto it = kWords.find(text); it != kWords.end()) {
        return it->second;
    }
    // Three capital letters read as an ISO 4217 currency code ("EUR", "USD").
    const bool currency = text.size() == 3 && std::all_of(text.begin(), text.end(), [](char c) {
                              return c >= 'A' && c <= 'Z';
                          });
    return currency ? Unit::Money : Unit::None;
}

/// Loads one file's items into the set, remembering where each name was first defined.
class FileLoader {
public:
    FileLoader(RuleSet& set, Diagnostics& diags) : set_(set), diags_(diags) {}

    void load(const std::string& path) {
        std::string why;
        const auto text = yaml::read_text_file(path, why);
        if (!text) {
            diags_.error(SourceLoc{path, 0, 0}, "", "cannot read rule file: " + why);
            return;
        }
        set_.files.push_back(path);
        Reader r(path, "", diags_, nullptr);
        const auto root = r.load(*text);
        if (!root) {
            return;
        }
        const SourceLoc top{path, 1, 1};
        if (!root->IsNull() && !root->IsMap()) {
            r.error(
                top, "", "expected a map with kpis, rules or policies, got " + r.describe(*root));
            return;
        }
        auto fields = r.fields(*root, top, "");
        if (!fields) {
            return;
        }
        for (const Field& f : *fields) {
            if (f.key == "kpis") {
                load_kpis(r, f);
            } else if (f.key == "rules") {
                load_rules(r, f);
            } else if (f.key == "policies") {
                load_policies(r, f);
            } else if (f.key == "calendars") {
                load_calendars(r, f);
            } else if (f.key == "reports") {
                load_reports(r, f);
            } else {
                r.error(f.key_loc,
                        "",
                        "unknown key '" + f.key + "'" + yaml::did_you_mean(f.key, kFileKeys) +
                            "; allowed: " + yaml::join(kFileKeys));
            }
        }
    }

    /// Quiet hours must name a calendar defined in some file.
    void check_calendars() {
        std::vector<std::string> names;
        for (const auto& c : set_.calendars) {
            names.push_back(c.name);
        }
        const auto check = [&](const std::optional<QuietHours>& q, const std::string& path) {
            if (!q || q->off || q->calendar.empty() ||
                std::find(names.begin(), names.end(), q->calendar) != names.end()) {
                return;
            }
            diags_.error(q->calendar_loc,
                         path + " > quiet_hours > calendar",
                         "unknown calendar '" + q->calendar + "'" +
                             yaml::did_you_mean(q->calendar, names) +
                             "; defined calendars: " + yaml::join(names));
        };
        for (const auto& policy : set_.policies) {
            const std::string path = "policy '" + policy.name + "'";
            check(policy.quiet_hours, path);
            for (std::size_t i = 0; i < policy.steps.size(); ++i) {
                check(policy.steps[i].quiet_hours, path + " > step " + std::to_string(i + 1));
            }
        }
    }

    /// Every rule must name a KPI defined in some file.
    void check_references() {
        check_calendars();
        std::vector<std::string> names;
        // A set, not find_kpi(): a linear search per rule made 10,000 rules cost 5*10^7 compares.
        std::unordered_set<std::string_view> defined;
        names.reserve(set_.kpis.size());
        for (const auto& k : set_.kpis) {
            names.push_back(k.name);
            defined.insert(k.name);
        }
        for (const auto& rule : set_.rules) {
            if (rule.kpi.empty() || defined.count(rule.kpi) != 0) {
                continue;
            }
            diags_.error(rule.kpi_loc,
                         "rule '" + rule.alert + "' > kpi",
                         "unknown kpi '" + rule.kpi + "'" + yaml::did_you_mean(rule.kpi, names) +
                             "; defined kpis: " + yaml::join(names));
        }
        for (const auto& report : set_.reports) {
            for (std::size_t i = 0; i < report.kpis.size(); ++i) {
                if (defined.count(report.kpis[i]) != 0) {
                    continue;
                }
                diags_.error(report.kpi_locs[i],
                             "report '" + report.name + "' > kpis",
                             "unknown kpi '" + report.kpis[i] + "'" +
                                 yaml::did_you_mean(report.kpis[i], names) +
                                 "; defined kpis: " + yaml::join(names));
            }
        }
    }

private:
    /// A derived KPI is computed, never collected: no source, poll interval or source keys.
    void check_derived(Reader& r,
                       const std::vector<Field>& fields,
                       const Field& lua,
                       const std::string& path) {
        for (const Field& f : fields) {
            if (&f == &lua || f.key == "unit" || f.key == "target" || f.key == "description" ||
                f.key == "history") {
                continue;
            }
            r.error(f.key_loc,
                    path,
                    "'" + f.key +
                        "' is for collected KPIs; a lua KPI is computed from other KPIs, so "
                        "remove '" +
                        f.key + "' or 'lua'");
        }
    }

    // True when `name` is new; otherwise reports the duplicate with the first definition.
    bool claim(std::map<std::string, SourceLoc>& seen,
               const std::string& kind,
               const std::string& name,
               const SourceLoc& loc,
               const std::string& path) {
        const auto [it, inserted] = seen.emplace(name, loc);
        if (!inserted) {
            diags_.error(loc,
                         path,
                         "duplicate " + kind + " name '" + name + "'; first defined at " +
                             where(it->second));
        }
        return inserted;
    }

    void load_kpis(Reader& r, const Field& section) {
        auto kpis = r.fields(section.node, section.loc, "kpis");
        if (!kpis) {
            return;
        }
        for (const Field& item : *kpis) {
            const std::string path = "kpi '" + item.key + "'";
            if (!claim(kpi_names_, "kpi", item.key, item.key_loc, path)) {
                continue;
            }
            KpiDef kpi;
            kpi.name = item.key;
            kpi.loc = item.key_loc;
            auto fields = r.fields(item.node, item.loc, path);
            if (!fields) {
                set_.kpis.push_back(std::move(kpi));
                continue;
            }
            for (const Field& f : *fields) {
                const std::string key_path = join_path(path, f.key);
                if (f.key == "source") {
                    if (auto s = r.string(f, key_path)) {
                        kpi.source = *s;
                        kpi.source_loc = f.loc;
                    }
                } else if (f.key == "every") {
                    if (auto d = r.duration(f, key_path)) {
                        if (d->count() <= 0) {
                            r.error(f.loc, key_path, "must be longer than 0s");
                        }
                        kpi.every = *d;
                    }
                } else if (f.key == "unit") {
                    if (auto u = r.string(f, key_path)) {
                        kpi.unit_text = *u;
                        kpi.unit = parse_unit(*u);
                    }
                } else if (f.key == "target") {
                    kpi.target = r.number(f, key_path);
                } else if (f.key == "description") {
                    kpi.description = r.string(f, key_path).value_or("");
                } else if (f.key == "lua") {
                    kpi.lua = parse_lua(r, f, key_path);
                } else if (f.key == "history") {
                    if (auto d = r.duration(f, key_path)) {
                        if (d->count() <= 0) {
                            r.error(f.loc, key_path, "must be longer than 0s");
                        }
                        kpi.history = *d;
                        kpi.history_set = true;
                        kpi.history_loc = f.loc;
                    }
                } else {
                    // The source plugin's per-KPI keys; the plugin host checks them.
                    kpi.params.push_back(
                        RawEntry{f.key, f.key_loc, r.raw(f.node, f.loc, key_path)});
                }
            }
            if (find(*fields, "source") == nullptr && find(*fields, "lua") == nullptr) {
                r.error(item.key_loc,
                        path,
                        "missing required key 'source'; name a source from tocsin.yaml (or "
                        "compute the KPI with lua:)");
            }
            if (const Field* lua = find(*fields, "lua")) {
                check_derived(r, *fields, *lua, path);
            }
            if (kpi.name == kRuleErrorKpi) {
                r.error(item.key_loc,
                        path,
                        "the KPI name '" + kpi.name +
                            "' is reserved for tocsin's own Lua error alerts; choose another name");
            }
            set_.kpis.push_back(std::move(kpi));
        }
    }

    void load_rules(Reader& r, const Field& section) {
        if (section.node.IsNull()) {
            return;
        }
        if (!section.node.IsSequence()) {
            r.error(
                section.loc, "rules", "expected a list of rules, got " + r.describe(section.node));
            return;
        }
        int index = 0;
        for (const auto& item : section.node) {
            ++index;
            auto rule = parse_rule(r, item, item.IsNull() ? section.loc : r.loc(item), index);
            if (!rule) {
                continue;
            }
            const std::string path = "rule '" + rule->alert + "'";
            if (claim(rule_names_, "alert", rule->alert, rule->loc, path)) {
                set_.rules.push_back(std::move(*rule));
            }
        }
    }

    /// Keeps the items whose names are new, reporting duplicates (calendars, reports).
    template <typename Item>
    void keep_named(std::vector<Item> items,
                    std::map<std::string, SourceLoc>& seen,
                    const std::string& kind,
                    std::vector<Item>& into) {
        for (Item& item : items) {
            if (claim(seen, kind, item.name, item.loc, kind + " '" + item.name + "'")) {
                into.push_back(std::move(item));
            }
        }
    }

    void load_calendars(Reader& r, const Field& section) {
        keep_named(parse_calendars(r, section), calendar_names_, "calendar", set_.calendars);
    }

    void load_reports(Reader& r, const Field& section) {
        keep_named(parse_reports(r, section), report_names_, "report", set_.reports);
    }

    void load_policies(Reader& r, const Field& section) {
        auto policies = r.fields(section.node, section.loc, "policies");
        if (!policies) {
            return;
        }
        for (const Field& item : *policies) {
            if (claim(
                    policy_names_, "policy", item.key, item.key_loc, "policy '" + item.key + "'")) {
                set_.policies.push_back(parse_policy(r, item));
            }
        }
    }

    RuleSet& set_;
    Diagnostics& diags_;
    std::map<std::string, SourceLoc> kpi_names_;
    std::map<std::string, SourceLoc> rule_names_;
    std::map<std::string, SourceLoc> policy_names_;
    std::map<std::string, SourceLoc> calendar_names_;
    std::map<std::string, SourceLoc> report_names_;
};

}  // namespace

void load_rules_into(const std::vector<std::string>& paths, Diagnostics& diags, RuleSet& set) {
    FileLoader loader(set, diags);
    for (const auto& path : paths) {
        loader.load(path);
    }
    loader.check_references();
    check_lua(set, diags);
}

}  // namespace detail

std::optional<RuleSet> load_rule_files(const std::vector<std::string>& paths, Diagnostics& diags) {
    const int errors_before = diags.error_count();
    RuleSet set;
    detail::load_rules_into(paths, diags, set);
    if (diags.error_count() > errors_before) {
        return std::nullopt;
    }
    return set;
}

}  // namespace tocsin::engine
