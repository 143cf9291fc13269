#include "exec_config.hpp"
#include "plugin_harness.hpp"
#include "samples.hpp"
#include "script.hpp"
#include "support/temp_dir.hpp"
#include <tocsin/sdk/json.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

namespace ex = tocsin::plugins::exec;
using std::chrono::milliseconds;
using tocsin::sdk::Json;
using tocsin::testing::PluginInstance;
using tocsin::testing::TempDir;
using tocsin::testing::write_script;

namespace {

const tocsin_plugin& exec_plugin() {
    return tocsin::testing::load_plugin("tocsin_source_exec.so");
}

std::string config_for(const std::string& program, const std::string& format) {
    return Json::object().set("command", Json::array({program})).set("format", format).dump();
}

}  // namespace

TEST_CASE("exec config reads command, format, env, cwd and max_output", "[exec][config]") {
    ex::ExecConfig parsed;
    const auto status =
        ex::parse_config(tocsin::sdk::Config(Json::parse(R"({"command": ["/bin/check", "-w", "5"],
            "format": "json", "env": {"LANG": "C"}, "cwd": "/tmp", "max_output": 10})")),
                         parsed);
    REQUIRE(status.is_ok());
    CHECK(parsed.command.argv == std::vector<std::string>{"/bin/check", "-w", "5"});
    CHECK(parsed.format == ex::Format::Json);
    CHECK(parsed.command.env == tocsin::plugins::local::EnvList{{"LANG", "C"}});
    CHECK(parsed.command.cwd == "/tmp");
    CHECK(parsed.max_output == 10);
}

TEST_CASE("exec config refuses an empty command, an unknown format and a bad env name",
          "[exec][config]") {
    ex::ExecConfig parsed;
    auto parse = [&](const char* json) {
        return ex::parse_config(tocsin::sdk::Config(Json::parse(json)), parsed);
    };
    auto s = parse(R"({"command": [], "format": "json"})");
    CHECK(s.code == TOCSIN_BAD_CONFIG);
    CHECK_THAT(s.message, Catch::StartsWith("command is empty; give the program"));
    s = parse(R"({"command": ["x"], "format": "xml"})");
    CHECK(s.message == "format 'xml' is unknown; use nagios, json or prometheus");
    s = parse(R"({"command": ["x"], "format": "json", "env": {"A=B": "c"}})");
    CHECK(s.message == "env name 'A=B' is not a variable name; use e.g. LANG");
    s = parse(R"({"command": ["x"], "format": "json", "max_output": 0})");
    CHECK(s.code == TOCSIN_BAD_CONFIG);
}

TEST_CASE("exec module refuses a bad config at create", "[exec][config]") {
    PluginInstance instance(exec_plugin(), R"({"command": ["x"], "format": "yaml"})");
    CHECK(instance.create_status() == TOCSIN_BAD_CONFIG);
    CHECK(instance.last_error() == "format 'yaml' is unknown; use nagios, json or prometheus");
}

TEST_CASE("exec nagios gives the exit code and perfdata values to KPIs", "[exec]") {
    TempDir dir;
    const auto script = write_script(
        dir,
        "check_load",
        "echo 'LOAD WARNING - load average: 7.1 | load1=7.1;5;10;0 load5=3.2;4;8;0'\nexit 1\n");
    PluginInstance instance(exec_plugin(), config_for(script, "nagios"));
    REQUIRE(instance.create_status() == TOCSIN_OK);
    const auto out =
        instance.collect({{"load_state", R"({"status": true})"},
                          {"load1", R"({"perfdata": "load1"})"},
                          {"load1_crit", R"({"perfdata": "load1", "perfdata_field": "crit"})"}},
                         milliseconds(5000));
    INFO(out.error);
    REQUIRE(out.status == TOCSIN_OK);
    REQUIRE(out.samples.size() == 3);
    CHECK(out.samples[0].kpi == "load_state");
    CHECK(out.samples[0].value == 1);
    CHECK(out.samples[1].value == Approx(7.1));
    CHECK(out.samples[2].value == 10);
    CHECK(out.samples[0].labels.empty());
}

TEST_CASE("exec nagios names the labels found when a perfdata label is missing", "[exec]") {
    TempDir dir;
    const auto script = write_script(dir, "check", "echo 'OK | a=1 b=2'\n");
    PluginInstance instance(exec_plugin(), config_for(script, "nagios"));
    const auto out =
        instance.collect({{"c", R"({"perfdata": "c"})"}, {"k", "{}"}}, milliseconds(5000));
    CHECK(out.status == TOCSIN_FAILED);
    CHECK(out.error == "KPI 'c': perfdata label 'c' is not in the output of '" + script +
                           "' (found 'a', 'b'); KPI 'k' needs either perfdata: LABEL or status: "
                           "true (not both)");
}

TEST_CASE("exec nagios treats exit codes above 3 as a broken check", "[exec]") {
    TempDir dir;
    const auto script = write_script(dir, "check", "echo 'check_x: not found' >&2\nexit 127\n");
    PluginInstance instance(exec_plugin(), config_for(script, "nagios"));
    const auto out = instance.collect({{"s", R"({"status": true})"}}, milliseconds(5000));
    CHECK(out.status == TOCSIN_FAILED);
    CHECK(out.error == "command '" + script + "' exited with code 127: check_x: not found");
}

TEST_CASE("exec nagios UNKNOWN is a value, not a failure", "[exec]") {
    TempDir dir;
    const auto script = write_script(dir, "check", "echo 'UNKNOWN - cannot tell'\nexit 3\n");
    PluginInstance instance(exec_plugin(), config_for(script, "nagios"));
    const auto out = instance.collect({{"s", R"({"status": true})"}}, milliseconds(5000));
    REQUIRE(out.status == TOCSIN_OK);
    REQUIRE(out.samples.size() == 1);
    CHECK(out.samples[0].value == 3);
}

TEST_CASE("exec json emits requested samples with labels and timestamps", "[exec]") {
    TempDir dir;
    const auto script = write_script(dir, "kpis", R"(cat <<'JSON'
[{"kpi": "queue_depth", "value": 12, "labels": {"queue": "mail", "shard": 2}},
 {"kpi": "queue_depth", "value": "3.5", "labels": {"queue": "sms"}, "timestamp": 1767571200},
 {"kpi": "backlog_age", "value": 60, "timestamp": "2026-01-05T06:00:00Z"},
 {"kpi": "not_asked", "value": 1}]
JSON
)");
    PluginInstance instance(exec_plugin(), config_for(script, "json"));
    const auto out =
        instance.collect({{"queue_depth", "{}"}, {"backlog_age", "{}"}}, milliseconds(5000));
    INFO(out.error);
    REQUIRE(out.status == TOCSIN_OK);
    REQUIRE(out.samples.size() == 3);
    CHECK(out.samples[0].value == 12);
    CHECK(out.samples[0].label("queue") == "mail");
    CHECK(out.samples[0].label("shard") == "2");
    CHECK(out.samples[0].timestamp_ms == 0);
    CHECK(out.samples[1].value == 3.5);
    CHECK(out.samples[1].timestamp_ms == 1767571200000);
    CHECK(out.samples[2].kpi == "backlog_age");
    CHECK(out.samples[2].timestamp_ms == 1767592800000);
}

TEST_CASE("exec json fails on a missing KPI, bad JSON and a failed program", "[exec]") {
    TempDir dir;
    SECTION("missing KPI") {
        const auto script = write_script(dir, "p", "echo '[{\"kpi\": \"a\", \"value\": 1}]'\n");
        PluginInstance instance(exec_plugin(), config_for(script, "json"));
        const auto out = instance.collect({{"a", "{}"}, {"b", "{}"}}, milliseconds(5000));
        CHECK(out.status == TOCSIN_FAILED);
        CHECK(out.error == "KPI 'b' is missing from the output of '" + script + "'");
    }
    SECTION("bad JSON") {
        const auto script = write_script(dir, "p", "echo '[{\"kpi\": \"a\", \"value\": 1'\n");
        PluginInstance instance(exec_plugin(), config_for(script, "json"));
        const auto out = instance.collect({{"a", "{}"}}, milliseconds(5000));
        CHECK(out.status == TOCSIN_FAILED);
        CHECK_THAT(out.error, Catch::StartsWith("output of '" + script + "': not JSON: "));
    }
    SECTION("bad item") {
        const auto script = write_script(
            dir, "p", "echo '[{\"kpi\": \"a\", \"value\": 1}, {\"kpi\": \"a\", \"valeu\": 1}]'\n");
        PluginInstance instance(exec_plugin(), config_for(script, "json"));
        const auto out = instance.collect({{"a", "{}"}}, milliseconds(5000));
        CHECK(out.error == "output of '" + script +
                               "': item 2: unknown field 'valeu'; allowed: kpi, value, labels, "
                               "timestamp");
    }
    SECTION("failed program") {
        const auto script = write_script(dir, "p", "echo 'db is down' >&2\nexit 1\n");
        PluginInstance instance(exec_plugin(), config_for(script, "json"));
        const auto out = instance.collect({{"a", "{}"}}, milliseconds(5000));
        CHECK(out.status == TOCSIN_FAILED);
        CHECK(out.error == "command '" + script + "' exited with code 1: db is down");
    }
}

TEST_CASE("exec prometheus picks series with each KPI's match", "[exec]") {
    TempDir dir;
    const auto script = write_script(dir, "p", R"(cat <<'PROM'
# TYPE job_duration_seconds gauge
job_duration_seconds{job="backup"} 812
job_duration_seconds{job="etl"} 95 1767571200000
jobs_failed_total 4
PROM
)");
    PluginInstance instance(exec_plugin(), config_for(script, "prometheus"));
    REQUIRE(instance.create_status() == TOCSIN_OK);
    const auto out = instance.collect(
        {{"backup_duration", R"({"match": "job_duration_seconds{job=\"backup\"}"})"},
         {"jobs_failed_total", "{}"}},
        milliseconds(5000));
    INFO(out.error);
    REQUIRE(out.status == TOCSIN_OK);
    REQUIRE(out.samples.size() == 2);
    CHECK(out.samples[0].kpi == "backup_duration");
    CHECK(out.samples[0].value == 812);
    CHECK(out.samples[0].label("job") == "backup");
    CHECK(out.samples[1].kpi == "jobs_failed_total");
    CHECK(out.samples[1].value == 4);

    const auto none = instance.collect(
        {{"x", R"({"match": "job_duration_seconds{job=\"none\"}"})"}}, milliseconds(5000));
    CHECK(none.status == TOCSIN_FAILED);
    CHECK(none.error == "KPI 'x' is missing from the output of '" + script + "'");
}

TEST_CASE("exec timeout kills the program and asks for a retry", "[exec]") {
    TempDir dir;
    const auto script = write_script(dir, "slow", "sleep 100 &\nwait\n");
    PluginInstance instance(exec_plugin(), config_for(script, "json"));
    const auto started = std::chrono::steady_clock::now();
    const auto out = instance.collect({{"a", "{}"}}, milliseconds(300));
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
    CHECK(out.status == TOCSIN_RETRY);
    CHECK_THAT(
        out.error,
        Catch::Contains("timed out after") && Catch::EndsWith("; its process group was killed"));
}

TEST_CASE("exec too much output fails the collect", "[exec]") {
    TempDir dir;
    const auto script = write_script(dir, "big", "head -c 100000 /dev/zero\n");
    PluginInstance instance(exec_plugin(),
                            Json::object()
                                .set("command", Json::array({script}))
                                .set("format", "json")
                                .set("max_output", 1000)
                                .dump());
    const auto out = instance.collect({{"a", "{}"}}, milliseconds(5000));
    CHECK(out.status == TOCSIN_FAILED);
    CHECK(out.error == "command '" + script +
                           "' wrote more than 1000 bytes to stdout; raise max_output or print "
                           "less");
}

TEST_CASE("exec logs the program's stderr as a warning", "[exec]") {
    TempDir dir;
    const auto script = write_script(
        dir, "p", "echo 'deprecated flag' >&2\necho '[{\"kpi\":\"a\",\"value\":1}]'\n");
    PluginInstance instance(exec_plugin(), config_for(script, "json"));
    const auto out = instance.collect({{"a", "{}"}}, milliseconds(5000));
    CHECK(out.status == TOCSIN_OK);
    CHECK(instance.count_logs(TOCSIN_LOG_WARNING, "wrote to stderr: deprecated flag") == 1);
}
