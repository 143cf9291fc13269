#pragma once

#include <string>

/// The CLI clients of a running daemon's HTTP API. Each prints a human table by default or the
/// API's JSON with `json`, and returns the exit status: 0 done, 1 refused or failed, 3 the daemon
/// could not be reached.
namespace tocsin::app {

struct ClientOptions {
    std::string config_path;
    std::string url;  // overrides api.listen
    bool json = false;
};

int command_status(const ClientOptions& options);
int command_alerts(const ClientOptions& options, const std::string& state);
int command_reload(const ClientOptions& options);
/// Acknowledges alert `id` (as `tocsin alerts` lists it); `for_duration` "" for until resolved.
int command_ack(const ClientOptions& options,
                const std::string& id,
                const std::string& author,
                const std::string& comment,
                const std::string& for_duration);
/// Lists notifications (`state` "" for all), or with `retry_id` puts that dead letter back.
int command_notifications(const ClientOptions& options,
                          const std::string& state,
                          const std::string& retry_id);

}  // namespace tocsin::app
