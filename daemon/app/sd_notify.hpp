#pragma once

#include <string_view>

namespace tocsin::app {

/// Sends one sd_notify(3) message ("READY=1", "STATUS=...") to $NOTIFY_SOCKET when systemd runs
/// us as Type=notify; does nothing otherwise. Never fails loudly: systemd is optional.
void sd_notify(std::string_view message);

}  // namespace tocsin::app
