#pragma once

/// Logging for plugins. Plugins never print: they log through the Logger the host hands to
/// configure(), which forwards each line to the host under the component tag of the instance
/// (`source.sqlite 'app_db'`). The Logger lives as long as the instance, so a plugin may keep a
/// reference to it and log from collect()/send() too. Never log secrets.

#include "tocsin/sdk/abi.h"

#include <string>

namespace tocsin::sdk {

class Logger {
public:
    /// `host` may be null (a plugin linked statically into a test): lines are then dropped.
    /// The struct is copied, since the host's pointer lives only for the create() call.
    explicit Logger(const tocsin_host* host = nullptr) {
        if (host != nullptr && host->struct_size >= sizeof(tocsin_host)) {
            host_ = *host;
        }
    }

    void log(tocsin_log_level level, const std::string& message) const {
        if (host_.log != nullptr) {
            host_.log(host_.ctx, level, message.c_str());
        }
    }
    void debug(const std::string& message) const { log(TOCSIN_LOG_DEBUG, message); }
    void info(const std::string& message) const { log(TOCSIN_LOG_INFO, message); }
    void warning(const std::string& message) const { log(TOCSIN_LOG_WARNING, message); }
    void error(const std::string& message) const { log(TOCSIN_LOG_ERROR, message); }

private:
    tocsin_host host_{sizeof(tocsin_host), nullptr, nullptr};
};

}  // namespace tocsin::sdk
