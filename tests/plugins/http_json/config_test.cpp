#include "http_json_config.hpp"
#include "plugin_harness.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace hj = tocsin::plugins::http_json;
using tocsin::sdk::Config;
using tocsin::sdk::Json;

namespace {

Config config_of(std::string_view json) {
    return Config(Json::parse(json));
}

std::string bad_config(std::string_view json) {
    hj::HttpJsonConfig out;
    const auto status = hj::parse_config(config_of(json), out);
    CHECK(status.code == TOCSIN_BAD_CONFIG);
    return status.message;
}

std::string bad_kpi(std::string_view json) {
    hj::KpiSpec spec;
    const auto status = hj::parse_kpi("k", config_of(json), spec);
    CHECK(status.code == TOCSIN_FAILED);
    return status.message;
}

}  // namespace

TEST_CASE("http_json config GETs JSON with TLS verification and redirects only to allowed hosts",
          "[http_json][config]") {
    hj::HttpJsonConfig out;
    REQUIRE(hj::parse_config(config_of(R"({"url": "https://API.example.com/stats",
                                           "allowed_hosts": ["api.example.com", "cdn.example.com"]})"),
                             out)
                .is_ok());
    CHECK(out.request.url == "https://API.example.com/stats");
    CHECK(out.request.method == "GET");
    CHECK(out.request.tls_verify);
    CHECK(out.request.redirect_hosts ==
          std::vector<std::string>{"api.example.com", "cdn.example.com"});
    CHECK(out.request.headers == tocsin::plugins::http::HeaderList{{"Accept", "application/json"}});
}

TEST_CASE("http_json config POSTs its body as JSON unless a Content-Type is given",
          "[http_json][config]") {
    hj::HttpJsonConfig out;
    REQUIRE(hj::parse_config(config_of(R"({"url": "http://h/q", "allowed_hosts": ["h"],
                                           "method": "POST", "body": "{\"q\": 1}",
                                           "bearer_token": "t", "tls_verify": false})"),
                             out)
                .is_ok());
    CHECK(out.request.body == R"({"q": 1})");
    CHECK(out.request.bearer_token == "t");
    CHECK_FALSE(out.request.tls_verify);
    CHECK(out.request.headers ==
          tocsin::plugins::http::HeaderList{{"Content-Type", "application/json"},
                                            {"Accept", "application/json"}});
    REQUIRE(hj::parse_config(config_of(R"({"url": "http://h/q", "allowed_hosts": ["h"],
                                           "method": "POST", "headers": {"content-type": "text/plain"}})"),
                             out)
                .is_ok());
    CHECK(out.request.headers.front().second == "text/plain");
    CHECK(out.request.headers.size() == 2);
}

TEST_CASE("http_json config refuses a url whose host is not allowed", "[http_json][config]") {
    CHECK(
        bad_config(
            R"({"url": "http://evil.example.net/x", "allowed_hosts": ["api.example.com"]})") ==
        "url's host 'evil.example.net' is not in allowed_hosts (api.example.com); add it there if "
        "this source may contact it");
    CHECK(bad_config(R"({"url": "http://h/x", "allowed_hosts": []})") ==
          "allowed_hosts is empty; list the hosts this source may contact, e.g. [h]");
    CHECK(bad_config(R"({"url": "file:///etc/passwd", "allowed_hosts": ["h"]})") ==
          "url is not an http(s) URL with a host; write e.g. https://api.example.com/stats");
}

TEST_CASE("http_json config rejects bad methods, bodies, headers and auth", "[http_json][config]") {
    CHECK(bad_config(R"({"url": "http://h/", "allowed_hosts": ["h"], "method": "DELETE"})") ==
          "method 'DELETE' is not allowed; use GET or POST");
    CHECK(bad_config(R"({"url": "http://h/", "allowed_hosts": ["h"], "body": "{}"})") ==
          "body is set but method is GET; set method: POST");
    CHECK(bad_config(R"({"url": "http://h/", "allowed_hosts": ["h"],
                         "headers": {"Authorization": "Bearer x"}})") ==
          "headers: set Authorization through bearer_token or username/password, not headers, so "
          "that it stays secret");
    CHECK(bad_config(R"({"url": "http://h/", "allowed_hosts": ["h"], "password": "p"})") ==
          "set username and password together for basic auth");
    CHECK(bad_config(R"({"url": "http://h/", "allowed_hosts": ["h"], "bearer_token": "t",
                         "username": "u", "password": "p"})") ==
          "bearer_token and username/password are both set; use one way to authenticate");
}

TEST_CASE("http_json KPI pointers and labels are checked", "[http_json][config]") {
    hj::KpiSpec spec;
    REQUIRE(hj::parse_kpi("k",
                          config_of(R"({"pointer": "/items", "value_pointer": "/n",
                                        "labels": {"region": "/where", "source": "billing",
                                                   "path": "=/api"}})"),
                          spec)
                .is_ok());
    CHECK(spec.pointer == "/items");
    CHECK(spec.value_pointer == "/n");
    REQUIRE(spec.labels.size() == 3);
    CHECK(spec.labels[0].is_pointer);
    CHECK(spec.labels[0].text == "/where");
    CHECK_FALSE(spec.labels[1].is_pointer);
    CHECK(spec.labels[1].text == "billing");
    CHECK_FALSE(spec.labels[2].is_pointer);
    CHECK(spec.labels[2].text == "/api");

    CHECK(bad_kpi("{}") ==
          "KPI 'k' has no pointer; set pointer to a JSON Pointer such as /data/count");
    CHECK(bad_kpi(R"({"pointer": "data/count"})") ==
          "KPI 'k': JSON Pointer 'data/count' must start with '/' (or be empty for the whole "
          "document)");
    CHECK(bad_kpi(R"({"pointer": "/a~2b"})") ==
          "KPI 'k': JSON Pointer '/a~2b' has '~' not followed by 0 or 1; write ~0 for '~' and ~1 "
          "for '/'");
    CHECK(bad_kpi(R"({"pointer": "/a", "labels": {"bad-name": "/x"}})") ==
          "KPI 'k': label name 'bad-name' is not allowed; use letters, digits and _");
}

TEST_CASE("http_json module declares its keys and refuses a disallowed host at create",
          "[http_json][config]") {
    const tocsin_plugin& plugin = tocsin::testing::load_plugin("tocsin_source_http_json.so");
    CHECK(std::string_view(plugin.name) == "http_json");
    CHECK(plugin.kind == TOCSIN_KIND_SOURCE);
    CHECK(plugin.config_key_count == std::size(hj::kConfigKeys));
    CHECK(plugin.kpi_key_count == std::size(hj::kKpiKeys));
    tocsin::testing::PluginInstance instance(
        plugin, R"({"url": "http://127.0.0.1:1/", "allowed_hosts": ["example.com"]})");
    CHECK(instance.create_status() == TOCSIN_BAD_CONFIG);
    CHECK_THAT(instance.last_error(), Catch::Contains("'127.0.0.1' is not in allowed_hosts"));
}
