#include "csv.hpp"

namespace tocsin::plugins::file {
namespace {

// Reads one record starting at `pos`; advances `pos` past its line end and counts the lines it
// spans (a quoted field may hold line breaks).
std::optional<std::string> read_record(std::string_view text,
                                       std::size_t& pos,
                                       char delimiter,
                                       std::size_t& line,
                                       std::vector<std::string>& fields) {
    fields.clear();
    std::string field;
    bool quoted = false;
    bool was_quoted = false;
    const std::size_t start_line = line;
    while (pos < text.size()) {
        const char c = text[pos];
        if (quoted) {
            if (c == '"') {
                if (pos + 1 < text.size() && text[pos + 1] == '"') {
                    field += '"';
                    pos += 2;
                    continue;
                }
                quoted = false;
                ++pos;
                continue;
            }
            if (c == '\n') {
                ++line;
            }
            field += c;
            ++pos;
            continue;
        }
        if (c == '"' && field.empty() && !was_quoted) {
            quoted = true;
            was_quoted = true;
            ++pos;
            continue;
        }
        if (c == delimiter) {
            fields.push_back(std::move(field));
            field.clear();
            was_quoted = false;
            ++pos;
            continue;
        }
        if (c == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') {
            ++pos;
            continue;
        }
        if (c == '\n') {
            ++pos;
            ++line;
            fields.push_back(std::move(field));
            return std::nullopt;
        }
        if (was_quoted) {
            return "line " + std::to_string(line) + ": text after a closing quote";
        }
        field += c;
        ++pos;
    }
    if (quoted) {
        return "line " + std::to_string(start_line) + ": a quoted field is not closed";
    }
    fields.push_back(std::move(field));
    return std::nullopt;
}

bool is_blank(const std::vector<std::string>& fields) {
    return fields.size() == 1 && fields.front().find_first_not_of(" \t\r") == std::string::npos;
}

}  // namespace

std::optional<std::size_t> CsvTable::column(std::string_view name) const {
    for (std::size_t i = 0; i < header.size(); ++i) {
        if (header[i] == name) {
            return i;
        }
    }
    return std::nullopt;
}

std::optional<std::string> parse_csv(std::string_view text, char delimiter, CsvTable& out) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") {
        text.remove_prefix(3);  // a byte order mark from spreadsheet exports
    }
    std::size_t pos = 0;
    std::size_t line = 1;
    std::vector<std::string> fields;
    bool have_header = false;
    while (pos < text.size()) {
        const std::size_t record_line = line;
        if (auto error = read_record(text, pos, delimiter, line, fields)) {
            return error;
        }
        if (is_blank(fields)) {
            continue;
        }
        if (!have_header) {
            for (auto& name : fields) {
                const auto first = name.find_first_not_of(" \t");
                const auto last = name.find_last_not_of(" \t");
                name = first == std::string::npos ? "" : name.substr(first, last - first + 1);
                if (name.empty()) {
                    return "line " + std::to_string(record_line) +
                           ": the header has an empty column name";
                }
            }
            out.header = fields;
            have_header = true;
            continue;
        }
        if (fields.size() != out.header.size()) {
            return "line " + std::to_string(record_line) + ": expected " +
                   std::to_string(out.header.size()) + " fields, found " +
                   std::to_string(fields.size());
        }
        out.rows.push_back(fields);
        out.lines.push_back(record_line);
    }
    if (!have_header) {
        return std::string("the file is empty; it needs a header row");
    }
    return std::nullopt;
}

}  // namespace tocsin::plugins::file
