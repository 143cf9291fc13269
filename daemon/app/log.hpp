#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

/// The one logging facade of the daemon. Every line names its component:
///   `component 'instance': what happened: why; what next`
/// The backend (spdlog on stderr, journald-friendly without timestamps under systemd) is chosen
/// once by init(). Safe to call from any thread.
namespace tocsin::log {

enum class Level { Debug, Info, Warning, Error, Critical };

/// Sets up the backend. `level` is debug|info|warning|error; `systemd` drops timestamps and uses
/// sd-daemon priority prefixes, which journald turns into levels.
void init(std::string_view level, bool systemd);
void write(Level level, std::string_view component, std::string_view message);
[[nodiscard]] bool enabled(Level level);

template <class... Args>
void debug(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    if (enabled(Level::Debug)) {
        write(Level::Debug, component, fmt::format(f, std::forward<Args>(args)...));
    }
}
template <class... Args>
void info(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    write(Level::Info, component, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void warning(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    write(Level::Warning, component, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void error(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    write(Level::Error, component, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void critical(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
    write(Level::Critical, component, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace tocsin::log
