#include "exec_config.hpp"

namespace tocsin::plugins::exec {

sdk::Status parse_config(const sdk::Config& config, ExecConfig& out) {
    out.command.argv = config.get_string_list("command");
    if (out.command.argv.empty() || out.command.argv.front().empty()) {
        return sdk::Status::bad_config(
            "command is empty; give the program and its arguments as a list, e.g. "
            "[/usr/local/bin/check_queue, --json]");
    }
    out.command.env = config.get_string_map("env");
    for (const auto& [name, value] : out.command.env) {
        if (name.empty() || name.find('=') != std::string::npos) {
            return sdk::Status::bad_config("env name '" + name +
                                           "' is not a variable name; use e.g. LANG");
        }
    }
    out.command.cwd = config.get_string("cwd");
    const std::string format = config.get_string("format");
    if (format == "nagios") {
        out.format = Format::Nagios;
    } else if (format == "json") {
        out.format = Format::Json;
    } else if (format == "prometheus") {
        out.format = Format::Prometheus;
    } else {
        return sdk::Status::bad_config("format '" + format +
                                       "' is unknown; use nagios, json or prometheus");
    }
    const std::int64_t max_output = config.get_int("max_output", 1024 * 1024);
    if (max_output < 1) {
        return sdk::Status::bad_config(
            "max_output must be at least 1 byte; the default is 1048576");
    }
    out.max_output = static_cast<std::size_t>(max_output);
    return sdk::Status::ok();
}

}  // namespace tocsin::plugins::exec
