#include "text_util.hpp"

#include <cctype>

namespace tocsin::plugins::common {
namespace {

bool is_continuation(char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U;
}

// Byte offset after the first `count` code points of `text` (or its size).
std::size_t offset_after(std::string_view text, std::size_t count) {
    std::size_t i = 0;
    std::size_t seen = 0;
    while (i < text.size()) {
        if (!is_continuation(text[i])) {
            if (seen == count) {
                return i;
            }
            ++seen;
        }
        ++i;
    }
    return i;
}

}  // namespace

std::size_t utf8_length(std::string_view text) {
    std::size_t n = 0;
    for (const char c : text) {
        n += is_continuation(c) ? 0 : 1;
    }
    return n;
}

std::string truncate_chars(std::string_view text, std::size_t max_chars) {
    if (utf8_length(text) <= max_chars) {
        return std::string(text);
    }
    if (max_chars == 0) {
        return {};
    }
    std::string out(text.substr(0, offset_after(text, max_chars - 1)));
    return out + "\xE2\x80\xA6";
}

std::string truncate_bytes(std::string_view text, std::size_t max_bytes) {
    if (text.size() <= max_bytes) {
        return std::string(text);
    }
    if (max_bytes < 3) {
        return std::string(max_bytes, '.');
    }
    std::size_t end = max_bytes - 3;
    while (end > 0 && is_continuation(text[end])) {
        --end;
    }
    return std::string(text.substr(0, end)) + "...";
}

std::string to_hex(std::string_view bytes) {
    constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        out += kDigits[u >> 4U];
        out += kDigits[u & 0x0FU];
    }
    return out;
}

std::string form_encode(std::string_view text) {
    constexpr char kDigits[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '*') {
            out += c;
        } else if (c == ' ') {
            out += '+';
        } else {
            out += '%';
            out += kDigits[u >> 4U];
            out += kDigits[u & 0x0FU];
        }
    }
    return out;
}

std::string upper(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

}  // namespace tocsin::plugins::common
