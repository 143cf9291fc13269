#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace tocsin::app {

/// Sends one sd_notify(3) message ("READY=1", "STATUS=...") to $NOTIFY_SOCKET when systemd runs
/// us as Type=notify; does nothing otherwise. Never fails loudly: systemd is optional.
void sd_notify(std::string_view message);

/// The message that starts a reload: "RELOADING=1", the CLOCK_MONOTONIC time in microseconds as
/// MONOTONIC_USEC= (systemd >= 253 uses it to match the reload to its READY=1; older ones ignore
/// it) and `status` as STATUS=.
[[nodiscard]] std::string sd_reloading_message(std::string_view status);

/// How often to send "WATCHDOG=1": half of $WATCHDOG_USEC when systemd set it for this process
/// (WatchdogSec= in the unit; $WATCHDOG_PID, when set, names us), nullopt otherwise.
[[nodiscard]] std::optional<std::chrono::microseconds> sd_watchdog_interval();

}  // namespace tocsin::app
