#include "plugin_host/config_check.hpp"

#include "engine/loader.hpp"
#include "test_util.hpp"
#include "tocsin/sdk/json.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace tocsin::plugin_host;
using namespace tocsin::plugin_host::test;
using tocsin::engine::Diagnostics;
using tocsin::sdk::Json;

namespace {

constexpr const char* kSecretEnv = "hunter2-from-env";
constexpr const char* kSecretLiteral = "s3cr3t-literal";

/// tocsin.yaml (and optionally one rule file) loaded by the real loader, plus the test plugins.
struct Fixture {
    TempDir dir;
    Registry registry = Registry::scan({kPluginDir});
    tocsin::engine::LoadedConfig loaded;
    Diagnostics diags;

    explicit Fixture(const std::string& instances, const std::string& rules = "kpis: {}\n") {
        dir.write("rules.yaml", rules);
        const std::string path =
            dir.write("tocsin.yaml", "state_dir: state\nrule_files: [rules.yaml]\n" + instances);
        Diagnostics load_diags;
        auto env = [](const std::string& name) -> std::optional<std::string> {
            return name == "TOKEN" ? std::optional<std::string>(kSecretEnv) : std::nullopt;
        };
        auto result = tocsin::engine::load_config(path, load_diags, env);
        INFO(load_diags.render());
        REQUIRE(result);
        loaded = std::move(*result);
        diags.sources().add(path, read_file(path));
    }

    const PluginInfo& source() const { return *registry.find("testsource", TOCSIN_KIND_SOURCE); }
    const PluginInfo& notifier() const {
        return *registry.find("testnotifier", TOCSIN_KIND_NOTIFIER);
    }
    std::string file() const { return dir.file("tocsin.yaml"); }
};

}  // namespace

TEST_CASE("config check fills defaults, converts types and passes durations as ms", "[config]") {
    Fixture f(R"(sources:
  app:
    plugin: testsource
    scale: 2.5
    repeat: 3
    enabled: no
    interval: 1m30s
    tags: [a, b]
    extra_labels: {env: prod}
    token: "${env:TOKEN}"
)");
    const auto json =
        check_instance_config(f.loaded.config.sources.at(0), f.source(), "source", f.diags);
    INFO(f.diags.render());
    REQUIRE(json);
    CHECK_FALSE(f.diags.has_errors());
    CHECK(
        *json ==
        R"({"greeting":"hello","scale":2.5,"repeat":3,"enabled":false,"interval":90000,"tags":["a","b"],)"
        R"("extra_labels":{"env":"prod"},"token":"hunter2-from-env","mode":"ok"})");
}

TEST_CASE("config check reports an unknown key with did-you-mean and the allowed keys",
          "[config]") {
    Fixture f(R"(notifiers:
  ops:
    plugin: testnotifier
    path: /tmp/out
    answr: retry
)");
    const auto json =
        check_instance_config(f.loaded.config.notifiers.at(0), f.notifier(), "notifier", f.diags);
    CHECK_FALSE(json);
    REQUIRE(f.diags.error_count() == 1);
    const auto& d = f.diags.all().at(0);
    CHECK(d.loc.file == f.file());
    CHECK(d.loc.line == 7);
    CHECK(d.loc.col == 5);
    CHECK(d.path == "notifier 'ops'");
    CHECK(d.message ==
          "unknown key 'answr' (did you mean 'answer'?); allowed: path, answer, retry_after, "
          "api_token, plugin, "
          "timeout, fallback, fallback_after, fallback_attempts, rate_limit, message");
    CHECK_THAT(f.diags.render(),
               Catch::Contains(f.file() + ":7:5: error: notifier 'ops': unknown key 'answr'"));
}

TEST_CASE("config check reports a missing required key at the instance", "[config]") {
    Fixture f(R"(notifiers:
  ops:
    plugin: testnotifier
    fallback: other
  other:
    plugin: testnotifier
    path: /tmp/x
    rate_limit: 5/m
)");
    const auto json =
        check_instance_config(f.loaded.config.notifiers.at(0), f.notifier(), "notifier", f.diags);
    CHECK_FALSE(json);
    REQUIRE(f.diags.error_count() == 1);  // fallback is the app's key, not an unknown one
    const auto& d = f.diags.all().at(0);
    CHECK(d.loc.line == 4);
    CHECK(d.loc.col == 3);
    CHECK(d.path == "notifier 'ops'");
    CHECK(d.message ==
          "missing required key 'path' (a string: file the notifications are appended to)");

    Diagnostics other;
    const auto ok =
        check_instance_config(f.loaded.config.notifiers.at(1), f.notifier(), "notifier", other);
    REQUIRE(ok);
    CHECK(*ok == R"({"path":"/tmp/x","answer":"ok","retry_after":0})");
}

TEST_CASE("config check reports wrong types at the value", "[config]") {
    Fixture f(R"(sources:
  app:
    plugin: testsource
    repeat: many
    scale: "2"
    enabled: maybe
    interval: 30 seconds
    tags: solo
    extra_labels: [a]
    greeting: {nested: map}
)");
    const auto json =
        check_instance_config(f.loaded.config.sources.at(0), f.source(), "source", f.diags);
    CHECK_FALSE(json);
    INFO(f.diags.render());
    REQUIRE(f.diags.error_count() == 7);
    struct Expected {
        int line;
        int col;
        std::string path;
        std::string message;
    };
    const Expected expected[] = {
        {6, 13, "source 'app' > repeat", "'many' is not an integer; use a whole number such as 10"},
        {7,
         12,
         "source 'app' > scale",
         "'2' is quoted, so it is a string; write it without quotes as a number"},
        {8, 14, "source 'app' > enabled", "'maybe' is not a bool; use true or false"},
        {9, 15, "source 'app' > interval", "'30 seconds' is not a duration; use e.g. 30s or 2m"},
        {10,
         11,
         "source 'app' > tags",
         "expected a list of strings, got 'solo'; write e.g. [a, b]"},
        {11,
         19,
         "source 'app' > extra_labels",
         "expected a map of strings, got a list; write e.g. {name: value}"},
        {12, 15, "source 'app' > greeting", "expected a string, got a map"},
    };
    for (std::size_t i = 0; i < std::size(expected); ++i) {
        const auto& d = f.diags.all().at(i);
        CAPTURE(i, d.message);
        CHECK(d.loc.line == expected[i].line);
        CHECK(d.loc.col == expected[i].col);
        CHECK(d.path == expected[i].path);
        CHECK(d.message == expected[i].message);
    }
}

TEST_CASE("config check never shows secret values in diagnostics or the redacted config",
          "[config]") {
    Fixture f(std::string(R"(sources:
  app:
    plugin: testsource
    token: ")") +
              kSecretLiteral + R"("
    repeat: "${env:TOKEN}"
    greeting: "${env:TOKEN}"
    scale: 3
    interval: 5m
    tags: [x, "${env:TOKEN}"]
notifiers:
  ops:
    plugin: testnotifier
    path: /tmp/out
    api_token: )" +
              kSecretLiteral + R"(
    retry_after: soon
)");
    const auto& src = f.loaded.config.sources.at(0);
    const auto& ops = f.loaded.config.notifiers.at(0);
    CHECK_FALSE(check_instance_config(src, f.source(), "source", f.diags));
    CHECK_FALSE(check_instance_config(ops, f.notifier(), "notifier", f.diags));
    REQUIRE(f.diags.error_count() == 2);
    CHECK(f.diags.all()[0].message ==
          "the secret value is not an integer; use a whole number such as 10");
    CHECK(f.diags.all()[1].message == "'soon' is not a duration; use e.g. 30s or 2m");
    const std::string rendered = f.diags.render() + f.diags.render_json();
    CHECK_THAT(rendered, !Catch::Contains(kSecretEnv));
    CHECK_THAT(rendered, !Catch::Contains(kSecretLiteral));

    const std::string redacted = redacted_config(src, f.source());
    CHECK_THAT(redacted, !Catch::Contains(kSecretEnv));
    CHECK_THAT(redacted, !Catch::Contains(kSecretLiteral));
    const Json r = Json::parse(redacted);
    CHECK(r.at("plugin").as_string() == "testsource");
    CHECK(r.at("timeout").as_string() == "30s");
    CHECK(r.at("token").as_string() == "<redacted>");
    CHECK(r.at("repeat").as_string() == "<redacted>");
    CHECK(r.at("greeting").as_string() == "<redacted>");
    CHECK(r.at("tags").as_string() == "<redacted>");
    CHECK(r.at("scale").as_number() == 3);
    CHECK(r.at("interval").as_string() == "5m");

    const Json n = Json::parse(redacted_config(ops, f.notifier()));
    CHECK(n.at("api_token").as_string() == "<redacted>");
    CHECK(n.at("path").as_string() == "/tmp/out");
}

TEST_CASE("config check validates KPI params against the plugin's per-KPI keys", "[config]") {
    Fixture f("sources:\n  app: {plugin: testsource}\n", R"(kpis:
  signups:
    source: app
    every: 1m
    value: 3
    labels: {plan: pro}
  typo:
    source: app
    valeu: 3
)");
    const auto& kpis = f.loaded.rules.kpis;
    REQUIRE(kpis.size() == 2);
    const auto good = check_kpi_params(kpis[0], f.source(), f.diags);
    REQUIRE(good);
    CHECK(*good == R"({"value":3,"labels":{"plan":"pro"},"timestamp_ms":0})");
    CHECK_FALSE(f.diags.has_errors());

    CHECK_FALSE(check_kpi_params(kpis[1], f.source(), f.diags));
    REQUIRE(f.diags.error_count() == 2);
    CHECK(f.diags.all()[0].path == "kpi 'typo'");
    CHECK(f.diags.all()[0].loc.line == 9);
    CHECK(f.diags.all()[0].message ==
          "unknown key 'valeu' (did you mean 'value'?); allowed: value, labels, timestamp_ms, "
          "also_emit, source, "
          "every, unit, target, description");
    CHECK(f.diags.all()[1].loc.line == 7);
    CHECK(f.diags.all()[1].message == "missing required key 'value' (a number: the value to emit)");
}
