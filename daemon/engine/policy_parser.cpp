#include "engine/policy_parser.hpp"

#include <algorithm>
#include <limits>

namespace tocsin::engine {
namespace {

using yaml::Field;
using yaml::join_path;
using yaml::Reader;

const std::vector<std::string> kPolicyKeys{"steps",
                                           "until",
                                           "repeat",
                                           "repeat_interval",
                                           "resolves",
                                           "group_by",
                                           "group_wait",
                                           "quiet_hours"};
const std::vector<std::string> kStepKeys{"after", "notify", "severity", "quiet_hours"};
const std::vector<std::string> kQuietKeys{"calendar", "outcome", "bypass", "resolves"};

const Field* find(const std::vector<Field>& fields, const std::string& key) {
    const auto it =
        std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return f.key == key; });
    return it == fields.end() ? nullptr : &*it;
}

/// A word from a fixed set; nullopt (reported) for anything else.
template <typename T>
std::optional<T> choice(Reader& r,
                        const Field& f,
                        const std::string& path,
                        const std::vector<std::pair<std::string, T>>& words) {
    const auto text = r.literal(f, path);
    if (!text) {
        return std::nullopt;
    }
    std::vector<std::string> allowed;
    for (const auto& [word, value] : words) {
        if (*text == word) {
            return value;
        }
        allowed.push_back(word);
    }
    r.error(f.loc,
            path,
            "'" + *text + "' is not allowed" + yaml::did_you_mean(*text, allowed) +
                "; use one of " + yaml::join(allowed));
    return std::nullopt;
}

std::optional<ResolveMode> parse_resolves(Reader& r,
                                          const Field& f,
                                          const std::string& path,
                                          bool in_quiet_hours) {
    std::vector<std::pair<std::string, ResolveMode>> words{{"send", ResolveMode::Send},
                                                           {"suppress", ResolveMode::Suppress}};
    if (in_quiet_hours) {
        words.emplace_back("digest", ResolveMode::Digest);
    }
    return choice(r, f, path, words);
}

std::optional<QuietHours> parse_quiet_hours(Reader& r, const Field& f, const std::string& path) {
    QuietHours q;
    q.loc = f.loc;
    if (f.node.IsScalar() && f.node.Scalar() == "none") {
        q.off = true;
        return q;
    }
    auto fields = r.fields(f.node, f.loc, path);
    if (!fields) {
        return std::nullopt;
    }
    r.check_keys(*fields, kQuietKeys, path);
    bool ok = true;
    for (const Field& g : *fields) {
        const std::string key_path = join_path(path, g.key);
        if (g.key == "calendar") {
            const auto name = r.literal(g, key_path);
            ok = ok && name.has_value();
            q.calendar = name.value_or("");
            q.calendar_loc = g.loc;
        } else if (g.key == "outcome") {
            const auto outcome = choice<QuietOutcome>(r,
                                                      g,
                                                      key_path,
                                                      {{"drop", QuietOutcome::Drop},
                                                       {"defer", QuietOutcome::Defer},
                                                       {"digest", QuietOutcome::Digest}});
            ok = ok && outcome.has_value();
            q.outcome = outcome.value_or(QuietOutcome::Defer);
        } else if (g.key == "bypass") {
            const auto list = r.string_list(g, key_path);
            ok = ok && list.has_value();
            for (const auto& [text, loc] : list.value_or(decltype(list)::value_type{})) {
                const auto severity = parse_severity(text);
                if (!severity || *severity == Severity::None) {
                    r.error(
                        loc, key_path, "'" + text + "' is not a severity; use warning or critical");
                    ok = false;
                } else {
                    q.bypass.push_back(*severity);
                }
            }
        } else if (g.key == "resolves") {
            q.resolves = parse_resolves(r, g, key_path, true);
            ok = ok && q.resolves.has_value();
        }
    }
    if (find(*fields, "calendar") == nullptr) {
        r.error(
            f.loc, path, "missing required key 'calendar'; name the calendar of the quiet hours");
        ok = false;
    }
    return ok ? std::optional<QuietHours>(std::move(q)) : std::nullopt;
}

void parse_steps(Reader& r, const Field& steps, PolicyDef& policy, const std::string& path) {
    if (!steps.node.IsSequence() || steps.node.size() == 0) {
        r.error(steps.loc,
                path,
                "expected a list of at least one step, got " + r.describe(steps.node) +
                    "; add e.g. - notify: [ops-slack]");
        return;
    }
    int index = 0;
    for (const auto& item : steps.node) {
        ++index;
        const std::string step_path =
            "policy '" + policy.name + "' > step " + std::to_string(index);
        PolicyStep step;
        step.loc = item.IsNull() ? steps.loc : r.loc(item);
        auto fields = r.fields(item, step.loc, step_path);
        if (!fields) {
            continue;
        }
        r.check_keys(*fields, kStepKeys, step_path);
        for (const Field& f : *fields) {
            const std::string key_path = join_path(step_path, f.key);
            if (f.key == "after") {
                step.after = r.duration(f, key_path).value_or(Duration{0});
            } else if (f.key == "notify") {
                if (auto list = r.string_items(f, key_path)) {
                    for (auto& entry : *list) {
                        step.notify.push_back(entry.text);
                        step.notify_locs.push_back(entry.loc);
                    }
                    if (list->empty()) {
                        r.error(f.loc, key_path, "the list is empty; name at least one notifier");
                    }
                }
            } else if (f.key == "severity") {
                if (auto text = r.string(f, key_path)) {
                    step.severity = parse_severity(*text);
                    if (!step.severity) {
                        r.error(f.loc,
                                key_path,
                                "'" + *text + "' is not a severity; use warning or critical");
                    }
                }
            } else if (f.key == "quiet_hours") {
                step.quiet_hours = parse_quiet_hours(r, f, key_path);
            }
        }
        if (find(*fields, "notify") == nullptr) {
            r.error(step.loc,
                    step_path,
                    "missing required key 'notify'; list the notifiers of this step");
        }
        policy.steps.push_back(std::move(step));
    }
}

}  // namespace

PolicyDef parse_policy(Reader& r, const Field& item) {
    const std::string path = "policy '" + item.key + "'";
    PolicyDef policy;
    policy.name = item.key;
    policy.loc = item.key_loc;
    auto fields = r.fields(item.node, item.loc, path);
    if (!fields) {
        return policy;
    }
    r.check_keys(*fields, kPolicyKeys, path);
    if (find(*fields, "steps") == nullptr) {
        r.error(item.key_loc,
                path,
                "missing required key 'steps'; add e.g. steps: [{notify: [ops-slack]}]");
    }
    for (const Field& f : *fields) {
        const std::string key_path = join_path(path, f.key);
        if (f.key == "steps") {
            parse_steps(r, f, policy, key_path);
        } else if (f.key == "until") {
            policy.until = choice<EscalateUntil>(r,
                                                 f,
                                                 key_path,
                                                 {{"acknowledged", EscalateUntil::Acknowledged},
                                                  {"resolved", EscalateUntil::Resolved}})
                               .value_or(EscalateUntil::Acknowledged);
        } else if (f.key == "repeat") {
            const auto n = r.number(f, key_path);
            if (n && (*n < 0 || *n > 1000 || *n != static_cast<double>(static_cast<int>(*n)))) {
                r.error(f.loc, key_path, "expected a whole number of rounds from 0 to 1000");
            } else if (n) {
                policy.repeat = static_cast<std::uint32_t>(*n);
            }
        } else if (f.key == "repeat_interval") {
            const auto d = r.duration(f, key_path);
            if (d && *d <= Duration::zero()) {
                r.error(f.loc, key_path, "expected a duration longer than zero, e.g. 4h");
            } else if (d) {
                policy.repeat_interval = *d;
            }
        } else if (f.key == "resolves") {
            policy.resolves = parse_resolves(r, f, key_path, false).value_or(ResolveMode::Send);
        } else if (f.key == "group_by") {
            if (auto list = r.string_list(f, key_path)) {
                for (auto& [name, loc] : *list) {
                    policy.group_by.push_back(name);
                }
            }
            policy.grouped = true;
        } else if (f.key == "group_wait") {
            policy.group_wait = r.duration(f, key_path).value_or(Duration{0});
            policy.grouped = true;
        } else if (f.key == "quiet_hours") {
            policy.quiet_hours = parse_quiet_hours(r, f, key_path);
            if (policy.quiet_hours && policy.quiet_hours->off) {
                r.error(
                    f.loc, key_path, "'none' is for a step; on a policy, leave quiet_hours out");
                policy.quiet_hours.reset();
            }
        }
    }
    if (policy.repeat_interval > Duration::zero()) {
        for (const PolicyStep& step : policy.steps) {
            if (step.after >= policy.repeat_interval) {
                r.error(step.loc,
                        path + " > repeat_interval",
                        "a step's after (" + format_duration(step.after) +
                            ") must be shorter than repeat_interval, or it never runs in a round");
                break;
            }
        }
    }
    return policy;
}

}  // namespace tocsin::engine
