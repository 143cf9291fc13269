#include "engine/template.hpp"

#include "engine/alert.hpp"

#include <catch2/catch.hpp>

using namespace tocsin::engine;

namespace {

const SourceLoc kLoc{"rules/a.yaml", 7, 14};

Template parse_ok(const std::string& text) {
    Diagnostics diags;
    Template t = Template::parse(text, kLoc, "rule 'X' > summary", diags);
    INFO(diags.render(false));
    REQUIRE_FALSE(diags.has_errors());
    return t;
}

std::string render(const std::string& text, const TemplateContext& ctx) {
    return parse_ok(text).render(ctx);
}

TemplateContext context(Unit unit, double value) {
    TemplateContext ctx;
    ctx.alert = "ActivationRateLow";
    ctx.kpi = "activation_rate";
    ctx.unit = unit;
    ctx.value = value;
    return ctx;
}

// Parses a broken template and returns its only diagnostic.
Diagnostic parse_error(const std::string& text, SourceLoc loc = kLoc) {
    Diagnostics diags;
    const Template t = Template::parse(text, loc, "rule 'X' > summary", diags);
    REQUIRE(diags.error_count() == 1);
    CHECK(t.empty());
    return diags.all().front();
}

}  // namespace

TEST_CASE("template keeps literal text", "[template]") {
    const Template t = parse_ok("disk is full");
    CHECK(t.source() == "disk is full");
    CHECK(t.render(context(Unit::None, 1)) == "disk is full");
    CHECK(Template{}.empty());
    CHECK(parse_ok("").empty());
    CHECK(render("a { b } c", context(Unit::None, 1)) == "a { b } c");
}

TEST_CASE("template num trims to at most four decimals", "[template]") {
    auto ctx = context(Unit::None, 0.25);
    CHECK(render("{{ num(value) }}", ctx) == "0.25");
    ctx.value = 1234.5;
    CHECK(render("{{num(value)}}", ctx) == "1234.5");
    ctx.value = 3;
    CHECK(render("{{ num( value ) }}", ctx) == "3");
    ctx.value = 0.123456;
    CHECK(render("{{ num(value) }}", ctx) == "0.1235");
    ctx.value = -0.00001;
    CHECK(render("{{ num(value) }}", ctx) == "0");
    ctx.value = -2.5;
    CHECK(render("{{ value }}", ctx) == "-2.5");
}

TEST_CASE("template pct shows a ratio as a percentage with one decimal", "[template]") {
    auto ctx = context(Unit::None, 0.25);
    ctx.threshold = 0.3;
    ctx.target = 0.4;
    CHECK(render("{{ pct(value) }} < {{ pct(threshold) }} (target {{ pct(target) }})", ctx) ==
          "25.0% < 30.0% (target 40.0%)");
    ctx.value = 0.12345;
    CHECK(render("{{ pct(value) }}", ctx) == "12.3%");
}

TEST_CASE("template dur shows seconds as a duration", "[template]") {
    auto ctx = context(Unit::None, 5400);
    CHECK(render("{{ dur(value) }}", ctx) == "1h30m");
    ctx.value = 1.5;
    CHECK(render("{{ dur(value) }}", ctx) == "1s500ms");
    ctx.value = 0;
    CHECK(render("{{ dur(value) }}", ctx) == "0s");
}

TEST_CASE("template formats bare numbers by the kpi unit", "[template]") {
    SECTION("percent") {
        CHECK(render("{{ value }}", context(Unit::Percent, 0.314)) == "31.4%");
    }
    SECTION("money") {
        CHECK(render("{{ value }}", context(Unit::Money, 1234.5)) == "1,234.50");
        CHECK(render("{{ value }}", context(Unit::Money, 1234567.891)) == "1,234,567.89");
        CHECK(render("{{ value }}", context(Unit::Money, 12)) == "12.00");
        CHECK(render("{{ value }}", context(Unit::Money, -999.999)) == "-1,000.00");
        CHECK(render("{{ value }}", context(Unit::Money, 100)) == "100.00");
    }
    SECTION("seconds") {
        CHECK(render("{{ value }}", context(Unit::Seconds, 90)) == "1m30s");
    }
    SECTION("ratio, count and none") {
        CHECK(render("{{ value }}", context(Unit::Ratio, 0.5)) == "0.5");
        CHECK(render("{{ value }}", context(Unit::Count, 42)) == "42");
        CHECK(render("{{ value }}", context(Unit::None, 1.23456)) == "1.2346");
    }
    SECTION("helpers override the unit") {
        CHECK(render("{{ num(value) }}", context(Unit::Percent, 0.5)) == "0.5");
    }
}

TEST_CASE("template renders names, labels and missing values", "[template]") {
    Labels labels{{"team", "growth"}};
    auto ctx = context(Unit::Percent, 0.2);
    ctx.severity = Severity::Critical;
    ctx.since = from_unix_ms(1767607200000);
    ctx.labels = &labels;
    CHECK(
        render("{{ alert }} on {{ kpi }} is {{ severity }} since {{ since }} for {{ labels.team }}",
               ctx) ==
        "ActivationRateLow on activation_rate is critical since 2026-01-05T10:00:00Z for growth");
    CHECK(render("[{{ labels.missing }}][{{ threshold }}][{{ target }}][{{ pct(target) }}]", ctx) ==
          "[][][][]");
    CHECK(render("{{ unit }}", ctx) == "percent");
    ctx.labels = nullptr;
    CHECK(render("[{{ labels.team }}]", ctx) == "[]");
}

TEST_CASE("template reports an unknown name at its column", "[template]") {
    const Diagnostic d = parse_error("Rate {{ valeu }} low");
    CHECK(d.loc.file == "rules/a.yaml");
    CHECK(d.loc.line == 7);
    CHECK(d.loc.col == 14 + 8);
    CHECK(d.path == "rule 'X' > summary");
    CHECK(d.message.find("unknown name 'valeu' (did you mean 'value'?)") == 0);
    CHECK(d.message.find("allowed: value, threshold") != std::string::npos);
}

TEST_CASE("template reports an unknown helper at its column", "[template]") {
    const Diagnostic d = parse_error("{{ pcnt(value) }}");
    CHECK(d.loc.col == 14 + 3);
    CHECK(d.message == "unknown helper 'pcnt' (did you mean 'pct'?); allowed: pct, num, dur");
}

TEST_CASE("template reports a helper applied to a non-number", "[template]") {
    const Diagnostic d = parse_error("{{ pct(severity) }}");
    CHECK(d.loc.col == 14 + 7);
    CHECK(d.message == "pct() takes value, threshold or target, not 'severity'");
}

TEST_CASE("template reports unbalanced braces", "[template]") {
    SECTION("unclosed") {
        const Diagnostic d = parse_error("ok {{ value ");
        CHECK(d.loc.col == 14 + 3);
        CHECK(d.message == "'{{' is not closed; end the expression with '}}'");
    }
    SECTION("stray close") {
        const Diagnostic d = parse_error("ok value }} x");
        CHECK(d.loc.col == 14 + 9);
        CHECK(d.message.find("'}}' without '{{'") == 0);
    }
}

TEST_CASE("template reports empty and unreadable expressions", "[template]") {
    SECTION("empty") {
        const Diagnostic d = parse_error("a {{  }}");
        CHECK(d.loc.col == 14 + 2);
        CHECK(d.message.find("empty expression") == 0);
    }
    SECTION("Lua syntax") {
        const Diagnostic d = parse_error("{{ value + }}");
        CHECK(d.loc.col == 14 + 2 + 8);  // just after the dangling '+'
        CHECK(d.message.find("Lua: unexpected symbol near <eof>") == 0);
    }
    SECTION("labels without a name") {
        const Diagnostic d = parse_error("{{ labels }}");
        CHECK(d.message == "'labels' needs a label name; write e.g. labels.team");
    }
}

TEST_CASE("template positions count lines in multi-line text", "[template]") {
    const Diagnostic d =
        parse_error("first line\n  second {{ nope }}\n", SourceLoc{"r.yaml", 4, 5});
    CHECK(d.loc.line == 5);
    CHECK(d.loc.col == 5 + 12);
}

TEST_CASE("template reports every broken expression", "[template]") {
    Diagnostics diags;
    (void)Template::parse("{{ a }} {{ b }} {{ value }}", kLoc, "p", diags);
    CHECK(diags.error_count() == 2);
}
