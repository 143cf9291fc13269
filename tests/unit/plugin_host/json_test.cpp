#include "tocsin/sdk/json.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

using tocsin::sdk::Json;
using tocsin::sdk::JsonError;

TEST_CASE("json parse and dump round trip keeps values and key order", "[json]") {
    const std::string text =
        R"({"z":1,"a":[true,false,null,-2,0.5,"s"],"m":{"y":{},"x":[]},"e":"","n":-0.25})";
    const Json v = Json::parse(text);
    CHECK(v.dump() == text);
    CHECK(Json::parse(v.dump()) == v);
    REQUIRE(v.is_object());
    CHECK(v.as_object().front().first == "z");
    CHECK(v.at("a").as_array().size() == 6);
    CHECK(v.at("m").at("y").is_object());
    CHECK(v.at("n").as_number() == -0.25);
}

TEST_CASE("json parse accepts whitespace around and inside values", "[json]") {
    const Json v = Json::parse(" \t\r\n{ \"a\" : [ 1 , 2 ] }\n ");
    CHECK(v.dump() == R"({"a":[1,2]})");
}

TEST_CASE("json numbers print integers without a fraction and others round-trip", "[json]") {
    CHECK(Json(1).dump() == "1");
    CHECK(Json(-3.0).dump() == "-3");
    CHECK(Json(0.1).dump() == "0.1");
    CHECK(Json(2.5).dump() == "2.5");
    CHECK(Json(1e300).dump() == "1e+300");
    CHECK(Json(std::int64_t{1} << 40).dump() == "1099511627776");
    CHECK(Json(std::numeric_limits<double>::quiet_NaN()).dump() == "null");
    CHECK(Json(std::numeric_limits<double>::infinity()).dump() == "null");
    for (const double d : {1.0 / 3.0, 123456.789, 1e-7, 5e-324, 1.7976931348623157e308, -0.1}) {
        CHECK(Json::parse(Json(d).dump()).as_number() == d);
    }
    CHECK(Json::parse("1E2").as_number() == 100);
    CHECK(Json::parse("-0").as_number() == 0);
    CHECK(Json::parse("1e-400").as_number() == 0);  // underflow rounds to zero
}

TEST_CASE("json strings escape control characters and pass UTF-8 through", "[json]") {
    CHECK(Json(std::string("a\x01\n\t\"\\b")).dump() == R"("a\u0001\n\t\"\\b")");
    CHECK(Json(std::string("\x1f")).dump() == R"("\u001f")");
    CHECK(Json("caf\xc3\xa9 \xf0\x9f\x98\x80").dump() == "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
    CHECK(Json::parse(R"("\u00e9\ud83d\ude00\/\b\f\r")").as_string() ==
          "\xc3\xa9\xf0\x9f\x98\x80/\b\f\r");
    CHECK(Json::parse("\"\xe2\x82\xac\"").as_string() == "\xe2\x82\xac");
    const Json back = Json::parse(Json(std::string("x\x7f\x02y")).dump());
    CHECK(back.as_string() == std::string("x\x7f\x02y"));
}

TEST_CASE("json parse rejects bad input with a message and an offset", "[json]") {
    struct Case {
        std::string text;
        std::size_t offset;
        std::string message;
    };
    const Case cases[] = {
        {"", 0, "unexpected end of input"},
        {"   ", 3, "unexpected end of input"},
        {"[1,]", 3, "unexpected character ']'"},
        {R"({"a" 1})", 5, "expected ':'"},
        {R"({"a":1,})", 7, "expected a string key"},
        {"[1 2]", 3, "expected ',' or ']'"},
        {"01", 1, "unexpected text after the JSON value"},
        {"[] x", 3, "unexpected text after the JSON value"},
        {"tru", 0, "invalid literal"},
        {"nul", 0, "invalid literal"},
        {"+1", 0, "unexpected character '+'"},
        {".5", 0, "unexpected character '.'"},
        {"1.", 2, "expected a digit after '.'"},
        {"1e", 2, "expected a digit in the exponent"},
        {"-", 1, "expected a digit"},
        {"1e400", 0, "number out of range"},
        {"NaN", 0, "unexpected character 'N'"},
        {"\"abc", 4, "unexpected end of input in string"},
        {R"("\x")", 2, "invalid escape"},
        {R"("\u12g4")", 5, "invalid hex digit"},
        {R"("\ud800")", 1, "unpaired surrogate"},
        {R"("\udc00")", 1, "unpaired surrogate"},
        {"\"a\x01\"", 2, "control character in string"},
        {"\"\xff\"", 1, "invalid UTF-8"},
        {"\"\xc0\xaf\"", 1, "invalid UTF-8"},      // overlong '/'
        {"\"\xed\xa0\x80\"", 1, "invalid UTF-8"},  // encoded surrogate
        {"\"\xe2\x82\"", 1, "invalid UTF-8"},      // truncated sequence
        {"{\"a\":[1,{\"b\":}]}", 13, "unexpected character '}'"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        try {
            (void)Json::parse(c.text);
            FAIL("parsed bad JSON");
        } catch (const JsonError& e) {
            CHECK_THAT(e.what(), Catch::Contains(c.message));
            CHECK(e.offset() == c.offset);
        }
    }
}

TEST_CASE("json nesting is limited to 64 levels", "[json]") {
    const auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
    CHECK(Json::parse(nested(64)).is_array());
    CHECK_THROWS_WITH(Json::parse(nested(65)), Catch::Contains("nesting deeper than 64 levels"));
    std::string objects;
    for (int i = 0; i < 65; ++i) {
        objects += "{\"k\":";
    }
    objects += "1" + std::string(65, '}');
    CHECK_THROWS_WITH(Json::parse(objects), Catch::Contains("nesting deeper than 64 levels"));
    CHECK_THROWS_AS(Json::parse(std::string(100000, '[')), JsonError);  // no stack overflow
}

TEST_CASE("json repeated keys keep their first position and last value", "[json]") {
    const Json v = Json::parse(R"({"a":1,"b":2,"a":3})");
    CHECK(v.dump() == R"({"a":3,"b":2})");
}

TEST_CASE("json try_parse reports the error and offset without throwing", "[json]") {
    Json out;
    std::string error;
    std::size_t offset = 99;
    CHECK_FALSE(Json::try_parse("[1,,2]", out, &error, &offset));
    CHECK_THAT(error, Catch::Contains("unexpected character ','"));
    CHECK(offset == 3);
    CHECK(Json::try_parse("[1,2]", out));
    CHECK(out.size() == 2);
}

TEST_CASE("json accessors on the wrong type throw JsonError naming both types", "[json]") {
    const Json v = Json::parse(R"({"s":"x","n":1.5})");
    CHECK_THROWS_WITH(v.at("s").as_number(), "expected a number, found a string");
    CHECK_THROWS_WITH(v.at("n").as_int(), "expected an integer, found a number");
    CHECK_THROWS_WITH(v.at("missing"), "missing key 'missing'");
    CHECK(v.find("missing") == nullptr);
    CHECK(v.at("n").is_number());
    CHECK_FALSE(v.at("n").is_integer());
}

TEST_CASE("json values can be built and edited in code", "[json]") {
    Json v;
    v["b"] = 1;
    v["a"] = Json::array({"x", 2, true, nullptr});
    v.set("b", "replaced");
    v["c"].push_back(Json::object());
    CHECK(v.dump() == R"({"b":"replaced","a":["x",2,true,null],"c":[{}]})");
    CHECK(v.contains("a"));
    CHECK(v.size() == 3);
}

TEST_CASE("json const access reads missing keys as null and checks array bounds", "[json]") {
    const Json v = Json::parse(R"({"a":[10,20],"s":"x"})");
    CHECK(v["a"].at(1).as_int() == 20);
    CHECK(v["missing"].is_null());
    CHECK(v["s"]["deeper"].is_null());
    CHECK_THROWS_WITH(v["a"].at(2), "index 2 is out of range (size 2)");
    CHECK_THROWS_WITH(v["s"].at(0), "expected an array, found a string");
}
