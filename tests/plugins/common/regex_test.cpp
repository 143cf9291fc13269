#include "regex.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace ex = tocsin::exposition;

namespace {

ex::Regex compiled(std::string_view pattern) {
    std::string why;
    auto re = ex::Regex::compile(pattern, why);
    INFO(why);
    REQUIRE(re.has_value());
    return std::move(*re);
}

std::string compile_error(std::string_view pattern) {
    std::string why;
    CHECK_FALSE(ex::Regex::compile(pattern, why).has_value());
    return why;
}

std::atomic<int> warnings{0};
std::atomic<std::size_t> warned_size{0};

void count_warning(const std::string&, std::size_t value_size) {
    warnings.fetch_add(1);
    warned_size.store(value_size);
}

}  // namespace

TEST_CASE("regexes match the whole value", "[regex]") {
    const auto re = compiled("warn|crit");
    CHECK(re.pattern() == "warn|crit");
    CHECK(re.match("warn") == ex::RegexMatch::Match);
    CHECK(re.match("critical") == ex::RegexMatch::NoMatch);
    CHECK(re.match("xwarn") == ex::RegexMatch::NoMatch);
    CHECK(compiled("a|ab").match("ab") == ex::RegexMatch::Match);
    CHECK(compiled("").match("") == ex::RegexMatch::Match);
}

TEST_CASE("regexes take RE2/Perl-like syntax", "[regex]") {
    CHECK(compiled("(?i)prod-[a-z]+").match("PROD-Eu") == ex::RegexMatch::Match);
    CHECK(compiled(R"(\d{2,3}\.\w+)").match("404.html") == ex::RegexMatch::Match);
    CHECK(compiled("[[:alpha:]]+(?=x)x").match("abx") == ex::RegexMatch::Match);
    CHECK(compiled("a.c").match("a\nc") == ex::RegexMatch::Match);  // . takes a newline
    CHECK(compiled("a$\nb").match("a\nb") == ex::RegexMatch::NoMatch);
}

TEST_CASE("invalid regexes say what is wrong and where", "[regex]") {
    CHECK(compile_error("(open") == "unbalanced parentheses at offset 5");
    CHECK(compile_error("[a-") == "an unclosed '[' at offset 3");
    CHECK(compile_error("x{2,1}") == "an invalid repetition count in {...} at offset 4");
    CHECK(compile_error("*a") ==
          "a repetition with nothing to repeat (such as a leading * or **) at offset 0");
    CHECK(compile_error("a\\") == "an invalid escape or a trailing backslash at offset 2");
}

TEST_CASE("a match that exceeds the work limit gives up, is counted and warned once", "[regex]") {
    ex::set_regex_limit_warning(count_warning);
    const int warnings_before = warnings.load();
    const auto hits_before = ex::regex_limit_hits();
    const auto re = compiled("(a|a)*b");
    const std::string a30(30, 'a');
    // Exponential with backtracking; the call returning at all is the point.
    CHECK(re.match(a30) == ex::RegexMatch::LimitExceeded);
    CHECK(re.match(a30 + "a") == ex::RegexMatch::LimitExceeded);
    CHECK(ex::regex_limit_hits() == hits_before + 2);
    CHECK(warnings.load() == warnings_before + 1);
    CHECK(warned_size.load() == 30);
    CHECK(re.match("aab") == ex::RegexMatch::Match);
    // A long value runs out of backtracking memory instead of the thread's stack.
    CHECK(compiled("(.)*y").match(std::string(100000, 'z')) == ex::RegexMatch::LimitExceeded);
    CHECK(warnings.load() == warnings_before + 2);
    ex::set_regex_limit_warning(nullptr);
}

TEST_CASE("one regex matches from several threads at once", "[regex]") {
    const auto re = compiled("db-[0-9]+");
    std::atomic<int> matched{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([copy = re, &matched] {
            for (int i = 0; i < 1000; ++i) {
                if (copy.match("db-" + std::to_string(i)) == ex::RegexMatch::Match) {
                    matched.fetch_add(1);
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    CHECK(matched.load() == 4000);
}
