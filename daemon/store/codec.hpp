#pragma once

#include "engine/alert.hpp"
#include "engine/model.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// How engine values are spelled in the database. Text rather than numbers for enums, so that
/// `sqlite3 state.db` is readable by an operator and CHECK constraints catch bad writes.
namespace tocsin::store::codec {

/// Canonical JSON of a label map: an object with keys in sorted order, no spaces. Equal maps
/// always give equal text, which is what makes UNIQUE(kpi, labels_json) work.
[[nodiscard]] std::string labels_json(const engine::Labels& labels);
/// nullopt unless `json` is an object whose values are all strings.
[[nodiscard]] std::optional<engine::Labels> parse_labels_json(std::string_view json);

/// A JSON array of strings.
[[nodiscard]] std::string strings_json(const std::vector<std::string>& values);
[[nodiscard]] std::optional<std::vector<std::string>> parse_strings_json(std::string_view json);

[[nodiscard]] const char* alert_state_text(engine::AlertState s);  // inactive|pending|firing
[[nodiscard]] std::optional<engine::AlertState> parse_alert_state(std::string_view s);
[[nodiscard]] const char* severity_text(engine::Severity s);  // none|warning|critical
[[nodiscard]] std::optional<engine::Severity> parse_severity_text(std::string_view s);

}  // namespace tocsin::store::codec
