#pragma once

#include "harness.hpp"
#include "http_client.hpp"
#include "support/http_server.hpp"

#include <boost/json.hpp>

#include <memory>
#include <string>
#include <vector>

/// An installation in a temp dir for the tests that drive the daemon's HTTP API: the API on a
/// free port with a token file, a `push` source, the rule QueueDeep (queue_depth above 100 is
/// critical) and the policy `page`. The state survives restarts of the daemon.
namespace tocsin::testing {

inline constexpr const char* kApiToken = "s3cret-token-for-the-api-tests";

/// A `notifiers:` line for the webhook notifier without a rate limit.
std::string webhook_notifier(const std::string& name,
                             const std::string& url,
                             const std::string& timeout = "2s");

class ApiInstallation {
public:
    /// `notifiers` are the lines under `notifiers:`, `notify` the policy step's list ("[a, b]"),
    /// `extra_sources` more lines under `sources:`.
    ApiInstallation(const std::string& notifiers,
                    const std::string& notify,
                    const std::string& extra_sources = "");

    /// Rewrites the rule file: QueueDeep notifying `notify` at once, then `later_steps` (more
    /// lines under `steps:`), plus `extra_kpis` under `kpis:`, `policy_keys` (lines under the
    /// policy `page`, indented by four spaces, e.g. "    group_wait: 1s\n") and `extra_rules`
    /// under `rules:`.
    void write_rules(const std::string& notify,
                     const std::string& extra_kpis = "",
                     const std::string& later_steps = "",
                     const std::string& policy_keys = "",
                     const std::string& extra_rules = "");
    /// Starts (or restarts, on the same state) the daemon and finds the API's address.
    void start();

    /// One API call; the token is sent unless `token` is "".
    [[nodiscard]] HttpAnswer call(const std::string& method,
                                  const std::string& path,
                                  const std::string& body = {},
                                  const std::string& content_type = "application/json",
                                  const std::string& token = kApiToken) const;
    /// Pushes `samples` (the items of a JSON array); the answer must be 200.
    void push(const std::string& samples) const;
    /// The outbox's items in one state, as the API lists them.
    [[nodiscard]] boost::json::array outbox(const std::string& state) const;
    /// The real CLI against this daemon (`--url`: the config's port is 0).
    [[nodiscard]] CommandResult cli(std::vector<std::string> args) const;

    TempDir dir;
    std::string config;
    std::string base;  // "http://127.0.0.1:<port>" once started
    int starts = 0;
    std::unique_ptr<DaemonProcess> daemon;
};

/// The webhook's far end `hook` and the folder of a polled source's database, made before the
/// installation that points at them.
struct PolledReceiver {
    HttpServer hook;
    TempDir app_dir;
};

/// The API installation with `hook` as its notifier plus `signups`, read from the table `kpi` of
/// the SQLite database app_db() (where it starts at 12) every 100 ms by the source `app`.
/// `extra_rules` are more lines under `rules:`.
class PolledInstallation : public PolledReceiver, public ApiInstallation {
public:
    explicit PolledInstallation(const std::string& extra_rules = "");

    [[nodiscard]] std::string app_db() const { return app_dir.file("app.db"); }
    [[nodiscard]] std::string state_db() const { return dir.file("state/state.db"); }
};

/// The body of a 2xx-or-not answer, parsed (fails the test when it is not JSON).
boost::json::object parse_body(const HttpAnswer& answer);

}  // namespace tocsin::testing
