#include "engine/yaml_node.hpp"
#include "engine/yaml_util.hpp"
#include "support/yaml_compare.hpp"

#include <catch2/catch.hpp>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

// The fast parser must build exactly yaml-cpp's tree (types, texts, quoting, positions, order)
// for whatever it accepts, and give up on what it does not know.
namespace {
namespace yaml = tocsin::engine::yaml;
namespace fs = std::filesystem;

/// Whether the fast parser accepted `text`; when it did, its tree must be yaml-cpp's.
bool accepted_and_same(const std::string& text) {
    const auto fast = yaml::parse_fast(text);
    if (!fast) {
        return false;
    }
    const auto slow = yaml::from_yaml_cpp(YAML::Load(text));
    INFO(text);
    CHECK(tocsin::testing::yaml_difference(*fast, slow) == "");
    return true;
}

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

TEST_CASE("the fast YAML parser reads the common forms as yaml-cpp does", "[yaml]") {
    const std::vector<std::string> texts{
        "",
        "# only a comment\n",
        "a: 1\n",
        "a: 1",
        "a: 1\nb: two words\nc: 'single ''quoted'''\nd: \"double \\\"q\\\" \\\\ \\n\"\n",
        "a:\n  b:\n    c: x\n  d: y\ne: z\n",
        "a: x # comment\nb: 'y' # comment\n# between\nc: [1, 2] # c\n",
        "a:\nb: ~\nc: null\nd: Null\ne: NULL\nf: ''\ng: \"\"\n",
        "list:\n  - a\n  - 'b'\n  -\n  - c: 1\n    d: 2\n  - [x, y]\n  - {k: v}\n",
        "list:\n- a\n- b\nafter: 1\n",
        "kpis:\n  k0: { source: kpis, match: 'kpi_value{kpi=\"k0\"}' }\n"
        "rules:\n  - { alert: A, kpi: k0, above: { critical: 0.9, warning: -1.5 } }\n",
        "a: {}\nb: []\nc: { x: [], y: {} }\nd: [ [1, 2], {a: b} ]\n",
        "url: http://example.com:8080/x?y=1#frag\ntime: 12:30\nkey with spaces: v\n",
        "a: x,y [z] {w}\nb: -5\nc: -x\nd: :x\ne: ?x\n",
        "lua: |\n  if value > 1 then\n    return 'critical'\n  end\nnext: 1\n",
        "lua: |-\n  x\n\n  y\n\n\nnext: 1\n",
        "lua: |+\n  x\n\n\nnext: 1\n",
        "items:\n  - |\n    text\n  - b\n",
        "lua: |  # a comment\n      deep\n    # not a comment: text\nn: 1\n",
        "  indented: root\n  second: 2\n",
        "- a\n- b: c\n  d: e\n-\n  f: g\n",
        "'quoted key': 1\n\"other\": 2\n",
        "a:\n  - x\n  -   y\n  -    \n    z: 1\n",
        "a:    spaced    \nb:\t\n",
        "a: 1\nb:\n",
        "a:\n  - x\n  -\n",
        "a: 1\nb:\n# end\n\n",
        "steps:\n  - after: 10m\n    notify: [ops, 'on-call']\n    severity: critical\n",
        "a: 'it''s'\nb: \"tab\\tx\"\n",
        "deep:\n    a:\n          b: 1\n    c: 2\n",
        "a: b:c\nd: e#f\n",
        "x: [a , b ,c]\ny: { a : b }\n",
        "caf\xc3\xa9: { x: \xc3\xa9\xc3\xa9, y: '\xe2\x82\xac' }\nb: \xf0\x9f\x94\xa5 # \xc3\xa9\n",
    };
    for (const auto& text : texts) {
        INFO(text);
        const bool tab = text.find('\t') != std::string::npos;
        CHECK(accepted_and_same(text) != tab);
    }
}

TEST_CASE("the fast YAML parser leaves other forms and every error to yaml-cpp", "[yaml]") {
    const std::vector<std::string> texts{
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "%YAML 1.2\n---\na: 1\n",
        "---\na: 1\n",
        "a: 1\n...\n",
        "? a\n: 1\n",
        "a: >\n  folded\n",
        "a: |2\n   x\n",
        "a: two\n  lines\n",
        "a: \"two\n  lines\"\n",
        "a: [1,\n  2]\n",
        "a:\tb\n",
        "a: caf\xc3\n",
        "a: \xef\xbb\xbfx\n",
        "a: x\xe2\x80\xa8y\n",
        "a: \xc0\xafx\n",
        "a: b: c\n",
        "a: 1\n b: 2\n",
        "a: [1, 2\n",
        "a: [g?rowth]\n",  // found by the yaml fuzz target: yaml-cpp refuses it
        "a: {b: 1, }\n",
        "a: 'unterminated\n",
        "- - a\n",
        "just a scalar\n",
        "a: \"\\x41\"\n",
        "a: 1\r\nb: 2\r\n",
        "a:\n  - x\n  b: 1\n",
        "a: |\n  no final line break",
        "a: 1\nb:",
    };
    for (const auto& text : texts) {
        INFO(text);
        CHECK_FALSE(yaml::parse_fast(text).has_value());
    }
}

TEST_CASE("the fast YAML parser reads the shipped and documented files as yaml-cpp does",
          "[yaml]") {
    int files = 0;
    int accepted = 0;
    const auto check = [&](const std::string& text) {
        ++files;
        accepted += accepted_and_same(text) ? 1 : 0;
    };
    for (const char* dir : {"rules", "config", "packaging", "tests", "docs", "bench"}) {
        const fs::path root = fs::path(TOCSIN_SOURCE_DIR) / dir;
        if (!fs::exists(root)) {
            continue;
        }
        for (const auto& entry : fs::recursive_directory_iterator(root)) {
            const auto ext = entry.path().extension();
            if (!entry.is_regular_file()) {
                continue;
            }
            if (ext == ".yaml" || ext == ".yml") {
                check(read(entry.path()));
            } else if (ext == ".md") {
                // Every ```yaml block of the guides.
                std::istringstream in(read(entry.path()));
                std::string line;
                std::string block;
                bool inside = false;
                while (std::getline(in, line)) {
                    if (!inside && line.rfind("```yaml", 0) == 0) {
                        inside = true;
                        block.clear();
                    } else if (inside && line.rfind("```", 0) == 0) {
                        inside = false;
                        check(block);
                    } else if (inside) {
                        block += line + "\n";
                    }
                }
            }
        }
    }
    INFO(accepted << " of " << files << " files accepted");
    CHECK(files > 20);
    CHECK(accepted * 2 > files);  // most real files keep to the subset
}

TEST_CASE("aliases that expand without end are refused, not copied", "[yaml]") {
    // Ten levels of ten aliases each: 10^10 values once written out.
    std::string text = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i <= 10; ++i) {
        const std::string prev = "*l" + std::to_string(i - 1);
        text += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
        for (int j = 0; j < 10; ++j) {
            text += (j == 0 ? "" : ", ") + prev;
        }
        text += "]\n";
    }
    CHECK_FALSE(yaml::parse_fast(text).has_value());
    CHECK_THROWS_AS(yaml::from_yaml_cpp(YAML::Load(text)), yaml::TooLarge);
    tocsin::engine::Diagnostics diags;
    yaml::Reader reader("aliases.yaml", "/", diags, nullptr);
    CHECK_FALSE(reader.load(text).has_value());
    REQUIRE(diags.error_count() == 1);
    CHECK_THAT(diags.all()[0].message, Catch::StartsWith("invalid YAML: its aliases expand"));
    // A few aliases are copied out as values.
    const auto small = yaml::from_yaml_cpp(YAML::Load("a: &v [1, 2]\nb: *v\n"));
    CHECK(small["b"].size() == 2);
    CHECK(small["b"][1].Scalar() == "2");
}

TEST_CASE("the fast YAML parser reads a large generated rule file as yaml-cpp does", "[yaml]") {
    std::string text = "kpis:\n";
    for (int i = 0; i < 300; ++i) {
        text += "  k" + std::to_string(i) + ": { source: kpis, match: 'kpi_value{kpi=\"k" +
                std::to_string(i) + "\"}' }\n";
    }
    text += "rules:\n";
    for (int i = 0; i < 300; ++i) {
        text += "  - alert: High" + std::to_string(i) + "\n    kpi: k" + std::to_string(i) +
                "\n    above: { critical: 0.9 }\n    labels:\n      team: t" +
                std::to_string(i % 7) + "\n    summary: '{{ value | pct }} is high'\n";
    }
    CHECK(accepted_and_same(text));
}
