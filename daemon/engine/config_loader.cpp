#include "engine/loader.hpp"
#include "engine/matcher.hpp"
#include "engine/routing.hpp"
#include "engine/rule_parser.hpp"
#include "engine/yaml_util.hpp"

#include <glob.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

namespace tocsin::engine {
namespace {

namespace fs = std::filesystem;
using yaml::Field;
using yaml::join_path;
using yaml::Reader;

const std::vector<std::string> kTopKeys{"state_dir",
                                        "plugin_dirs",
                                        "rule_files",
                                        "timezone",
                                        "retention",
                                        "api",
                                        "reload",
                                        "sources",
                                        "notifiers",
                                        "routes",
                                        "default_policy"};
const std::vector<std::string> kApiKeys{"listen", "token_file", "external_url"};
const std::vector<std::string> kReloadKeys{"watch", "watch_interval"};
const std::vector<std::string> kRouteKeys{"match", "match_re", "policy", "continue"};

const Field* find(const std::vector<Field>& fields, const std::string& key) {
    const auto it =
        std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return f.key == key; });
    return it == fields.end() ? nullptr : &*it;
}

struct Pattern {
    std::string path;  // as the user's path: relative to the working directory when the config's is
    bool secret = false;
    SourceLoc loc;
};

bool has_glob_magic(const std::string& pattern) {
    return pattern.find_first_of("*?[") != std::string::npos;
}

/// Parses the keys of tocsin.yaml into a Config; rule files are only listed here.
class ConfigParser {
public:
    ConfigParser(Reader& reader, Config& config, fs::path dir)
        : r_(reader), c_(config), dir_(std::move(dir)) {}

    /// The rule file patterns as the user's paths (relative to the working directory when the
    /// config path was), each with its position in tocsin.yaml.
    std::vector<Pattern> patterns;

    void parse(const yaml::Node& root) {
        const SourceLoc top{r_.file(), 1, 1};
        auto fields = r_.fields(root, top, "");
        if (!fields) {
            return;
        }
        r_.check_keys(*fields, kTopKeys, "");
        if (find(*fields, "state_dir") == nullptr) {
            r_.error(
                top, "", "missing required key 'state_dir'; add e.g. state_dir: /var/lib/tocsin");
        }
        for (const Field& f : *fields) {
            if (f.key == "state_dir") {
                if (auto s = r_.string(f, f.key)) {
                    c_.state_dir = absolute(*s);
                }
            } else if (f.key == "plugin_dirs") {
                if (auto list = r_.string_items(f, f.key)) {
                    for (const auto& item : *list) {
                        c_.plugin_dirs.push_back(absolute(item.text));
                    }
                }
            } else if (f.key == "rule_files") {
                if (auto list = r_.string_items(f, f.key)) {
                    for (const auto& item : *list) {
                        c_.rule_files.push_back(absolute(item.text));
                        patterns.push_back(
                            Pattern{relative(item.text), item.text != item.shown, item.loc});
                    }
                }
            } else if (f.key == "timezone") {
                c_.timezone = r_.literal(f, f.key).value_or(c_.timezone);
            } else if (f.key == "retention") {
                if (auto d = positive_duration(f, f.key)) {
                    c_.retention = *d;
                }
            } else if (f.key == "api") {
                parse_api(f);
            } else if (f.key == "reload") {
                parse_reload(f);
            } else if (f.key == "sources") {
                parse_instances(f, "source", c_.sources);
            } else if (f.key == "notifiers") {
                parse_instances(f, "notifier", c_.notifiers);
            } else if (f.key == "routes") {
                parse_routes(f);
            } else if (f.key == "default_policy") {
                if (auto s = r_.literal(f, f.key)) {
                    c_.default_policy = *s;
                    c_.default_policy_loc = f.loc;
                }
            }
        }
        check_fallbacks();
    }

private:
    std::string absolute(const std::string& path) const {
        const fs::path base = dir_.empty() ? fs::current_path() : fs::absolute(dir_);
        return (base / path).lexically_normal().string();
    }
    std::string relative(const std::string& path) const {
        if (fs::path(path).is_absolute() || dir_.empty()) {
            return path;
        }
        return (dir_ / path).lexically_normal().string();
    }

    std::optional<Duration> positive_duration(const Field& f, const std::string& path) {
        auto d = r_.duration(f, path);
        if (d && d->count() <= 0) {
            r_.error(f.loc, path, "must be longer than 0s");
            return std::nullopt;
        }
        return d;
    }

    void parse_reload(const Field& f) {
        auto fields = r_.fields(f.node, f.loc, "reload");
        if (!fields) {
            return;
        }
        c_.reload.loc = f.key_loc;
        r_.check_keys(*fields, kReloadKeys, "reload");
        for (const Field& k : *fields) {
            const std::string path = join_path("reload", k.key);
            if (k.key == "watch") {
                if (auto s = r_.literal(k, path)) {
                    if (*s == "true" || *s == "false") {
                        c_.reload.watch = *s == "true";
                    } else {
                        r_.error(k.loc, path, "must be true or false");
                    }
                }
            } else if (k.key == "watch_interval") {
                if (auto d = positive_duration(k, path)) {
                    c_.reload.watch_interval = *d;
                }
            }
        }
    }

    void parse_api(const Field& f) {
        auto fields = r_.fields(f.node, f.loc, "api");
        if (!fields) {
            return;
        }
        c_.api.loc = f.key_loc;
        r_.check_keys(*fields, kApiKeys, "api");
        for (const Field& k : *fields) {
            const std::string path = join_path("api", k.key);
            if (k.key == "listen") {
                if (auto s = r_.scalar(k.node, k.loc, path, "a string")) {
                    const std::string& listen = s->text;
                    const auto colon = listen.rfind(':');
                    const bool has_port =
                        colon != std::string::npos && colon + 1 < listen.size() &&
                        listen.find_first_not_of("0123456789", colon + 1) == std::string::npos;
                    if (!has_port) {
                        r_.error(k.loc,
                                 path,
                                 "'" + s->shown +
                                     "' is not an address; use host:port, e.g. 127.0.0.1:9470");
                    } else {
                        c_.api.listen = listen;
                    }
                }
            } else if (k.key == "token_file") {
                if (auto s = r_.string(k, path)) {
                    c_.api.token_file = absolute(*s);
                }
            } else if (k.key == "external_url") {
                if (auto s = r_.string(k, path)) {
                    if (s->rfind("http://", 0) != 0 && s->rfind("https://", 0) != 0) {
                        r_.error(k.loc,
                                 path,
                                 "'" + *s +
                                     "' is not an http(s) URL; give the address recipients open, "
                                     "e.g. https://tocsin.example.com");
                    } else {
                        c_.api.external_url = *s;
                        while (!c_.api.external_url.empty() && c_.api.external_url.back() == '/') {
                            c_.api.external_url.pop_back();
                        }
                    }
                }
            }
        }
    }

    /// `message: {title, text, short}`: the notifier's own templates for the message words.
    void parse_message(const Field& f, const std::string& path, MessageTemplates& out) {
        auto fields = r_.fields(f.node, f.loc, path);
        if (!fields) {
            return;
        }
        r_.check_keys(*fields, {"title", "text", "short"}, path);
        for (const Field& k : *fields) {
            const std::string key_path = join_path(path, k.key);
            const auto text = r_.string(k, key_path);
            if (!text) {
                continue;
            }
            auto t = Template::parse(*text, r_.text_loc(k.node, k.loc), key_path, r_.diags());
            (k.key == "title"  ? out.title
             : k.key == "text" ? out.text
                               : out.short_text) = std::move(t);
        }
    }

    void parse_instances(const Field& section,
                         const std::string& kind,
                         std::vector<PluginInstanceConfig>& out) {
        auto items = r_.fields(section.node, section.loc, section.key);
        if (!items) {
            return;
        }
        for (const Field& item : *items) {
            const std::string path = kind + " '" + item.key + "'";
            PluginInstanceConfig inst;
            inst.name = item.key;
            inst.loc = item.key_loc;
            auto fields = r_.fields(item.node, item.loc, path);
            if (!fields) {
                continue;
            }
            for (const Field& f : *fields) {
                const std::string key_path = join_path(path, f.key);
                if (f.key == "plugin") {
                    // Plugin names are never expanded: they are not secrets and must be literal.
                    if (!f.node.IsScalar() || f.node.Scalar().empty()) {
                        r_.error(
                            f.loc, key_path, "expected a plugin name, got " + r_.describe(f.node));
                    } else {
                        inst.plugin = f.node.Scalar();
                        inst.plugin_loc = f.loc;
                    }
                } else if (f.key == "timeout") {
                    inst.timeout = positive_duration(f, key_path).value_or(inst.timeout);
                } else if (f.key == "every" && kind == "source") {
                    inst.every = positive_duration(f, key_path);
                } else if (f.key == "message" && kind == "notifier") {
                    parse_message(f, key_path, inst.message);
                } else {
                    inst.settings.push_back(
                        RawEntry{f.key, f.key_loc, r_.raw(f.node, f.loc, key_path)});
                }
            }
            if (find(*fields, "plugin") == nullptr) {
                r_.error(item.key_loc,
                         path,
                         "missing required key 'plugin'; name the plugin to use, e.g. plugin: " +
                             std::string(kind == "source" ? "sqlite" : "slack"));
            }
            out.push_back(std::move(inst));
        }
    }

    void parse_matchers(const Field& f, MatchOp op, const std::string& path, Route& route) {
        if (f.node.IsSequence() && op == MatchOp::Equal) {
            // `match: ["team!=growth", 'severity=~"warn|crit"']`: the text form of silences.
            auto list = r_.string_list(f, path);
            for (const auto& [text, loc] : list.value_or(decltype(list)::value_type{})) {
                std::string why;
                if (auto m = parse_matcher(text, why)) {
                    route.match.push_back(LabelMatcher{m->name, m->op, m->value, loc});
                } else {
                    r_.error(loc, path, why);
                }
            }
            return;
        }
        auto fields = r_.fields(f.node, f.loc, path);
        if (!fields) {
            return;
        }
        for (const Field& m : *fields) {
            const std::string m_path = join_path(path, m.key);
            auto value = r_.literal(m, m_path);
            if (!value) {
                continue;
            }
            if (op == MatchOp::Regex) {
                std::string why;
                if (!Matcher::make(m.key, op, *value, why)) {
                    r_.error(m.loc, m_path, why);
                    continue;
                }
            }
            route.match.push_back(LabelMatcher{m.key, op, *value, m.key_loc});
        }
    }

    void parse_routes(const Field& section) {
        if (section.node.IsNull()) {
            return;
        }
        if (!section.node.IsSequence()) {
            r_.error(section.loc,
                     "routes",
                     "expected a list of routes, got " + r_.describe(section.node));
            return;
        }
        int index = 0;
        for (const auto& item : section.node) {
            ++index;
            const std::string path = "route #" + std::to_string(index);
            Route route;
            route.loc = item.IsNull() ? section.loc : r_.loc(item);
            auto fields = r_.fields(item, route.loc, path);
            if (!fields) {
                continue;
            }
            r_.check_keys(*fields, kRouteKeys, path);
            for (const Field& f : *fields) {
                const std::string key_path = join_path(path, f.key);
                if (f.key == "match") {
                    parse_matchers(f, MatchOp::Equal, key_path, route);
                } else if (f.key == "match_re") {
                    parse_matchers(f, MatchOp::Regex, key_path, route);
                } else if (f.key == "policy") {
                    if (auto s = r_.literal(f, key_path)) {
                        route.policy = *s;
                        route.policy_loc = f.loc;
                    }
                } else if (f.key == "continue") {
                    const auto s = r_.literal(f, key_path);
                    if (s && *s != "true" && *s != "false") {
                        r_.error(f.loc, key_path, "expected true or false");
                    }
                    route.continue_matching = s && *s == "true";
                }
            }
            if (find(*fields, "policy") == nullptr) {
                // Kept anyway so later routes keep their numbers in messages; the load fails.
                r_.error(route.loc,
                         path,
                         "missing required key 'policy'; name the policy for matching alerts");
            }
            c_.routes.push_back(std::move(route));
        }
    }

    // `fallback:` names another notifier; the plugin host does not know the other instances.
    void check_fallbacks() {
        std::vector<std::string> names;
        for (const auto& n : c_.notifiers) {
            names.push_back(n.name);
        }
        for (const auto& n : c_.notifiers) {
            for (const auto& s : n.settings) {
                if (s.key != "fallback" || s.value.kind != RawValue::Kind::Scalar) {
                    continue;
                }
                const std::string path = "notifier '" + n.name + "' > fallback";
                if (s.value.secret) {
                    r_.error(s.value.loc,
                             path,
                             "name the fallback notifier directly, not through ${env:...} or "
                             "${file:...}");
                } else if (s.value.scalar == n.name) {
                    r_.error(s.value.loc,
                             path,
                             "a notifier cannot be its own fallback; name another notifier");
                } else if (std::find(names.begin(), names.end(), s.value.scalar) == names.end()) {
                    r_.error(s.value.loc,
                             path,
                             "unknown notifier '" + s.value.scalar + "'" +
                                 yaml::did_you_mean(s.value.scalar, names) +
                                 "; configured notifiers: " + yaml::join(names));
                }
            }
        }
    }

    Reader& r_;
    Config& c_;
    fs::path dir_;
};

/// Expands the rule file patterns in order, without duplicates.
std::vector<std::string> expand_rule_files(const std::vector<Pattern>& patterns,
                                           Diagnostics& diags) {
    std::vector<std::string> files;
    std::set<std::string> seen;
    for (const auto& [pattern, secret, loc] : patterns) {
        // A pattern from a secret reference is not quoted in messages.
        const std::string shown = secret ? "from ${...}" : pattern;
        if (!has_glob_magic(pattern)) {
            std::error_code ec;
            if (!fs::exists(pattern, ec)) {
                diags.error(loc,
                            "rule_files",
                            "rule file '" + shown +
                                "' does not exist; fix the path or remove it from rule_files");
            } else if (seen.insert(pattern).second) {
                files.push_back(pattern);
            }
            continue;
        }
        glob_t g{};
        const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
        if (rc == 0) {
            for (std::size_t i = 0; i < g.gl_pathc; ++i) {
                std::string match = g.gl_pathv[i];
                std::error_code ec;
                if (fs::is_directory(match, ec)) {
                    continue;
                }
                if (seen.insert(match).second) {
                    files.push_back(std::move(match));
                }
            }
        } else if (rc == GLOB_NOMATCH) {
            diags.warning(loc, "rule_files", "pattern '" + shown + "' matches no file");
        } else {
            diags.error(loc,
                        "rule_files",
                        "cannot expand pattern '" + shown + "'; check the folder's permissions");
        }
        globfree(&g);
    }
    return files;
}

std::vector<std::string> names_of(const std::vector<PluginInstanceConfig>& items) {
    std::vector<std::string> out;
    for (const auto& i : items) {
        out.push_back(i.name);
    }
    return out;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

/// A report's notifiers must exist, and must not be PagerDuty: a report is information, not an
/// incident, and paging someone with a daily digest would open an incident every morning.
void check_report_notifiers(const Config& config, const RuleSet& rules, Diagnostics& diags) {
    const auto notifiers = names_of(config.notifiers);
    for (const auto& report : rules.reports) {
        const std::string path = "report '" + report.name + "' > notify";
        for (std::size_t i = 0; i < report.notify.size(); ++i) {
            const auto& name = report.notify[i];
            const auto it =
                std::find_if(config.notifiers.begin(),
                             config.notifiers.end(),
                             [&](const PluginInstanceConfig& n) { return n.name == name; });
            if (it == config.notifiers.end()) {
                diags.error(report.notify_locs[i],
                            path,
                            "unknown notifier '" + name + "'" +
                                yaml::did_you_mean(name, notifiers) +
                                "; configured notifiers: " + yaml::join(notifiers));
            } else if (it->plugin == "pagerduty") {
                diags.error(report.notify_locs[i],
                            path,
                            "notifier '" + name +
                                "' is a pagerduty notifier, which opens incidents; send reports to "
                                "chat, e-mail, webhook or log notifiers instead");
            }
        }
    }
}

}  // namespace

EnvLookup process_env() {
    return [](const std::string& name) -> std::optional<std::string> {
        // getenv is only unsafe against concurrent setenv, which tocsin never calls.
        const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe)
        if (value == nullptr) {
            return std::nullopt;
        }
        return std::string(value);
    };
}

std::optional<LoadedConfig> load_config(const std::string& config_path,
                                        Diagnostics& diags,
                                        const EnvLookup& env) {
    const int errors_before = diags.error_count();
    auto loaded = load_config_partial(config_path, diags, env);
    if (diags.error_count() > errors_before) {
        return std::nullopt;
    }
    return loaded;
}

std::optional<LoadedConfig> load_config_partial(const std::string& config_path,
                                                Diagnostics& diags,
                                                const EnvLookup& env) {
    LoadedConfig loaded;
    Config& config = loaded.config;
    config.file = config_path;
    config.loc = SourceLoc{config_path, 1, 1};
    std::string why;
    const auto text = yaml::read_text_file(config_path, why);
    if (!text) {
        diags.error(SourceLoc{config_path, 0, 0}, "", "cannot read config file: " + why);
        return std::nullopt;
    }
    const fs::path dir = fs::path(config_path).parent_path();
    Reader reader(config_path, dir.string(), diags, &env);
    const auto root = reader.load(*text);
    if (!root) {
        return std::nullopt;
    }
    if (!root->IsMap()) {
        diags.error(config.loc,
                    "",
                    "expected a map of settings, got " + reader.describe(*root) +
                        "; start with state_dir: /var/lib/tocsin");
        return std::nullopt;
    }
    ConfigParser parser(reader, config, dir);
    parser.parse(*root);
    const auto files = expand_rule_files(parser.patterns, diags);
    detail::load_rules_into(files, diags, loaded.rules);
    cross_check(config, loaded.rules, diags);
    return loaded;
}

void cross_check(const Config& config, const RuleSet& rules, Diagnostics& diags) {
    const auto sources = names_of(config.sources);
    const auto notifiers = names_of(config.notifiers);
    std::vector<std::string> policies;
    for (const auto& p : rules.policies) {
        policies.push_back(p.name);
    }
    const auto unknown = [](const std::string& kind,
                            const std::string& name,
                            const std::vector<std::string>& known,
                            const std::string& listed) {
        return "unknown " + kind + " '" + name + "'" + yaml::did_you_mean(name, known) + "; " +
               listed + ": " + yaml::join(known);
    };
    for (const auto& kpi : rules.kpis) {
        if (kpi.history_set && kpi.history > config.retention) {
            diags.error(kpi.history_loc,
                        "kpi '" + kpi.name + "' > history",
                        format_duration(kpi.history) + " is longer than retention (" +
                            format_duration(config.retention) + ") in " + config.file +
                            "; the store keeps samples only that long, so raise retention or "
                            "shorten history");
        }
        if (!kpi.source.empty() && !contains(sources, kpi.source)) {
            diags.error(kpi.source_loc,
                        "kpi '" + kpi.name + "' > source",
                        unknown("source", kpi.source, sources, "configured sources"));
        }
    }
    for (const auto& policy : rules.policies) {
        for (std::size_t s = 0; s < policy.steps.size(); ++s) {
            const auto& step = policy.steps[s];
            for (std::size_t i = 0; i < step.notify.size(); ++i) {
                if (contains(notifiers, step.notify[i])) {
                    continue;
                }
                diags.error(
                    step.notify_locs[i],
                    "policy '" + policy.name + "' > step " + std::to_string(s + 1) + " > notify",
                    unknown("notifier", step.notify[i], notifiers, "configured notifiers"));
            }
        }
    }
    check_report_notifiers(config, rules, diags);
    for (const auto& rule : rules.rules) {
        if (!rule.policy.empty() && !contains(policies, rule.policy)) {
            diags.error(rule.policy_loc,
                        "rule '" + rule.alert + "' > policy",
                        unknown("policy", rule.policy, policies, "defined policies"));
        }
        if (rule.policy.empty() && config.default_policy.empty() && config.routes.empty()) {
            diags.warning(
                rule.loc,
                "rule '" + rule.alert + "'",
                "no policy applies, so its alerts notify nobody; set policy: on the rule, or "
                "default_policy or routes in " +
                    config.file);
        }
    }
    for (std::size_t i = 0; i < config.routes.size(); ++i) {
        const auto& route = config.routes[i];
        if (!route.policy.empty() && !contains(policies, route.policy)) {
            diags.error(route.policy_loc,
                        "route #" + std::to_string(i + 1) + " > policy",
                        unknown("policy", route.policy, policies, "defined policies"));
        }
    }
    check_routes(config, rules, diags);
    if (!config.default_policy.empty() && !contains(policies, config.default_policy)) {
        diags.error(config.default_policy_loc,
                    "default_policy",
                    unknown("policy", config.default_policy, policies, "defined policies"));
    }
}

}  // namespace tocsin::engine
