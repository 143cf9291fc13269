#pragma once

#include "engine/model.hpp"

#include <optional>
#include <regex.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace tocsin::engine::yaml {
class Reader;
struct Field;
}  // namespace tocsin::engine::yaml

/// Label matchers, shared by routes and silences: `team="growth"`, `team!="ops"`,
/// `severity=~"warn|crit"`, `env!~"dev|test"`.
/// - A missing label has the value "" (as in Prometheus and Alertmanager), so `team!="ops"` holds
///   for an alert without a `team` label and `team=""` means "no team label".
/// - Regular expressions are anchored like Alertmanager's: they must match the whole value
///   (`warn|crit` does not match "critical"). The syntax is RE2/Perl-like (Boost.Regex perl,
///   exposition::Regex): classes, groups, alternation, repetition, `(?:...)`, `(?i)`.
/// - Matching work is bounded: a match that exceeds the limit holds for neither `=~` nor `!~`
///   (so a silence never hides an alert because its regex gave up) and is counted.
/// Matchers are plain values, safe to share between threads once built.
namespace tocsin::engine {

/// "=", "!=", "=~" or "!~".
[[nodiscard]] std::string_view to_string(MatchOp op);

struct Matcher {
    std::string name;
    MatchOp op = MatchOp::Equal;
    std::string value;
    std::optional<exposition::Regex> regex;  // Regex/NotRegex: the pattern; nullopt if invalid

    /// A matcher with its pattern compiled; nullopt with the reason in `why` when `op` is a regex
    /// operator and `value` is not a valid pattern.
    [[nodiscard]] static std::optional<Matcher> make(std::string name,
                                                     MatchOp op,
                                                     std::string value,
                                                     std::string& why);
    /// For input a loader already checked (routes): an invalid pattern gives a matcher that never
    /// holds (=~) or always holds (!~) instead of failing.
    [[nodiscard]] static Matcher compile(const LabelMatcher& m);

    /// Whether the matcher holds on `labels`.
    [[nodiscard]] bool matches(const Labels& labels) const;
    /// The matcher written back in the string form parse_matcher() reads: team=~"warn|crit".
    [[nodiscard]] std::string to_string() const;
};

/// Whether every matcher holds (true for an empty list).
[[nodiscard]] bool matches_all(const std::vector<Matcher>& matchers, const Labels& labels);

/// One matcher from text: `team="growth"`, `team=growth`, `severity =~ "warn|crit"`. Quoted values
/// take \" \\ and \n escapes. Nullopt with a message in `why` otherwise.
[[nodiscard]] std::optional<Matcher> parse_matcher(std::string_view text, std::string& why);

/// A comma-separated list, optionally in braces: `{team="growth", severity=~"warn|crit"}`. An
/// empty text gives an empty list.
[[nodiscard]] std::optional<std::vector<Matcher>> parse_matcher_list(std::string_view text,
                                                                     std::string& why);

/// The `{key: value}` map form: one matcher with `op` per entry (routes' `match:` is Equal,
/// `match_re:` Regex). Nullopt with `why` for an invalid label name or pattern.
[[nodiscard]] std::optional<std::vector<Matcher>> matchers_from_map(const Labels& map,
                                                                    MatchOp op,
                                                                    std::string& why);

/// Matchers in a YAML file (silences in test files, later routes): either a map of label ->
/// value (equality), or a list of strings in the text form. Every problem is reported at its
/// position under `path`; nullopt when there was any.
std::optional<std::vector<Matcher>> parse_matchers(yaml::Reader& reader,
                                                   const yaml::Field& field,
                                                   const std::string& path);

}  // namespace tocsin::engine
