#include "plugin_host/instances.hpp"

#include "test_util.hpp"
#include "tocsin/sdk/json.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

using namespace tocsin::plugin_host;
using namespace tocsin::plugin_host::test;
using tocsin::ErrorCode;
using tocsin::sdk::Json;

namespace {

const Registry& registry() {
    static const Registry reg = Registry::scan({kPluginDir});
    return reg;
}

const PluginInfo& plugin(const char* name, tocsin_plugin_kind kind) {
    const PluginInfo* p = registry().find(name, kind);
    REQUIRE(p != nullptr);
    return *p;
}

std::unique_ptr<SourceInstance> make_source(const char* plugin_name, const std::string& config) {
    auto inst = SourceInstance::create(plugin(plugin_name, TOCSIN_KIND_SOURCE), "app", config);
    INFO((inst ? std::string() : inst.error().text()));
    REQUIRE(inst);
    return std::move(inst).value();
}

std::unique_ptr<NotifierInstance> make_notifier(const char* plugin_name,
                                                const std::string& config) {
    auto inst = NotifierInstance::create(plugin(plugin_name, TOCSIN_KIND_NOTIFIER), "ops", config);
    INFO((inst ? std::string() : inst.error().text()));
    REQUIRE(inst);
    return std::move(inst).value();
}

constexpr std::int64_t kNow = 1767225600000;  // 2026-01-01T00:00:00Z
constexpr std::int64_t kFarDeadline = kNow + 3600 * 1000;

}  // namespace

TEST_CASE("source instance collects samples through the loaded module", "[instances]") {
    auto src = make_source("testsource", R"({"scale":2,"repeat":2,"extra_labels":{"env":"prod"}})");
    CHECK(src->name() == "app");
    CHECK(src->component() == "source.testsource 'app'");
    const std::vector<SourceInstance::KpiQuery> kpis = {
        {"signups", R"({"value":21,"labels":{"plan":"pro"}})"},
        {"revenue", R"({"value":0.5,"timestamp_ms":1700000000000})"},
    };
    auto result = src->collect(kpis, kFarDeadline, kNow);
    INFO((result ? std::string() : result.error().text()));
    REQUIRE(result);
    const auto& samples = result.value();
    REQUIRE(samples.size() == 4);
    CHECK(samples[0].kpi == "signups");
    CHECK(samples[0].value == 42);
    CHECK(samples[0].labels == tocsin::engine::Labels{{"plan", "pro"}, {"env", "prod"}});
    CHECK(tocsin::engine::to_unix_ms(samples[0].at) == kNow);  // timestamp 0 -> now
    CHECK(samples[1].kpi == "signups");
    CHECK(samples[2].kpi == "revenue");
    CHECK(samples[2].value == 1);
    CHECK(tocsin::engine::to_unix_ms(samples[2].at) == 1700000000000);
    CHECK(samples[2].labels == tocsin::engine::Labels{{"env", "prod"}});
}

TEST_CASE("source instance logs through the host sink under its component tag", "[instances]") {
    LogCapture capture;
    auto src = make_source("testsource",
                           R"({"greeting":"hi","interval":30000,"scale":1,"tags":["a","b"]})");
    const auto lines = capture.lines();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].level == TOCSIN_LOG_INFO);
    CHECK(lines[0].component == "source.testsource 'app'");
    CHECK(lines[0].message ==
          "configured: greeting=hi interval=30000 scale=1 repeat=1 enabled=false tags=a,b");
}

TEST_CASE("source instance refuses samples of KPIs it did not ask for", "[instances]") {
    LogCapture capture;
    auto src = make_source("testsource", R"({"scale":1,"repeat":1})");
    auto result =
        src->collect({{"asked", R"({"value":1,"also_emit":"sneaky"})"}}, kFarDeadline, kNow);
    REQUIRE(result);
    REQUIRE(result.value().size() == 1);
    CHECK(result.value()[0].kpi == "asked");
    const auto lines = capture.lines();
    REQUIRE(lines.size() == 3);
    CHECK(lines[1].level == TOCSIN_LOG_WARNING);
    CHECK(lines[1].message == "the host refused 1 samples");  // the plugin saw the refusal
    CHECK(lines[2].component == "source.testsource 'app'");
    CHECK(lines[2].message == "refused 1 sample: sample for KPI 'sneaky', which was not requested");
}

TEST_CASE("source instance accepts requested KPIs in any order and refuses the others",
          "[instances]") {
    LogCapture capture;
    auto src = make_source("testsource", R"({"scale":1,"repeat":1})");
    // "a" also emits "c" (out of request order) and "c" also emits "a" (backwards); "b" an
    // unrequested KPI, after the host already had to look beyond its in-order guess.
    const std::vector<SourceInstance::KpiQuery> kpis = {
        {"a", R"({"value":1,"also_emit":"c"})"},
        {"b", R"({"value":2,"also_emit":"stranger"})"},
        {"c", R"({"value":3,"also_emit":"a"})"},
    };
    auto result = src->collect(kpis, kFarDeadline, kNow);
    REQUIRE(result);
    std::vector<std::string> got;
    for (const auto& sample : result.value()) {
        got.push_back(sample.kpi + "=" + std::to_string(static_cast<int>(sample.value)));
    }
    CHECK(got == std::vector<std::string>{"a=1", "c=1", "b=2", "c=3", "a=3"});
    const auto lines = capture.lines();
    REQUIRE(!lines.empty());
    CHECK(lines.back().message ==
          "refused 1 sample: sample for KPI 'stranger', which was not requested");
}

TEST_CASE("a source sees each collect's own KPI parameters when they change between collects",
          "[instances]") {
    auto src = make_source("testsource", R"({"scale":1,"repeat":1})");
    const auto values = [&](const std::vector<SourceInstance::KpiQuery>& kpis) {
        auto result = src->collect(kpis, kFarDeadline, kNow);
        REQUIRE(result);
        std::vector<std::string> got;
        for (const auto& sample : result.value()) {
            got.push_back(sample.kpi + "=" + std::to_string(static_cast<int>(sample.value)));
        }
        return got;
    };
    // The plugin keeps the parsed requests while they stay the same: a changed parameter, a
    // renamed KPI, a shorter or empty list must each be seen at once.
    CHECK(values({{"x", R"({"value":1})"}, {"y", R"({"value":2})"}}) ==
          std::vector<std::string>{"x=1", "y=2"});
    CHECK(values({{"x", R"({"value":1})"}, {"y", R"({"value":2})"}}) ==
          std::vector<std::string>{"x=1", "y=2"});
    CHECK(values({{"x", R"({"value":1})"}, {"y", R"({"value":5})"}}) ==
          std::vector<std::string>{"x=1", "y=5"});
    CHECK(values({{"x", R"({"value":1})"}, {"z", R"({"value":5})"}}) ==
          std::vector<std::string>{"x=1", "z=5"});
    CHECK(values({{"x", ""}}) == std::vector<std::string>{"x=0"});
    CHECK(values({}).empty());
    CHECK(values({{"x", R"({"value":7})"}}) == std::vector<std::string>{"x=7"});
}

TEST_CASE("source instance returns the plugin's reason when collect fails", "[instances]") {
    SECTION("retry") {
        auto src = make_source("testsource", R"({"scale":1,"mode":"retry"})");
        auto result = src->collect({{"k", "{}"}}, kFarDeadline, kNow);
        REQUIRE_FALSE(result);
        CHECK(result.error().code == ErrorCode::Source);
        CHECK(result.error().text() == "source 'app': collect failed (temporary): mode says retry");
    }
    SECTION("failed") {
        auto src = make_source("testsource", R"({"scale":1,"mode":"failed"})");
        auto result = src->collect({{"k", "{}"}}, kFarDeadline, kNow);
        REQUIRE_FALSE(result);
        CHECK(result.error().text() == "source 'app': collect failed: mode says failed");
    }
}

TEST_CASE("a config the plugin refuses in configure is a config error", "[instances]") {
    auto result = SourceInstance::create(
        plugin("testsource", TOCSIN_KIND_SOURCE), "app", R"({"token":"wrong"})");
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::Config);
    CHECK(result.error().text() ==
          "source 'app': plugin 'testsource' refused the config: token is not accepted");
}

TEST_CASE("exceptions thrown in configure are contained", "[instances]") {
    const PluginInfo& info = plugin("throwcreate", TOCSIN_KIND_SOURCE);
    auto std_ex = SourceInstance::create(info, "boom", R"({"what":"std"})");
    REQUIRE_FALSE(std_ex);
    CHECK(std_ex.error().code == ErrorCode::Plugin);
    CHECK(std_ex.error().text() ==
          "source 'boom': plugin 'throwcreate' could not start: configure exploded");
    auto other = SourceInstance::create(info, "boom", R"({"what":"other"})");
    REQUIRE_FALSE(other);
    CHECK(other.error().message == "plugin 'throwcreate' could not start: unknown exception");
}

TEST_CASE("exceptions thrown in collect are contained and the instance stays usable",
          "[instances]") {
    auto std_ex = make_source("throwcollect", R"({"what":"std"})");
    for (int i = 0; i < 2; ++i) {
        auto result = std_ex->collect({{"k", "{}"}}, kFarDeadline, kNow);
        REQUIRE_FALSE(result);
        CHECK(result.error().message == "collect failed: collect exploded");
    }
    auto other = make_source("throwcollect", R"({"what":"other"})");
    auto result = other->collect({}, kFarDeadline, kNow);
    REQUIRE_FALSE(result);
    CHECK(result.error().message == "collect failed: unknown exception");
}

TEST_CASE("notifier instance delivers through the loaded module", "[instances]") {
    TempDir dir;
    const std::string out = dir.file("sent.jsonl");
    auto n =
        make_notifier("testnotifier", Json::object().set("path", out).set("answer", "ok").dump());
    CHECK(n->component() == "notify.testnotifier 'ops'");
    const std::string first = R"({"status":"firing","alert":"ActivationRateLow","value":0.25})";
    const auto r1 = n->send(first, kFarDeadline);
    CHECK(r1.status == TOCSIN_OK);
    CHECK(r1.detail == "appended " + std::to_string(first.size() + 1) + " bytes");
    CHECK(r1.error.empty());
    const auto r2 = n->send(R"({"status":"resolved"})", kFarDeadline);
    CHECK(r2.status == TOCSIN_OK);
    CHECK(read_file(out) == first + "\n" + R"({"status":"resolved"})" + "\n");
}

TEST_CASE("notifier instance passes on retry with retry-after and permanent failure",
          "[instances]") {
    TempDir dir;
    SECTION("retry") {
        auto n = make_notifier("testnotifier",
                               Json::object()
                                   .set("path", dir.file("x"))
                                   .set("answer", "retry")
                                   .set("retry_after", 2000)
                                   .dump());
        const auto r = n->send("{}", kFarDeadline);
        CHECK(r.status == TOCSIN_RETRY);
        CHECK(r.retry_after_ms == 2000);
        CHECK(r.detail == "answered retry");
        CHECK(r.error == "told to retry");
    }
    SECTION("failed") {
        auto n =
            make_notifier("testnotifier",
                          Json::object().set("path", dir.file("x")).set("answer", "failed").dump());
        const auto r = n->send("{}", kFarDeadline);
        CHECK(r.status == TOCSIN_FAILED);
        CHECK(r.retry_after_ms == 0);
        CHECK(r.error == "told to fail");
    }
    SECTION("malformed notification") {
        auto n = make_notifier("testnotifier", Json::object().set("path", dir.file("x")).dump());
        const auto r = n->send("{oops", kFarDeadline);
        CHECK(r.status == TOCSIN_FAILED);
        CHECK_THAT(r.error, Catch::StartsWith("expected a string key in object"));
    }
}

TEST_CASE("exceptions thrown in send are contained", "[instances]") {
    auto std_ex = make_notifier("throwsend", R"({"what":"std"})");
    const auto r1 = std_ex->send("{}", kFarDeadline);
    CHECK(r1.status == TOCSIN_FAILED);
    CHECK(r1.error == "send exploded");
    auto other = make_notifier("throwsend", R"({"what":"other"})");
    const auto r2 = other->send("{}", kFarDeadline);
    CHECK(r2.status == TOCSIN_FAILED);
    CHECK(r2.error == "unknown exception");
}

TEST_CASE("instances refuse a plugin of the other kind", "[instances]") {
    auto s = SourceInstance::create(plugin("testnotifier", TOCSIN_KIND_NOTIFIER), "x", "{}");
    REQUIRE_FALSE(s);
    CHECK(s.error().text() == "source 'x': plugin 'testnotifier' is not a source");
    auto n = NotifierInstance::create(plugin("testsource", TOCSIN_KIND_SOURCE), "y", "{}");
    REQUIRE_FALSE(n);
    CHECK(n.error().text() == "notifier 'y': plugin 'testsource' is not a notifier");
}

TEST_CASE("concurrent collects on one instance are serialized and all succeed", "[instances]") {
    auto src = make_source("testsource", R"({"scale":1,"repeat":3})");
    std::vector<std::thread> threads;
    std::atomic<int> good{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                auto r = src->collect({{"k", R"({"value":1})"}}, kFarDeadline, kNow);
                if (r && r.value().size() == 3) {
                    ++good;
                }
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    CHECK(good == 200);
}
