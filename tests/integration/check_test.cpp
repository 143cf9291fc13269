#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace tocsin::testing {
namespace {
using namespace std::chrono_literals;

constexpr const char* kPlantedSecret = "s3cr3t-token-do-not-print";

}  // namespace

TEST_CASE("tocsin check reports every mistake at its position and exits 1",
          "[integration][config]") {
    TempDir dir;
    // Planted secret: it must not appear in any output.
    ::setenv("TOCSIN_IT_SECRET",
             kPlantedSecret,
             1);  // NOLINT(concurrency-mt-unsafe): single-threaded here
    dir.write("broken.yaml",
              "kpis:\n"
              "  a: { source: db, query: SELECT 1 AS value\n");  // unterminated flow map: bad YAML
    dir.write("rules.yaml",
              "kpis:\n"
              "  signups:\n"
              "    source: nowhere\n"  // 3:13 unknown source
              "    query: SELECT count(*) AS value FROM users\n"
              "rules:\n"
              "  - alert: SignupsLow\n"
              "    kpi: signups\n"
              "    below: { warning: ten }\n"  // 8:23 wrong type
              "    for: 5 minutes\n");         // 9:10 bad duration
    const auto config = dir.write(
        "tocsin.yaml",
        "state_dir: state\n"
        "plugin_dirs: [" +
            plugin_dir() +
            "]\n"
            "rule_files: [rules.yaml, broken.yaml]\n"
            "timezon: UTC\n"  // 4:1 unknown key, did you mean
            "sources:\n"
            "  db: { plugin: sqlite, path: app.db, pathh: x }\n"  // 6:39 unknown plugin key
            "notifiers:\n"
            "  hook:\n"
            "    plugin: webhook\n"
            "    url: http://127.0.0.1:1/hook\n"
            "    bearer_token: \"${env:TOCSIN_IT_SECRET}\"\n"
            "    max_alerts: many\n");  // 12:17 wrong type
    const auto r = run_command({tocsin_binary(), "check", "-c", config}, 30s);
    INFO(r.err);
    CHECK(r.exit_code == 1);
    const auto& e = r.err;
    CHECK_THAT(e, Catch::Contains("broken.yaml:3:"));
    CHECK_THAT(e, Catch::Contains("tocsin.yaml:4:1: error:"));
    CHECK_THAT(e, Catch::Contains("did you mean 'timezone'"));
    CHECK_THAT(e, Catch::Contains("tocsin.yaml:6:39: error:"));
    CHECK_THAT(e, Catch::Contains("pathh"));
    CHECK_THAT(e, Catch::Contains("did you mean 'path'"));
    CHECK_THAT(e, Catch::Contains("tocsin.yaml:12:17: error:"));
    CHECK_THAT(e, Catch::Contains("rules.yaml:3:13: error:"));
    CHECK_THAT(e, Catch::Contains("nowhere"));
    CHECK_THAT(e, Catch::Contains("rules.yaml:8:23: error:"));
    CHECK_THAT(e, Catch::Contains("rules.yaml:9:10: error:"));
    CHECK_THAT(e, Catch::Contains("'5 minutes' is not a duration"));
    // The source line and a caret under the offending spot.
    CHECK_THAT(e, Catch::Contains("        for: 5 minutes\n             ^"));
    CHECK_THAT(e, Catch::Contains("configuration not applied"));
    CHECK(e.find(kPlantedSecret) == std::string::npos);
    CHECK(r.out.find(kPlantedSecret) == std::string::npos);
}

TEST_CASE("tocsin check accepts the demo configuration", "[integration][config]") {
    // The demo names the default build's plugin folder; point it at this build's instead.
    TempDir dir;
    std::ifstream in(std::string(TOCSIN_SOURCE_DIR) + "/config/demo/tocsin.yaml");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string source_root = std::string(TOCSIN_SOURCE_DIR) + "/";
    for (std::size_t at = 0; (at = text.find("../../", at)) != std::string::npos;) {
        text.replace(at, 6, source_root);
    }
    const auto default_plugins = source_root + "build/default/plugins";
    text.replace(text.find(default_plugins), default_plugins.size(), plugin_dir());
    for (const char* name : {"policies.yaml", "reports.yaml"}) {
        std::ifstream file(std::string(TOCSIN_SOURCE_DIR) + "/config/demo/" + name);
        dir.write(
            name,
            std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>()));
    }
    const auto config = dir.write("tocsin.yaml", text);

    const auto r = run_command({tocsin_binary(), "check", "-c", config}, 30s);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("ok"));
    CHECK_THAT(r.out, Catch::Contains("1 report(s)"));
}

TEST_CASE("tocsin plugins lists the shipped plugins with their keys", "[integration]") {
    const auto r = run_command({tocsin_binary(), "plugins", "--plugin-dir", plugin_dir()}, 30s);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("sqlite"));
    CHECK_THAT(r.out, Catch::Contains("webhook"));
    CHECK_THAT(r.out, Catch::Contains("log"));
    CHECK_THAT(r.out, Catch::Contains("query"));
}

}  // namespace tocsin::testing

namespace tocsin::testing {

TEST_CASE("delivery keys of notifiers are checked by tocsin check", "[integration][config]") {
    TempDir dir;
    const auto write = [&](const std::string& second_keys) {
        return dir.write("tocsin.yaml",
                         "state_dir: state\n"
                         "plugin_dirs: [" +
                             plugin_dir() +
                             "]\n"
                             "notifiers:\n"
                             "  first: { plugin: log, path: \"-\", fallback: second }\n"
                             "  second:\n"
                             "    plugin: log\n"
                             "    path: \"-\"\n" +
                             second_keys);
    };
    SECTION("fallback, fallback_after, fallback_attempts and rate_limit are accepted") {
        const auto config = write(
            "    rate_limit: { rate: 30/m, burst: 2 }\n"
            "    fallback_after: 2m\n"
            "    fallback_attempts: 3\n");
        const auto r =
            run_command({tocsin_binary(), "check", "-c", config}, std::chrono::seconds(30));
        INFO(r.err);
        CHECK(r.exit_code == 0);
    }
    SECTION("a bad rate and a fallback cycle are errors at their lines") {
        const auto config = write(
            "    rate_limit: fast\n"
            "    fallback: first\n");
        const auto r =
            run_command({tocsin_binary(), "check", "-c", config}, std::chrono::seconds(30));
        INFO(r.err);
        CHECK(r.exit_code == 1);
        CHECK_THAT(r.err,
                   Catch::Contains("tocsin.yaml:8:17: error: notifier 'second' > rate_limit: "
                                   "rate_limit must be 'N/s'"));
        CHECK_THAT(r.err, Catch::Contains("fallbacks form a cycle: first -> second -> first"));
    }
}

}  // namespace tocsin::testing

namespace tocsin::testing {}  // namespace tocsin::testing
