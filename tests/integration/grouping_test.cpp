// Batches against the running daemon: a storm of alerts goes out as one message per notifier,
// and a batch held when the daemon is killed goes out once, at its time, after the restart.
#include "api_fixture.hpp"
#include "sqlite_util.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace tocsin::testing {
namespace {
using namespace std::chrono_literals;

constexpr int kSeries = 50;

/// Where the log notifier writes; a base so that it exists before ApiInstallation is built.
struct LogDir {
    TempDir out;
};

/// The installation of these tests: the `log` notifier `file` appends each notification as one
/// JSON line; the policy `page` groups by alertname.
class GroupedInstallation : private LogDir, public ApiInstallation {
public:
    explicit GroupedInstallation(const std::string& group_wait)
        : ApiInstallation("  file: { plugin: log, path: " + out.file("notifications.log") + " }\n",
                          "[file]") {
        write_rules(
            "[file]", "", "", "    group_by: [alertname]\n    group_wait: " + group_wait + "\n");
    }

    /// Every line the notifier wrote so far, parsed.
    [[nodiscard]] std::vector<boost::json::object> lines() const {
        std::vector<boost::json::object> out_lines;
        std::ifstream in(out.file("notifications.log"));
        for (std::string line; std::getline(in, line);) {
            if (!line.empty()) {
                out_lines.push_back(boost::json::parse(line).as_object());
            }
        }
        return out_lines;
    }

    /// `value` for every series q00..q49 in one push.
    void push_all(int value) const {
        std::string samples;
        for (int i = 0; i < kSeries; ++i) {
            samples += (i == 0 ? "" : ",") + std::string(R"({"kpi":"queue_depth","value":)") +
                       std::to_string(value) + R"(,"labels":{"q":"q)" + (i < 10 ? "0" : "") +
                       std::to_string(i) + R"("}})";
        }
        push(samples);
    }

    [[nodiscard]] std::string state_db() const { return dir.file("state/state.db"); }
};

std::string str(const boost::json::value& v) {
    return std::string(v.as_string());
}

/// Unix milliseconds of the daemon's RFC 3339 UTC times ("2026-01-05T06:00:00.250Z").
std::int64_t unix_ms(const std::string& rfc3339) {
    std::tm tm{};
    int ms = 0;
    const int got = std::sscanf(rfc3339.c_str(),
                                "%d-%d-%dT%d:%d:%d.%dZ",
                                &tm.tm_year,
                                &tm.tm_mon,
                                &tm.tm_mday,
                                &tm.tm_hour,
                                &tm.tm_min,
                                &tm.tm_sec,
                                &ms);
    REQUIRE(got >= 6);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return std::int64_t{timegm(&tm)} * 1000 + (got == 7 ? ms : 0);
}

/// The q labels of a notification's alerts, each once.
std::set<std::string> queues_of(const boost::json::object& n) {
    std::set<std::string> qs;
    for (const auto& a : n.at("alerts").as_array()) {
        qs.insert(str(a.at("labels").at("q")));
    }
    return qs;
}

}  // namespace

TEST_CASE("fifty alerts breaching at once go out as one message, and their recovery as one",
          "[integration][grouping]") {
    GroupedInstallation inst("1s");
    inst.start();

    inst.push_all(500);
    REQUIRE(eventually([&] { return inst.lines().size() >= 1; }, 15s));
    auto lines = inst.lines();
    REQUIRE(lines.size() == 1);
    const auto& fired = lines[0];
    CHECK(str(fired.at("kind")) == "firing");
    CHECK(str(fired.at("status")) == "firing");
    CHECK(fired.at("alerts").as_array().size() == kSeries);
    CHECK(queues_of(fired).size() == kSeries);
    CHECK(fired.at("group_labels").as_object() == boost::json::object{{"alertname", "QueueDeep"}});
    CHECK(str(fired.at("message").at("title")) == "[FIRING] 50 alerts: QueueDeep");
    CHECK_THAT(str(fired.at("id")), Catch::StartsWith("batch-"));

    inst.push_all(10);
    REQUIRE(eventually([&] { return inst.lines().size() >= 2; }, 15s));
    lines = inst.lines();
    REQUIRE(lines.size() == 2);
    const auto& resolved = lines[1];
    CHECK(str(resolved.at("kind")) == "resolved");
    CHECK(resolved.at("alerts").as_array().size() == kSeries);
    CHECK(queues_of(resolved).size() == kSeries);
    for (const auto& a : resolved.at("alerts").as_array()) {
        CHECK(str(a.at("status")) == "resolved");
    }
    // Nothing else was sent, and no batch is left held.
    REQUIRE(eventually([&] { return inst.outbox("delivered").size() == 2; }, 10s));
    CHECK(inst.outbox("pending").empty());
    CHECK(sql_value(inst.state_db(), "SELECT count(*) FROM held") == "0");
}

TEST_CASE("a batch held when the daemon is killed goes out once, at its time, after the restart",
          "[integration][grouping][crash]") {
    GroupedInstallation inst("3s");
    inst.start();

    const auto pushed_at = std::chrono::system_clock::now();
    inst.push_all(500);
    // The batch is committed to the state database with the alert instances...
    REQUIRE(eventually(
        [&] { return sql_value(inst.state_db(), "SELECT count(*) FROM held") == "1"; }, 10s));
    const auto body = sql_value(inst.state_db(), "SELECT body_json FROM held");
    REQUIRE(body);
    const auto held = boost::json::parse(*body).as_object();
    CHECK(held.at("members").as_array().size() == kSeries);
    const std::int64_t flush_ms = held.at("flush_at").as_int64();
    // ...and the daemon dies before it is due.
    inst.daemon->kill9();
    const auto killed_at = std::chrono::system_clock::now();
    REQUIRE(killed_at - pushed_at < 3s);
    CHECK(inst.lines().empty());

    inst.start();
    REQUIRE(eventually([&] { return inst.lines().size() >= 1; }, 15s));
    REQUIRE(eventually([&] { return inst.outbox("delivered").size() == 1; }, 10s));
    const auto lines = inst.lines();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].at("alerts").as_array().size() == kSeries);
    // Sent at its time (not before), under the id the batch had before the crash.
    CHECK_THAT(str(lines[0].at("id")), Catch::Contains("-" + std::to_string(flush_ms) + "/file"));
    CHECK(unix_ms(str(lines[0].at("created_at"))) >= flush_ms);
    CHECK(sql_value(inst.state_db(), "SELECT count(*) FROM held") == "0");

    // Another crash and restart repeat nothing: the batch is gone and everyone counts as told.
    inst.daemon->kill9();
    inst.start();
    inst.push_all(500);  // still breaching: no news
    CHECK(sql_value(inst.state_db(), "SELECT count(*) FROM held") == "0");
    CHECK(inst.outbox("pending").empty());
    CHECK(inst.lines().size() == 1);
}

}  // namespace tocsin::testing
