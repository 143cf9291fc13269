// The exec, execd and file sources inside the real daemon: their samples drive rules, and their
// failures make the KPIs stale and fire TocsinSourceDown naming the source and the error.

#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

namespace tocsin::testing {
namespace {
using namespace std::chrono_literals;

std::string script(const TempDir& dir, const std::string& name, const std::string& body) {
    const auto path = dir.write(name, "#!/bin/sh\n" + body);
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
    return path;
}

// Rules on one KPI of source `source`, paging the fixture's webhook.
std::string rules_for(const std::string& kpi_line, const std::string& rule) {
    return "kpis:\n" + kpi_line +
           "policies:\n"
           "  page:\n"
           "    steps:\n"
           "      - notify: [hook]\n"
           "rules:\n" +
           rule;
}

std::string alert_name(const boost::json::object& notification) {
    return std::string(
        notification.at("alerts").as_array()[0].at("labels").at("alertname").as_string());
}

}  // namespace

TEST_CASE("exec source runs a Nagios check whose exit code drives a rule",
          "[integration][source][exec]") {
    Installation inst;
    const auto check = script(inst.dir,
                              "check_queue",
                              "echo 'QUEUE CRITICAL - 950 waiting | waiting=950;100;500;0'\n"
                              "exit 2\n");
    inst.write_config("  checks: { plugin: exec, command: [" + check +
                      "], format: nagios, every: 200ms, timeout: 5s }\n");
    inst.write_rules_text(
        rules_for("  queue_state: { source: checks, status: true }\n"
                  "  queue_waiting: { source: checks, perfdata: waiting }\n",
                  "  - alert: QueueCheckCritical\n"
                  "    kpi: queue_state\n"
                  "    above: { warning: 0.5, critical: 1.5 }\n"
                  "    summary: \"queue check state {{ value }}\"\n"));
    auto daemon = inst.start();
    REQUIRE(inst.hook.wait_for_requests(1, 20s));
    const auto fired = inst.post(0);
    INFO(daemon->log());
    INFO(boost::json::serialize(fired));
    CHECK(alert_name(fired) == "QueueCheckCritical");
    const auto& alert = fired.at("alerts").as_array()[0].as_object();
    CHECK(alert.at("labels").at("severity") == "critical");
    CHECK(alert.at("annotations").at("summary") == "queue check state 2");
}

TEST_CASE("file source going missing fires TocsinSourceDown, and the file's return resolves it",
          "[integration][source][file]") {
    Installation inst;
    const auto csv = inst.dir.file("kpis.csv");  // not there yet
    inst.write_config("  exports: { plugin: file, path: " + csv +
                      ", every: 100ms, down_after: 0s }\n");
    inst.write_rules_text(rules_for("  backlog: { source: exports }\n",
                                    "  - alert: BacklogHigh\n"
                                    "    kpi: backlog\n"
                                    "    above: { warning: 100 }\n"));
    auto daemon = inst.start();
    REQUIRE(inst.hook.wait_for_requests(1, 20s));
    const auto down = inst.post(0);
    INFO(daemon->log());
    CHECK(alert_name(down) == "TocsinSourceDown");
    const auto& alert = down.at("alerts").as_array()[0].as_object();
    CHECK(alert.at("labels").at("source") == "exports");
    CHECK_THAT(std::string(alert.at("annotations").at("description").as_string()),
               Catch::Contains("No such file or directory"));

    inst.dir.write("kpis.csv", "kpi,value\nbacklog,12\n");
    REQUIRE(inst.hook.wait_for_requests(2, 20s));
    const auto resolved = inst.post(1);
    CHECK(resolved.at("status") == "resolved");
    CHECK(alert_name(resolved) == "TocsinSourceDown");
}

TEST_CASE("execd program that keeps dying fires TocsinSourceDown with its exit",
          "[integration][source][execd]") {
    Installation inst;
    const auto program = script(inst.dir, "kpid", "read line\nexit 4\n");
    inst.write_config("  kpid: { plugin: execd, command: [" + program +
                      "], restart_delay: 100ms, every: 100ms, down_after: 0s }\n");
    inst.write_rules_text(rules_for("  jobs: { source: kpid }\n",
                                    "  - alert: JobsHigh\n"
                                    "    kpi: jobs\n"
                                    "    above: { warning: 100 }\n"));
    auto daemon = inst.start();
    REQUIRE(inst.hook.wait_for_requests(1, 20s));
    const auto down = inst.post(0);
    INFO(daemon->log());
    CHECK(alert_name(down) == "TocsinSourceDown");
    CHECK_THAT(std::string(
                   down.at("alerts").as_array()[0].at("annotations").at("description").as_string()),
               Catch::Contains("exited with code 4") || Catch::Contains("closed its stdout"));
}

}  // namespace tocsin::testing
