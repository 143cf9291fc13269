#pragma once

// Configuration of the prometheus source: the declared keys (the host validates them) and the
// parsed settings with the cross-field checks the host cannot do. The collect deadline (the
// host's `timeout` key) bounds every request; there is no separate HTTP timeout.

#include "http_fetch.hpp"
#include <tocsin/sdk/config.hpp>
#include <tocsin/sdk/status.hpp>

#include <string>

namespace tocsin::plugins::prometheus {

/// Instance keys, as `tocsin plugins` lists them.
inline constexpr tocsin_config_key kConfigKeys[] = {
    {"url",
     TOCSIN_TYPE_STRING,
     0,
     nullptr,
     0,
     "a Prometheus server (e.g. http://prometheus:9090); each KPI's query runs as an instant "
     "query against its /api/v1/query"},
    {"scrape_url",
     TOCSIN_TYPE_STRING,
     0,
     nullptr,
     0,
     "any endpoint serving the Prometheus text format, scraped once per collect for all KPIs; "
     "each KPI's match picks series (set url or scrape_url, not both)"},
    {"method", TOCSIN_TYPE_STRING, 0, "\"GET\"", 0, "GET or POST for instant queries"},
    {"headers", TOCSIN_TYPE_STRING_MAP, 0, nullptr, 0, "extra request headers"},
    {"bearer_token", TOCSIN_TYPE_STRING, 0, nullptr, 1, "sent as 'Authorization: Bearer <token>'"},
    {"username", TOCSIN_TYPE_STRING, 0, nullptr, 0, "basic auth user (with password)"},
    {"password", TOCSIN_TYPE_STRING, 0, nullptr, 1, "basic auth password"},
    {"tls_verify",
     TOCSIN_TYPE_BOOL,
     0,
     "true",
     0,
     "verify the server's TLS certificate and host name"},
    {"ca_file",
     TOCSIN_TYPE_STRING,
     0,
     nullptr,
     0,
     "PEM file of CAs to trust instead of the system's"},
};

/// Per-KPI keys.
inline constexpr tocsin_config_key kKpiKeys[] = {
    {"query",
     TOCSIN_TYPE_STRING,
     0,
     nullptr,
     0,
     "PromQL instant query (with url); each result series becomes a sample labelled with its "
     "labels except __name__"},
    {"match",
     TOCSIN_TYPE_STRING,
     0,
     nullptr,
     0,
     "series selector on the scrape (with scrape_url), e.g. kpi_value{kpi=\"k1\",env=~\"prod.*\"}; "
     "each matching series becomes a sample labelled with its labels"},
};

enum class Mode { Query, Scrape };

struct PrometheusConfig {
    Mode mode = Mode::Query;
    std::string target;  // url or scrape_url
    std::string method = "GET";
    http::Request request;  // headers, auth and TLS settings shared by every request
};

/// Reads validated instance config into `out`; bad_config when neither or both of url and
/// scrape_url are set, a URL is not http(s), the method is not GET or POST, a header is invalid,
/// or only one of username and password is set.
[[nodiscard]] sdk::Status parse_config(const sdk::Config& config, PrometheusConfig& out);

/// The query (Query mode) or selector text (Scrape mode) of one KPI; failed, naming the KPI and
/// saying what to set, when it is missing or the other mode's key is used.
[[nodiscard]] sdk::Status parse_kpi(const std::string& kpi,
                                    const sdk::Config& params,
                                    Mode mode,
                                    std::string& text);

}  // namespace tocsin::plugins::prometheus
