// Fuzzes the engine's time text: durations ("1h30m", rule `for:`, API `duration`/`for`) and
// RFC 3339 times (API `starts_at`, `until`, pushed timestamps). Besides crashes and UB it checks
// that a parsed duration formats back to a text that parses to the same value, and that a parsed
// time survives format_rfc3339() -> parse_rfc3339().

#include "engine/time.hpp"
#include "fuzz_util.hpp"

#include <cstddef>
#include <cstdint>

namespace {

using namespace tocsin;

void check_duration(std::string_view text) {
    const auto d = engine::parse_duration(text);
    if (!d) {
        return;
    }
    if (d->count() < 0) {
        fuzz::fuzz_fail("parse_duration gave a negative duration", text);
    }
    const std::string shown = engine::format_duration(*d);
    const auto again = engine::parse_duration(shown);
    if (!again || *again != *d) {
        fuzz::fuzz_fail("format_duration gave '" + shown + "', which does not parse back", text);
    }
}

void check_time(std::string_view text) {
    const auto t = engine::parse_rfc3339(text);
    if (!t) {
        return;
    }
    const std::string shown = engine::format_rfc3339(*t);
    const auto again = engine::parse_rfc3339(shown);
    if (!again || *again != *t) {
        fuzz::fuzz_fail("format_rfc3339 gave '" + shown + "', which does not parse back", text);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = fuzz::as_text(data, size);
    check_duration(text);
    check_time(text);
    return 0;
}
