#pragma once

#include <string>
#include <vector>

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

/// What `tocsin silence add` asks for; times and durations go to the API as written.
struct SilenceArgs {
    std::vector<std::string> matchers;  // "team=growth", "severity=~warn|critical"
    std::string duration;               // --for; "" when --until is given
    std::string until;                  // --until (RFC 3339)
    std::string from;                   // --from (RFC 3339); "" for now
    std::string author;
    std::string comment;
    std::string calendar;
};

/// Creates a silence and prints its id.
int command_silence_add(const ClientOptions& options, const SilenceArgs& args);
/// Lists silences: `state` "" for those not ended, or "all", "expired", "active", "pending".
int command_silence_list(const ClientOptions& options, const std::string& state);
/// Ends silence `id` now (it stays listed under --expired).
int command_silence_expire(const ClientOptions& options, const std::string& id);

}  // namespace tocsin::app
