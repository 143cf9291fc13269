#pragma once

/// A small, std-only JSON value for plugins and the host: null, bool, number (double), string,
/// array and object (keys keep their insertion order). Config, per-KPI parameters and
/// notifications cross the plugin ABI as JSON text; this is how both sides read and write it.
///
/// parse() follows RFC 8259 strictly (UTF-8 input, no comments, no trailing commas, nothing after
/// the value), limits nesting to 64 levels and reports the byte offset of the first problem.
/// dump() writes compact JSON: control characters escaped, other UTF-8 passed through, integral
/// numbers without a fraction, other numbers in their shortest round-trip form.
/// Errors: accessors on the wrong type throw JsonError (the SDK's export layer turns exceptions
/// into a failed status, so a plugin need not check every access).

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace tocsin::sdk {

/// Wrong-type access or bad JSON text. For parse errors, offset() is the byte offset in the input.
class JsonError : public std::runtime_error {
public:
    explicit JsonError(const std::string& message, std::size_t offset = 0)
        : std::runtime_error(message), offset_(offset) {}
    [[nodiscard]] std::size_t offset() const noexcept { return offset_; }

private:
    std::size_t offset_;
};

class Json;
using JsonArray = std::vector<Json>;
using JsonMember = std::pair<std::string, Json>;
using JsonObject = std::vector<JsonMember>;

class Json {
public:
    enum class Type { Null, Bool, Number, String, Array, Object };
    static constexpr int kMaxDepth = 64;

    Json() = default;
    Json(std::nullptr_t) {}  // NOLINT(google-explicit-constructor): JSON literals read naturally
    Json(bool b) : value_(b) {}    // NOLINT
    Json(double d) : value_(d) {}  // NOLINT
    template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
    Json(T n) : value_(static_cast<double>(n)) {}         // NOLINT
    Json(const char* s) : value_(std::string(s)) {}       // NOLINT
    Json(std::string s) : value_(std::move(s)) {}         // NOLINT
    Json(std::string_view s) : value_(std::string(s)) {}  // NOLINT
    Json(JsonArray a) : value_(std::move(a)) {}           // NOLINT
    Json(JsonObject o) : value_(std::move(o)) {}          // NOLINT

    static Json array(std::initializer_list<Json> items = {}) { return Json(JsonArray(items)); }
    static Json object() { return Json(JsonObject{}); }

    /// Parses one JSON text; throws JsonError with the byte offset of the first problem.
    static Json parse(std::string_view text);
    /// The same without exceptions: false on bad input, with `error` and `offset` filled when
    /// given.
    static bool try_parse(std::string_view text,
                          Json& out,
                          std::string* error = nullptr,
                          std::size_t* offset = nullptr) noexcept;

    /// Compact JSON text. Non-finite numbers are written as null (JSON has no NaN).
    [[nodiscard]] std::string dump() const;

    [[nodiscard]] Type type() const noexcept { return static_cast<Type>(value_.index()); }
    [[nodiscard]] bool is_null() const noexcept { return type() == Type::Null; }
    [[nodiscard]] bool is_bool() const noexcept { return type() == Type::Bool; }
    [[nodiscard]] bool is_number() const noexcept { return type() == Type::Number; }
    [[nodiscard]] bool is_string() const noexcept { return type() == Type::String; }
    [[nodiscard]] bool is_array() const noexcept { return type() == Type::Array; }
    [[nodiscard]] bool is_object() const noexcept { return type() == Type::Object; }
    /// A number with no fraction that fits an int64.
    [[nodiscard]] bool is_integer() const noexcept {
        if (!is_number()) {
            return false;
        }
        const double d = std::get<double>(value_);
        return std::isfinite(d) && std::trunc(d) == d && d >= -9223372036854775808.0 &&
               d < 9223372036854775808.0;
    }

    [[nodiscard]] bool as_bool() const { return get<bool>("a bool"); }
    [[nodiscard]] double as_number() const { return get<double>("a number"); }
    [[nodiscard]] std::int64_t as_int() const {
        if (!is_integer()) {
            throw JsonError("expected an integer, found " + describe());
        }
        return static_cast<std::int64_t>(std::get<double>(value_));
    }
    [[nodiscard]] const std::string& as_string() const { return get<std::string>("a string"); }
    [[nodiscard]] const JsonArray& as_array() const { return get<JsonArray>("an array"); }
    [[nodiscard]] const JsonObject& as_object() const { return get<JsonObject>("an object"); }
    [[nodiscard]] JsonArray& as_array() { return get_mut<JsonArray>("an array"); }
    [[nodiscard]] JsonObject& as_object() { return get_mut<JsonObject>("an object"); }

    /// Object member by key, or nullptr (also when this is not an object).
    [[nodiscard]] const Json* find(std::string_view key) const noexcept {
        if (const auto* o = std::get_if<JsonObject>(&value_)) {
            for (const auto& [k, v] : *o) {
                if (k == key) {
                    return &v;
                }
            }
        }
        return nullptr;
    }
    [[nodiscard]] Json* find(std::string_view key) noexcept {
        return const_cast<Json*>(std::as_const(*this).find(key));
    }
    [[nodiscard]] bool contains(std::string_view key) const noexcept {
        return find(key) != nullptr;
    }

    /// Object member by key; a null value becomes an empty object and a missing key is appended.
    Json& operator[](std::string_view key) {
        if (is_null()) {
            value_ = JsonObject{};
        }
        if (Json* existing = find(key)) {
            return *existing;
        }
        auto& o = as_object();
        o.emplace_back(std::string(key), Json());
        return o.back().second;
    }
    /// Object member by key for reading; a missing key (or a non-object) reads as null.
    const Json& operator[](std::string_view key) const {
        static const Json kNull;
        const Json* v = find(key);
        return v != nullptr ? *v : kNull;
    }
    /// Array element; throws JsonError when out of range or not an array.
    [[nodiscard]] const Json& at(std::size_t index) const {
        const auto& a = as_array();
        if (index >= a.size()) {
            throw JsonError("index " + std::to_string(index) + " is out of range (size " +
                            std::to_string(a.size()) + ")");
        }
        return a[index];
    }
    /// Object member by key; throws JsonError when missing.
    [[nodiscard]] const Json& at(std::string_view key) const {
        if (const Json* v = find(key)) {
            return *v;
        }
        throw JsonError("missing key '" + std::string(key) + "'");
    }
    /// Sets (or replaces, keeping its position) an object member.
    Json& set(std::string_view key, Json value) {
        (*this)[key] = std::move(value);
        return *this;
    }
    /// Appends to an array; a null value becomes an empty array first.
    Json& push_back(Json value) {
        if (is_null()) {
            value_ = JsonArray{};
        }
        as_array().push_back(std::move(value));
        return *this;
    }
    /// Elements of an array or members of an object; 0 otherwise.
    [[nodiscard]] std::size_t size() const noexcept {
        if (const auto* a = std::get_if<JsonArray>(&value_)) {
            return a->size();
        }
        if (const auto* o = std::get_if<JsonObject>(&value_)) {
            return o->size();
        }
        return 0;
    }

    friend bool operator==(const Json& a, const Json& b) { return a.value_ == b.value_; }

    /// "a string", "an array", ... for messages.
    [[nodiscard]] const char* type_name() const noexcept {
        switch (type()) {
            case Type::Null:
                return "null";
            case Type::Bool:
                return "a bool";
            case Type::Number:
                return "a number";
            case Type::String:
                return "a string";
            case Type::Array:
                return "an array";
            case Type::Object:
                return "an object";
        }
        return "?";
    }

private:
    template <class T>
    const T& get(const char* wanted) const {
        if (const T* v = std::get_if<T>(&value_)) {
            return *v;
        }
        throw JsonError(std::string("expected ") + wanted + ", found " + describe());
    }
    template <class T>
    T& get_mut(const char* wanted) {
        return const_cast<T&>(std::as_const(*this).get<T>(wanted));
    }
    [[nodiscard]] std::string describe() const { return type_name(); }

    void dump_to(std::string& out) const;

    std::variant<std::nullptr_t, bool, double, std::string, JsonArray, JsonObject> value_;
};

namespace json_detail {

/// Appends `s` as a JSON string literal.
inline void dump_string(std::string_view s, std::string& out) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (u < 0x20) {
                    out += "\\u00";
                    out.push_back(kHex[u >> 4]);
                    out.push_back(kHex[u & 0xF]);
                } else {
                    out.push_back(c);
                }
        }
    }
    out.push_back('"');
}

inline void dump_number(double d, std::string& out) {
    if (!std::isfinite(d)) {
        out += "null";
        return;
    }
    char buf[32];
    std::to_chars_result r{};
    // Integers up to 2^53 are exact doubles and read best without an exponent or fraction.
    if (std::trunc(d) == d && std::fabs(d) < 9007199254740992.0) {
        r = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(d));
    } else {
        r = std::to_chars(buf, buf + sizeof buf, d);
    }
    out.append(buf, r.ptr);
}

class Parser {
public:
    explicit Parser(std::string_view text) : text_(text) {}

    Json parse_document() {
        skip_ws();
        Json v = parse_value(0);
        skip_ws();
        if (pos_ != text_.size()) {
            fail("unexpected text after the JSON value");
        }
        return v;
    }

private:
    [[noreturn]] void fail(const std::string& message) const { throw JsonError(message, pos_); }
    [[noreturn]] void fail_at(const std::string& message, std::size_t at) const {
        throw JsonError(message, at);
    }

    void skip_ws() {
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                break;
            }
            ++pos_;
        }
    }

    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

    Json parse_value(int depth) {
        if (pos_ >= text_.size()) {
            fail("unexpected end of input; expected a value");
        }
        switch (text_[pos_]) {
            case '{':
                return parse_object(depth + 1);
            case '[':
                return parse_array(depth + 1);
            case '"':
                return Json(parse_string());
            case 't':
                expect_literal("true");
                return Json(true);
            case 'f':
                expect_literal("false");
                return Json(false);
            case 'n':
                expect_literal("null");
                return Json(nullptr);
            default:
                if (text_[pos_] == '-' || (text_[pos_] >= '0' && text_[pos_] <= '9')) {
                    return Json(parse_number());
                }
                fail(std::string("unexpected character '") + printable(text_[pos_]) +
                     "'; expected a value");
        }
    }

    static std::string printable(char c) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7F) {
            static constexpr char kHex[] = "0123456789abcdef";
            return std::string("\\x") + kHex[u >> 4] + kHex[u & 0xF];
        }
        return std::string(1, c);
    }

    void expect_literal(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) {
            fail("invalid literal; expected " + std::string(word));
        }
        pos_ += word.size();
    }

    void check_depth(int depth) const {
        if (depth > Json::kMaxDepth) {
            fail("nesting deeper than 64 levels");
        }
    }

    Json parse_array(int depth) {
        check_depth(depth);
        ++pos_;  // '['
        JsonArray items;
        skip_ws();
        if (peek() == ']') {
            ++pos_;
            return Json(std::move(items));
        }
        for (;;) {
            skip_ws();
            items.push_back(parse_value(depth));
            skip_ws();
            const char c = peek();
            if (c == ',') {
                ++pos_;
                continue;
            }
            if (c == ']') {
                ++pos_;
                return Json(std::move(items));
            }
            fail(pos_ >= text_.size() ? "unexpected end of input; expected ',' or ']'"
                                      : "expected ',' or ']' in array");
        }
    }

    Json parse_object(int depth) {
        check_depth(depth);
        ++pos_;  // '{'
        Json obj = Json::object();
        skip_ws();
        if (peek() == '}') {
            ++pos_;
            return obj;
        }
        for (;;) {
            skip_ws();
            if (peek() != '"') {
                fail(pos_ >= text_.size() ? "unexpected end of input; expected a key"
                                          : "expected a string key in object");
            }
            std::string key = parse_string();
            skip_ws();
            if (peek() != ':') {
                fail("expected ':' after object key");
            }
            ++pos_;
            skip_ws();
            // A repeated key keeps its first position and its last value, like most parsers.
            obj[key] = parse_value(depth);
            skip_ws();
            const char c = peek();
            if (c == ',') {
                ++pos_;
                continue;
            }
            if (c == '}') {
                ++pos_;
                return obj;
            }
            fail(pos_ >= text_.size() ? "unexpected end of input; expected ',' or '}'"
                                      : "expected ',' or '}' in object");
        }
    }

    double parse_number() {
        const std::size_t start = pos_;
        if (peek() == '-') {
            ++pos_;
        }
        if (peek() == '0') {
            ++pos_;
        } else if (peek() >= '1' && peek() <= '9') {
            while (peek() >= '0' && peek() <= '9') {
                ++pos_;
            }
        } else {
            fail("invalid number; expected a digit");
        }
        if (peek() == '.') {
            ++pos_;
            if (!(peek() >= '0' && peek() <= '9')) {
                fail("invalid number; expected a digit after '.'");
            }
            while (peek() >= '0' && peek() <= '9') {
                ++pos_;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            if (peek() == '+' || peek() == '-') {
                ++pos_;
            }
            if (!(peek() >= '0' && peek() <= '9')) {
                fail("invalid number; expected a digit in the exponent");
            }
            while (peek() >= '0' && peek() <= '9') {
                ++pos_;
            }
        }
        double d = 0;
        const char* first = text_.data() + start;
        const char* last = text_.data() + pos_;
        const auto r = std::from_chars(first, last, d);
        if (r.ec == std::errc::result_out_of_range) {
            // Tiny magnitudes round to zero; huge ones cannot be represented.
            bool nonzero_digit = false;
            bool in_exponent = false;
            bool negative_exponent = false;
            for (const char* p = first; p != last; ++p) {
                if (*p == 'e' || *p == 'E') {
                    in_exponent = true;
                    negative_exponent = (p + 1 != last && p[1] == '-');
                } else if (!in_exponent && *p >= '1' && *p <= '9') {
                    nonzero_digit = true;
                }
            }
            if (!nonzero_digit || negative_exponent) {
                return *first == '-' ? -0.0 : 0.0;
            }
            fail_at("number out of range", start);
        }
        if (r.ec != std::errc() || r.ptr != last) {
            fail_at("invalid number", start);
        }
        return d;
    }

    unsigned parse_hex4() {
        if (text_.size() - pos_ < 4) {
            fail("unexpected end of input in \\u escape");
        }
        unsigned v = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = text_[pos_++];
            v <<= 4U;
            if (c >= '0' && c <= '9') {
                v |= static_cast<unsigned>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                v |= static_cast<unsigned>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                v |= static_cast<unsigned>(c - 'A' + 10);
            } else {
                --pos_;
                fail("invalid hex digit in \\u escape");
            }
        }
        return v;
    }

    static void append_utf8(unsigned cp, std::string& out) {
        if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
    }

    /// Copies one UTF-8 sequence starting at pos_, rejecting overlongs, surrogates and bad bytes.
    void copy_utf8(std::string& out) {
        const auto b0 = static_cast<unsigned char>(text_[pos_]);
        std::size_t len = 0;
        unsigned cp = 0;
        unsigned min = 0;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            len = 2, cp = b0 & 0x1FU, min = 0x80;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            len = 3, cp = b0 & 0x0FU, min = 0x800;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            len = 4, cp = b0 & 0x07U, min = 0x10000;
        } else {
            fail("invalid UTF-8 in string");
        }
        if (text_.size() - pos_ < len) {
            fail("invalid UTF-8 in string");
        }
        for (std::size_t i = 1; i < len; ++i) {
            const auto b = static_cast<unsigned char>(text_[pos_ + i]);
            if ((b & 0xC0U) != 0x80U) {
                fail("invalid UTF-8 in string");
            }
            cp = (cp << 6U) | (b & 0x3FU);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            fail("invalid UTF-8 in string");
        }
        out.append(text_.substr(pos_, len));
        pos_ += len;
    }

    std::string parse_string() {
        ++pos_;  // opening quote
        std::string out;
        for (;;) {
            if (pos_ >= text_.size()) {
                fail("unexpected end of input in string");
            }
            const char c = text_[pos_];
            const auto u = static_cast<unsigned char>(c);
            if (c == '"') {
                ++pos_;
                return out;
            }
            if (u < 0x20) {
                fail("control character in string; escape it");
            }
            if (u >= 0x80) {
                copy_utf8(out);
                continue;
            }
            if (c != '\\') {
                out.push_back(c);
                ++pos_;
                continue;
            }
            ++pos_;
            if (pos_ >= text_.size()) {
                fail("unexpected end of input in string");
            }
            const char e = text_[pos_++];
            switch (e) {
                case '"':
                    out.push_back('"');
                    break;
                case '\\':
                    out.push_back('\\');
                    break;
                case '/':
                    out.push_back('/');
                    break;
                case 'b':
                    out.push_back('\b');
                    break;
                case 'f':
                    out.push_back('\f');
                    break;
                case 'n':
                    out.push_back('\n');
                    break;
                case 'r':
                    out.push_back('\r');
                    break;
                case 't':
                    out.push_back('\t');
                    break;
                case 'u': {
                    const std::size_t at = pos_ - 2;
                    unsigned cp = parse_hex4();
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        if (text_.substr(pos_, 2) != "\\u") {
                            fail_at("unpaired surrogate in \\u escape", at);
                        }
                        pos_ += 2;
                        const unsigned low = parse_hex4();
                        if (low < 0xDC00 || low > 0xDFFF) {
                            fail_at("unpaired surrogate in \\u escape", at);
                        }
                        cp = 0x10000 + ((cp - 0xD800) << 10U) + (low - 0xDC00);
                    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        fail_at("unpaired surrogate in \\u escape", at);
                    }
                    append_utf8(cp, out);
                    break;
                }
                default:
                    --pos_;
                    fail("invalid escape in string");
            }
        }
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

}  // namespace json_detail

inline Json Json::parse(std::string_view text) {
    return json_detail::Parser(text).parse_document();
}

inline bool Json::try_parse(std::string_view text,
                            Json& out,
                            std::string* error,
                            std::size_t* offset) noexcept {
    try {
        out = parse(text);
        return true;
    } catch (const JsonError& e) {
        try {
            if (error != nullptr) {
                *error = e.what();
            }
        } catch (...) {  // out of memory while copying the message: the offset still says where
        }
        if (offset != nullptr) {
            *offset = e.offset();
        }
    } catch (...) {  // std::bad_alloc on huge input
        try {
            if (error != nullptr) {
                *error = "out of memory";
            }
        } catch (...) {
        }
        if (offset != nullptr) {
            *offset = 0;
        }
    }
    return false;
}

inline std::string Json::dump() const {
    std::string out;
    dump_to(out);
    return out;
}

inline void Json::dump_to(std::string& out) const {
    switch (type()) {
        case Type::Null:
            out += "null";
            break;
        case Type::Bool:
            out += std::get<bool>(value_) ? "true" : "false";
            break;
        case Type::Number:
            json_detail::dump_number(std::get<double>(value_), out);
            break;
        case Type::String:
            json_detail::dump_string(std::get<std::string>(value_), out);
            break;
        case Type::Array: {
            out.push_back('[');
            bool first = true;
            for (const auto& v : std::get<JsonArray>(value_)) {
                if (!first) {
                    out.push_back(',');
                }
                first = false;
                v.dump_to(out);
            }
            out.push_back(']');
            break;
        }
        case Type::Object: {
            out.push_back('{');
            bool first = true;
            for (const auto& [k, v] : std::get<JsonObject>(value_)) {
                if (!first) {
                    out.push_back(',');
                }
                first = false;
                json_detail::dump_string(k, out);
                out.push_back(':');
                v.dump_to(out);
            }
            out.push_back('}');
            break;
        }
    }
}

}  // namespace tocsin::sdk
