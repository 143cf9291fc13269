#include "csv.hpp"

#include <catch2/catch.hpp>

namespace fl = tocsin::plugins::file;

TEST_CASE("csv reads a header and records with quoted fields", "[file][csv]") {
    fl::CsvTable t;
    const auto error = fl::parse_csv(
        "\xEF\xBB\xBFkpi, value ,note\r\n"
        "signups,12,\"a, b\"\r\n"
        "\n"
        "churn,0.5,\"say \"\"hi\"\"\nand more\"\n"
        "mrr,7,",
        ',',
        t);
    REQUIRE_FALSE(error);
    CHECK(t.header == std::vector<std::string>{"kpi", "value", "note"});
    REQUIRE(t.rows.size() == 3);
    CHECK(t.rows[0] == std::vector<std::string>{"signups", "12", "a, b"});
    CHECK(t.rows[1][2] == "say \"hi\"\nand more");
    CHECK(t.rows[2] == std::vector<std::string>{"mrr", "7", ""});
    CHECK(t.lines == std::vector<std::size_t>{2, 4, 6});
    CHECK(t.column("value") == 1);
    CHECK_FALSE(t.column("Value"));
}

TEST_CASE("csv reports the line of a short record, as a half-written file has", "[file][csv]") {
    fl::CsvTable t;
    CHECK(fl::parse_csv("kpi,value,team\na,1,x\nb,2", ',', t) ==
          "line 3: expected 3 fields, found 2");
}

TEST_CASE("csv reports an unclosed quote and text after a quote", "[file][csv]") {
    fl::CsvTable t;
    CHECK(fl::parse_csv("a,b\n1,\"open\n", ',', t) == "line 2: a quoted field is not closed");
    fl::CsvTable u;
    CHECK(fl::parse_csv("a,b\n1,\"x\"y\n", ',', u) == "line 2: text after a closing quote");
    fl::CsvTable v;
    CHECK(fl::parse_csv("", ',', v) == "the file is empty; it needs a header row");
    fl::CsvTable w;
    CHECK(fl::parse_csv("a,,b\n", ',', w) == "line 1: the header has an empty column name");
}

TEST_CASE("csv takes another delimiter", "[file][csv]") {
    fl::CsvTable t;
    REQUIRE_FALSE(fl::parse_csv("day;signups\n2026-01-05;12,5\n", ';', t));
    CHECK(t.rows[0] == std::vector<std::string>{"2026-01-05", "12,5"});
}
