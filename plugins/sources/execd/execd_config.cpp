#include "execd_config.hpp"

namespace tocsin::plugins::execd {

sdk::Status parse_config(const sdk::Config& config, ExecdConfig& out) {
    out.command.argv = config.get_string_list("command");
    if (out.command.argv.empty() || out.command.argv.front().empty()) {
        return sdk::Status::bad_config(
            "command is empty; give the program and its arguments as a list, e.g. "
            "[/usr/local/bin/kpi-daemon, --lines]");
    }
    out.command.env = config.get_string_map("env");
    for (const auto& [name, value] : out.command.env) {
        if (name.empty() || name.find('=') != std::string::npos) {
            return sdk::Status::bad_config("env name '" + name +
                                           "' is not a variable name; use e.g. LANG");
        }
    }
    out.command.cwd = config.get_string("cwd");
    out.restart_delay = config.get_duration("restart_delay", std::chrono::milliseconds(1000));
    out.max_restart_delay =
        config.get_duration("max_restart_delay", std::chrono::milliseconds(60000));
    if (out.restart_delay.count() <= 0 || out.max_restart_delay < out.restart_delay) {
        return sdk::Status::bad_config(
            "restart_delay must be positive and at most max_restart_delay, e.g. 1s and 60s");
    }
    return sdk::Status::ok();
}

}  // namespace tocsin::plugins::execd
