#pragma once

#include <string>

/// `tocsin run`: the long-running daemon on one Asio event loop.
namespace tocsin::app {

struct RunOptions {
    std::string config_path;
};

/// Runs until SIGTERM/SIGINT. SIGHUP reloads. Returns the process exit status: 0 after a clean
/// stop, 1 when start-up failed (every reason logged).
int run_daemon(const RunOptions& options);

}  // namespace tocsin::app
