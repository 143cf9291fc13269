#pragma once

// The pure halves of the prometheus source: the form of an instant query, the reading of an
// /api/v1/query answer, and the picking of series from a scrape. No I/O, so tests feed them
// recorded answers directly.

#include "exposition.hpp"
#include "http_fetch.hpp"
#include "series_index.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tocsin::plugins::prometheus {

using Labels = exposition::Labels;

/// One sample for the host: value, labels (never __name__) and Unix milliseconds (0 = now).
struct Row {
    double value = 0;
    Labels labels;
    std::int64_t timestamp_ms = 0;
};

/// What one KPI produced. With `error` set, `temporary` says whether a retry may help.
struct KpiResult {
    std::vector<Row> rows;
    std::vector<std::string> warnings;
    std::optional<std::string> error;
    bool temporary = false;
    std::size_t skipped = 0;  // series left out for a NaN or infinite value
    std::size_t picked = 0;   // series with a finite value (rows, or handed to a SeriesVisitor)
};

/// Receives a picked series where it lies in the parsed scrape, without a copy.
using SeriesVisitor = std::function<void(const exposition::Series&)>;

/// `query=<q>&time=<unix seconds with millis>`, percent-encoded, for GET (after '?') or a POST
/// form body.
[[nodiscard]] std::string query_form(std::string_view query, std::int64_t time_unix_ms);

/// Reads the answer to KPI `kpi`'s instant query from the server at `origin`: vector results
/// become one row per series, scalar and numeric string results one unlabelled row; NaN and
/// infinite values are skipped with a warning; the answer's `warnings` become warnings; status
/// "error" becomes an error quoting errorType and error (temporary for timeout, unavailable and
/// HTTP 429/5xx). Transport failures in `response` pass through.
[[nodiscard]] KpiResult read_query_answer(const std::string& kpi,
                                          const http::Response& response,
                                          const std::string& origin);

/// The series of `scrape` matching `selector`, as rows labelled without the metric name, for KPI
/// `kpi` (its name appears in warnings about skipped non-finite values).
[[nodiscard]] KpiResult select_series(const std::string& kpi,
                                      const exposition::Exposition& scrape,
                                      const exposition::Selector& selector);
/// The same, trying only the series `index` (built over `scrape`) offers for `selector`: what a
/// scrape does for each of its KPIs, so that N KPIs on an N-series scrape cost about N, not N^2.
[[nodiscard]] KpiResult select_series(const std::string& kpi,
                                      const exposition::Exposition& scrape,
                                      const exposition::Selector& selector,
                                      exposition::SeriesIndex& index);
/// The same, handing each picked series with a finite value to `on_series` as it is found
/// instead of copying it into `rows` (which stay empty): a scrape's 10,000 series go to the
/// host without 10,000 copies of their labels.
[[nodiscard]] KpiResult select_series(const std::string& kpi,
                                      const exposition::Exposition& scrape,
                                      const exposition::Selector& selector,
                                      exposition::SeriesIndex& index,
                                      const SeriesVisitor& on_series);

}  // namespace tocsin::plugins::prometheus
