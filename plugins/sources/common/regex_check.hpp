#pragma once

// Patterns that std::regex (libstdc++) accepts but must not be given: it backtracks, so nested
// repetition such as `(a*)*` or `a*+` takes exponential time on a short non-matching value, and it
// reads back-reference and repetition numbers into a long without an overflow check. Label
// matchers (daemon/engine/matcher.cpp) and series selectors (selector.cpp) refuse them before
// compiling. Found by the fuzz targets in tests/fuzz. std-only.

#include <optional>
#include <string>
#include <string_view>

namespace tocsin::exposition {

/// Why `pattern` (ECMAScript syntax) is refused, as the end of a sentence ("nested repetition
/// such as (a*)* is not allowed; ..."), or nothing. Refuses a repetition (`*`, `+`, `{n,m}` with
/// m > 1) of a group that itself repeats, a quantifier right after another one (`a*+`; a lazy
/// `?` such as `a*?` is fine), and numbers of more than 9 digits after `\` or in braces. Other
/// syntax errors are left to std::regex.
[[nodiscard]] std::optional<std::string> regex_problem(std::string_view pattern);

}  // namespace tocsin::exposition
