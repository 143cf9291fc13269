#include "regex.hpp"

// The work limit: Boost gives up after visiting about max(N * S^2, N^2) states for a value of N
// characters and a pattern of S states, at most this many. Boost's default (100,000,000) lets one
// hopeless match run for about a second; at 10,000,000 the worst we measured was under 0.2 s
// for a 10,000-character value, while ordinary patterns stay far below it. Only this file
// includes Boost.Regex, so the setting applies to every match tocsin makes.
// Boost casts the value C-style; the warning points at this line, outside the system header,
// and comes when the templates are instantiated (end of file), so it is off for the whole file.
#pragma GCC diagnostic ignored "-Wold-style-cast"
#define BOOST_REGEX_MAX_STATE_COUNT 10000000
#include <boost/regex.hpp>

#include <atomic>
#include <exception>

namespace tocsin::exposition {

struct Regex::Impl {
    std::string pattern;
    boost::regex regex;
    mutable std::atomic<bool> warned{false};
};

namespace {

std::atomic<std::uint64_t> limit_hits{0};
std::atomic<RegexLimitWarning> limit_warning{nullptr};

/// Boost's messages are several sentences with the pattern quoted; ours end a sentence.
std::string describe(boost::regex_constants::error_type code) {
    namespace rc = boost::regex_constants;
    switch (code) {
        case rc::error_collate:
            return "an unknown collating element in [[.x.]]";
        case rc::error_ctype:
            return "an unknown character class name";
        case rc::error_escape:
            return "an invalid escape or a trailing backslash";
        case rc::error_backref:
            return "a back-reference to a group that does not exist";
        case rc::error_brack:
            return "an unclosed '['";
        case rc::error_paren:
            return "unbalanced parentheses";
        case rc::error_brace:
            return "an unclosed '{'";
        case rc::error_badbrace:
            return "an invalid repetition count in {...}";
        case rc::error_range:
            return "an invalid character range such as z-a";
        case rc::error_space:
        case rc::error_complexity:
        case rc::error_stack:
            return "the pattern is too large or complex";
        case rc::error_badrepeat:
            return "a repetition with nothing to repeat (such as a leading * or **)";
        case rc::error_perl_extension:
            return "an unknown (?...) construct";
        default:
            return "a syntax error";
    }
}

}  // namespace

std::optional<Regex> Regex::compile(std::string_view pattern, std::string& why) {
    auto impl = std::make_shared<Impl>();
    impl->pattern = std::string(pattern);
    try {
        // perl: RE2/Perl-like. no_mod_m: ^ and $ do not match at embedded newlines, as in RE2.
        impl->regex.assign(impl->pattern, boost::regex::perl | boost::regex::no_mod_m);
    } catch (const boost::regex_error& e) {
        why = describe(e.code()) + " at offset " + std::to_string(e.position());
        return std::nullopt;
    } catch (const std::exception&) {
        why = "the pattern is too large or complex";
        return std::nullopt;
    }
    return Regex(std::move(impl));
}

RegexMatch Regex::match(std::string_view value) const {
    try {
        return boost::regex_match(value.begin(), value.end(), impl_->regex) ? RegexMatch::Match
                                                                            : RegexMatch::NoMatch;
    } catch (const std::exception&) {
        // error_complexity or error_stack (std::runtime_error), or memory for the backtracking
        // state: the value is not judged either way.
        limit_hits.fetch_add(1, std::memory_order_relaxed);
        if (!impl_->warned.exchange(true)) {
            if (const auto warn = limit_warning.load()) {
                warn(impl_->pattern, value.size());
            }
        }
        return RegexMatch::LimitExceeded;
    }
}

const std::string& Regex::pattern() const {
    return impl_->pattern;
}

std::uint64_t regex_limit_hits() {
    return limit_hits.load(std::memory_order_relaxed);
}

void set_regex_limit_warning(RegexLimitWarning warning) {
    limit_warning.store(warning);
}

}  // namespace tocsin::exposition
