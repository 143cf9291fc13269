#include "exec_notifier_config.hpp"

namespace tocsin::plugins::exec_notifier {

sdk::Status parse_config(const sdk::Config& config, ExecConfig& out) {
    out.command = config.get_string_list("command");
    if (out.command.empty() || out.command.front().empty()) {
        return sdk::Status::bad_config(
            "command is empty; give the program and its arguments, e.g. [/usr/local/bin/page, "
            "--team, ops]");
    }
    for (const auto& arg : out.command) {
        if (arg.find('\0') != std::string::npos) {
            return sdk::Status::bad_config("command: arguments may not contain NUL characters");
        }
    }
    out.timeout = config.get_duration("timeout", std::chrono::seconds(30));
    if (out.timeout <= std::chrono::milliseconds(0) || out.timeout > std::chrono::hours(1)) {
        return sdk::Status::bad_config("timeout must be between 1ms and 1h");
    }
    out.max_alerts = config.get_int("max_alerts", 0);
    if (out.max_alerts < 0) {
        return sdk::Status::bad_config("max_alerts is negative; use 0 for all alerts or a count");
    }
    return sdk::Status::ok();
}

}  // namespace tocsin::plugins::exec_notifier
