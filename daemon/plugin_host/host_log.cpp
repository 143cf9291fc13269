#include "plugin_host/host_log.hpp"

#include <cstdio>
#include <memory>
#include <mutex>
#include <utility>

namespace tocsin::plugin_host {

namespace {

std::mutex& sink_mutex() {
    static std::mutex m;
    return m;
}

std::shared_ptr<const LogSink>& current_sink() {
    static std::shared_ptr<const LogSink> sink;
    return sink;
}

}  // namespace

void set_log_sink(LogSink sink) {
    auto next = sink ? std::make_shared<const LogSink>(std::move(sink)) : nullptr;
    const std::lock_guard lock(sink_mutex());
    current_sink() = std::move(next);
}

void host_log(tocsin_log_level level,
              const std::string& component,
              const std::string& message) noexcept {
    std::shared_ptr<const LogSink> sink;
    {
        const std::lock_guard lock(sink_mutex());
        sink = current_sink();
    }
    try {
        if (sink) {
            (*sink)(level, component, message);
            return;
        }
    } catch (...) {  // a failing sink must not take a plugin call down; fall back to stderr
    }
    std::fprintf(stderr, "%s %s: %s\n", to_string(level), component.c_str(), message.c_str());
}

const char* to_string(tocsin_log_level level) {
    switch (level) {
        case TOCSIN_LOG_DEBUG:
            return "debug";
        case TOCSIN_LOG_INFO:
            return "info";
        case TOCSIN_LOG_WARNING:
            return "warning";
        case TOCSIN_LOG_ERROR:
            return "error";
    }
    return "info";
}

}  // namespace tocsin::plugin_host
