#include "log_config.hpp"

namespace tocsin::plugins::log {

sdk::Status parse_config(const sdk::Config& config, LogConfig& out) {
    out.path = config.get_string("path");
    if (out.path.empty()) {
        return sdk::Status::bad_config("path is empty; give a file name, or '-' for stderr");
    }
    if (out.path.back() == '/') {
        return sdk::Status::bad_config("path '" + out.path +
                                       "' names a directory; give a file name, or '-' for stderr");
    }
    return sdk::Status::ok();
}

}  // namespace tocsin::plugins::log
