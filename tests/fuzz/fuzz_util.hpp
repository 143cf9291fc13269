#pragma once

// Helpers shared by the libFuzzer targets in this folder. A target that finds a broken property
// (not just a crash) calls fuzz_fail(), which aborts with the message so libFuzzer records the
// input like any other crash.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace tocsin::fuzz {

/// The fuzzer's bytes as text (any bytes, not necessarily UTF-8).
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};  // NOLINT: bytes viewed as chars
}

/// Aborts with `what` and the offending text: a property the code promises does not hold.
[[noreturn]] inline void fuzz_fail(const std::string& what, std::string_view input) {
    std::fprintf(stderr,
                 "fuzz property broken: %s\ninput: '%.*s'\n",
                 what.c_str(),
                 static_cast<int>(input.size()),
                 input.data());
    std::abort();
}

/// `text` cut at each '\n' (a trailing '\r' is kept: the parsers must cope with it too).
inline std::vector<std::string_view> lines(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        out.push_back(text.substr(0, nl));
        if (nl == std::string_view::npos) {
            break;
        }
        text.remove_prefix(nl + 1);
    }
    return out;
}

}  // namespace tocsin::fuzz
