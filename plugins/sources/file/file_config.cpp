#include "file_config.hpp"

namespace tocsin::plugins::file {
namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

sdk::Status parse_config(const sdk::Config& config, FileConfig& out) {
    out.path = config.get_string("path");
    if (out.path.find_first_not_of(" \t") == std::string::npos) {
        return sdk::Status::bad_config("path is empty; give the CSV or JSON file to read");
    }
    std::string format = config.get_string("format");
    if (format.empty()) {
        if (ends_with(out.path, ".csv")) {
            format = "csv";
        } else if (ends_with(out.path, ".json")) {
            format = "json";
        } else {
            return sdk::Status::bad_config(
                "format is not set and the file name ends in neither .csv nor .json; set format: "
                "csv or format: json");
        }
    }
    if (format == "csv") {
        out.format = Format::Csv;
    } else if (format == "json") {
        out.format = Format::Json;
    } else {
        return sdk::Status::bad_config("format '" + format + "' is unknown; use csv or json");
    }
    const std::string delimiter = config.get_string("delimiter", ",");
    if (delimiter.size() != 1 || delimiter == "\"" || delimiter == "\n" || delimiter == "\r") {
        return sdk::Status::bad_config("delimiter '" + delimiter +
                                       "' must be one character other than a quote or line "
                                       "break, e.g. ';'");
    }
    out.delimiter = delimiter.front();
    if (config.has("max_age")) {
        out.max_age = config.get_duration("max_age");
        if (out.max_age->count() <= 0) {
            return sdk::Status::bad_config("max_age must be positive, e.g. 2h");
        }
    }
    const std::int64_t max_size = config.get_int("max_size", 16 * 1024 * 1024);
    if (max_size < 1) {
        return sdk::Status::bad_config("max_size must be at least 1 byte");
    }
    out.max_size = static_cast<std::size_t>(max_size);
    return sdk::Status::ok();
}

}  // namespace tocsin::plugins::file
