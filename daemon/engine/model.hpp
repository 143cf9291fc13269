#pragma once

#include "engine/calendar.hpp"
#include "engine/cron.hpp"
#include "engine/diagnostics.hpp"
#include "engine/template.hpp"
#include "engine/time.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

/// The configuration and rule model as loaded from tocsin.yaml and rule files. Plain values with
/// source positions; built by the loader, read by the engine, the plugin host and the app.
namespace tocsin::engine {

using Labels = std::map<std::string, std::string>;

enum class Severity : unsigned char { None = 0, Warning = 1, Critical = 2 };
[[nodiscard]] const char* to_string(Severity s);  // "none", "warning", "critical"
[[nodiscard]] std::optional<Severity> parse_severity(std::string_view s);  // warning|critical

struct RawEntry;

/// A YAML value kept untyped, as written, for plugin keys: the plugin host converts it by the
/// plugin's declared key type and reports problems at `loc`.
struct RawValue {
    enum class Kind { Null, Scalar, List, Map };
    Kind kind = Kind::Null;
    std::string scalar;             // Scalar: the text after ${env:..}/${file:..} expansion
    bool quoted = false;            // Scalar: written in quotes (so "5" is a string)
    bool secret = false;            // Scalar: came from ${env:...} or ${file:...}
    std::vector<RawValue> items;    // List
    std::vector<RawEntry> entries;  // Map, in file order
    SourceLoc loc;
};

struct RawEntry {
    std::string key;
    SourceLoc key_loc;
    RawValue value;
};

/// A notifier's own wording (`message:` of a notifier): templates that replace tocsin's default
/// title, text and short text for that notifier. Empty ones keep the default.
struct MessageTemplates {
    Template title;
    Template text;
    Template short_text;  // `short:`

    [[nodiscard]] bool empty() const { return title.empty() && text.empty() && short_text.empty(); }
};

/// A `sources:` or `notifiers:` item of tocsin.yaml.
struct PluginInstanceConfig {
    std::string name;                            // the instance name, e.g. "app_db"
    std::string plugin;                          // the `plugin:` value, e.g. "sqlite"
    SourceLoc loc;                               // position of the instance's key
    SourceLoc plugin_loc;                        // position of the `plugin:` value
    Duration timeout{std::chrono::seconds(30)};  // host key `timeout:` for any plugin call
    std::optional<Duration> every;   // sources only: collect all KPIs together at this interval
    std::vector<RawEntry> settings;  // every other key, checked against the plugin's spec
    MessageTemplates message;        // notifiers only: `message: {title, text, short}`
};

enum class MatchOp { Equal, NotEqual, Regex, NotRegex };

struct LabelMatcher {
    std::string name;
    MatchOp op = MatchOp::Equal;
    std::string value;
    SourceLoc loc;
};

struct Route {
    std::vector<LabelMatcher> match;  // all must hold
    std::string policy;
    bool continue_matching = false;  // `continue: true`: later routes may add their policies
    SourceLoc loc;
    SourceLoc policy_loc;
};

struct ApiConfig {
    std::string listen = "127.0.0.1:9470";
    std::string token_file;
    std::string external_url;  // base of links in messages; "" means http://<listen>
    SourceLoc loc;
};

/// `reload:` in tocsin.yaml: reload by itself when the config or rule files change.
struct ReloadConfig {
    bool watch = false;
    Duration watch_interval{std::chrono::seconds(2)};  // how often the files are looked at
    SourceLoc loc;
};

/// tocsin.yaml. Paths are made absolute against the config file's folder by the loader.
struct Config {
    std::string file;
    std::string state_dir;
    std::vector<std::string> plugin_dirs;
    std::vector<std::string> rule_files;  // the patterns as written, made absolute
    std::string timezone = "UTC";
    Duration retention{std::chrono::hours(24 * 35)};  // `retention:` of KPI sample history
    ApiConfig api;
    ReloadConfig reload;
    std::vector<PluginInstanceConfig> sources;
    std::vector<PluginInstanceConfig> notifiers;
    std::vector<Route> routes;
    std::string default_policy;
    SourceLoc default_policy_loc;
    SourceLoc loc;
};

/// A helper call with a window written as a literal, e.g. `delta("7d")`: checked against the
/// KPI's kept history at load time.
struct LuaWindowUse {
    std::string helper;  // "delta", "ago", ...
    Duration window{0};
    SourceLoc loc;  // the window argument
};

/// A name written as a literal argument: `kpi("cac")`, `require("scores")`.
struct LuaNameRef {
    std::string name;
    SourceLoc loc;
};

/// Lua text from a rule file (a derived KPI, a rule condition or a `{{ }}` expression) with what
/// the loader found in it. `loc` is the position of the text's first character in the YAML file;
/// chunk line N maps to YAML line loc.line + N - 1 (block scalars start on the line after `|`).
struct LuaCode {
    std::string source;
    SourceLoc loc;
    std::string path;         // item path for messages: "rule 'X' > lua"
    bool expression = false;  // a template expression: compiled as `return (<source>)`
    std::vector<LuaWindowUse> windows;
    std::vector<LuaNameRef> kpis;     // kpi("...") calls
    std::vector<LuaNameRef> modules;  // require("...") calls
    bool uses_history = false;        // calls a history helper (literal window or not)
};

/// A shared Lua module: `<name>.lua` in the folder of a rule file, loaded with require("name").
struct LuaModule {
    std::string name;
    std::string file;
    std::string source;
    LuaCode code;  // the whole file as one chunk (loc is line 1, col 1)
};

/// An optional value kept on the heap: `std::optional`'s interface for members that most items
/// leave unset (a rule's Lua is ~200 bytes inline; 10,000 threshold rules paid 2 MB for none).
/// Copies are deep; the value's address stays put while the owner moves.
template <class T>
class Boxed {
public:
    Boxed() = default;
    Boxed(std::nullopt_t) {}  // NOLINT(google-explicit-constructor): optional's interface
    Boxed(T value)            // NOLINT(google-explicit-constructor)
        : value_(std::make_unique<T>(std::move(value))) {}
    Boxed(std::optional<T> value) {  // NOLINT(google-explicit-constructor)
        if (value) {
            value_ = std::make_unique<T>(std::move(*value));
        }
    }
    Boxed(const Boxed& other) : value_(other ? std::make_unique<T>(*other) : nullptr) {}
    Boxed(Boxed&&) noexcept = default;
    Boxed& operator=(const Boxed& other) {
        if (this != &other) {
            value_ = other ? std::make_unique<T>(*other) : nullptr;
        }
        return *this;
    }
    Boxed& operator=(Boxed&&) noexcept = default;
    ~Boxed() = default;

    [[nodiscard]] bool has_value() const { return value_ != nullptr; }
    explicit operator bool() const { return has_value(); }
    T& operator*() { return *value_; }
    const T& operator*() const { return *value_; }
    T* operator->() { return value_.get(); }
    const T* operator->() const { return value_.get(); }
    void reset() { value_.reset(); }

private:
    std::unique_ptr<T> value_;
};

/// How a KPI is displayed in messages.
enum class Unit { None, Percent, Ratio, Money, Count, Seconds };

struct KpiDef {
    std::string name;
    std::string source;  // a `sources:` instance
    SourceLoc source_loc;
    std::optional<Duration> every;  // poll interval; falls back to the source's `every`, else 1m
    Unit unit = Unit::None;
    std::string unit_text;  // as written, for messages ("percent", "EUR", ...)
    std::optional<double> target;
    std::string description;
    std::vector<RawEntry> params;  // the source plugin's per-KPI keys (query, pointer, ...)
    Boxed<LuaCode> lua;            // a derived KPI: computed from other KPIs, no source
    /// How long samples are kept in engine memory for the history helpers (`history:`). Kept
    /// only when some Lua uses a history helper on this KPI, or `history:` is written.
    Duration history{kDefaultHistory};
    bool history_set = false;  // written in the file
    SourceLoc history_loc;
    SourceLoc loc;

    static constexpr Duration kDefaultHistory{std::chrono::hours(24 * 8)};
};

/// The built-in alert that fires while a rule's (or derived KPI's) Lua fails, one instance per
/// failing item (label `rule`), and the internal KPI it watches.
inline constexpr const char* kRuleErrorAlert = "TocsinRuleError";
inline constexpr const char* kRuleErrorKpi = "tocsin_rule_error";

enum class Comparison { Above, Below, Outside, Inside };

/// One threshold level. above/below: `low == high ==` the number written. outside/inside: the
/// `[low, high]` pair written.
struct Interval {
    double low = 0;
    double high = 0;
};

/// A threshold rule's condition.
///   above:   a level is breached when value > low        recovered when value <= recover.low
///   below:   breached when value < low                  recovered when value >= recover.low
///   outside: breached when value < low or value > high  recovered when recover.low <= value <=
///   recover.high inside:  breached when low <= value <= high          recovered when value <
///   recover.low or > recover.high
/// Without `recover`, an active alert recovers as soon as no level is breached.
struct Threshold {
    Comparison comparison = Comparison::Above;
    std::optional<Interval> warning;
    std::optional<Interval> critical;
    std::optional<Interval> recover;
};

struct NoData {
    Duration after{0};
    Severity severity = Severity::Warning;
};

/// Flap detection (Icinga style): the weighted share of state changes over the last 20
/// evaluations (newer changes weigh more); above `high` the alert is flapping, below `low` it has
/// settled.
struct Flapping {
    double low = 0.25;  // Icinga's defaults
    double high = 0.30;
    SourceLoc loc;
};

struct RuleDef {
    std::string alert;  // the rule's name; the `alertname` label
    std::string kpi;
    SourceLoc kpi_loc;
    Threshold threshold;
    Duration for_duration{0};  // `for:`
    Duration keep_firing_for{0};
    std::optional<NoData> nodata;
    Labels labels;  // static labels added to every instance
    Template summary;
    Template description;
    Template runbook;
    std::string policy;  // empty: routes, then default_policy
    SourceLoc policy_loc;
    Boxed<LuaCode> lua;        // a Lua condition instead of a threshold
    Boxed<Flapping> flapping;  // flap detection; off when unset
    SourceLoc loc;             // position of `alert:`
};

/// What happens to a notification that falls in quiet hours (DESIGN.md §5).
enum class QuietOutcome { Drop, Defer, Digest };
/// What happens to a resolve: sent at once, never sent, or folded into the quiet-hours message.
enum class ResolveMode { Send, Suppress, Digest };

struct QuietHours {
    std::string calendar;  // a calendar of the rule files; in: the quiet hours apply
    SourceLoc calendar_loc;
    QuietOutcome outcome = QuietOutcome::Defer;
    std::vector<Severity> bypass;  // these severities are sent at once
    /// Resolves inside the window; nullopt: as the policy's `resolves`.
    std::optional<ResolveMode> resolves;
    bool off = false;  // `quiet_hours: none` on a step: this step ignores the policy's
    SourceLoc loc;

    [[nodiscard]] bool bypassed(Severity s) const {
        return std::find(bypass.begin(), bypass.end(), s) != bypass.end();
    }
};

struct PolicyStep {
    Duration after{0};  // counted from when the alert started firing
    std::vector<std::string> notify;
    std::vector<SourceLoc> notify_locs;
    std::optional<Severity> severity;       // this step only for alerts at least this severe
    std::optional<QuietHours> quiet_hours;  // overrides the policy's for this step's notifiers
    SourceLoc loc;
};

enum class EscalateUntil { Acknowledged, Resolved };

struct PolicyDef {
    std::string name;
    std::vector<PolicyStep> steps;
    /// `until:` acknowledged (an ack pauses the steps; the default) or resolved (steps go on).
    EscalateUntil until = EscalateUntil::Acknowledged;
    /// `repeat:` how many more times the steps run after the last one while the alert is still
    /// firing (and unacknowledged); notifiers already told get a reminder.
    std::uint32_t repeat = 0;
    /// `repeat_interval:` the length of one round of steps; zero: the last step's `after` + 30m.
    Duration repeat_interval{0};
    /// `resolves:` send (everyone told of the firing hears of the resolve) or suppress.
    ResolveMode resolves = ResolveMode::Send;
    /// `group_by:` alerts of this policy with the same values of these labels go out together, one
    /// message per notifier; `group_wait:` how long the first one waits for the others.
    std::vector<std::string> group_by;
    Duration group_wait{0};
    bool grouped = false;  // group_by or group_wait was written
    std::optional<QuietHours> quiet_hours;
    SourceLoc loc;

    /// The length of one round of steps (see repeat_interval).
    [[nodiscard]] Duration round() const;
};

/// A scheduled KPI report (`reports:`): a digest of KPIs sent to notifiers on a cron schedule.
struct ReportDef {
    std::string name;
    CronSpec schedule;
    SourceLoc schedule_loc;
    std::string timezone;  // as written; empty: the config's `timezone`, else UTC
    SourceLoc timezone_loc;
    std::vector<std::string> kpis;  // in the order written; each series is a line
    std::vector<SourceLoc> kpi_locs;
    std::vector<std::string> notify;
    std::vector<SourceLoc> notify_locs;
    std::string title;  // "" shows the report's name
    SourceLoc loc;      // position of the report's key

    /// The title messages show: `title`, else the name.
    [[nodiscard]] const std::string& shown_title() const { return title.empty() ? name : title; }
};

/// Everything from the rule files, merged. Names are unique across files (the loader checks).
struct RuleSet {
    std::vector<KpiDef> kpis;
    std::vector<RuleDef> rules;
    std::vector<PolicyDef> policies;
    std::vector<CalendarDef> calendars;
    std::vector<ReportDef> reports;
    std::vector<std::string> files;            // the rule files read, in order
    std::map<std::string, LuaModule> modules;  // required Lua modules, by name

    [[nodiscard]] const KpiDef* find_kpi(const std::string& name) const;
    [[nodiscard]] const PolicyDef* find_policy(const std::string& name) const;
    [[nodiscard]] const ReportDef* find_report(const std::string& name) const;
    /// Whether any KPI or rule uses Lua (the engine then creates its sandbox).
    [[nodiscard]] bool uses_lua() const;
    /// Gives back the spare capacity the loader's vectors grew (up to 60% of the rules' and
    /// KPIs' size: a 10,000-rule set kept ~8 MB unused for the daemon's lifetime).
    void shrink_to_fit();
};

/// A whole loaded configuration: what `tocsin check` validates and a reload swaps in.
struct LoadedConfig {
    Config config;
    RuleSet rules;
};

}  // namespace tocsin::engine
