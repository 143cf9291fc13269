#include "prometheus_config.hpp"

#include <string_view>

namespace tocsin::plugins::prometheus {
namespace {

bool is_blank(std::string_view text) {
    return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace

sdk::Status parse_config(const sdk::Config& config, PrometheusConfig& out) {
    const std::string url = config.get_string("url");
    const std::string scrape_url = config.get_string("scrape_url");
    if (is_blank(url) == is_blank(scrape_url)) {
        return sdk::Status::bad_config(
            is_blank(url) ? "set url (a Prometheus server, for query) or scrape_url (a text "
                            "exposition endpoint, for match)"
                          : "url and scrape_url are both set; use url for query or scrape_url "
                            "for match, not both");
    }
    out.mode = is_blank(url) ? Mode::Scrape : Mode::Query;
    out.target = out.mode == Mode::Query ? url : scrape_url;
    const char* key = out.mode == Mode::Query ? "url" : "scrape_url";
    if (!http::url_host(out.target)) {
        return sdk::Status::bad_config(std::string(key) +
                                       " is not an http(s) URL with a host; write e.g. "
                                       "http://localhost:9090");
    }
    out.method = config.get_string("method", "GET");
    if (out.method != "GET" && out.method != "POST") {
        return sdk::Status::bad_config("method '" + out.method +
                                       "' is not allowed; use GET or POST");
    }
    auto& request = out.request;
    request.headers = config.get_string_map("headers");
    if (auto problem = http::check_headers(request.headers)) {
        return sdk::Status::bad_config("headers: " + *problem);
    }
    request.bearer_token = config.get_string("bearer_token");
    request.username = config.get_string("username");
    request.password = config.get_string("password");
    if (request.username.empty() != request.password.empty()) {
        return sdk::Status::bad_config("set username and password together for basic auth");
    }
    if (!request.bearer_token.empty() && !request.username.empty()) {
        return sdk::Status::bad_config(
            "bearer_token and username/password are both set; use one way to authenticate");
    }
    request.tls_verify = config.get_bool("tls_verify", true);
    request.ca_file = config.get_string("ca_file");
    return sdk::Status::ok();
}

sdk::Status parse_kpi(const std::string& kpi,
                      const sdk::Config& params,
                      Mode mode,
                      std::string& text) {
    const bool query_mode = mode == Mode::Query;
    const char* wanted = query_mode ? "query" : "match";
    const char* other = query_mode ? "match" : "query";
    if (params.has(other)) {
        return sdk::Status::failed(
            "KPI '" + kpi + "' sets " + other + ", but this source has " +
            (query_mode ? "url (a Prometheus server); use query, or a source with scrape_url"
                        : "scrape_url (an exposition endpoint); use match, or a source with url"));
    }
    text = params.get_string(wanted);
    if (is_blank(text)) {
        return sdk::Status::failed("KPI '" + kpi + "' has no " + wanted + "; set " + wanted +
                                   (query_mode ? " to a PromQL instant query"
                                               : " to a series selector such as up{job=\"x\"}"));
    }
    return sdk::Status::ok();
}

}  // namespace tocsin::plugins::prometheus
