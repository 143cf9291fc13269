// Fuzzes the JSON bodies of the API's mutations: `POST /api/v1/silences`
// (app::parse_silence_request) and `POST /api/v1/alerts/{id}/ack` (app::parse_ack_request).
// An accepted silence must have matchers, an author and an end after its start and after now;
// an accepted ack must have an author. Each accepted silence's matchers are also tried on a
// label set, as the engine does with every alert.
//
// Input: the JSON body, given to both parsers.

#include "app/api_requests.hpp"
#include "engine/matcher.hpp"
#include "fuzz_util.hpp"

#include <cstddef>
#include <cstdint>

namespace {

using namespace tocsin;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string body(fuzz::as_text(data, size));
    const engine::TimePoint now = engine::from_unix_ms(1767607200000);  // 2026-01-05T10:00:00Z
    static const std::set<std::string> calendars = {"nights", "weekends"};

    std::string error;
    if (auto silence = app::parse_silence_request(body, now, calendars, error)) {
        if (silence->matchers.empty() || silence->author.empty()) {
            fuzz::fuzz_fail("a silence without matchers or author was accepted", body);
        }
        if (silence->ends_at <= now || silence->ends_at <= silence->starts_at) {
            fuzz::fuzz_fail("a silence that has already ended was accepted", body);
        }
        if (!silence->calendar.empty() && calendars.count(silence->calendar) == 0) {
            fuzz::fuzz_fail("a silence with an unknown calendar was accepted", body);
        }
        const engine::Labels labels = {{"alertname", "SignupsLow"}, {"team", "growth"}};
        (void)engine::matches_all(silence->matchers, labels);
    } else if (error.empty()) {
        fuzz::fuzz_fail("a silence was refused without a message", body);
    }

    error.clear();
    if (auto ack = app::parse_ack_request(body, now, error)) {
        if (ack->author.empty()) {
            fuzz::fuzz_fail("an ack without author was accepted", body);
        }
    } else if (error.empty()) {
        fuzz::fuzz_fail("an ack was refused without a message", body);
    }
    return 0;
}
