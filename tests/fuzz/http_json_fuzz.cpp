// Fuzzes the http_json source's pure half: the SDK's JSON parser on an answer body, JSON
// Pointers (RFC 6901) from the KPI's keys, and extract() turning the answer into samples. A
// parsed document must also survive dump() -> parse() -> dump() unchanged.
//
// Input: three lines (the KPI's `pointer`, `value_pointer` and one label's pointer or fixed
// text), then the JSON answer. Fewer lines leave the keys unset.

#include "fuzz_util.hpp"
#include "http_json_config.hpp"
#include "json_extract.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace {

using namespace tocsin;
using sdk::Json;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto input = fuzz::as_text(data, size);
    std::string_view keys[3];
    for (auto& key : keys) {
        const auto nl = input.find('\n');
        if (nl == std::string_view::npos) {
            break;
        }
        key = input.substr(0, nl);
        input.remove_prefix(nl + 1);
    }

    Json doc;
    if (!Json::try_parse(input, doc)) {
        return 0;
    }
    const std::string dumped = doc.dump();
    Json again;
    std::string error;
    if (!Json::try_parse(dumped, again, &error)) {
        fuzz::fuzz_fail("dump() wrote '" + dumped + "', which does not parse: " + error, input);
    }
    if (again.dump() != dumped) {
        fuzz::fuzz_fail("dump() of the re-parsed '" + dumped + "' differs", input);
    }

    Json params = Json::object();
    params["pointer"] = std::string(keys[0]);
    if (!keys[1].empty()) {
        params["value_pointer"] = std::string(keys[1]);
    }
    if (!keys[2].empty()) {
        Json labels = Json::object();
        labels["shop"] = std::string(keys[2]);
        params["labels"] = std::move(labels);
    }
    plugins::http_json::KpiSpec spec;
    if (!plugins::http_json::parse_kpi("fuzz", sdk::Config(std::move(params)), spec).is_ok()) {
        return 0;
    }
    const auto result = plugins::http_json::extract("fuzz", doc, spec);
    if (result.error && !result.rows.empty()) {
        fuzz::fuzz_fail("rows together with an error", input);
    }
    for (const auto& row : result.rows) {
        if (!std::isfinite(row.value)) {
            fuzz::fuzz_fail("a row whose value is not finite", input);
        }
    }
    return 0;
}
