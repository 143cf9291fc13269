#include "app/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>

namespace tocsin::log {
namespace {

std::atomic<int> g_min_level{static_cast<int>(Level::Info)};

spdlog::level::level_enum to_spdlog(Level level) {
    switch (level) {
        case Level::Debug:
            return spdlog::level::debug;
        case Level::Info:
            return spdlog::level::info;
        case Level::Warning:
            return spdlog::level::warn;
        case Level::Error:
            return spdlog::level::err;
        case Level::Critical:
            return spdlog::level::critical;
    }
    return spdlog::level::info;
}

std::shared_ptr<spdlog::logger>& logger() {
    static std::shared_ptr<spdlog::logger> instance = [] {
        auto l = spdlog::stderr_logger_mt("tocsin");
        l->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
        return l;
    }();
    return instance;
}

}  // namespace

void init(std::string_view level, bool systemd) {
    Level min = Level::Info;
    if (level == "debug") {
        min = Level::Debug;
    } else if (level == "warning" || level == "warn") {
        min = Level::Warning;
    } else if (level == "error") {
        min = Level::Error;
    }
    g_min_level = static_cast<int>(min);
    auto& l = logger();
    l->set_level(to_spdlog(min));
    l->flush_on(spdlog::level::debug);
    if (systemd) {
        // journald adds its own timestamps; <N> prefixes carry the priority.
        l->set_pattern("%v");
    }
}

bool enabled(Level level) {
    return static_cast<int>(level) >= g_min_level.load(std::memory_order_relaxed);
}

void write(Level level, std::string_view component, std::string_view message) {
    if (!enabled(level)) {
        return;
    }
    logger()->log(to_spdlog(level), "{} {}", component, message);
}

}  // namespace tocsin::log
