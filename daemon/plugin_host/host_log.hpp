#pragma once

#include "tocsin/sdk/abi.h"

#include <functional>
#include <string>

/// Where plugin log lines (tocsin_host::log) and the host's own notes about plugins go. One
/// process-wide sink: the app points it at its logger at start-up; until then lines go to stderr
/// as "<level> <component>: <message>".
namespace tocsin::plugin_host {

/// `component` is the instance's tag: `source.<plugin> '<instance>'` or `notify.<plugin>
/// '<instance>'`.
using LogSink =
    std::function<void(tocsin_log_level, const std::string& component, const std::string& message)>;

/// Replaces the sink (an empty function restores the stderr default). Safe from any thread; lines
/// being written while it changes go to either sink.
void set_log_sink(LogSink sink);

/// Sends one line to the current sink. Never throws.
void host_log(tocsin_log_level level,
              const std::string& component,
              const std::string& message) noexcept;

/// "debug", "info", "warning", "error".
[[nodiscard]] const char* to_string(tocsin_log_level level);

}  // namespace tocsin::plugin_host
