#pragma once

#include <text_values.hpp>

// Samples as the exec, execd and file sources read them from programs and files: the JSON
// sample shape ({"kpi":..., "value":..., "labels":{...}, "timestamp":...}), numbers and
// timestamps written as text, and handing the requested ones to the host.

#include <tocsin/sdk/json.hpp>
#include <tocsin/sdk/source.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tocsin::plugins::local {

/// One sample read from a program or a file, not yet matched against the request.
struct ParsedSample {
    std::string kpi;
    double value = 0;
    sdk::LabelList labels;
    std::int64_t timestamp_ms = 0;  // 0 = the time of collection
};

/// Reads one JSON sample object. `value` is a number or a numeric string; `labels` an object of
/// scalars (numbers and bools become their JSON text); `timestamp` Unix seconds (number or
/// string) or ISO-8601 text. Returns why the object is not a sample, or nothing.
[[nodiscard]] std::optional<std::string> read_sample(const sdk::Json& object, ParsedSample& out);

/// Reads a JSON array of sample objects (exec `format: json`, file `format: json`). Returns the
/// first problem as "item 3: 'value' is not a number" (or a JSON syntax error with its byte
/// offset), or nothing.
[[nodiscard]] std::optional<std::string> read_sample_array(std::string_view text,
                                                           std::vector<ParsedSample>& out);

// Numbers and timestamps in text (text_values.hpp), shared with the sqlite and postgres sources.
using values::parse_number;
using values::parse_timestamp_ms;
using values::seconds_to_ms;

/// What emit_requested() did.
struct EmitReport {
    std::size_t emitted = 0;
    std::size_t refused = 0;           // the host said no (bad label name, ...)
    std::vector<std::string> missing;  // requested KPIs that got no sample at all
};

/// Hands every sample whose KPI is in `kpis` to the host, skipping the others (a program may
/// report more KPIs than one collect asks for).
EmitReport emit_requested(const std::vector<ParsedSample>& samples,
                          const std::vector<sdk::KpiRequest>& kpis,
                          sdk::SampleSink& sink);

/// "KPI 'a' is missing from the output" / "KPIs 'a', 'b' are missing from the output".
[[nodiscard]] std::string missing_text(const std::vector<std::string>& missing,
                                       std::string_view where);

}  // namespace tocsin::plugins::local
