#include "nagios.hpp"

#include "samples.hpp"

#include <cctype>

namespace tocsin::plugins::exec {
namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
        text.remove_suffix(1);
    }
    return text;
}

bool is_space(char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// Splits perfdata into items at blanks outside single quotes ('' inside quotes is a quote).
std::vector<std::string> split_items(std::string_view text) {
    std::vector<std::string> items;
    std::string current;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\'') {
            current += c;
            if (quoted && i + 1 < text.size() && text[i + 1] == '\'') {
                current += '\'';
                ++i;
            } else {
                quoted = !quoted;
            }
        } else if (is_space(c) && !quoted) {
            if (!current.empty()) {
                items.push_back(std::move(current));
                current.clear();
            }
        } else {
            current += c;
        }
    }
    if (!current.empty()) {
        items.push_back(std::move(current));
    }
    return items;
}

std::optional<double> threshold(std::string_view text) {
    return text.empty() ? std::nullopt : local::parse_number(text);
}

// Parses one item or says why it was skipped.
std::optional<std::string> parse_item(std::string_view item, PerfData& out) {
    std::size_t eq = std::string_view::npos;
    if (!item.empty() && item.front() == '\'') {
        std::size_t i = 1;
        for (; i < item.size(); ++i) {
            if (item[i] == '\'') {
                if (i + 1 < item.size() && item[i + 1] == '\'') {
                    out.label += '\'';
                    ++i;
                    continue;
                }
                break;
            }
            out.label += item[i];
        }
        if (i >= item.size() || i + 1 >= item.size() || item[i + 1] != '=') {
            return std::string("expected 'label'=value");
        }
        eq = i + 1;
    } else {
        eq = item.find('=');
        if (eq == std::string_view::npos) {
            return std::string("expected label=value");
        }
        out.label = std::string(item.substr(0, eq));
    }
    if (out.label.empty()) {
        return std::string("the label is empty");
    }
    std::string_view rest = item.substr(eq + 1);
    std::vector<std::string_view> fields;
    for (;;) {
        const auto semi = rest.find(';');
        fields.push_back(rest.substr(0, semi));
        if (semi == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(semi + 1);
    }
    std::string_view value = fields.front();
    if (value == "U") {
        return std::string("its value is U (unknown)");
    }
    std::size_t unit_start = value.size();
    while (unit_start > 0 &&
           (std::isalpha(static_cast<unsigned char>(value[unit_start - 1])) != 0 ||
            value[unit_start - 1] == '%')) {
        --unit_start;
    }
    const auto number = local::parse_number(value.substr(0, unit_start));
    if (!number) {
        return "'" + std::string(value) + "' is not a number";
    }
    out.value = *number;
    out.uom = std::string(value.substr(unit_start));
    std::optional<double>* slots[] = {&out.warn, &out.crit, &out.min, &out.max};
    for (std::size_t i = 1; i < fields.size() && i <= 4; ++i) {
        *slots[i - 1] = threshold(fields[i]);
    }
    return std::nullopt;
}

void parse_perfdata(std::string_view text, NagiosOutput& out) {
    for (const auto& item : split_items(text)) {
        PerfData data;
        if (auto why = parse_item(item, data)) {
            out.warnings.push_back("perfdata item '" + item + "' skipped: " + *why);
            continue;
        }
        out.perfdata.push_back(std::move(data));
    }
}

}  // namespace

NagiosOutput parse_nagios(std::string_view output) {
    NagiosOutput out;
    const auto first_end = output.find('\n');
    const std::string_view first = output.substr(0, first_end);
    const auto bar = first.find('|');
    out.text = std::string(trim(first.substr(0, bar)));
    if (bar != std::string_view::npos) {
        parse_perfdata(first.substr(bar + 1), out);
    }
    if (first_end == std::string_view::npos) {
        return out;
    }
    // Long text follows; a `|` on any later line starts perfdata that runs to the end.
    const std::string_view rest = output.substr(first_end + 1);
    const auto long_bar = rest.find('|');
    if (long_bar != std::string_view::npos) {
        parse_perfdata(rest.substr(long_bar + 1), out);
    }
    return out;
}

std::optional<PerfField> parse_perf_field(std::string_view name) {
    if (name == "value") {
        return PerfField::Value;
    }
    if (name == "warn") {
        return PerfField::Warn;
    }
    if (name == "crit") {
        return PerfField::Crit;
    }
    if (name == "min") {
        return PerfField::Min;
    }
    if (name == "max") {
        return PerfField::Max;
    }
    return std::nullopt;
}

std::optional<double> perf_field(const PerfData& item, PerfField field) {
    switch (field) {
        case PerfField::Value:
            return item.value;
        case PerfField::Warn:
            return item.warn;
        case PerfField::Crit:
            return item.crit;
        case PerfField::Min:
            return item.min;
        case PerfField::Max:
            return item.max;
    }
    return std::nullopt;
}

const char* state_name(int exit_code) {
    switch (exit_code) {
        case 0:
            return "OK";
        case 1:
            return "WARNING";
        case 2:
            return "CRITICAL";
        default:
            return "UNKNOWN";
    }
}

}  // namespace tocsin::plugins::exec
