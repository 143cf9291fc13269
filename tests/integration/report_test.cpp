#include "api_fixture.hpp"
#include "sqlite_util.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>

namespace tocsin::testing {
namespace {
using namespace std::chrono_literals;

/// The API installation with a `log` notifier and a report on queue_depth in its rule file.
struct ReportInstallation {
    explicit ReportInstallation(const std::string& schedule)
        : log_path(out.file("notifications.log")),
          inst("  file: { plugin: log, path: " + log_path + " }\n", "[file]") {
        inst.dir.write("rules.yaml",
                       "kpis:\n"
                       "  queue_depth: { source: pushed, target: 50 }\n"
                       "rules:\n"
                       "  - alert: QueueDeep\n"
                       "    kpi: queue_depth\n"
                       "    above: { critical: 100 }\n"
                       "policies:\n"
                       "  page:\n"
                       "    steps:\n"
                       "      - notify: [file]\n"
                       "reports:\n"
                       "  queues:\n"
                       "    schedule: \"" +
                           schedule +
                           "\"\n"
                           "    timezone: UTC\n"
                           "    kpis: [queue_depth]\n"
                           "    notify: [file]\n"
                           "    title: Queue report\n");
    }

    /// The log notifier's lines of one kind, parsed.
    [[nodiscard]] std::vector<boost::json::object> lines(const std::string& kind) const {
        std::vector<boost::json::object> found;
        std::ifstream in(log_path);
        for (std::string line; std::getline(in, line);) {
            auto doc = boost::json::parse(line).as_object();
            if (doc.at("kind").as_string() == kind) {
                found.push_back(std::move(doc));
            }
        }
        return found;
    }

    void stop() {
        inst.daemon->signal(SIGTERM);
        REQUIRE(inst.daemon->wait_exit(30s) == std::optional<int>(0));
    }

    TempDir out;  // the log notifier's file, outside the state folder
    std::string log_path;
    ApiInstallation inst;
};

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

TEST_CASE("tocsin notify --report sends the report with the latest values and alert status",
          "[integration][report]") {
    ReportInstallation r("0 9 * * *");
    r.inst.start();
    r.inst.push(R"({"kpi":"queue_depth","value":150})");
    // The firing notification in the log means the step (and its sample) is in the store.
    REQUIRE(eventually([&] { return !r.lines("firing").empty(); }, 10s));

    auto run =
        run_command({tocsin_binary(), "notify", "--report", "queues", "-c", r.inst.config}, 30s);
    INFO(run.out << run.err);
    CHECK(run.exit_code == 0);
    CHECK_THAT(run.out, Catch::Contains("report 'queues' -> file: delivered (1 line(s))"));
    const auto reports = r.lines("report");
    REQUIRE(reports.size() == 1);
    const auto& report = reports[0].at("report").as_object();
    CHECK(report.at("title") == "Queue report");
    const auto& line = report.at("lines").as_array().at(0).as_object();
    CHECK(line.at("kpi") == "queue_depth");
    CHECK(line.at("value").to_number<double>() == 150);
    CHECK(line.at("target").to_number<double>() == 50);
    CHECK(line.at("status") == "critical");
    CHECK(line.at("alert") == "QueueDeep");
    CHECK_THAT(std::string(reports[0].at("message").at("title").as_string()),
               Catch::Contains("Queue report: 1 critical"));

    run = run_command({tocsin_binary(), "notify", "--report", "queue", "-c", r.inst.config}, 30s);
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.err, Catch::Contains("no report named 'queue'; defined: queues"));
}

TEST_CASE("a report due while the daemon was down is sent once at start-up, never twice",
          "[integration][report]") {
    // A daily report whose instant was ten minutes ago (UTC), and a stored last run the day before.
    const std::int64_t minute = 60'000;
    const std::int64_t due = (now_ms() / minute - 10) * minute;
    const std::int64_t minute_of_day = (due / minute) % (24 * 60);
    ReportInstallation r(std::to_string(minute_of_day % 60) + " " +
                         std::to_string(minute_of_day / 60) + " * * *");
    r.inst.start();  // creates the state database; the report has no last run, so nothing is due
    r.inst.push(R"({"kpi":"queue_depth","value":20})");
    REQUIRE(eventually([&] { return r.inst.outbox("pending").empty(); }, 10s));
    r.stop();
    CHECK(r.lines("report").empty());

    const auto state_db = r.inst.dir.file("state/state.db");
    const std::string previous_run = R"({"scheduled_ms":)" +
                                     std::to_string(due - 24 * 60 * minute) + R"(,"sent_at_ms":)" +
                                     std::to_string(due - 24 * 60 * minute) +
                                     R"(,"values":[{"kpi":"queue_depth","labels":{},"value":30}]})";
    sql_exec(state_db,
             "INSERT INTO meta (key, value) VALUES ('report:queues', '" + previous_run + "')");

    r.inst.start();
    REQUIRE(eventually([&] { return r.lines("report").size() == 1; }, 10s));
    const auto report = r.lines("report")[0];
    CHECK(std::string(report.at("id").as_string()) ==
          "report-queues-" + std::to_string(due) + "/file");
    const auto& line = report.at("report").at("lines").as_array().at(0).as_object();
    CHECK(line.at("value").to_number<double>() == 20);
    CHECK(line.at("previous").to_number<double>() == 30);  // the trend from the stored run
    CHECK_THAT(r.inst.daemon->log(), Catch::Contains("sending the run due at"));
    const auto stored = sql_value(state_db, "SELECT value FROM meta WHERE key = 'report:queues'");
    REQUIRE(stored.has_value());
    CHECK_THAT(*stored, Catch::Contains(R"("scheduled_ms":)" + std::to_string(due)));
    r.stop();

    // Started again: the run is recorded, so nothing is sent (the start-up sends before READY).
    r.inst.start();
    CHECK_THAT(r.inst.daemon->log(), !Catch::Contains("report 'queues'"));
    CHECK(r.inst.outbox("pending").empty());
    CHECK(sql_value(state_db, "SELECT COUNT(*) FROM outbox WHERE kind = 'report'") ==
          std::optional<std::string>("1"));
    r.stop();
    CHECK(r.lines("report").size() == 1);
}

}  // namespace tocsin::testing
