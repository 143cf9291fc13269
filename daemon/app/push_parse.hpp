#pragma once

#include "engine/alert.hpp"
#include "engine/time.hpp"

#include <string>
#include <vector>

/// The body of `POST /api/v1/samples`: JSON samples or the Prometheus text exposition format,
/// turned into engine samples of KPIs whose source is a `push` instance.
namespace tocsin::app {

struct CheckedConfig;

struct ParsedPush {
    std::vector<engine::Sample> samples;
    std::vector<std::string> rejected;  // "sample 2: no push KPI named 'x'"
    std::string error;                  // the body as a whole is unreadable; nothing accepted
    bool unsupported_type = false;      // the error is about the Content-Type
};

/// `content_type` picks the format: application/json, or text/plain (Prometheus text, also
/// `application/openmetrics-text`). JSON is `{"samples": [...]}` or a bare array of
/// `{"kpi", "value", "labels"?, "timestamp"?}` where timestamp is RFC 3339 or Unix milliseconds.
/// Samples more than 5 minutes in the future or before 1970 are refused.
[[nodiscard]] ParsedPush parse_pushed_samples(const std::string& content_type,
                                              const std::string& body,
                                              const CheckedConfig& config,
                                              engine::TimePoint now);

}  // namespace tocsin::app
