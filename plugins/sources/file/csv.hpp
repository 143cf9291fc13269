#pragma once

// A small RFC 4180 CSV reader for the file source: a header row, then records of the same
// width; fields may be quoted ("a, b", "say ""hi"""), lines end in LF or CRLF, blank lines are
// skipped. Knows nothing of KPIs.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tocsin::plugins::file {

struct CsvTable {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    std::vector<std::size_t> lines;  // 1-based line number of each row, for messages

    /// Index of column `name`, or nothing.
    [[nodiscard]] std::optional<std::size_t> column(std::string_view name) const;
};

/// Parses `text` into `out`. Returns the first problem as "line 4: expected 3 fields, found 2"
/// (a half-written last line looks like this), or nothing.
[[nodiscard]] std::optional<std::string> parse_csv(std::string_view text,
                                                   char delimiter,
                                                   CsvTable& out);

}  // namespace tocsin::plugins::file
