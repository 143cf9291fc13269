#pragma once

// Configuration of the http_json source: the declared keys (the host validates them), the parsed
// settings with the cross-field checks the host cannot do, and each KPI's pointers. The collect
// deadline (the host's `timeout` key) bounds the request.

#include "http_fetch.hpp"
#include <tocsin/sdk/config.hpp>
#include <tocsin/sdk/status.hpp>

#include <string>
#include <utility>
#include <vector>

namespace tocsin::plugins::http_json {

/// Instance keys, as `tocsin plugins` lists them.
inline constexpr tocsin_config_key kConfigKeys[] = {
    {"url", TOCSIN_TYPE_STRING, 1, nullptr, 0, "http(s) URL answering with JSON"},
    {"allowed_hosts",
     TOCSIN_TYPE_STRING_LIST,
     1,
     nullptr,
     0,
     "hosts this source may contact; url's host must be one, and redirects elsewhere are refused"},
    {"method", TOCSIN_TYPE_STRING, 0, "\"GET\"", 0, "GET or POST"},
    {"body",
     TOCSIN_TYPE_STRING,
     0,
     nullptr,
     0,
     "request body for POST (JSON unless headers say otherwise)"},
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
    {"pointer",
     TOCSIN_TYPE_STRING,
     1,
     nullptr,
     0,
     "JSON Pointer (RFC 6901) to a number, a numeric string or a bool; or to an array, one "
     "sample per element"},
    {"value_pointer",
     TOCSIN_TYPE_STRING,
     0,
     nullptr,
     0,
     "with an array: pointer to the value inside each element (default: the element itself)"},
    {"labels",
     TOCSIN_TYPE_STRING_MAP,
     0,
     nullptr,
     0,
     "label -> JSON Pointer ('/...', relative to each array element) or fixed text ('=' "
     "starts text that begins with '/')"},
};

struct HttpJsonConfig {
    http::Request request;  // url, method, body, headers, auth, TLS; redirect_hosts = allowed
    std::vector<std::string> allowed_hosts;
};

/// One label of a KPI: either a pointer into the answer or fixed text.
struct LabelSpec {
    std::string name;
    bool is_pointer = false;
    std::string text;  // the pointer or the fixed value
};

/// What one KPI reads from the answer.
struct KpiSpec {
    std::string pointer;
    std::string value_pointer;
    std::vector<LabelSpec> labels;
};

/// Reads validated instance config into `out`; bad_config when the URL is not http(s), its host
/// is not in allowed_hosts, the method is not GET or POST, a body comes with GET, a header is
/// invalid, or the auth settings are incomplete or doubled.
[[nodiscard]] sdk::Status parse_config(const sdk::Config& config, HttpJsonConfig& out);

/// The pointers of one KPI; failed, naming the KPI, when a pointer or label name is malformed.
[[nodiscard]] sdk::Status parse_kpi(const std::string& kpi,
                                    const sdk::Config& params,
                                    KpiSpec& out);

}  // namespace tocsin::plugins::http_json
