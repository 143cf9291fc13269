#include "engine/matcher.hpp"

#include "calendar_fixture.hpp"
#include "engine/routing.hpp"
#include "loader_fixture.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <utility>

using namespace tocsin::engine;
using tocsin::engine::testing::require_diag;

namespace {

Matcher parsed(const char* text) {
    std::string why;
    auto m = parse_matcher(text, why);
    INFO(why);
    REQUIRE(m.has_value());
    return std::move(*m);
}

std::string error_of(const char* text) {
    std::string why;
    CHECK_FALSE(parse_matcher(text, why).has_value());
    return why;
}

}  // namespace

TEST_CASE("equality matchers treat a missing label as empty", "[matcher]") {
    const Matcher eq = parsed(R"(team="growth")");
    CHECK(eq.name == "team");
    CHECK(eq.op == MatchOp::Equal);
    CHECK(eq.value == "growth");
    CHECK(eq.matches(Labels{{"team", "growth"}}));
    CHECK_FALSE(eq.matches(Labels{{"team", "ops"}}));
    CHECK_FALSE(eq.matches(Labels{}));

    const Matcher ne = parsed("team!=ops");
    CHECK(ne.matches(Labels{{"team", "growth"}}));
    CHECK(ne.matches(Labels{}));
    CHECK_FALSE(ne.matches(Labels{{"team", "ops"}}));

    const Matcher none = parsed(R"(team="")");
    CHECK(none.matches(Labels{}));
    CHECK_FALSE(none.matches(Labels{{"team", "x"}}));
}

TEST_CASE("regex matchers are anchored at both ends", "[matcher]") {
    const Matcher re = parsed(R"(severity=~"warn|crit")");
    CHECK(re.op == MatchOp::Regex);
    CHECK(re.matches(Labels{{"severity", "warn"}}));
    CHECK(re.matches(Labels{{"severity", "crit"}}));
    CHECK_FALSE(re.matches(Labels{{"severity", "critical"}}));
    CHECK_FALSE(re.matches(Labels{{"severity", "xwarn"}}));
    CHECK_FALSE(re.matches(Labels{}));
    // Every alternative is tried against the whole value, not just the first that fits a prefix.
    CHECK(parsed(R"(x=~"a|ab")").matches(Labels{{"x", "ab"}}));
    CHECK(parsed(R"(x=~"db-[0-9]+")").matches(Labels{{"x", "db-12"}}));

    const Matcher nre = parsed(R"(env !~ "dev|test")");
    CHECK(nre.op == MatchOp::NotRegex);
    CHECK(nre.matches(Labels{{"env", "prod"}}));
    CHECK(nre.matches(Labels{}));
    CHECK(nre.matches(Labels{{"env", "development"}}));
    CHECK_FALSE(nre.matches(Labels{{"env", "dev"}}));
}

TEST_CASE("matchers parse spaces, bare values and escapes and print back", "[matcher]") {
    const Matcher spaced = parsed(R"(  severity =~ "warn|crit"  )");
    CHECK(spaced.name == "severity");
    CHECK(spaced.value == "warn|crit");
    const Matcher bare = parsed("team = growth team ");
    CHECK(bare.value == "growth team");
    const Matcher escaped = parsed(R"(msg="say \"hi\" \\ now")");
    CHECK(escaped.value == R"(say "hi" \ now)");
    CHECK(escaped.to_string() == R"(msg="say \"hi\" \\ now")");
    CHECK(parsed(escaped.to_string().c_str()).value == escaped.value);
    CHECK(parsed(R"(env!~"dev")").to_string() == R"(env!~"dev")");
}

TEST_CASE("matcher lists take braces and commas inside quotes", "[matcher]") {
    std::string why;
    const auto list = parse_matcher_list(R"({team="growth", path=~"a,b|c", env!=dev})", why);
    INFO(why);
    REQUIRE(list.has_value());
    REQUIRE(list->size() == 3);
    CHECK((*list)[1].value == "a,b|c");
    CHECK(matches_all(*list, Labels{{"team", "growth"}, {"path", "a,b"}, {"env", "prod"}}));
    CHECK_FALSE(matches_all(*list, Labels{{"team", "growth"}, {"path", "a"}, {"env", "prod"}}));
    const auto empty = parse_matcher_list(" {} ", why);
    REQUIRE(empty.has_value());
    CHECK(empty->empty());
    CHECK_FALSE(parse_matcher_list(R"({team="a")", why).has_value());
    CHECK(why.find("no closing '}'") != std::string::npos);
}

TEST_CASE("matcher mistakes say what to write", "[matcher]") {
    CHECK(error_of("team") ==
          "'team' is not a label matcher (operators: =, !=, =~, !~); write e.g. team=\"growth\" "
          "or severity=~\"warn|crit\"");
    CHECK(error_of("1team=x").find("'1team' is not a label name") == 0);
    CHECK(error_of(R"(team=~"(open")").find("'(open' is not a valid regular expression") == 0);
    CHECK(error_of(R"(team="growth)").find("has no closing quote") != std::string::npos);
    CHECK(error_of(R"(team="a" b)").find("unexpected text after the quoted value") == 0);
}

TEST_CASE("regex matchers take RE2/Perl-like syntax", "[matcher]") {
    CHECK(parsed(R"(severity=~"(?i)WARN|crit")").matches(Labels{{"severity", "Warn"}}));
    CHECK(parsed(R"(host=~"db-\\d+\\.eu")").matches(Labels{{"host", "db-12.eu"}}));
    CHECK_FALSE(parsed(R"(host=~"db-\\d+\\.eu")").matches(Labels{{"host", "db-12xeu"}}));
    CHECK(parsed(R"(x=~"a*+b")").matches(Labels{{"x", "aab"}}));  // possessive
    // ^ and $ hold only at the ends of the value, as in RE2, not around embedded newlines.
    CHECK_FALSE(parsed(R"(x=~"a$\nb")").matches(Labels{{"x", "a\nb"}}));
    CHECK(error_of(R"(x=~".**")").find("a repetition with nothing to repeat") != std::string::npos);
    CHECK(error_of(R"re(x=~"(?Z)")re") ==
          "'(?Z)' is not a valid regular expression: an unknown (?...) construct at offset 0");
}

TEST_CASE("regex numbers too long for a machine word are read safely", "[matcher]") {
    // Found by tests/fuzz/matcher_fuzz: std::regex (libstdc++) multiplied these into a long
    // without an overflow check. Boost.Regex checks: an overflowing count is plain text, and a
    // long back-reference names a group that does not exist.
    CHECK(parsed(R"(a=~"x{55555555555555555555}")")
              .matches(Labels{{"a", "x{55555555555555555555}"}}));
    CHECK(error_of(R"(a!~"(y)\\55555555555555555555")")
              .find("a back-reference to a group that does not exist") != std::string::npos);
    // Ordinary counts work, and a huge but valid one costs nothing up front.
    std::string why;
    const auto ok = parse_matcher_list(
        R"(a=~"55555555555555555555,x{2,3}", b=~"\\{12345678901", c=~"x{1,99999999999}")", why);
    INFO(why);
    REQUIRE(ok.has_value());
    CHECK(matches_all(
        *ok, Labels{{"a", "55555555555555555555,xx"}, {"b", "{12345678901"}, {"c", "xx"}}));
}

TEST_CASE("regex matchers with exponential backtracking give up instead of hanging", "[matcher]") {
    // Found by tests/fuzz/matcher_fuzz: with std::regex these took minutes on short values. The
    // call returning is the test; a match that gives up holds for neither =~ nor !~, so a silence
    // never hides an alert because of it, and it is counted.
    const std::string a30(30, 'a');
    const std::string x30(30, 'x');
    const auto hits_before = tocsin::exposition::regex_limit_hits();
    for (const auto& [text, value] : {std::pair{R"(v=~"(a|a)*b")", a30},
                                      std::pair{R"(v=~"(x+)+y")", x30},
                                      std::pair{R"(v=~"(a*)*b")", a30},
                                      std::pair{R"(v=~"(?:a|aa)*(?:a|aa)*c")", a30}}) {
        INFO(text);
        CHECK_FALSE(parsed(text).matches(Labels{{"v", value}}));
        std::string negated = text;
        negated[1] = '!';
        CHECK_FALSE(parsed(negated.c_str()).matches(Labels{{"v", value}}));
    }
    CHECK(tocsin::exposition::regex_limit_hits() >= hits_before + 8);
    // The same patterns still answer on values they can decide quickly.
    CHECK(parsed(R"(v=~"(x+)+y")").matches(Labels{{"v", "xxy"}}));
    CHECK(parsed(R"(v!~"(x+)+y")").matches(Labels{{"v", "z"}}));
}

TEST_CASE("a long label value does not exhaust the stack", "[matcher]") {
    // libstdc++'s std::regex recursed once per character of the value.
    std::string value(100000, 'z');
    const Matcher dotted = parsed(R"(v=~".*foo.*")");
    CHECK_FALSE(dotted.matches(Labels{{"v", value}}));
    value.replace(50000, 3, "foo");
    CHECK(dotted.matches(Labels{{"v", value}}));
    CHECK_FALSE(parsed(R"(v=~"(.)*y")").matches(Labels{{"v", value}}));
}

TEST_CASE("the map form gives one matcher per label", "[matcher]") {
    std::string why;
    const auto eq =
        matchers_from_map(Labels{{"team", "growth"}, {"env", "prod"}}, MatchOp::Equal, why);
    REQUIRE(eq.has_value());
    CHECK(matches_all(*eq, Labels{{"team", "growth"}, {"env", "prod"}, {"x", "y"}}));
    CHECK_FALSE(matches_all(*eq, Labels{{"team", "growth"}}));
    const auto re = matchers_from_map(Labels{{"severity", "warn|crit"}}, MatchOp::Regex, why);
    REQUIRE(re.has_value());
    CHECK(matches_all(*re, Labels{{"severity", "crit"}}));
    CHECK_FALSE(matchers_from_map(Labels{{"x", "("}}, MatchOp::Regex, why).has_value());
    CHECK_FALSE(matchers_from_map(Labels{{"bad-name", "x"}}, MatchOp::Equal, why).has_value());
}

TEST_CASE("matchers in YAML come as a map or a list with positions for mistakes", "[matcher]") {
    Diagnostics diags;
    yaml::Reader reader("silences.yaml", "/", diags, nullptr);
    const auto root = reader.load(R"(as_map: {team: growth, env: prod}
as_list: ['team="growth"', 'severity=~"warn|crit"']
broken: ['team', 'x=~"("']
)");
    REQUIRE(root.has_value());
    const auto fields = reader.fields(*root, SourceLoc{"silences.yaml", 1, 1}, "");
    REQUIRE(fields.has_value());
    REQUIRE(fields->size() == 3);
    const auto as_map = parse_matchers(reader, (*fields)[0], "silence > matchers");
    REQUIRE(as_map.has_value());
    CHECK(matches_all(*as_map, Labels{{"team", "growth"}, {"env", "prod"}}));
    const auto as_list = parse_matchers(reader, (*fields)[1], "silence > matchers");
    REQUIRE(as_list.has_value());
    REQUIRE(as_list->size() == 2);
    CHECK((*as_list)[1].op == MatchOp::Regex);
    CHECK_FALSE(diags.has_errors());

    CHECK_FALSE(parse_matchers(reader, (*fields)[2], "silence > matchers").has_value());
    CHECK(diags.error_count() == 2);
    require_diag(diags,
                 "silences.yaml:3:10: error: silence > matchers: 'team' is not a label matcher");
    require_diag(diags,
                 "silences.yaml:3:18: error: silence > matchers: '(' is not a valid regular "
                 "expression");
}

TEST_CASE("routes use the shared matchers", "[matcher]") {
    const Router::Matcher m = Matcher::compile(LabelMatcher{"team", MatchOp::Regex, "gro.*", {}});
    CHECK(Router::matches(m, Labels{{"team", "growth"}}));
    CHECK_FALSE(Router::matches(m, Labels{{"team", "ops"}}));
    // A pattern the loader would have refused never holds (=~) or always holds (!~).
    const Matcher bad_re = Matcher::compile(LabelMatcher{"team", MatchOp::Regex, "(", {}});
    CHECK_FALSE(bad_re.matches(Labels{{"team", "("}}));
    const Matcher bad_nre = Matcher::compile(LabelMatcher{"team", MatchOp::NotRegex, "(", {}});
    CHECK(bad_nre.matches(Labels{{"team", "("}}));
}
