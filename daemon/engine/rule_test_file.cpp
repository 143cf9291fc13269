#include "engine/rule_test_file.hpp"

#include "engine/calendar_parser.hpp"
#include "engine/loader.hpp"
#include "engine/yaml_util.hpp"

#include <glob.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <set>

namespace tocsin::engine::rule_test {
namespace {

namespace fs = std::filesystem;
using yaml::Field;
using yaml::join_path;

const std::vector<std::string> kTopKeys{
    "rule_files", "notifiers", "routes", "default_policy", "sources", "start", "timezone", "tests"};
const std::vector<std::string> kRouteKeys{"match", "match_re", "policy"};
const std::vector<std::string> kCaseKeys{"name", "until", "series", "events", "expect"};
const std::vector<std::string> kSeriesKeys{
    "kpi", "labels", "interval", "offset", "values", "samples"};
const std::vector<std::string> kSampleKeys{"at", "value"};
const std::vector<std::string> kEventKeys{"at", "restart", "reload", "ack", "silence"};
const std::vector<std::string> kSilenceKeys{"matchers", "for", "calendar", "author", "comment"};
const std::vector<std::string> kAckKeys{"alert", "labels", "author", "comment", "for"};
const std::vector<std::string> kExpectKeys{
    "at", "alert", "kind", "severity", "notifier", "labels", "summary", "alerts"};
const std::vector<std::string> kKinds{
    "firing", "severity_change", "reminder", "acknowledged", "resolved", "digest", "flapping"};
const std::vector<std::string> kSeverities{"warning", "critical"};

/// 2026-01-01T00:00:00Z, the virtual clock's default start.
const TimePoint kDefaultStart = from_unix_ms(1'767'225'600'000);

std::optional<double> parse_number(std::string_view text) {
    double value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size() ||
        !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

std::optional<long> parse_count(std::string_view text) {
    long count = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
    if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size() || count < 1 ||
        count > 1'000'000) {
        return std::nullopt;
    }
    return count;
}

class Parser {
public:
    Parser(const std::string& path, Diagnostics& diags)
        : path_(path),
          r_(path, fs::path(path).parent_path().string(), diags, nullptr),
          diags_(diags) {}

    std::optional<TestFile> run(int& cases_seen);

private:
    std::optional<Duration> when(const yaml::Node& node,
                                 const SourceLoc& loc,
                                 const std::string& path);
    std::optional<Duration> when(const Field& f, const std::string& path) {
        return when(f.node, f.loc, path);
    }
    std::optional<Labels> labels(const Field& f, const std::string& path);
    std::vector<std::pair<std::string, SourceLoc>> names(const Field& f, const std::string& path);
    template <class Fn>
    void each_map(const Field& f,
                  const std::string& path,
                  const std::vector<std::string>& keys,
                  Fn fn);
    template <class Fn>
    void each_item(const Field& f, const std::string& path, Fn fn);

    void parse_routes(const Field& f, Config& config);
    std::vector<std::string> expand_rule_files(const Field& f);
    void parse_case(const yaml::Node& item,
                    const SourceLoc& loc,
                    const std::string& path,
                    TestFile& file);
    void parse_series(const std::vector<Field>& fields, const std::string& path, TestSeries& s);
    bool parse_ack(const Field& f, const std::string& path, TestEvent& e);
    bool parse_silence(const Field& f, const std::string& path, TestEvent& e);
    void parse_expect(const std::vector<Field>& fields,
                      const SourceLoc& loc,
                      const std::string& path,
                      Expectation& e);
    bool require(const std::vector<Field>& fields,
                 const std::string& key,
                 const SourceLoc& loc,
                 const std::string& path,
                 const std::string& hint);

    std::string path_;
    yaml::Reader r_;
    Diagnostics& diags_;
    TimePoint start_ = kDefaultStart;
    std::vector<std::string> notifiers_;
    const RuleSet* rules_ = nullptr;  // null when the rule files did not load
};

std::optional<Duration> Parser::when(const yaml::Node& node,
                                     const SourceLoc& loc,
                                     const std::string& path) {
    const auto s = r_.scalar(node, loc, path, "a duration or a time");
    if (!s) {
        return std::nullopt;
    }
    if (const auto d = parse_duration(s->text)) {
        return d;
    }
    if (const auto t = parse_rfc3339(s->text)) {
        return *t - start_;
    }
    r_.error(loc,
             path,
             "'" + s->shown +
                 "' is neither a duration from start nor an RFC 3339 time; use e.g. 6h30m "
                 "or 2026-01-05T06:00:00Z");
    return std::nullopt;
}

std::optional<Labels> Parser::labels(const Field& f, const std::string& path) {
    const auto fields = r_.fields(f.node, f.loc, path);
    if (!fields) {
        return std::nullopt;
    }
    Labels out;
    for (const Field& l : *fields) {
        if (auto v = r_.string(l, join_path(path, l.key))) {
            out[l.key] = *v;
        }
    }
    return out;
}

std::vector<std::pair<std::string, SourceLoc>> Parser::names(const Field& f,
                                                             const std::string& path) {
    std::vector<std::pair<std::string, SourceLoc>> out;
    if (f.node.IsScalar()) {  // a single name counts as a list of one
        if (auto s = r_.scalar(f.node, f.loc, path, "a string")) {
            out.emplace_back(s->text, f.loc);
        }
        return out;
    }
    each_item(f, path, [&](const yaml::Node& item, const SourceLoc& loc, int /*index*/) {
        if (auto s = r_.scalar(item, loc, path, "a string")) {
            out.emplace_back(s->text, loc);
        }
    });
    return out;
}

template <class Fn>
void Parser::each_item(const Field& f, const std::string& path, Fn fn) {
    if (f.node.IsNull()) {
        return;
    }
    if (!f.node.IsSequence()) {
        r_.error(f.loc, path, "expected a list, got " + r_.describe(f.node));
        return;
    }
    int index = 0;
    for (const auto& item : f.node) {
        ++index;
        fn(item, item.IsNull() ? f.loc : r_.loc(item), index);
    }
}

template <class Fn>
void Parser::each_map(const Field& f,
                      const std::string& path,
                      const std::vector<std::string>& keys,
                      Fn fn) {
    each_item(f, path, [&](const yaml::Node& item, const SourceLoc& loc, int index) {
        const std::string item_path = path + " #" + std::to_string(index);
        const auto fields = r_.fields(item, loc, item_path);
        if (!fields) {
            return;
        }
        r_.check_keys(*fields, keys, item_path);
        fn(*fields, loc, item_path);
    });
}

bool Parser::parse_ack(const Field& f, const std::string& path, TestEvent& e) {
    const auto fields = r_.fields(f.node, f.loc, path);
    if (!fields) {
        return false;
    }
    r_.check_keys(*fields, kAckKeys, path);
    bool ok = require(*fields, "alert", f.loc, path, "name the alert to acknowledge");
    e.author = "test";
    for (const Field& g : *fields) {
        const std::string p = join_path(path, g.key);
        if (g.key == "alert") {
            const auto s = r_.string(g, p);
            ok = ok && s.has_value();
            e.alert = s.value_or("");
        } else if (g.key == "labels") {
            const auto l = labels(g, p);
            ok = ok && l.has_value();
            e.labels = l.value_or(Labels{});
        } else if (g.key == "author" || g.key == "comment") {
            const auto s = r_.string(g, p);
            ok = ok && s.has_value();
            (g.key == "author" ? e.author : e.comment) = s.value_or("");
        } else if (g.key == "for") {
            e.for_duration = r_.duration(g, p);
            ok = ok && e.for_duration.has_value();
        }
    }
    return ok;
}

bool Parser::parse_silence(const Field& f, const std::string& path, TestEvent& e) {
    const auto fields = r_.fields(f.node, f.loc, path);
    if (!fields) {
        return false;
    }
    r_.check_keys(*fields, kSilenceKeys, path);
    bool ok =
        require(*fields, "matchers", f.loc, path, "say which alerts it hides, e.g. {team: growth}");
    ok = require(*fields, "for", f.loc, path, "say how long it lasts, e.g. for: 2h") && ok;
    e.author = "test";
    for (const Field& g : *fields) {
        const std::string p = join_path(path, g.key);
        if (g.key == "matchers") {
            auto m = parse_matchers(r_, g, p);
            ok = ok && m.has_value();
            e.matchers = std::move(m).value_or(std::vector<Matcher>{});
        } else if (g.key == "for") {
            e.for_duration = r_.duration(g, p);
            ok = ok && e.for_duration.has_value();
        } else if (g.key == "calendar" || g.key == "author" || g.key == "comment") {
            const auto s = r_.string(g, p);
            ok = ok && s.has_value();
            (g.key == "calendar" ? e.calendar
             : g.key == "author" ? e.author
                                 : e.comment) = s.value_or("");
            if (g.key == "calendar" && s && rules_ != nullptr) {
                std::vector<std::string> known;
                for (const CalendarDef& c : rules_->calendars) {
                    known.push_back(c.name);
                }
                if (std::find(known.begin(), known.end(), *s) == known.end()) {
                    // A silence on a missing calendar would silently hide nothing.
                    r_.error(g.loc,
                             p,
                             "unknown calendar '" + *s + "'" + yaml::did_you_mean(*s, known) +
                                 "; calendars in the rule files: " + yaml::join(known));
                    ok = false;
                }
            }
        }
    }
    return ok;
}

bool Parser::require(const std::vector<Field>& fields,
                     const std::string& key,
                     const SourceLoc& loc,
                     const std::string& path,
                     const std::string& hint) {
    const bool found =
        std::any_of(fields.begin(), fields.end(), [&](const Field& f) { return f.key == key; });
    if (!found) {
        r_.error(loc, path, "missing required key '" + key + "'; " + hint);
    }
    return found;
}

void Parser::parse_routes(const Field& f, Config& config) {
    each_map(f,
             "routes",
             kRouteKeys,
             [&](const std::vector<Field>& fields, const SourceLoc& loc, const std::string& path) {
                 Route route;
                 route.loc = loc;
                 for (const Field& k : fields) {
                     if (k.key == "match" || k.key == "match_re") {
                         const auto matchers = r_.fields(k.node, k.loc, join_path(path, k.key));
                         for (const Field& m : matchers.value_or(std::vector<Field>{})) {
                             if (auto v = r_.string(m, join_path(path, k.key + " > " + m.key))) {
                                 const MatchOp op =
                                     k.key == "match" ? MatchOp::Equal : MatchOp::Regex;
                                 route.match.push_back(LabelMatcher{m.key, op, *v, m.key_loc});
                             }
                         }
                     } else if (k.key == "policy") {
                         route.policy = r_.string(k, join_path(path, "policy")).value_or("");
                         route.policy_loc = k.loc;
                     }
                 }
                 if (require(fields, "policy", loc, path, "name the policy for matching alerts")) {
                     config.routes.push_back(std::move(route));
                 }
             });
}

std::vector<std::string> Parser::expand_rule_files(const Field& f) {
    std::vector<std::string> files;
    const fs::path base = fs::path(path_).parent_path();
    for (const auto& [pattern, loc] : names(f, "rule_files")) {
        const std::string full = fs::path(pattern).is_absolute()
                                     ? pattern
                                     : (base / pattern).lexically_normal().string();
        glob_t g{};
        const int rc = ::glob(full.c_str(), 0, nullptr, &g);
        const std::size_t before = files.size();
        if (rc == 0) {
            for (std::size_t i = 0; i < g.gl_pathc; ++i) {
                files.emplace_back(g.gl_pathv[i]);
            }
        }
        ::globfree(&g);
        if (files.size() == before) {
            r_.error(
                loc,
                "rule_files",
                "'" + pattern + "' matches no file; paths are relative to the test file's folder");
        }
    }
    return files;
}

void Parser::parse_series(const std::vector<Field>& fields,
                          const std::string& path,
                          TestSeries& s) {
    Duration interval{
        0};  // 0: not given (a plain value, as GCC 12 misreads optional<Duration> here)
    Duration offset{0};
    const Field* values = nullptr;
    const Field* samples = nullptr;
    for (const Field& f : fields) {
        const std::string p = join_path(path, f.key);
        if (f.key == "kpi") {
            s.kpi = r_.string(f, p).value_or("");
            if (rules_ != nullptr && !s.kpi.empty() && rules_->find_kpi(s.kpi) == nullptr) {
                std::vector<std::string> known;
                for (const KpiDef& k : rules_->kpis) {
                    known.push_back(k.name);
                }
                r_.error(f.loc,
                         p,
                         "unknown kpi '" + s.kpi + "'" + yaml::did_you_mean(s.kpi, known) +
                             "; kpis in the rule files: " + yaml::join(known));
            }
        } else if (f.key == "labels") {
            s.labels = labels(f, p).value_or(Labels{});
        } else if (f.key == "interval") {
            const auto d = r_.duration(f, p);
            if (d && *d <= Duration::zero()) {
                r_.error(f.loc, p, "the interval must be longer than 0s");
            } else if (d) {
                interval = *d;
            }
        } else if (f.key == "offset") {
            offset = when(f, p).value_or(Duration{0});
        } else if (f.key == "values") {
            values = &f;
        } else if (f.key == "samples") {
            samples = &f;
        }
    }
    if (values != nullptr && samples != nullptr) {
        r_.error(samples->key_loc, path, "a series takes either 'values' or 'samples', not both");
        return;
    }
    if (values != nullptr) {
        // Without `interval`, the KPI's own poll interval is what a real run would see; 1m when
        // it has none.
        const KpiDef* kpi = rules_ != nullptr ? rules_->find_kpi(s.kpi) : nullptr;
        const Duration fallback =
            kpi != nullptr && kpi->every ? *kpi->every : Duration{std::chrono::minutes(1)};
        const Duration step = interval > Duration::zero() ? interval : fallback;
        const std::string p = join_path(path, "values");
        const auto text = r_.scalar(values->node, values->loc, p, "a string of values");
        std::string why;
        const auto slots = text ? parse_values(text->text, why) : std::nullopt;
        if (text && !slots) {
            r_.error(r_.text_loc(values->node, values->loc), p, why);
        }
        Duration t = offset;
        for (const auto& slot : slots.value_or(std::vector<std::optional<double>>{})) {
            if (slot) {
                s.samples.push_back(SeriesSample{t, *slot});
            }
            s.last_slot = t;
            t += step;
        }
    }
    if (samples != nullptr) {
        each_map(*samples,
                 join_path(path, "samples"),
                 kSampleKeys,
                 [&](const std::vector<Field>& sf, const SourceLoc& loc, const std::string& sp) {
                     SeriesSample sample;
                     bool ok =
                         require(sf, "at", loc, sp, "give the sample's time, e.g. at: 30m") &&
                         require(sf, "value", loc, sp, "give the sample's value, e.g. value: 12");
                     for (const Field& f : sf) {
                         if (f.key == "at") {
                             const auto d = when(f, join_path(sp, "at"));
                             ok = ok && d.has_value();
                             sample.at = d.value_or(Duration{0}) + offset;
                         } else if (f.key == "value") {
                             const auto v = r_.number(f, join_path(sp, "value"));
                             ok = ok && v.has_value();
                             sample.value = v.value_or(0);
                         }
                     }
                     if (ok) {
                         s.samples.push_back(sample);
                         s.last_slot = std::max(s.last_slot, sample.at);
                     }
                 });
    }
}

void Parser::parse_expect(const std::vector<Field>& fields,
                          const SourceLoc& loc,
                          const std::string& path,
                          Expectation& e) {
    for (const char* key : {"at", "alert", "kind", "severity", "notifier"}) {
        require(fields,
                key,
                loc,
                path,
                "every expected notification names at, alert, kind, severity and notifier");
    }
    for (const Field& f : fields) {
        const std::string p = join_path(path, f.key);
        if (f.key == "at") {
            e.at = when(f, p).value_or(Duration{0});
        } else if (f.key == "alert") {
            e.alert = r_.string(f, p).value_or("");
            if (rules_ != nullptr && !e.alert.empty()) {
                std::vector<std::string> known;
                for (const RuleDef& rule : rules_->rules) {
                    known.push_back(rule.alert);
                }
                if (std::find(known.begin(), known.end(), e.alert) == known.end()) {
                    r_.error(f.loc,
                             p,
                             "unknown alert '" + e.alert + "'" +
                                 yaml::did_you_mean(e.alert, known) +
                                 "; alerts in the rule files: " + yaml::join(known));
                }
            }
        } else if (f.key == "kind") {
            const auto text = r_.string(f, p);
            const auto kind = text ? parse_notification_kind(*text) : std::nullopt;
            if (text && !kind) {
                r_.error(f.loc,
                         p,
                         "unknown kind '" + *text + "'" + yaml::did_you_mean(*text, kKinds) +
                             "; allowed: " + yaml::join(kKinds));
            }
            e.kind = kind.value_or(NotificationKind::Firing);
        } else if (f.key == "severity") {
            const auto text = r_.string(f, p);
            const auto severity = text ? parse_severity(*text) : std::nullopt;
            if (text && !severity) {
                r_.error(f.loc,
                         p,
                         "unknown severity '" + *text + "'" +
                             yaml::did_you_mean(*text, kSeverities) +
                             "; allowed: " + yaml::join(kSeverities));
            }
            e.severity = severity.value_or(Severity::Warning);
        } else if (f.key == "notifier") {
            e.notifier = r_.string(f, p).value_or("");
            if (!e.notifier.empty() &&
                std::find(notifiers_.begin(), notifiers_.end(), e.notifier) == notifiers_.end()) {
                r_.error(f.loc,
                         p,
                         "unknown notifier '" + e.notifier + "'" +
                             yaml::did_you_mean(e.notifier, notifiers_) +
                             "; list it under notifiers: (now: " + yaml::join(notifiers_) + ")");
            }
        } else if (f.key == "labels") {
            e.labels = labels(f, p);
        } else if (f.key == "summary") {
            e.summary = r_.string(f, p);
        } else if (f.key == "alerts") {
            const auto n = r_.number(f, p);
            if (n && (*n < 1 || *n != static_cast<double>(static_cast<std::size_t>(*n)))) {
                r_.error(f.loc, p, "expected how many alerts the notification lists, e.g. 50");
            } else if (n) {
                e.alerts = static_cast<std::size_t>(*n);
            }
        }
    }
}

void Parser::parse_case(const yaml::Node& item,
                        const SourceLoc& loc,
                        const std::string& path,
                        TestFile& file) {
    const auto fields = r_.fields(item, loc, path);
    if (!fields) {
        return;
    }
    r_.check_keys(*fields, kCaseKeys, path);
    TestCase c;
    c.loc = loc;
    require(*fields, "name", loc, path, "say what the case shows, e.g. name: warns below 30%");
    require(*fields,
            "expect",
            loc,
            path,
            "list the notifications expected, or write expect: [] for none");
    for (const Field& f : *fields) {
        if (f.key == "name") {
            c.name = r_.string(f, join_path(path, "name")).value_or("");
        }
    }
    const std::string case_path = c.name.empty() ? path : "test '" + c.name + "'";
    for (const Field& f : *fields) {
        const std::string p = join_path(case_path, f.key);
        if (f.key == "until") {
            c.until = when(f, p);
        } else if (f.key == "series") {
            each_map(f,
                     p,
                     kSeriesKeys,
                     [&](const std::vector<Field>& sf, const SourceLoc& sl, const std::string& sp) {
                         TestSeries s;
                         if (require(sf, "kpi", sl, sp, "name the KPI the values belong to")) {
                             parse_series(sf, sp, s);
                             c.series.push_back(std::move(s));
                         }
                     });
        } else if (f.key == "events") {
            each_map(
                f,
                p,
                kEventKeys,
                [&](const std::vector<Field>& ef, const SourceLoc& el, const std::string& ep) {
                    TestEvent e;
                    bool ok = require(ef, "at", el, ep, "give the event's time, e.g. at: 7h");
                    const bool has_kind = std::any_of(ef.begin(), ef.end(), [](const Field& g) {
                        return g.key == "ack" || g.key == "silence" || g.key == "reload" ||
                               g.key == "restart";
                    });
                    if (!has_kind) {
                        r_.error(el,
                                 ep,
                                 "an event is restart: true, reload: true, ack: {alert: ...} "
                                 "or silence: {matchers: ..., for: ...}");
                        ok = false;
                    }
                    for (const Field& g : ef) {
                        if (g.key == "at") {
                            const auto d = when(g, join_path(ep, "at"));
                            ok = ok && d.has_value();
                            e.at = d.value_or(Duration{0});
                        } else if (g.key == "ack") {
                            e.kind = EventKind::Ack;
                            ok = parse_ack(g, join_path(ep, "ack"), e) && ok;
                        } else if (g.key == "silence") {
                            e.kind = EventKind::Silence;
                            ok = parse_silence(g, join_path(ep, "silence"), e) && ok;
                        } else if (g.key == "restart" || g.key == "reload") {
                            e.kind = g.key == "restart" ? EventKind::Restart : EventKind::Reload;
                            const auto s = r_.string(g, join_path(ep, g.key));
                            if (s && *s != "true") {
                                r_.error(g.loc,
                                         join_path(ep, g.key),
                                         "expected true; leave the event out otherwise");
                                ok = false;
                            }
                        }
                    }
                    if (ok) {
                        c.events.push_back(e);
                    }
                });
        } else if (f.key == "expect") {
            each_map(f,
                     p,
                     kExpectKeys,
                     [&](const std::vector<Field>& xf, const SourceLoc& xl, const std::string& xp) {
                         Expectation e;
                         parse_expect(xf, xl, xp, e);
                         c.expect.push_back(std::move(e));
                     });
        }
    }
    file.cases.push_back(std::move(c));
}

std::optional<TestFile> Parser::run(int& cases_seen) {
    cases_seen = 0;
    const int errors_before = diags_.error_count();
    std::string why;
    const auto text = yaml::read_text_file(path_, why);
    if (!text) {
        diags_.error(SourceLoc{path_, 0, 0}, "", "cannot read the test file: " + why);
        return std::nullopt;
    }
    const auto root = r_.load(*text);
    if (!root) {
        return std::nullopt;
    }
    const auto fields = r_.fields(*root, SourceLoc{path_, 1, 1}, "");
    if (!fields) {
        return std::nullopt;
    }
    r_.check_keys(*fields, kTopKeys, "");
    require(*fields, "rule_files", SourceLoc{path_, 1, 1}, "", "list the rule files under test");
    require(*fields, "tests", SourceLoc{path_, 1, 1}, "", "add at least one test case");

    TestFile file;
    file.path = path_;
    auto loaded = std::make_shared<LoadedConfig>();
    Config& config = loaded->config;
    config.file = path_;
    config.loc = SourceLoc{path_, 1, 1};
    std::vector<std::string> rule_files;
    // `start` first: every `at:` written as a time is an offset from it.
    for (const Field& f : *fields) {
        if (f.key == "start") {
            const auto s = r_.string(f, "start");
            const auto t = s ? parse_rfc3339(*s) : std::nullopt;
            if (s && !t) {
                r_.error(f.loc,
                         "start",
                         "'" + *s + "' is not an RFC 3339 time; use e.g. 2026-01-05T00:00:00Z");
            }
            start_ = t.value_or(kDefaultStart);
        } else if (f.key == "timezone") {
            if (auto zone = parse_timezone(r_, f, "timezone")) {
                config.timezone = *zone;
            }
        }
    }
    for (const Field& f : *fields) {
        if (f.key == "rule_files") {
            rule_files = expand_rule_files(f);
        } else if (f.key == "notifiers" || f.key == "sources") {
            for (const auto& [name, loc] : names(f, f.key)) {
                PluginInstanceConfig instance;
                instance.name = name;
                instance.loc = loc;
                (f.key == "notifiers" ? config.notifiers : config.sources).push_back(instance);
                if (f.key == "notifiers") {
                    notifiers_.push_back(name);
                }
            }
        } else if (f.key == "routes") {
            parse_routes(f, config);
        } else if (f.key == "default_policy") {
            config.default_policy = r_.string(f, "default_policy").value_or("");
            config.default_policy_loc = f.loc;
        }
    }
    if (!rule_files.empty()) {
        if (auto rules = load_rule_files(rule_files, diags_)) {
            loaded->rules = std::move(*rules);
            rules_ = &loaded->rules;
            cross_check(config, loaded->rules, diags_);
        }
    }
    for (const Field& f : *fields) {
        if (f.key == "tests") {
            each_item(f, "tests", [&](const yaml::Node& item, const SourceLoc& loc, int index) {
                ++cases_seen;
                parse_case(item, loc, "tests #" + std::to_string(index), file);
            });
        }
    }
    if (diags_.error_count() > errors_before) {
        return std::nullopt;
    }
    file.start = start_;
    file.loaded = std::move(loaded);
    return file;
}

}  // namespace

std::optional<std::vector<std::optional<double>>> parse_values(const std::string& text,
                                                               std::string& error) {
    std::vector<std::optional<double>> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t begin = text.find_first_not_of(" \t\r\n", pos);
        if (begin == std::string::npos) {
            break;
        }
        std::size_t end = text.find_first_of(" \t\r\n", begin);
        end = end == std::string::npos ? text.size() : end;
        pos = end;
        const std::string_view token(text.data() + begin, end - begin);
        const std::size_t x = token.find('x');
        const std::string_view head = token.substr(0, x);
        long count = 1;
        if (x != std::string_view::npos) {
            const auto c = parse_count(token.substr(x + 1));
            if (!c) {
                error = "'" + std::string(token) +
                        "' has no valid repeat count; write e.g. 0.28x4 or _x3";
                return std::nullopt;
            }
            count = *c;
        }
        std::optional<double> value;
        if (head != "_") {
            value = parse_number(head);
            if (!value) {
                error =
                    "'" + std::string(token) + "' is not a value; write a number, NxK, _ or _xK";
                return std::nullopt;
            }
        }
        out.insert(out.end(), static_cast<std::size_t>(count), value);
    }
    return out;
}

std::optional<TestFile> load_test_file(const std::string& path,
                                       Diagnostics& diags,
                                       int& cases_seen) {
    Parser parser(path, diags);
    return parser.run(cases_seen);
}

}  // namespace tocsin::engine::rule_test
