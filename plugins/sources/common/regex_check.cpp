#include "regex_check.hpp"

#include <vector>

namespace tocsin::exposition {
namespace {

constexpr std::size_t kMaxDigits = 9;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

std::size_t digits_at(std::string_view text, std::size_t i) {
    std::size_t n = 0;
    while (i + n < text.size() && is_digit(text[i + n])) {
        ++n;
    }
    return n;
}

/// A `{n}`, `{n,}` or `{n,m}` quantifier at text[i] == '{': its length and whether it repeats
/// (may match more than once). Nothing when it is not one (std::regex then reports it).
struct Brace {
    std::size_t length = 0;
    bool repeats = false;
    bool oversized = false;
};

std::optional<Brace> brace_at(std::string_view text, std::size_t i) {
    Brace b;
    const std::size_t low = digits_at(text, i + 1);
    std::size_t pos = i + 1 + low;
    b.oversized = low > kMaxDigits;
    std::string_view high;
    bool comma = false;
    if (pos < text.size() && text[pos] == ',') {
        comma = true;
        const std::size_t n = digits_at(text, pos + 1);
        b.oversized = b.oversized || n > kMaxDigits;
        high = text.substr(pos + 1, n);
        pos += 1 + n;
    }
    if (pos >= text.size() || text[pos] != '}' || (low == 0 && !b.oversized)) {
        return b.oversized ? std::optional<Brace>(b) : std::nullopt;
    }
    b.length = pos + 1 - i;
    const std::string_view low_text = text.substr(i + 1, low);
    const auto above_one = [](std::string_view n) {
        while (n.size() > 1 && n.front() == '0') {
            n.remove_prefix(1);
        }
        return n.size() > 1 || (n.size() == 1 && n.front() > '1');
    };
    b.repeats = comma ? (high.empty() || above_one(high)) : above_one(low_text);
    return b;
}

struct Group {
    bool repeats_inside = false;  // some quantifier inside repeats
};

}  // namespace

std::optional<std::string> regex_problem(std::string_view p) {
    const std::string kNested =
        "nested repetition such as (a*)* or (a+){2,} is not allowed, as matching it can take "
        "exponential time; repeat the inner part only";
    const std::string kDouble =
        "a quantifier cannot follow another one (such as a*+); use one, or a lazy one such as *?";
    const std::string kDigits = "a back-reference or repetition count has more than 9 digits";

    std::vector<Group> groups(1);  // [0]: the whole pattern
    // What the next quantifier applies to: nothing, a simple atom, or a group that repeats inside.
    enum class Atom { None, Simple, RepeatingGroup, Quantified, Lazy };
    Atom atom = Atom::None;
    for (std::size_t i = 0; i < p.size(); ++i) {
        const char c = p[i];
        if (c == '\\') {
            if (digits_at(p, i + 1) > kMaxDigits) {
                return kDigits;
            }
            ++i;  // the escaped character is an atom of its own
            atom = Atom::Simple;
        } else if (c == '[') {
            // A class is one atom; ']' right after '[' or '[^' is a literal in many dialects.
            std::size_t j = i + 1;
            if (j < p.size() && p[j] == '^') {
                ++j;
            }
            for (; j < p.size() && p[j] != ']'; ++j) {
                if (p[j] == '\\') {
                    ++j;
                }
            }
            i = j;
            atom = Atom::Simple;
        } else if (c == '(') {
            groups.emplace_back();
            if (i + 2 < p.size() && p[i + 1] == '?') {
                i += 2;  // (?: (?= (?!
            }
            atom = Atom::None;
        } else if (c == ')') {
            if (groups.size() == 1) {
                atom = Atom::Simple;  // unbalanced: std::regex reports it
                continue;
            }
            const Group inner = groups.back();
            groups.pop_back();
            groups.back().repeats_inside = groups.back().repeats_inside || inner.repeats_inside;
            atom = inner.repeats_inside ? Atom::RepeatingGroup : Atom::Simple;
        } else if (c == '*' || c == '+' || c == '?' || c == '{') {
            bool repeats = c != '?';
            std::size_t length = 1;
            if (c == '{') {
                const auto brace = brace_at(p, i);
                if (brace && brace->oversized) {
                    return kDigits;
                }
                if (!brace) {
                    atom = Atom::Simple;  // not a quantifier; std::regex decides
                    continue;
                }
                repeats = brace->repeats;
                length = brace->length;
            }
            if (c == '?' && atom == Atom::Quantified) {
                atom = Atom::Lazy;  // a*? and friends
                continue;
            }
            if (atom == Atom::Quantified || atom == Atom::Lazy) {
                return kDouble;
            }
            if (repeats && atom == Atom::RepeatingGroup) {
                return kNested;
            }
            if (repeats) {
                groups.back().repeats_inside = true;
            }
            i += length - 1;
            atom = Atom::Quantified;
        } else if (c == '|') {
            atom = Atom::None;
        } else {
            atom = Atom::Simple;
        }
    }
    return std::nullopt;
}

}  // namespace tocsin::exposition
