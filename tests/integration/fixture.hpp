#pragma once

#include "harness.hpp"
#include "sqlite_util.hpp"
#include "support/http_server.hpp"

#include <boost/json.hpp>

#include <memory>
#include <string>

/// A complete little installation in a temp dir: an "app database" with one KPI value, a rule
/// file with one threshold rule, a tocsin.yaml using the real sqlite source and webhook notifier,
/// and a loopback HTTP receiver standing in for the webhook's far end.
namespace tocsin::testing {

struct RuleParams {
    std::string below = "{ warning: 0.30, critical: 0.20 }";
    std::string recover = "0.32";
    std::string for_duration = "2s";
    std::string every = "100ms";
    std::string alert = "ActivationRateLow";
};

class Installation {
public:
    explicit Installation(const RuleParams& params = {});

    /// Rewrites tocsin.yaml; `extra_sources` are more lines under `sources:`.
    void write_config(const std::string& extra_sources = "");
    /// Rewrites the rule file (for reload tests).
    void write_rules(const RuleParams& params);
    void write_rules_text(const std::string& text);
    void set_value(double value);
    std::unique_ptr<DaemonProcess> start();

    /// The i-th POST the receiver got, parsed.
    boost::json::object post(std::size_t i) const;
    /// Rows of the state DB's outbox in a given state.
    int outbox_count(const std::string& state) const;
    /// The alert instance's state ("pending", "firing"), or "" when none.
    std::string instance_state() const;
    /// How many KPI samples the daemon has committed.
    long sample_count() const;

    TempDir dir;
    HttpServer hook;
    std::string app_db;
    std::string state_db;
    std::string config;
    std::string rules;
    int starts = 0;
};

/// Milliseconds since the epoch of an RFC 3339 UTC time as the webhook writes it.
long long parse_time_ms(const std::string& rfc3339);

}  // namespace tocsin::testing
