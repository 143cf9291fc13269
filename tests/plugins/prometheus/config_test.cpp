#include "plugin_harness.hpp"
#include "prometheus_config.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace pm = tocsin::plugins::prometheus;
using tocsin::sdk::Config;
using tocsin::sdk::Json;

namespace {

Config config_of(std::string_view json) {
    return Config(Json::parse(json));
}

tocsin::sdk::Status parse(std::string_view json, pm::PrometheusConfig& out) {
    return pm::parse_config(config_of(json), out);
}

std::string bad_config(std::string_view json) {
    pm::PrometheusConfig out;
    const auto status = parse(json, out);
    CHECK(status.code == TOCSIN_BAD_CONFIG);
    return status.message;
}

}  // namespace

TEST_CASE("prometheus config with url queries with GET and verifies TLS", "[prometheus][config]") {
    pm::PrometheusConfig out;
    REQUIRE(parse(R"({"url": "http://prom:9090"})", out).is_ok());
    CHECK(out.mode == pm::Mode::Query);
    CHECK(out.target == "http://prom:9090");
    CHECK(out.method == "GET");
    CHECK(out.request.tls_verify);
    CHECK(out.request.headers.empty());
}

TEST_CASE("prometheus config with scrape_url scrapes and reads auth and TLS keys",
          "[prometheus][config]") {
    pm::PrometheusConfig out;
    REQUIRE(parse(R"({"scrape_url": "https://app:8443/metrics", "username": "u",
                      "password": "p", "tls_verify": false, "ca_file": "/etc/ca.pem",
                      "headers": {"X-Scope-OrgID": "team-a"}})",
                  out)
                .is_ok());
    CHECK(out.mode == pm::Mode::Scrape);
    CHECK(out.target == "https://app:8443/metrics");
    CHECK(out.request.username == "u");
    CHECK(out.request.password == "p");
    CHECK_FALSE(out.request.tls_verify);
    CHECK(out.request.ca_file == "/etc/ca.pem");
    CHECK(out.request.headers == tocsin::plugins::http::HeaderList{{"X-Scope-OrgID", "team-a"}});
}

TEST_CASE("prometheus config needs exactly one of url and scrape_url", "[prometheus][config]") {
    CHECK(bad_config("{}") ==
          "set url (a Prometheus server, for query) or scrape_url (a text exposition endpoint, "
          "for match)");
    CHECK(bad_config(R"({"url": "http://a:9090", "scrape_url": "http://b/metrics"})") ==
          "url and scrape_url are both set; use url for query or scrape_url for match, not both");
}

TEST_CASE("prometheus config rejects bad URLs, methods, headers and half auth",
          "[prometheus][config]") {
    CHECK(bad_config(R"({"url": "ftp://prom"})") ==
          "url is not an http(s) URL with a host; write e.g. http://localhost:9090");
    CHECK(bad_config(R"({"scrape_url": "metrics"})") ==
          "scrape_url is not an http(s) URL with a host; write e.g. http://localhost:9090");
    CHECK(bad_config(R"({"url": "http://prom", "method": "PUT"})") ==
          "method 'PUT' is not allowed; use GET or POST");
    CHECK(bad_config(R"({"url": "http://prom", "headers": {"Authorization": "x"}})") ==
          "headers: set Authorization through bearer_token or username/password, not headers, "
          "so that it stays secret");
    CHECK(bad_config(R"({"url": "http://prom", "headers": {"Bad Name": "x"}})") ==
          "headers: header name 'Bad Name' is not a valid HTTP token");
    CHECK(bad_config(R"({"url": "http://prom", "username": "u"})") ==
          "set username and password together for basic auth");
    CHECK(bad_config(R"({"url": "http://prom", "username": "u", "password": "p",
                         "bearer_token": "t"})") ==
          "bearer_token and username/password are both set; use one way to authenticate");
}

TEST_CASE("prometheus KPI keys follow the instance mode", "[prometheus][config]") {
    std::string text;
    REQUIRE(pm::parse_kpi("k", config_of(R"({"query": "up"})"), pm::Mode::Query, text).is_ok());
    CHECK(text == "up");
    REQUIRE(pm::parse_kpi("k", config_of(R"({"match": "up"})"), pm::Mode::Scrape, text).is_ok());

    auto status = pm::parse_kpi("k", config_of(R"({"match": "up"})"), pm::Mode::Query, text);
    CHECK(status.code == TOCSIN_FAILED);
    CHECK(status.message ==
          "KPI 'k' sets match, but this source has url (a Prometheus server); use query, or a "
          "source with scrape_url");
    status = pm::parse_kpi("k", config_of(R"({"query": "up"})"), pm::Mode::Scrape, text);
    CHECK(status.message ==
          "KPI 'k' sets query, but this source has scrape_url (an exposition endpoint); use "
          "match, or a source with url");
    status = pm::parse_kpi("k", config_of("{}"), pm::Mode::Query, text);
    CHECK(status.message == "KPI 'k' has no query; set query to a PromQL instant query");
    status = pm::parse_kpi("k", config_of("{}"), pm::Mode::Scrape, text);
    CHECK(status.message ==
          "KPI 'k' has no match; set match to a series selector such as "
          "up{job=\"x\"}");
}

TEST_CASE("prometheus module declares its keys and refuses bad config at create",
          "[prometheus][config]") {
    const tocsin_plugin& plugin = tocsin::testing::load_plugin("tocsin_source_prometheus.so");
    CHECK(std::string_view(plugin.name) == "prometheus");
    CHECK(plugin.kind == TOCSIN_KIND_SOURCE);
    CHECK(plugin.config_key_count == std::size(pm::kConfigKeys));
    CHECK(plugin.kpi_key_count == 2);
    bool token_secret = false;
    for (std::size_t i = 0; i < plugin.config_key_count; ++i) {
        if (std::string_view(plugin.config_keys[i].name) == "bearer_token") {
            token_secret = plugin.config_keys[i].secret != 0;
        }
    }
    CHECK(token_secret);
    tocsin::testing::PluginInstance instance(plugin, "{}");
    CHECK(instance.create_status() == TOCSIN_BAD_CONFIG);
}
