#include "app/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <regex.hpp>

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

/// The first time a pattern gives up (later hits only count in tocsin_regex_limit_hits_total).
void warn_regex_limit(const std::string& pattern, std::size_t value_size) {
    warning("regex",
            "pattern '{}': gave up matching a value of {} characters (work limit); the matcher "
            "does not hold for it; simplify the pattern, e.g. avoid nested repetition such as "
            "(a+)+ and overlapping alternatives such as (a|ab)*",
            pattern,
            value_size);
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
    exposition::set_regex_limit_warning(&warn_regex_limit);
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
