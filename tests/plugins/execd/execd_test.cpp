#include "exec/script.hpp"
#include "execd_config.hpp"
#include "execd_session.hpp"
#include "plugin_harness.hpp"
#include "support/temp_dir.hpp"
#include <tocsin/sdk/json.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ed = tocsin::plugins::execd;
using std::chrono::milliseconds;
using tocsin::sdk::Config;
using tocsin::sdk::Json;
using tocsin::sdk::KpiRequest;
using tocsin::testing::PluginInstance;
using tocsin::testing::TempDir;
using tocsin::testing::write_script;

namespace {

// A well-behaved execd program in Python: answers each request with one sample per KPI whose
// value counts the requests, labelled with its pid and the KPI's query. MODE changes its ways.
constexpr const char* kProgram = R"(#!/usr/bin/env python3
import json, os, sys, time
mode = os.environ.get("MODE", "ok")
print("warming up", file=sys.stderr, flush=True)
count = 0
for line in sys.stdin:
    req = json.loads(line)
    count += 1
    if mode == "hang":
        time.sleep(100)
    if mode == "error":
        print(json.dumps({"done": True, "error": "database is down"}), flush=True)
        continue
    if mode == "garbage":
        print("this is not json", flush=True)
    for k in req["collect"]:
        q = req.get("params", {}).get(k, {}).get("query", "")
        print(json.dumps({"kpi": k, "value": count,
                          "labels": {"pid": str(os.getpid()), "query": q},
                          "timestamp": 1767571200}))
    print(json.dumps({"done": True}), flush=True)
    if mode == "die_after_one":
        sys.exit(3)
)";

struct CapturedLog {
    std::mutex mutex;
    std::vector<std::string> lines;

    static void on_log(void* ctx, tocsin_log_level /*level*/, const char* message) {
        auto* self = static_cast<CapturedLog*>(ctx);
        const std::lock_guard lock(self->mutex);
        self->lines.emplace_back(message);
    }
    bool contains(const std::string& text) {
        const std::lock_guard lock(mutex);
        for (const auto& l : lines) {
            if (l.find(text) != std::string::npos) {
                return true;
            }
        }
        return false;
    }
};

struct Fixture {
    TempDir dir;
    CapturedLog captured;
    tocsin_host host{sizeof(tocsin_host), &captured, &CapturedLog::on_log};
    tocsin::sdk::Logger logger{&host};
    std::string program = write_script(dir, "kpid.py", "");

    Fixture() { dir.write("kpid.py", kProgram); }

    std::unique_ptr<ed::Session> session(const std::string& mode, int restart_ms = 100) {
        ed::ExecdConfig config;
        config.command.argv = {program};
        config.command.env = {{"MODE", mode}};
        config.restart_delay = milliseconds(restart_ms);
        config.max_restart_delay = milliseconds(restart_ms * 4);
        return std::make_unique<ed::Session>(config, logger);
    }
};

KpiRequest req(const std::string& name) {
    return KpiRequest{name, Config()};
}

auto in_ms(int ms) {
    return std::chrono::steady_clock::now() + milliseconds(ms);
}

std::string label(const tocsin::plugins::local::ParsedSample& s, const std::string& name) {
    for (const auto& [n, v] : s.labels) {
        if (n == name) {
            return v;
        }
    }
    return "<absent>";
}

}  // namespace

TEST_CASE("execd config reads the command and restart delays", "[execd][config]") {
    ed::ExecdConfig c;
    REQUIRE(ed::parse_config(Config(Json::parse(R"({"command": ["/bin/kpid"],
        "restart_delay": 500, "max_restart_delay": 30000})")),
                             c)
                .is_ok());
    CHECK(c.command.argv == std::vector<std::string>{"/bin/kpid"});
    CHECK(c.restart_delay == milliseconds(500));
    CHECK(c.max_restart_delay == milliseconds(30000));
    CHECK(ed::parse_config(Config(Json::parse(R"({"command": []})")), c).code == TOCSIN_BAD_CONFIG);
    CHECK(ed::parse_config(Config(Json::parse(
                               R"({"command": ["x"], "restart_delay": 5000,
                                   "max_restart_delay": 1000})")),
                           c)
              .message ==
          "restart_delay must be positive and at most max_restart_delay, e.g. 1s and 60s");
}

TEST_CASE("execd keeps one program running across collects", "[execd]") {
    Fixture f;
    auto session = f.session("ok");
    std::vector<tocsin::plugins::local::ParsedSample> first;
    const auto s1 = session->exchange(
        {KpiRequest{"a", Config(Json::parse(R"({"query": "SELECT 1"})"))}, req("b")},
        in_ms(5000),
        first);
    INFO(s1.message);
    REQUIRE(s1.is_ok());
    REQUIRE(first.size() == 2);
    CHECK(first[0].kpi == "a");
    CHECK(first[0].value == 1);
    CHECK(label(first[0], "query") == "SELECT 1");
    CHECK(label(first[1], "query") == "");
    CHECK(first[0].timestamp_ms == 1767571200000);

    std::vector<tocsin::plugins::local::ParsedSample> second;
    REQUIRE(session->exchange({req("a")}, in_ms(5000), second).is_ok());
    REQUIRE(second.size() == 1);
    CHECK(second[0].value == 2);
    CHECK(label(second[0], "pid") == label(first[0], "pid"));
    CHECK(session->starts() == 1);
    CHECK(f.captured.contains("stderr: warming up"));
}

TEST_CASE("execd restarts a program that died, with growing backoff", "[execd]") {
    Fixture f;
    auto session = f.session("die_after_one", 100);
    std::vector<tocsin::plugins::local::ParsedSample> out;
    REQUIRE(session->exchange({req("a")}, in_ms(5000), out).is_ok());
    const pid_t first_pid = session->pid();
    REQUIRE(tocsin::testing::process_gone(first_pid));

    const auto dead = session->exchange({req("a")}, in_ms(5000), out);
    CHECK(dead.code == TOCSIN_RETRY);
    CHECK(dead.message == "program '" + f.program + "' exited with code 3; restarting in 100ms");
    CHECK(session->current_delay() == milliseconds(200));
    CHECK(f.captured.contains("exited with code 3; restarting in 100ms"));

    const auto waiting = session->exchange({req("a")}, in_ms(5000), out);
    CHECK(waiting.code == TOCSIN_RETRY);
    CHECK_THAT(waiting.message,
               Catch::StartsWith("program '" + f.program + "' exited with code 3; restarting in "));

    std::this_thread::sleep_for(milliseconds(120));  // the real backoff of a real process
    out.clear();
    const auto again = session->exchange({req("a")}, in_ms(5000), out);
    INFO(again.message);
    REQUIRE(again.is_ok());
    CHECK(session->starts() == 2);
    REQUIRE(out.size() == 1);
    CHECK(out[0].value == 1);                              // a fresh process counts from 1
    CHECK(session->current_delay() == milliseconds(100));  // a healthy answer resets it
}

TEST_CASE("execd stops a program that misses the deadline and starts it again", "[execd]") {
    Fixture f;
    auto session = f.session("hang");
    std::vector<tocsin::plugins::local::ParsedSample> out;
    const auto started = std::chrono::steady_clock::now();
    const auto status = session->exchange({req("a")}, in_ms(300), out);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
    CHECK(status.code == TOCSIN_RETRY);
    CHECK(status.message == "program '" + f.program +
                                "' did not finish its answer in time; it was stopped and starts "
                                "again at the next collect");
    CHECK(session->pid() == -1);
    const auto next = session->exchange({req("a")}, in_ms(200), out);
    CHECK(next.code == TOCSIN_RETRY);
    CHECK(session->starts() == 2);
}

TEST_CASE("execd reports an error answer and protocol breaks", "[execd]") {
    Fixture f;
    std::vector<tocsin::plugins::local::ParsedSample> out;
    auto erring = f.session("error");
    const auto error = erring->exchange({req("a")}, in_ms(5000), out);
    CHECK(error.code == TOCSIN_FAILED);
    CHECK(error.message == "program '" + f.program + "' answered an error: database is down");

    auto garbage = f.session("garbage");
    const auto broken = garbage->exchange({req("a")}, in_ms(5000), out);
    CHECK(broken.code == TOCSIN_FAILED);
    CHECK_THAT(broken.message,
               Catch::StartsWith("program '" + f.program +
                                 "' broke the protocol: answer line 1 is not JSON"));
    CHECK(garbage->starts() == 1);  // still running: the stream stayed in step
}

TEST_CASE("execd reports a program that cannot start", "[execd]") {
    Fixture f;
    ed::ExecdConfig config;
    config.command.argv = {f.dir.file("absent")};
    ed::Session session(config, f.logger);
    std::vector<tocsin::plugins::local::ParsedSample> out;
    const auto status = session.exchange({req("a")}, in_ms(1000), out);
    CHECK(status.code == TOCSIN_FAILED);
    CHECK(status.message == "cannot run '" + f.dir.file("absent") + "': No such file or directory");
}

TEST_CASE("execd module kills the program's process group when destroyed", "[execd]") {
    TempDir dir;
    const auto program = write_script(dir,
                                      "kpid.sh",
                                      "sleep 100 &\necho $! > " + dir.file("grandchild.pid") +
                                          "\nwhile read line; do\n"
                                          "  echo '{\"kpi\": \"a\", \"value\": '$$'}'\n"
                                          "  echo '{\"done\": true}'\ndone\n");
    pid_t pid = -1;
    {
        PluginInstance instance(tocsin::testing::load_plugin("tocsin_source_execd.so"),
                                Json::object().set("command", Json::array({program})).dump());
        REQUIRE(instance.create_status() == TOCSIN_OK);
        const auto out = instance.collect({{"a", "{}"}}, milliseconds(5000));
        INFO(out.error);
        REQUIRE(out.status == TOCSIN_OK);
        REQUIRE(out.samples.size() == 1);
        pid = static_cast<pid_t>(out.samples[0].value);
        const auto missing = instance.collect({{"a", "{}"}, {"b", "{}"}}, milliseconds(5000));
        CHECK(missing.status == TOCSIN_FAILED);
        CHECK(missing.error == "KPI 'b' is missing from the answer of '" + program + "'");
    }
    const pid_t grandchild = tocsin::testing::read_pid_file(dir.file("grandchild.pid"));
    REQUIRE(grandchild > 0);
    CHECK(tocsin::testing::process_gone(pid));
    CHECK(tocsin::testing::process_gone(grandchild));
}
