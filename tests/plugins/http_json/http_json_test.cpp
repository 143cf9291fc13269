#include "json_extract.hpp"
#include "plugin_harness.hpp"
#include "support/http_server.hpp"
#include <tocsin/sdk/json.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

namespace hj = tocsin::plugins::http_json;
using std::chrono::milliseconds;
using tocsin::sdk::Json;
using tocsin::testing::HttpRequest;
using tocsin::testing::HttpResponse;
using tocsin::testing::HttpServer;
using tocsin::testing::PluginInstance;

namespace {

constexpr const char* kStats = R"({
  "service": "billing",
  "data": {"signups": 120, "mrr": "5400.50", "healthy": true, "note": "n/a",
           "a/b": 1, "m~n": 2},
  "regions": [
    {"name": "eu", "stats": {"orders": 10}, "tier": 1},
    {"name": "us", "stats": {"orders": "12"}},
    {"name": "ap", "stats": {}}
  ],
  "plain": [3, 4]
})";

Json stats() {
    return Json::parse(kStats);
}

hj::KpiSpec spec(std::string pointer,
                 std::string value_pointer = "",
                 std::vector<hj::LabelSpec> labels = {}) {
    return hj::KpiSpec{std::move(pointer), std::move(value_pointer), std::move(labels)};
}

const tocsin_plugin& http_json_plugin() {
    return tocsin::testing::load_plugin("tocsin_source_http_json.so");
}

HttpResponse json(std::string body, int status = 200) {
    return HttpResponse{status, {{"Content-Type", "application/json"}}, std::move(body)};
}

std::string config_for(const HttpServer& server, const std::string& extra = "") {
    return R"({"url": ")" + server.url("/stats") + R"(", "allowed_hosts": ["127.0.0.1"])" + extra +
           "}";
}

std::string pointer(const std::string& p, const std::string& extra = "") {
    return R"({"pointer": ")" + p + "\"" + extra + "}";
}

}  // namespace

TEST_CASE("http_json pointers resolve members, escapes and array indexes", "[http_json]") {
    const Json doc = stats();
    CHECK(hj::resolve(doc, "") == &doc);
    CHECK(hj::resolve(doc, "/data/signups")->as_number() == 120);
    CHECK(hj::resolve(doc, "/data/a~1b")->as_number() == 1);
    CHECK(hj::resolve(doc, "/data/m~0n")->as_number() == 2);
    CHECK(hj::resolve(doc, "/regions/1/name")->as_string() == "us");
    CHECK(hj::resolve(doc, "/plain/0")->as_number() == 3);
    CHECK(hj::resolve(doc, "/plain/01") == nullptr);
    CHECK(hj::resolve(doc, "/plain/2") == nullptr);
    CHECK(hj::resolve(doc, "/plain/-") == nullptr);
    CHECK(hj::resolve(doc, "/data/nothing") == nullptr);
    CHECK(hj::resolve(doc, "/service/x") == nullptr);
}

TEST_CASE("http_json single values: numbers, numeric strings and bools", "[http_json]") {
    const Json doc = stats();
    auto result = hj::extract(
        "k",
        doc,
        spec("/data/signups", "", {{"svc", true, "/service"}, {"team", false, "growth"}}));
    REQUIRE_FALSE(result.error);
    REQUIRE(result.rows.size() == 1);
    CHECK(result.rows[0].value == 120);
    CHECK(result.rows[0].labels == hj::Labels{{"svc", "billing"}, {"team", "growth"}});
    CHECK(hj::extract("k", doc, spec("/data/mrr")).rows.at(0).value == 5400.5);
    CHECK(hj::extract("k", doc, spec("/data/healthy")).rows.at(0).value == 1);
}

TEST_CASE("http_json unusable single values are errors naming KPI and pointer", "[http_json]") {
    const Json doc = stats();
    CHECK(*hj::extract("k", doc, spec("/data/missing")).error ==
          "KPI 'k': pointer '/data/missing' is not in the answer");
    CHECK(*hj::extract("k", doc, spec("/data/note")).error ==
          "KPI 'k': '/data/note' is the string 'n/a', not a number");
    CHECK(*hj::extract("k", doc, spec("/data")).error ==
          "KPI 'k': pointer '/data' names an object; point at a number, or at an array with "
          "value_pointer");
}

TEST_CASE("http_json arrays give one labelled row per element", "[http_json]") {
    const Json doc = stats();
    const auto result = hj::extract(
        "orders",
        doc,
        spec("/regions", "/stats/orders", {{"region", true, "/name"}, {"tier", true, "/tier"}}));
    REQUIRE_FALSE(result.error);
    REQUIRE(result.rows.size() == 2);
    CHECK(result.rows[0].value == 10);
    CHECK(result.rows[0].labels == hj::Labels{{"region", "eu"}, {"tier", "1"}});
    CHECK(result.rows[1].value == 12);
    CHECK(result.rows[1].labels == hj::Labels{{"region", "us"}});  // no tier: no label
    REQUIRE(result.warnings.size() == 1);
    CHECK(result.warnings[0] ==
          "KPI 'orders': element 2 of '/regions' skipped: has no '/stats/orders'");

    const auto plain = hj::extract("p", doc, spec("/plain"));
    REQUIRE(plain.rows.size() == 2);
    CHECK(plain.rows[1].value == 4);
    const auto objects = hj::extract("o", doc, spec("/regions", "", {}));
    CHECK(objects.rows.empty());
    CHECK(objects.warnings.at(0) ==
          "KPI 'o': element 0 of '/regions' skipped: is an object, not a number");
}

TEST_CASE("http_json module reads every KPI from one request", "[http_json]") {
    HttpServer server;
    server.set_default_response(json(kStats));
    PluginInstance instance(http_json_plugin(), config_for(server));
    REQUIRE(instance.create_status() == TOCSIN_OK);
    const auto outcome = instance.collect(
        {{"signups", pointer("/data/signups")},
         {"orders",
          pointer("/regions",
                  R"(, "value_pointer": "/stats/orders", "labels": {"region": "/name"})")}},
        milliseconds(5000));
    INFO(outcome.error);
    REQUIRE(outcome.status == TOCSIN_OK);
    CHECK(server.request_count() == 1);
    const auto request = server.requests().front();
    CHECK(request.method == "GET");
    CHECK(request.path() == "/stats");
    CHECK(request.header("Accept") == "application/json");
    REQUIRE(outcome.samples.size() == 3);
    CHECK(outcome.samples[0].kpi == "signups");
    CHECK(outcome.samples[0].value == 120);
    CHECK(outcome.samples[1].kpi == "orders");
    CHECK(outcome.samples[1].label("region") == "eu");
    CHECK(outcome.samples[2].value == 12);
    CHECK(instance.count_logs(TOCSIN_LOG_WARNING, "element 2 of '/regions' skipped") == 1);
}

TEST_CASE("http_json module POSTs its body with a bearer token or basic auth", "[http_json]") {
    HttpServer server;
    server.set_default_response(json(R"({"n": 5})"));
    {
        PluginInstance instance(
            http_json_plugin(),
            config_for(server,
                       R"(, "method": "POST", "body": "{\"q\":\"x\"}", "bearer_token": "tok")"));
        const auto outcome = instance.collect({{"n", pointer("/n")}}, milliseconds(5000));
        REQUIRE(outcome.status == TOCSIN_OK);
        CHECK(outcome.samples.at(0).value == 5);
    }
    {
        PluginInstance instance(http_json_plugin(),
                                config_for(server, R"(, "username": "ops", "password": "pw",
                                                      "headers": {"X-Tenant": "a"})"));
        REQUIRE(instance.collect({{"n", pointer("/n")}}, milliseconds(5000)).status == TOCSIN_OK);
    }
    const auto requests = server.requests();
    REQUIRE(requests.size() == 2);
    CHECK(requests[0].method == "POST");
    CHECK(requests[0].body == R"({"q":"x"})");
    CHECK(requests[0].header("Content-Type") == "application/json");
    CHECK(requests[0].header("Authorization") == "Bearer tok");
    CHECK(requests[1].method == "GET");
    CHECK(requests[1].header("Authorization") == "Basic b3BzOnB3");
    CHECK(requests[1].header("X-Tenant") == "a");
}

TEST_CASE("http_json module refuses redirects to hosts not allowed", "[http_json]") {
    HttpServer target;
    target.set_default_response(json(R"({"n": 9})"));
    HttpServer server;
    // localhost is the same machine but not the same host name: not on the list.
    server.set_default_response(HttpResponse{
        302, {{"Location", "http://localhost:" + std::to_string(target.port()) + "/x"}}, ""});
    PluginInstance refused(http_json_plugin(), config_for(server));
    auto outcome = refused.collect({{"n", pointer("/n")}}, milliseconds(5000));
    CHECK(outcome.status == TOCSIN_FAILED);
    CHECK(outcome.error == "redirect from http://127.0.0.1:" + std::to_string(server.port()) +
                               " to host 'localhost' refused; the host is not in allowed_hosts");
    CHECK(target.request_count() == 0);

    PluginInstance allowed(http_json_plugin(),
                           R"({"url": ")" + server.url("/stats") +
                               R"(", "allowed_hosts": ["127.0.0.1", "localhost"]})");
    outcome = allowed.collect({{"n", pointer("/n")}}, milliseconds(5000));
    INFO(outcome.error);
    REQUIRE(outcome.status == TOCSIN_OK);
    CHECK(outcome.samples.at(0).value == 9);
    CHECK(target.request_count() == 1);
}

TEST_CASE("http_json module fails on bad JSON and non-numeric values", "[http_json]") {
    HttpServer server;
    server.enqueue(json("{\"n\": 1,"));
    server.enqueue(json(R"({"n": "many", "m": 2})"));
    PluginInstance instance(http_json_plugin(), config_for(server));
    auto outcome = instance.collect({{"n", pointer("/n")}}, milliseconds(5000));
    CHECK(outcome.status == TOCSIN_FAILED);
    CHECK_THAT(outcome.error,
               Catch::StartsWith("the answer from http://127.0.0.1:" +
                                 std::to_string(server.port()) + " is not JSON: "));
    CHECK_THAT(outcome.error, Catch::EndsWith("at byte 8"));

    outcome = instance.collect({{"n", pointer("/n")}, {"m", pointer("/m")}}, milliseconds(5000));
    CHECK(outcome.status == TOCSIN_FAILED);
    CHECK(outcome.error == "KPI 'n': '/n' is the string 'many', not a number");
    REQUIRE(outcome.samples.size() == 1);
    CHECK(outcome.samples[0].kpi == "m");
}

TEST_CASE("http_json module retries on 5xx, a down server and timeouts, and fails on 401",
          "[http_json]") {
    std::string url;
    {
        HttpServer server;
        server.enqueue(json(R"({"error": "db down"})", 503));
        server.enqueue(HttpResponse{401, {}, "bad token"});
        HttpResponse slow = json(R"({"n": 1})");
        slow.delay = milliseconds(3000);
        server.enqueue(slow);
        PluginInstance instance(http_json_plugin(), config_for(server, R"(, "bearer_token": "x")"));
        const std::string origin = "http://127.0.0.1:" + std::to_string(server.port());

        auto outcome = instance.collect({{"n", pointer("/n")}}, milliseconds(5000));
        CHECK(outcome.status == TOCSIN_RETRY);
        CHECK(outcome.error == "HTTP 503 from " + origin + R"(: {"error": "db down"})");

        outcome = instance.collect({{"n", pointer("/n")}}, milliseconds(5000));
        CHECK(outcome.status == TOCSIN_FAILED);
        CHECK(outcome.error ==
              "HTTP 401 from " + origin + ": bad token; check bearer_token or username/password");

        const auto started = std::chrono::steady_clock::now();
        outcome = instance.collect({{"n", pointer("/n")}}, milliseconds(300));
        const auto elapsed = std::chrono::steady_clock::now() - started;
        CHECK(outcome.status == TOCSIN_RETRY);
        CHECK_THAT(outcome.error, Catch::StartsWith("request to " + origin + " timed out"));
        CHECK(elapsed < milliseconds(2000));
        url = server.url("/stats");
    }
    PluginInstance instance(http_json_plugin(),
                            R"({"url": ")" + url + R"(", "allowed_hosts": ["127.0.0.1"]})");
    const auto outcome = instance.collect({{"n", pointer("/n")}}, milliseconds(5000));
    CHECK(outcome.status == TOCSIN_RETRY);
    CHECK_THAT(outcome.error, Catch::StartsWith("request to http://127.0.0.1:"));
}

TEST_CASE("http_json module reports a KPI without a pointer without a request", "[http_json]") {
    HttpServer server;
    PluginInstance instance(http_json_plugin(), config_for(server));
    const auto outcome = instance.collect({{"n", "{}"}}, milliseconds(5000));
    CHECK(outcome.status == TOCSIN_FAILED);
    CHECK(outcome.error ==
          "KPI 'n' has no pointer; set pointer to a JSON Pointer such as /data/count");
    CHECK(server.request_count() == 0);
}
