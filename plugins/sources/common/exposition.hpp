#pragma once

// The Prometheus text exposition format (version 0.0.4) and series selectors, std-only so that
// both plugins (prometheus scrape, exec's `format: prometheus`) and the daemon's push endpoint
// can link it without the SDK.
//
// Parsing is strict, like Prometheus' own scraper: the first malformed line stops the parse and
// is reported with its 1-based line number. `_bucket`, `_sum` and `_count` lines of histograms and
// summaries are plain series here; nothing is aggregated.

#include "regex.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tocsin::exposition {

using Labels = std::vector<std::pair<std::string, std::string>>;

/// One sample line: `name{labels} value [timestamp]`. Labels keep their written order.
struct Series {
    std::string name;
    Labels labels;
    double value = 0;
    std::optional<std::int64_t> timestamp_ms;  // as written (Unix milliseconds), if any
};

/// What `# HELP` and `# TYPE` lines said about one metric family.
struct Family {
    std::string name;
    std::string type;  // counter, gauge, histogram, summary, untyped; "" when no TYPE line
    std::string help;  // unescaped; "" when no HELP line
};

/// A whole parsed exposition: every series in written order and the families that had metadata.
struct Exposition {
    std::vector<Series> series;
    std::vector<Family> families;

    /// The family named `name`, or nullptr.
    [[nodiscard]] const Family* family(std::string_view name) const;
};

/// Where and why a parse stopped. `line` is 1-based.
struct ParseError {
    std::size_t line = 0;
    std::string message;

    /// "line 3: <message>".
    [[nodiscard]] std::string to_string() const;
};

/// Parses `text` into `out` (appending). Returns the first problem, or nothing on success; on an
/// error `out` holds the series before the bad line. Never throws on bad input.
[[nodiscard]] std::optional<ParseError> parse(std::string_view text, Exposition& out);

/// Parses one sample value as the format writes it: a decimal or exponent float, `NaN`, `+Inf`,
/// `-Inf` (also `Inf`, any case). Nothing when `text` is anything else.
[[nodiscard]] std::optional<double> parse_value(std::string_view text);

/// True for a valid metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
[[nodiscard]] bool is_metric_name(std::string_view name);
/// True for a valid label name (`[a-zA-Z_][a-zA-Z0-9_]*`).
[[nodiscard]] bool is_label_name(std::string_view name);

enum class MatchOp { Equal, NotEqual, Regex, NotRegex };

/// One label matcher of a selector. As in PromQL, a label the series lacks reads as "", and
/// regexes are fully anchored (`env=~"prod.*"` does not match "preprod"). A regex match that
/// exceeds the work limit (see regex.hpp) holds for neither `=~` nor `!~`.
struct Matcher {
    std::string label;
    MatchOp op = MatchOp::Equal;
    std::string value;
    std::optional<Regex> regex;  // set for Regex and NotRegex

    [[nodiscard]] bool matches(std::string_view label_value) const;
};

/// A series selector such as `kpi_value{kpi="k1",env=~"prod.*"}`, `{__name__=~"up|down"}` or
/// just `up`. The metric name is matched as the label `__name__`.
class Selector {
public:
    /// Parses `text` into `out`; returns a one-sentence error ("... at offset 12") or nothing.
    [[nodiscard]] static std::optional<std::string> parse(std::string_view text, Selector& out);

    /// True when the series named `name` with `labels` satisfies every matcher.
    [[nodiscard]] bool matches(std::string_view name, const Labels& labels) const;
    [[nodiscard]] bool matches(const Series& series) const {
        return matches(series.name, series.labels);
    }

    [[nodiscard]] const std::vector<Matcher>& matchers() const { return matchers_; }
    /// The selector as written, for messages.
    [[nodiscard]] const std::string& text() const { return text_; }

private:
    std::vector<Matcher> matchers_;
    std::string text_;
};

}  // namespace tocsin::exposition
