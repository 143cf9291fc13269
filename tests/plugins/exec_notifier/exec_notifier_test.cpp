#include "alertmanager_payload.hpp"
#include "exec_notifier_config.hpp"
#include "notifier_common/sample_notifications.hpp"
#include "plugin_harness.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace ex = tocsin::plugins::exec_notifier;
namespace cm = tocsin::plugins::common;
using std::chrono::milliseconds;
using tocsin::sdk::Config;
using tocsin::sdk::Json;
using tocsin::testing::PluginInstance;
using tocsin::testing::sample_firing;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

// A config running `sh -c script` (the plugin itself never uses a shell).
std::string sh_config(const std::string& script, const std::string& extra = "") {
    Json config = Json::object();
    config.set("command", Json::array({"/bin/sh", "-c", script}));
    std::string text = config.dump();
    text.pop_back();
    return text + extra + "}";
}

const tocsin_plugin& exec_plugin() {
    return tocsin::testing::load_plugin("tocsin_notifier_exec.so");
}

std::string bad_config_message(const std::string& json) {
    ex::ExecConfig parsed;
    const auto status = ex::parse_config(Config(Json::parse(json)), parsed);
    CHECK(status.code == TOCSIN_BAD_CONFIG);
    return status.message;
}

}  // namespace

TEST_CASE("exec notifier config takes a command, timeout and max_alerts",
          "[exec-notifier][config]") {
    ex::ExecConfig parsed;
    REQUIRE(ex::parse_config(Config(Json::parse(R"({"command": ["page", "--team", "ops"],
                                                   "timeout": 5000, "max_alerts": 2})")),
                             parsed)
                .is_ok());
    CHECK(parsed.command == std::vector<std::string>{"page", "--team", "ops"});
    CHECK(parsed.timeout == milliseconds(5000));
    CHECK(parsed.max_alerts == 2);
    CHECK(bad_config_message(R"({"command": []})") ==
          "command is empty; give the program and its arguments, e.g. [/usr/local/bin/page, "
          "--team, ops]");
    CHECK(bad_config_message(R"({"command": ["x"], "timeout": 0})") ==
          "timeout must be between 1ms and 1h");
    CHECK(bad_config_message(R"({"command": ["x"], "max_alerts": -1})") ==
          "max_alerts is negative; use 0 for all alerts or a count");

    const tocsin_plugin& plugin = exec_plugin();
    CHECK(std::string(plugin.name) == "exec");
    CHECK(plugin.kind == TOCSIN_KIND_NOTIFIER);
    REQUIRE(plugin.config_key_count == 3);
    CHECK(std::string(plugin.config_keys[0].name) == "command");
    CHECK(plugin.config_keys[0].required == 1);
}

TEST_CASE("exec notifier pipes the webhook JSON with a clean environment", "[exec-notifier]") {
    tocsin::testing::TempDir dir;
    const std::string out = (dir.path() / "in.json").string();
    const std::string env = (dir.path() / "env.txt").string();
    PluginInstance instance(exec_plugin(),
                            sh_config("cat > '" + out +
                                      "'; printf '%s|%s|%s' \"$PATH\" \"$TOCSIN_NOTIFICATION_ID\" "
                                      "\"${HOME-unset}\" > '" +
                                      env + "'; echo done >&2"));
    REQUIRE(instance.create_status() == TOCSIN_OK);
    const Json notification = sample_firing();
    const auto outcome = instance.send(notification.dump(), milliseconds(5000));
    INFO(outcome.error);
    REQUIRE(outcome.status == TOCSIN_OK);
    CHECK(outcome.detail == "exit 0: done");
    CHECK(Json::parse(read_file(out)) == cm::render_payload(notification, 0));
    const std::string seen = read_file(env);
    CHECK_THAT(seen, Catch::EndsWith("|5f1c2a9e3b7d4c10-1767571200000-1/ops|unset"));
    CHECK_FALSE(seen.rfind("|", 0) == 0);  // PATH is there
}

TEST_CASE("exec notifier maps exit codes to outcomes", "[exec-notifier]") {
    SECTION("75 is a temporary failure") {
        PluginInstance instance(exec_plugin(), sh_config("cat >/dev/null; echo busy >&2; exit 75"));
        const auto outcome = instance.send(sample_firing().dump(), milliseconds(5000));
        CHECK(outcome.status == TOCSIN_RETRY);
        CHECK(outcome.detail == "exit 75 (temporary failure): busy");
    }
    SECTION("other codes are permanent, with the start of stderr") {
        PluginInstance instance(
            exec_plugin(),
            sh_config(
                "cat >/dev/null; i=0; while [ $i -lt 100 ]; do printf 'error line %d\\n' $i >&2; "
                "i=$((i+1)); done; exit 3"));
        const auto outcome = instance.send(sample_firing().dump(), milliseconds(5000));
        CHECK(outcome.status == TOCSIN_FAILED);
        CHECK_THAT(outcome.error,
                   Catch::StartsWith("'/bin/sh' exited with 3: error line 0 error line 1"));
        CHECK(outcome.detail.size() <= 255);
        CHECK_THAT(outcome.detail, Catch::StartsWith("exit 3: error line 0"));
    }
    SECTION("a program that ignores stdin still works") {
        PluginInstance instance(exec_plugin(), sh_config("exit 0"));
        CHECK(instance.send(sample_firing().dump(), milliseconds(5000)).status == TOCSIN_OK);
    }
    SECTION("a missing program is permanent") {
        PluginInstance instance(exec_plugin(), R"({"command": ["tocsin-no-such-program"]})");
        const auto outcome = instance.send(sample_firing().dump(), milliseconds(5000));
        CHECK(outcome.status == TOCSIN_FAILED);
        CHECK(outcome.error == "'tocsin-no-such-program' not found in PATH");
    }
}

TEST_CASE("exec notifier kills the whole process group on timeout", "[exec-notifier]") {
    tocsin::testing::TempDir dir;
    const std::string pid_file = (dir.path() / "child.pid").string();
    PluginInstance instance(
        exec_plugin(),
        sh_config("sleep 30 & echo $! > '" + pid_file + "'; wait", R"(, "timeout": 300)"));
    const auto started = std::chrono::steady_clock::now();
    const auto outcome = instance.send(sample_firing().dump(), milliseconds(5000));
    const auto elapsed = std::chrono::steady_clock::now() - started;
    CHECK(outcome.status == TOCSIN_RETRY);
    CHECK(outcome.detail == "timed out; process group killed");
    CHECK(elapsed >= milliseconds(250));
    CHECK(elapsed < milliseconds(2000));
    const std::string pid_text = read_file(pid_file);
    REQUIRE_FALSE(pid_text.empty());
    const pid_t grandchild = static_cast<pid_t>(std::stol(pid_text));
    // The background sleep was in the group: gone (it may linger a moment as a zombie of init).
    bool gone = false;
    for (int i = 0; i < 50 && !gone; ++i) {
        gone =
            ::kill(grandchild, 0) != 0 ||
            read_file("/proc/" + pid_text.substr(0, pid_text.find('\n')) + "/stat").find(") Z") !=
                std::string::npos;
        if (!gone) {
            std::this_thread::sleep_for(milliseconds(20));
        }
    }
    CHECK(gone);
}

TEST_CASE("exec notifier stops at the host's deadline when it is sooner", "[exec-notifier]") {
    PluginInstance instance(exec_plugin(), sh_config("sleep 30", R"(, "timeout": 60000)"));
    const auto started = std::chrono::steady_clock::now();
    const auto outcome = instance.send(sample_firing().dump(), milliseconds(300));
    CHECK(outcome.status == TOCSIN_RETRY);
    CHECK(std::chrono::steady_clock::now() - started < milliseconds(2000));
}
