#include "json_extract.hpp"

#include <charconv>
#include <cmath>

namespace tocsin::plugins::http_json {
namespace {

using sdk::Json;

// Skipped elements are reported one by one up to this many, then summed up.
constexpr std::size_t kMaxSkipWarnings = 5;

std::string quoted(std::string_view text) {
    constexpr std::size_t kMaxShown = 40;
    if (text.size() > kMaxShown) {
        return "'" + std::string(text.substr(0, kMaxShown)) + "...'";
    }
    return "'" + std::string(text) + "'";
}

std::string describe(const Json& value) {
    switch (value.type()) {
        case Json::Type::Null:
            return "null";
        case Json::Type::Object:
            return "an object";
        case Json::Type::Array:
            return "an array";
        case Json::Type::String:
            return "the string " + quoted(value.as_string());
        default:
            return value.dump();
    }
}

std::optional<double> parse_number(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    if (!text.empty() && text.front() == '+') {
        text.remove_prefix(1);
    }
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
        !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

// The number in `value`, or why there is none.
std::optional<double> number_of(const Json& value, std::string& why) {
    if (value.is_number() && std::isfinite(value.as_number())) {
        return value.as_number();
    }
    if (value.is_bool()) {
        return value.as_bool() ? 1.0 : 0.0;
    }
    if (value.is_string()) {
        if (auto number = parse_number(value.as_string())) {
            return number;
        }
    }
    why = "is " + describe(value) + ", not a number";
    return std::nullopt;
}

// Label values: strings as they are, numbers and bools as JSON writes them.
std::optional<std::string> label_text(const Json& value) {
    if (value.is_string()) {
        return value.as_string();
    }
    if (value.is_number() || value.is_bool()) {
        return value.dump();
    }
    return std::nullopt;  // null, arrays and objects make no label
}

// Labels of one row; pointers resolve against `base`. A missing label is left out.
Labels labels_for(const Json& base, const std::vector<LabelSpec>& specs) {
    Labels labels;
    for (const auto& spec : specs) {
        if (!spec.is_pointer) {
            labels.emplace_back(spec.name, spec.text);
            continue;
        }
        if (const Json* value = resolve(base, spec.text)) {
            if (auto text = label_text(*value)) {
                labels.emplace_back(spec.name, std::move(*text));
            }
        }
    }
    return labels;
}

}  // namespace

std::optional<std::string> check_pointer(std::string_view pointer) {
    if (!pointer.empty() && pointer.front() != '/') {
        return "JSON Pointer " + quoted(pointer) +
               " must start with '/' (or be empty for the whole "
               "document)";
    }
    for (std::size_t i = 0; i < pointer.size(); ++i) {
        if (pointer[i] == '~' &&
            (i + 1 >= pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1'))) {
            return "JSON Pointer " + quoted(pointer) +
                   " has '~' not followed by 0 or 1; write ~0 "
                   "for '~' and ~1 for '/'";
        }
    }
    return std::nullopt;
}

const Json* resolve(const Json& doc, std::string_view pointer) {
    const Json* current = &doc;
    std::size_t pos = 0;
    while (pos < pointer.size()) {
        // pointer[pos] == '/'
        const std::size_t next = pointer.find('/', pos + 1);
        const std::string_view raw = pointer.substr(
            pos + 1, (next == std::string_view::npos ? pointer.size() : next) - pos - 1);
        pos = next == std::string_view::npos ? pointer.size() : next;
        std::string token;
        token.reserve(raw.size());
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '~' && i + 1 < raw.size()) {
                token.push_back(raw[i + 1] == '1' ? '/' : '~');
                ++i;
            } else {
                token.push_back(raw[i]);
            }
        }
        if (current->is_object()) {
            current = current->find(token);
        } else if (current->is_array()) {
            std::size_t index = 0;
            const auto [end, ec] =
                std::from_chars(token.data(), token.data() + token.size(), index);
            const bool leading_zero = token.size() > 1 && token.front() == '0';
            if (token.empty() || ec != std::errc() || end != token.data() + token.size() ||
                leading_zero || index >= current->as_array().size()) {
                return nullptr;
            }
            current = &current->as_array()[index];
        } else {
            return nullptr;
        }
        if (current == nullptr) {
            return nullptr;
        }
    }
    return current;
}

KpiResult extract(const std::string& kpi, const Json& doc, const KpiSpec& spec) {
    KpiResult out;
    const std::string what = "KPI '" + kpi + "'";
    const Json* target = resolve(doc, spec.pointer);
    if (target == nullptr) {
        out.error = what + ": pointer " + quoted(spec.pointer) + " is not in the answer";
        return out;
    }
    if (!target->is_array()) {
        if (target->is_object()) {
            out.error = what + ": pointer " + quoted(spec.pointer) +
                        " names an object; point at a number, or at an array with value_pointer";
            return out;
        }
        std::string why;
        const auto value = number_of(*target, why);
        if (!value) {
            out.error = what + ": " + quoted(spec.pointer) + " " + why;
            return out;
        }
        out.rows.push_back(Row{*value, labels_for(doc, spec.labels)});
        return out;
    }
    std::size_t skipped = 0;
    const auto& elements = target->as_array();
    for (std::size_t i = 0; i < elements.size(); ++i) {
        const Json* value = resolve(elements[i], spec.value_pointer);
        std::string why;
        std::optional<double> number;
        if (value == nullptr) {
            why = "has no " + quoted(spec.value_pointer);
        } else {
            number = number_of(*value, why);
            if (!number && !spec.value_pointer.empty()) {
                why = quoted(spec.value_pointer) + " " + why;
            }
        }
        if (!number) {
            if (++skipped <= kMaxSkipWarnings) {
                out.warnings.push_back(what + ": element " + std::to_string(i) + " of " +
                                       quoted(spec.pointer) + " skipped: " + why);
            }
            continue;
        }
        out.rows.push_back(Row{*number, labels_for(elements[i], spec.labels)});
    }
    if (skipped > kMaxSkipWarnings) {
        out.warnings.push_back(what + ": " + std::to_string(skipped - kMaxSkipWarnings) +
                               " more elements skipped");
    }
    return out;
}

}  // namespace tocsin::plugins::http_json
