#pragma once

// Regular expressions whose matching work is bounded, for every user-supplied pattern: label
// matchers (routes' match_re, silences, rule files; daemon/engine/matcher.cpp) and series
// selectors (selector.cpp). std::regex (libstdc++) backtracks without limit and recurses per
// character, so `(a|a)*b` could hang the event loop and a long label value could exhaust the
// stack (found by tests/fuzz). Boost.Regex matches without recursion and gives up when a match
// takes more than a fixed amount of work; that is counted, and callers treat the matcher as
// not holding (for `=~` and `!~` alike: a silence never hides an alert because of it).
//
// Header without Boost: boost/regex.hpp is heavy and stays in regex.cpp.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace tocsin::exposition {

/// The outcome of one match: LimitExceeded when the work limit (or the matcher's backtracking
/// memory) ran out before an answer; callers then treat the matcher as not holding.
enum class RegexMatch { Match, NoMatch, LimitExceeded };

/// A compiled pattern, RE2/Perl-like syntax (Boost.Regex perl: classes, `\d`, groups, `(?:...)`,
/// `(?i)`, lazy and possessive repetition, lookahead), always anchored at both ends. Copies share
/// the compiled form; matching is safe from several threads at once.
class Regex {
public:
    /// Compiles `pattern`; nullopt with `why` ("unbalanced parentheses at offset 3") when it is
    /// not a valid pattern.
    [[nodiscard]] static std::optional<Regex> compile(std::string_view pattern, std::string& why);

    /// Whether the whole of `value` matches (anchored, as Prometheus and Alertmanager anchor label
    /// regexes). Never throws; LimitExceeded is counted in regex_limit_hits().
    [[nodiscard]] RegexMatch match(std::string_view value) const;

    /// The pattern as written.
    [[nodiscard]] const std::string& pattern() const;

private:
    struct Impl;
    explicit Regex(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<const Impl> impl_;
};

/// Matches given up for exceeding the work limit, since the process started (this copy of the
/// library: a plugin module counts its own).
[[nodiscard]] std::uint64_t regex_limit_hits();

/// Called on the first limit hit of each compiled pattern (later hits are only counted), from
/// whichever thread matched; must be thread-safe. `value_size` is the matched value's length.
using RegexLimitWarning = void (*)(const std::string& pattern, std::size_t value_size);

/// Installs the warning hook (nullptr: none, the default). The daemon logs a warning with it.
void set_regex_limit_warning(RegexLimitWarning warning);

}  // namespace tocsin::exposition
