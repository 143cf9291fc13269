#include "plugin_harness.hpp"
#include "prometheus_results.hpp"
#include "support/http_server.hpp"
#include <tocsin/sdk/json.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace pm = tocsin::plugins::prometheus;
using std::chrono::milliseconds;
using tocsin::sdk::Json;
using tocsin::testing::HttpRequest;
using tocsin::testing::HttpResponse;
using tocsin::testing::HttpServer;
using tocsin::testing::PluginInstance;

namespace {

constexpr const char* kScrape = R"(# HELP kpi_value Business KPIs.
# TYPE kpi_value gauge
kpi_value{kpi="signups",env="prod"} 120
kpi_value{kpi="signups",env="staging"} 4
kpi_value{kpi="mrr",env="prod"} 5400.5 1767571200000
kpi_value{kpi="broken",env="prod"} NaN
other_metric 1
)";

const tocsin_plugin& prometheus_plugin() {
    return tocsin::testing::load_plugin("tocsin_source_prometheus.so");
}

std::string match(const std::string& selector) {
    return Json::object().set("match", selector).dump();
}

std::string query(const std::string& promql) {
    return Json::object().set("query", promql).dump();
}

HttpResponse text(std::string body, int status = 200) {
    return HttpResponse{status, {{"Content-Type", "text/plain; version=0.0.4"}}, std::move(body)};
}

HttpResponse json(std::string body, int status = 200) {
    return HttpResponse{status, {{"Content-Type", "application/json"}}, std::move(body)};
}

std::string scrape_config(const HttpServer& server, const std::string& extra = "") {
    return R"({"scrape_url": ")" + server.url("/metrics") + "\"" + extra + "}";
}

std::string query_config(const HttpServer& server, const std::string& extra = "") {
    return R"({"url": ")" + server.url("/") + "\"" + extra + "}";
}

// The value of form field `name` in `form` ("a=1&b=2"), percent-decoded.
std::string form_field(const std::string& form, const std::string& name) {
    std::size_t pos = 0;
    while (pos < form.size()) {
        std::size_t end = form.find('&', pos);
        if (end == std::string::npos) {
            end = form.size();
        }
        const std::string pair = form.substr(pos, end - pos);
        if (pair.rfind(name + "=", 0) == 0) {
            std::string out;
            for (std::size_t i = name.size() + 1; i < pair.size(); ++i) {
                if (pair[i] == '%' && i + 2 < pair.size() + 1) {
                    out.push_back(static_cast<char>(std::stoi(pair.substr(i + 1, 2), nullptr, 16)));
                    i += 2;
                } else {
                    out.push_back(pair[i] == '+' ? ' ' : pair[i]);
                }
            }
            return out;
        }
        pos = end + 1;
    }
    return "<absent>";
}

std::string origin(const HttpServer& server) {
    return "http://127.0.0.1:" + std::to_string(server.port());
}

std::string query_string(const HttpRequest& request) {
    const auto q = request.target.find('?');
    return q == std::string::npos ? "" : request.target.substr(q + 1);
}

pm::KpiResult answer(const std::string& body, long status = 200) {
    tocsin::plugins::http::Response response;
    response.status = status;
    response.body = body;
    return pm::read_query_answer("k", response, "http://prom:9090");
}

}  // namespace

TEST_CASE("prometheus query form carries the query and the time in seconds", "[prometheus]") {
    CHECK(pm::query_form("sum(rate(x{a=\"b c\"}[5m]))", 1767571200250) ==
          "query=sum%28rate%28x%7Ba%3D%22b%20c%22%7D%5B5m%5D%29%29&time=1767571200.250");
    CHECK(pm::query_form("up", 1767571200005) == "query=up&time=1767571200.005");
}

TEST_CASE("prometheus vector answer becomes rows labelled without __name__", "[prometheus]") {
    const auto result = answer(R"({"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"__name__":"up","job":"api","instance":"a:1"},"value":[1767571200.5,"1"]},
        {"metric":{"job":"db"},"value":[1767571201,"0.25"]}]}})");
    REQUIRE_FALSE(result.error);
    REQUIRE(result.rows.size() == 2);
    CHECK(result.rows[0].value == 1);
    CHECK(result.rows[0].labels == pm::Labels{{"job", "api"}, {"instance", "a:1"}});
    CHECK(result.rows[0].timestamp_ms == 1767571200500);
    CHECK(result.rows[1].value == 0.25);
    CHECK(result.rows[1].timestamp_ms == 1767571201000);
    CHECK(result.warnings.empty());
}

TEST_CASE("prometheus scalar and numeric string answers become one row", "[prometheus]") {
    auto result =
        answer(R"({"status":"success","data":{"resultType":"scalar","result":[1767571200,"42"]}})");
    REQUIRE_FALSE(result.error);
    REQUIRE(result.rows.size() == 1);
    CHECK(result.rows[0].value == 42);
    CHECK(result.rows[0].labels.empty());
    result = answer(
        R"({"status":"success","data":{"resultType":"string","result":[1767571200,"1e3"]}})");
    REQUIRE(result.rows.size() == 1);
    CHECK(result.rows[0].value == 1000);
    result =
        answer(R"({"status":"success","data":{"resultType":"string","result":[1767571200,"hi"]}})");
    REQUIRE(result.error);
    CHECK(*result.error == "query for KPI 'k': the string result 'hi' is not a number");
    CHECK_FALSE(result.temporary);
}

TEST_CASE("prometheus NaN results are skipped with a warning", "[prometheus]") {
    const auto result = answer(R"({"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"job":"a"},"value":[1767571200,"NaN"]},
        {"metric":{"job":"b"},"value":[1767571200,"+Inf"]},
        {"metric":{"job":"c"},"value":[1767571200,"3"]}]}})");
    REQUIRE_FALSE(result.error);
    REQUIRE(result.rows.size() == 1);
    CHECK(result.rows[0].value == 3);
    REQUIRE(result.warnings.size() == 2);
    CHECK(result.warnings[0] == "KPI 'k': series {job=\"a\"} skipped: value is NaN");
    CHECK(result.warnings[1] == "KPI 'k': series {job=\"b\"} skipped: value is infinite");
}

TEST_CASE("prometheus error answers quote errorType and error", "[prometheus]") {
    auto result = answer(
        R"({"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected"})", 400);
    REQUIRE(result.error);
    CHECK(*result.error == "query for KPI 'k' failed: bad_data: 1:5: parse error: unexpected");
    CHECK_FALSE(result.temporary);
    result = answer(R"({"status":"error","errorType":"timeout","error":"query timed out"})", 503);
    CHECK(*result.error == "query for KPI 'k' failed: timeout: query timed out");
    CHECK(result.temporary);
    result = answer("<html>bad gateway</html>", 502);
    CHECK(*result.error ==
          "query for KPI 'k': HTTP 502 from http://prom:9090: <html>bad gateway</html>");
    CHECK(result.temporary);
    result = answer("unauthorized", 401);
    CHECK(*result.error ==
          "query for KPI 'k': HTTP 401 from http://prom:9090: unauthorized; check "
          "bearer_token or username/password");
    CHECK_FALSE(result.temporary);
    result = answer(R"({"status":"success","data":{"resultType":"matrix","result":[]}})");
    CHECK(*result.error ==
          "query for KPI 'k' returned a range vector; write an instant query (no [range] at the "
          "end)");
    result = answer("<html>hello</html>");
    CHECK(*result.error ==
          "query for KPI 'k': the answer from http://prom:9090 is not Prometheus "
          "API JSON; point url at the server's base address");
}

TEST_CASE("prometheus answer warnings are passed on", "[prometheus]") {
    const auto result = answer(R"({"status":"success","warnings":["too many samples, truncated"],
        "data":{"resultType":"vector","result":[]}})");
    REQUIRE_FALSE(result.error);
    CHECK(result.rows.empty());
    REQUIRE(result.warnings.size() == 1);
    CHECK(result.warnings[0] == "KPI 'k': Prometheus warns: too many samples, truncated");
}

TEST_CASE("prometheus scrape is fetched once and each KPI picks its series", "[prometheus]") {
    HttpServer server;
    server.set_default_response(text(kScrape));
    PluginInstance instance(prometheus_plugin(), scrape_config(server));
    REQUIRE(instance.create_status() == TOCSIN_OK);
    const auto outcome = instance.collect({{"signups", match(R"(kpi_value{kpi="signups"})")},
                                           {"mrr", match(R"(kpi_value{kpi="mrr",env=~"pro.*"})")}},
                                          milliseconds(5000));
    INFO(outcome.error);
    REQUIRE(outcome.status == TOCSIN_OK);
    CHECK(server.request_count() == 1);
    const auto request = server.requests().front();
    CHECK(request.method == "GET");
    CHECK(request.path() == "/metrics");
    CHECK(request.header("Accept").rfind("text/plain", 0) == 0);
    REQUIRE(outcome.samples.size() == 3);
    CHECK(outcome.samples[0].kpi == "signups");
    CHECK(outcome.samples[0].value == 120);
    CHECK(outcome.samples[0].labels.size() == 2);  // kpi and env; the metric name is no label
    CHECK(outcome.samples[0].label("env") == "prod");
    CHECK(outcome.samples[0].timestamp_ms == 0);
    CHECK(outcome.samples[1].label("env") == "staging");
    CHECK(outcome.samples[2].kpi == "mrr");
    CHECK(outcome.samples[2].value == 5400.5);
    CHECK(outcome.samples[2].timestamp_ms == 1767571200000);
}

TEST_CASE("prometheus scrape warns once about a selector that matches nothing", "[prometheus]") {
    HttpServer server;
    server.set_default_response(text(kScrape));
    PluginInstance instance(prometheus_plugin(), scrape_config(server));
    const std::vector<std::pair<std::string, std::string>> kpis = {
        {"gone", match(R"(kpi_value{kpi="gone"})")}, {"nan", match(R"(kpi_value{kpi="broken"})")}};
    for (int i = 0; i < 2; ++i) {
        const auto outcome = instance.collect(kpis, milliseconds(5000));
        CHECK(outcome.status == TOCSIN_OK);
        CHECK(outcome.samples.empty());
    }
    CHECK(instance.count_logs(
              TOCSIN_LOG_WARNING,
              "KPI 'gone': no series of the scrape matches kpi_value{kpi=\"gone\"}") == 1);
    CHECK(instance.count_logs(
              TOCSIN_LOG_WARNING,
              "KPI 'nan': series kpi_value{kpi=\"broken\",env=\"prod\"} skipped: value is NaN") ==
          2);
}

TEST_CASE("prometheus scrape leaves out a series whose regex gives up, warning once",
          "[prometheus]") {
    // (a|a)*b backtracks exponentially on a long run of a's; the match gives up (work limit).
    HttpServer server;
    server.set_default_response(text("m{v=\"" + std::string(30, 'a') + "\"} 1\nm{v=\"aab\"} 2\n"));
    PluginInstance instance(prometheus_plugin(), scrape_config(server));
    const std::vector<std::pair<std::string, std::string>> kpis = {
        {"slow", match(R"(m{v=~"(a|a)*b"})")}};
    for (int i = 0; i < 2; ++i) {
        const auto outcome = instance.collect(kpis, milliseconds(5000));
        INFO(outcome.error);
        REQUIRE(outcome.status == TOCSIN_OK);
        REQUIRE(outcome.samples.size() == 1);
        CHECK(outcome.samples[0].value == 2);
    }
    CHECK(instance.count_logs(TOCSIN_LOG_WARNING,
                              "KPI 'slow': a regex of m{v=~\"(a|a)*b\"} gave up on a label value "
                              "(work limit), so that series is left out; simplify the pattern, "
                              "e.g. avoid nested repetition (a+)+") == 1);
}

TEST_CASE("prometheus scrape with bad text fails naming the line", "[prometheus]") {
    HttpServer server;
    server.set_default_response(text("ok 1\nbad{x=\"1\" 2\n"));
    PluginInstance instance(prometheus_plugin(), scrape_config(server));
    const auto outcome = instance.collect({{"k", match("ok")}}, milliseconds(5000));
    CHECK(outcome.status == TOCSIN_FAILED);
    CHECK(outcome.error == "scrape of " + origin(server) +
                               " is not valid text exposition: line 2: expected ',' or '}' after "
                               "the value of label 'x'");
    CHECK(outcome.samples.empty());
}

TEST_CASE("prometheus scrape with a bad selector fails naming the KPI", "[prometheus]") {
    HttpServer server;
    server.set_default_response(text(kScrape));
    PluginInstance instance(prometheus_plugin(), scrape_config(server));
    const auto outcome = instance.collect(
        {{"bad", match("kpi_value{kpi=signups}")}, {"good", match("other_metric")}},
        milliseconds(5000));
    CHECK(outcome.status == TOCSIN_FAILED);
    CHECK(outcome.error ==
          "KPI 'bad': match 'kpi_value{kpi=signups}' is not a series selector: "
          "expected a quoted label value at offset 14");
    REQUIRE(outcome.samples.size() == 1);
    CHECK(outcome.samples[0].kpi == "good");
}

TEST_CASE("prometheus scrape HTTP 5xx and a down server are retried", "[prometheus]") {
    std::string url;
    {
        HttpServer server;
        server.set_default_response(text("overloaded", 503));
        PluginInstance instance(prometheus_plugin(), scrape_config(server));
        const auto outcome = instance.collect({{"k", match("up")}}, milliseconds(5000));
        CHECK(outcome.status == TOCSIN_RETRY);
        CHECK(outcome.error == "scrape failed: HTTP 503 from " + origin(server) + ": overloaded");
        url = server.url("/metrics");
    }
    // The server is gone: nothing listens on its port any more.
    PluginInstance instance(prometheus_plugin(), R"({"scrape_url": ")" + url + "\"}");
    const auto outcome = instance.collect({{"k", match("up")}}, milliseconds(5000));
    CHECK(outcome.status == TOCSIN_RETRY);
    CHECK_THAT(outcome.error, Catch::StartsWith("scrape of http://127.0.0.1:"));
    CHECK_THAT(outcome.error, Catch::Contains("failed: "));
}

TEST_CASE("prometheus scrape that outlasts the deadline is cut off and retried", "[prometheus]") {
    HttpServer server;
    HttpResponse slow = text(kScrape);
    slow.delay = milliseconds(3000);
    server.set_default_response(slow);
    PluginInstance instance(prometheus_plugin(), scrape_config(server));
    const auto started = std::chrono::steady_clock::now();
    const auto outcome = instance.collect({{"k", match("up")}}, milliseconds(300));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    CHECK(outcome.status == TOCSIN_RETRY);
    CHECK_THAT(outcome.error, Catch::Contains("timed out"));
    CHECK(elapsed >= milliseconds(250));
    CHECK(elapsed < milliseconds(2000));
}

TEST_CASE("prometheus query asks /api/v1/query with the time and auth", "[prometheus]") {
    HttpServer server;
    server.set_default_response(json(R"({"status":"success","data":{"resultType":"vector",
        "result":[{"metric":{"__name__":"kpi_value","kpi":"k1"},"value":[1767571200,"7"]}]}})"));
    PluginInstance instance(prometheus_plugin(),
                            query_config(server, R"(, "bearer_token": "s3cret")"));
    REQUIRE(instance.create_status() == TOCSIN_OK);
    const auto before = tocsin::testing::unix_ms_now();
    const auto outcome = instance.collect({{"k1", query(R"(max by (kpi) (kpi_value{kpi="k1"}))")}},
                                          milliseconds(5000));
    INFO(outcome.error);
    REQUIRE(outcome.status == TOCSIN_OK);
    REQUIRE(server.request_count() == 1);
    const auto request = server.requests().front();
    CHECK(request.method == "GET");
    CHECK(request.path() == "/api/v1/query");
    CHECK(form_field(query_string(request), "query") == R"(max by (kpi) (kpi_value{kpi="k1"}))");
    const double time = std::stod(form_field(query_string(request), "time"));
    CHECK(time * 1000 >= static_cast<double>(before - 1));
    CHECK(time * 1000 <= static_cast<double>(tocsin::testing::unix_ms_now() + 1));
    CHECK(request.header("Authorization") == "Bearer s3cret");
    REQUIRE(outcome.samples.size() == 1);
    CHECK(outcome.samples[0].value == 7);
    CHECK(outcome.samples[0].labels == decltype(outcome.samples[0].labels){{"kpi", "k1"}});
    CHECK(outcome.samples[0].timestamp_ms == 1767571200000);
}

TEST_CASE("prometheus query with POST sends a form and basic auth", "[prometheus]") {
    HttpServer server;
    server.set_default_response(
        json(R"({"status":"success","data":{"resultType":"scalar","result":[1767571200,"3"]}})"));
    PluginInstance instance(
        prometheus_plugin(),
        query_config(server, R"(, "method": "POST", "username": "ops", "password": "pw")"));
    const auto outcome = instance.collect({{"k", query("scalar(up)")}}, milliseconds(5000));
    REQUIRE(outcome.status == TOCSIN_OK);
    const auto request = server.requests().front();
    CHECK(request.method == "POST");
    CHECK(request.target == "/api/v1/query");
    CHECK(request.header("Content-Type") == "application/x-www-form-urlencoded");
    CHECK(form_field(request.body, "query") == "scalar(up)");
    CHECK(request.header("Authorization") == "Basic b3BzOnB3");  // ops:pw
    REQUIRE(outcome.samples.size() == 1);
    CHECK(outcome.samples[0].value == 3);
}

TEST_CASE("prometheus query errors fail or retry and warnings are logged", "[prometheus]") {
    HttpServer server;
    server.set_handler([](const HttpRequest& request) {
        const std::string q = form_field(query_string(request), "query");
        if (q == "bad(") {
            return json(R"({"status":"error","errorType":"bad_data","error":"unexpected end"})",
                        400);
        }
        if (q == "busy") {
            return json(
                R"({"status":"error","errorType":"unavailable","error":"too many queries"})", 503);
        }
        return json(R"({"status":"success","warnings":["partial response"],
            "data":{"resultType":"scalar","result":[1767571200,"1"]}})");
    });
    PluginInstance instance(prometheus_plugin(), query_config(server));
    auto outcome = instance.collect({{"a", query("bad(")}, {"b", query("ok")}}, milliseconds(5000));
    CHECK(outcome.status == TOCSIN_FAILED);
    CHECK(outcome.error == "query for KPI 'a' failed: bad_data: unexpected end");
    REQUIRE(outcome.samples.size() == 1);
    CHECK(outcome.samples[0].kpi == "b");
    CHECK(instance.count_logs(TOCSIN_LOG_WARNING, "KPI 'b': Prometheus warns: partial response") ==
          1);

    outcome = instance.collect({{"a", query("busy")}}, milliseconds(5000));
    CHECK(outcome.status == TOCSIN_RETRY);
    CHECK(outcome.error == "query for KPI 'a' failed: unavailable: too many queries");

    outcome = instance.collect({{"a", match("up")}}, milliseconds(5000));
    CHECK(outcome.status == TOCSIN_FAILED);
    CHECK_THAT(outcome.error, Catch::StartsWith("KPI 'a' sets match, but this source has url"));
}
