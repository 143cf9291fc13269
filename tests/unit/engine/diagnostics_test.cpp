#include "engine/diagnostics.hpp"

#include <catch2/catch.hpp>

using namespace tocsin::engine;

TEST_CASE("diagnostics render the source line with a caret under the column", "[diagnostics]") {
    Diagnostics diags;
    diags.sources().add("rules/a.yaml", "rules:\n  - alert: X\n    for: soon\n");
    diags.error(
        {"rules/a.yaml", 3, 10}, "rule 'X' > for", "'soon' is not a duration; use e.g. 30s or 2m");
    CHECK(diags.render(false) ==
          "rules/a.yaml:3:10: error: rule 'X' > for: 'soon' is not a duration; use e.g. 30s or 2m\n"
          "        for: soon\n"
          "             ^\n");
}

TEST_CASE("diagnostics keep tabs so the caret lines up", "[diagnostics]") {
    Diagnostics diags;
    diags.sources().add("f.yaml", "\tkey: x\r\n");
    diags.error({"f.yaml", 1, 7}, "", "bad");
    CHECK(diags.render(false) == "f.yaml:1:7: error: bad\n    \tkey: x\n    \t     ^\n");
}

TEST_CASE("diagnostics are sorted by file and line", "[diagnostics]") {
    Diagnostics diags;
    diags.error({"b.yaml", 1, 1}, "p", "third");
    diags.warning({"a.yaml", 9, 1}, "p", "second");
    diags.error({"a.yaml", 2, 4}, "p", "first");
    const std::string out = diags.render(false);
    const auto first = out.find("first");
    const auto second = out.find("second");
    const auto third = out.find("third");
    CHECK(first < second);
    CHECK(second < third);
    CHECK(out.find("a.yaml:9:1: warning: p: second") != std::string::npos);
}

TEST_CASE("diagnostics without a position name the file or tocsin", "[diagnostics]") {
    Diagnostics diags;
    diags.error({"tocsin.yaml", 0, 0}, "", "cannot read the file: No such file or directory");
    diags.error({}, "", "no config");
    const std::string out = diags.render(false);
    CHECK(out.find("tocsin.yaml: error: cannot read the file") != std::string::npos);
    CHECK(out.find("tocsin: error: no config") != std::string::npos);
}

TEST_CASE("diagnostics summary counts errors and warnings with the right plural", "[diagnostics]") {
    Diagnostics diags;
    SECTION("several of each") {
        for (int i = 0; i < 3; ++i) {
            diags.error({"a", i + 1, 1}, "", "e");
        }
        diags.warning({"a", 5, 1}, "", "w");
        CHECK(diags.error_count() == 3);
        CHECK(diags.warning_count() == 1);
        const std::string out = diags.render();
        CHECK(out.substr(out.rfind("tocsin:")) ==
              "tocsin: 3 errors, 1 warning; configuration not applied. Fix them, then run 'tocsin "
              "check'.\n");
    }
    SECTION("one error") {
        diags.error({"a", 1, 1}, "", "e");
        const std::string out = diags.render();
        CHECK(out.substr(out.rfind("tocsin:")) ==
              "tocsin: 1 error; configuration not applied. Fix it, then run 'tocsin check'.\n");
    }
    SECTION("warnings only") {
        diags.warning({"a", 1, 1}, "", "w");
        diags.warning({"a", 2, 1}, "", "w");
        CHECK_FALSE(diags.has_errors());
        const std::string out = diags.render();
        CHECK(out.substr(out.rfind("tocsin:")) == "tocsin: 2 warnings, no errors.\n");
    }
    SECTION("nothing") {
        CHECK(diags.render().empty());
    }
}

TEST_CASE("diagnostics render as json", "[diagnostics]") {
    Diagnostics diags;
    diags.error({"a.yaml", 2, 3}, "rule 'X'", "say \"hi\"\n");
    diags.warning({"a.yaml", 1, 1}, "", "w");
    CHECK(
        diags.render_json() ==
        R"([{"file":"a.yaml","line":1,"col":1,"severity":"warning","path":"","message":"w"},)"
        R"({"file":"a.yaml","line":2,"col":3,"severity":"error","path":"rule 'X'","message":"say \"hi\"\n"}])");
    CHECK(Diagnostics{}.render_json() == "[]");
}

TEST_CASE("appending diagnostics keeps counts and source lines", "[diagnostics]") {
    Diagnostics a;
    Diagnostics b;
    b.sources().add("b.yaml", "x: 1\n");
    b.error({"b.yaml", 1, 4}, "x", "bad");
    b.warning({"b.yaml", 1, 1}, "", "w");
    a.append(b);
    CHECK(a.error_count() == 1);
    CHECK(a.warning_count() == 1);
    CHECK(a.render(false).find("    x: 1\n       ^\n") != std::string::npos);
}

TEST_CASE("closest match suggests only close candidates", "[diagnostics]") {
    const std::vector<std::string> keys{"webhook", "channel", "timeout"};
    CHECK(closest_match("webhok", keys) == "webhook");
    CHECK(closest_match("timout", keys) == "timeout");
    CHECK(closest_match("chanenl", keys) == "channel");  // a swap counts as one edit
    CHECK(closest_match("colour", keys).empty());
    CHECK(closest_match("x", {"y"}) == "y");
    CHECK(closest_match("x", {}).empty());
    CHECK(closest_match("kpis", {"kpis", "rules"}) == "kpis");
}
