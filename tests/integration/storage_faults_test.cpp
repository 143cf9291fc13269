// Storage faults, end to end: the real daemon on a state folder that is full, read-only, locked by
// another process, damaged, or written by another schema version. Each case must end in a clear
// one-line error naming the path and what to do, or (for a fault at run time) in a loud degraded
// state that loses no notification once the fault is gone.
//
// The full and read-only cases mount a small tmpfs, which needs root (CI runs as root); elsewhere
// they are skipped with a warning (tag [root]).
#include "api_fixture.hpp"
#include "sqlite_util.hpp"
#include "support/http_server.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <set>

namespace tocsin::testing {
namespace {
using namespace std::chrono_literals;
namespace fs = std::filesystem;

/// A tmpfs mounted on a folder for one test, detached on destruction (lazily, so a daemon that
/// still has it open cannot make the unmount fail).
class Tmpfs {
public:
    /// Mounts a tmpfs of `size` (e.g. "4m") on `dir`; nullptr (after a WARN) when that is not
    /// possible here (not root, no mount permission in a container).
    static std::unique_ptr<Tmpfs> mount(const std::string& dir, const std::string& size) {
        fs::create_directories(dir);
        if (::geteuid() != 0) {
            WARN("skipped: mounting a tmpfs needs root (CI runs this test as root)");
            return nullptr;
        }
        const std::string options = "size=" + size + ",mode=0755";
        if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) != 0) {
            WARN("skipped: cannot mount a tmpfs on " << dir << ": " << std::strerror(errno));
            return nullptr;
        }
        return std::unique_ptr<Tmpfs>(new Tmpfs(dir));
    }
    ~Tmpfs() { (void)::umount2(dir_.c_str(), MNT_DETACH); }
    Tmpfs(const Tmpfs&) = delete;
    Tmpfs& operator=(const Tmpfs&) = delete;

    void remount_read_only() const {
        REQUIRE(::mount(nullptr, dir_.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) == 0);
    }

    /// Writes a file until the file system is full; returns its path.
    [[nodiscard]] std::string fill() const {
        const std::string path = dir_ + "/filler";
        std::FILE* f = std::fopen(path.c_str(), "wb");
        REQUIRE(f != nullptr);
        const std::string chunk(4096, 'x');
        while (std::fwrite(chunk.data(), 1, chunk.size(), f) == chunk.size() &&
               std::fflush(f) == 0) {
        }
        std::fclose(f);
        return path;
    }

private:
    explicit Tmpfs(std::string dir) : dir_(std::move(dir)) {}
    std::string dir_;
};

/// The API installation with one webhook receiver, for the storage cases.
struct Setup {
    HttpServer hook;
    ApiInstallation inst{webhook_notifier("hook", hook.url("/hook")), "[hook]"};
    std::string state_dir = inst.dir.file("state");
    std::string state_db = inst.dir.file("state/state.db");

    /// `tocsin run` expected to refuse to start: its exit code and output.
    [[nodiscard]] CommandResult run_refused() const {
        return run_command({tocsin_binary(), "run", "-c", inst.config}, 30s);
    }
    /// Starts and stops the daemon once, leaving an up-to-date state database behind.
    void create_state() {
        inst.start();
        inst.daemon->signal(SIGTERM);
        REQUIRE(inst.daemon->wait_exit(15s) == std::optional<int>(0));
    }
    /// The status, asked again while the API gives no answer in time (see store_ok()).
    [[nodiscard]] boost::json::object status() const {
        HttpAnswer answer;
        (void)eventually(
            [&] {
                answer = inst.call("GET", "/api/v1/status");
                return answer.status == 200;
            },
            30s);
        return parse_body(answer);
    }
    /// What the status says of the store; nullopt when the API gave no answer in time: status
    /// reads queue on the store thread behind a commit waiting out a lock (5 s, slower still in
    /// the sanitizer builds), so the pollers below just ask again.
    [[nodiscard]] std::optional<bool> store_ok() const {
        const auto answer = inst.call("GET", "/api/v1/status");
        if (answer.status != 200) {
            return std::nullopt;
        }
        return parse_body(answer).at("store").at("ok").as_bool();
    }
    [[nodiscard]] std::string metrics() const { return inst.call("GET", "/metrics").body; }
};

std::string one_line_with(const std::string& text, const std::string& needle) {
    const auto at = text.find(needle);
    if (at == std::string::npos) {
        return {};
    }
    const auto begin = text.rfind('\n', at);
    const auto end = text.find('\n', at);
    return text.substr(begin == std::string::npos ? 0 : begin + 1,
                       end == std::string::npos
                           ? std::string::npos
                           : end - (begin == std::string::npos ? 0 : begin + 1));
}

std::string file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Checks the daemon answered a run-time store fault loudly: status, healthz, metrics.
void check_degraded(const Setup& s, const std::string& why) {
    const auto status = s.status();
    const auto& store = status.at("store").as_object();
    INFO(boost::json::serialize(store));
    CHECK(store.at("ok").as_bool() == false);
    CHECK_THAT(std::string(store.at("error").as_string()), Catch::Contains(why));
    CHECK_THAT(std::string(store.at("path").as_string()), Catch::Contains("state.db"));
    CHECK(store.at("failing_since").is_string());
    CHECK(store.at("write_failures").as_int64() >= 1);
    const auto health = s.inst.call("GET", "/healthz", {}, "", "");
    CHECK(health.status == 200);
    CHECK_THAT(health.body, Catch::Contains("\"status\":\"degraded\""));
    CHECK_THAT(health.body, Catch::Contains(why));
    const auto metrics = s.metrics();
    CHECK_THAT(metrics, Catch::Contains("\ntocsin_store_up 0\n"));
    CHECK_THAT(metrics, !Catch::Contains("tocsin_store_write_failures_total 0\n"));
}

TEST_CASE(
    "a full state file system degrades loudly and every notification goes out once space "
    "is back",
    "[storage][root]") {
    Setup s;
    auto tmpfs = Tmpfs::mount(s.state_dir, "8m");
    if (!tmpfs) {
        return;
    }
    s.inst.start();
    CHECK(s.store_ok() == true);
    CHECK_THAT(s.metrics(), Catch::Contains("\ntocsin_store_up 1\n"));

    const auto filler = tmpfs->fill();
    s.inst.push(R"({"kpi": "queue_depth", "labels": {"queue": "a"}, "value": 500},
                   {"kpi": "queue_depth", "labels": {"queue": "b"}, "value": 500},
                   {"kpi": "queue_depth", "labels": {"queue": "c"}, "value": 500})");
    REQUIRE(eventually([&] { return s.store_ok() == false; }, 10s));
    check_degraded(s, "full");
    const auto log = s.inst.daemon->log();
    CHECK_THAT(one_line_with(log, "cannot persist"), Catch::Contains("error"));
    CHECK_THAT(one_line_with(log, "cannot persist"), Catch::Contains("free space"));
    // Nothing is sent before it is written: a crash now must not leave a sent notification
    // the state does not know about.
    CHECK(s.hook.request_count() == 0);

    fs::remove(filler);
    INFO(s.inst.daemon->log());
    REQUIRE(s.hook.wait_for_requests(3, 15s));
    CHECK(eventually([&] { return s.store_ok() == true; }, 10s));
    CHECK_THAT(s.metrics(), Catch::Contains("\ntocsin_store_up 1\n"));
    CHECK(s.status().at("store").at("unpersisted_steps").as_int64() == 0);
    std::set<std::string> queues;
    for (const auto& r : s.hook.requests()) {
        const auto body = boost::json::parse(r.body).as_object();
        CHECK(body.at("status").as_string() == "firing");
        for (const auto& a : body.at("alerts").as_array()) {
            queues.insert(std::string(a.at("labels").at("queue").as_string()));
        }
    }
    CHECK(queues == std::set<std::string>{"a", "b", "c"});
    CHECK_THAT(s.inst.daemon->log(), Catch::Contains("persisting again"));
    s.inst.daemon->signal(SIGTERM);
    CHECK(s.inst.daemon->wait_exit(15s) == std::optional<int>(0));
}

TEST_CASE("a read-only state folder is refused at start, naming the folder and the fix",
          "[storage][root]") {
    Setup s;
    auto tmpfs = Tmpfs::mount(s.state_dir, "4m");
    if (!tmpfs) {
        return;
    }
    SECTION("with a state database from an earlier run") {
        s.create_state();
    }
    SECTION("empty") {}
    tmpfs->remount_read_only();
    const auto result = s.run_refused();
    INFO(result.err);
    CHECK(result.exit_code == 1);
    const auto line = one_line_with(result.err, "critical");
    CHECK_THAT(line, Catch::Contains(s.state_dir));
    CHECK_THAT(line, Catch::Contains("Read-only file system"));
    CHECK_THAT(line, Catch::Contains("remount it read-write"));
    CHECK_THAT(line, Catch::Contains("not starting"));
}

TEST_CASE(
    "a state database locked by another process is refused at start, and a lock taken at "
    "run time only delays notifications",
    "[storage][concurrency]") {
    Setup s;
    s.create_state();
    {
        WriteLock lock(s.state_db, WriteLock::Mode::Exclusive);
        const auto result = s.run_refused();
        INFO(result.err);
        CHECK(result.exit_code == 1);
        const auto line = one_line_with(result.err, "critical");
        CHECK_THAT(line, Catch::Contains(s.state_db));
        CHECK_THAT(line, Catch::Contains("database is locked"));
        CHECK_THAT(line, Catch::Contains("another process holds a lock"));
    }

    s.inst.start();  // the lock is gone: starts
    {
        WriteLock lock(s.state_db, WriteLock::Mode::Exclusive);
        s.inst.push(R"({"kpi": "queue_depth", "value": 500})");
        // A commit waits out the busy timeout (5 s) before it counts as failed.
        REQUIRE(eventually([&] { return s.store_ok() == false; }, 15s));
        check_degraded(s, "locked");
        CHECK(s.hook.request_count() == 0);
    }
    INFO(s.inst.daemon->log());
    REQUIRE(s.hook.wait_for_requests(1, 15s));
    CHECK(eventually([&] { return s.store_ok() == true; }, 10s));
    CHECK(boost::json::parse(s.hook.requests()[0].body).at("status").as_string() == "firing");
}

TEST_CASE("a second daemon on the same state folder is refused naming the first one's pid",
          "[storage]") {
    Setup s;
    s.inst.start();
    const auto result = s.run_refused();
    INFO(result.err);
    CHECK(result.exit_code == 1);
    const auto line = one_line_with(result.err, "critical");
    CHECK_THAT(line,
               Catch::Contains("another tocsin daemon (pid " +
                               std::to_string(s.inst.daemon->pid()) + ")"));
    CHECK_THAT(line, Catch::Contains(s.state_dir));
    CHECK_THAT(line, Catch::Contains("own state_dir"));
    // The first one is unharmed.
    CHECK(s.inst.call("GET", "/healthz").status == 200);
}

TEST_CASE("a damaged state database is refused at start and left as it was", "[storage]") {
    Setup s;
    s.create_state();
    s.inst.start();
    s.inst.push(R"({"kpi": "queue_depth", "value": 500})");
    REQUIRE(s.hook.wait_for_requests(1, 10s));
    s.inst.daemon->signal(SIGTERM);
    REQUIRE(s.inst.daemon->wait_exit(15s) == std::optional<int>(0));
    fs::remove(s.state_db + "-wal");
    fs::remove(s.state_db + "-shm");
    const auto good = file_bytes(s.state_db);
    REQUIRE(good.size() > 8192);

    std::string damaged;
    std::string says;
    SECTION("garbage bytes") {
        for (int i = 0; i < 4096; ++i) {
            damaged.push_back(static_cast<char>((i * 7919) & 0xff));
        }
        says = "not a tocsin state database";
    }
    SECTION("a truncated header") {
        damaged = good.substr(0, 40);
        says = "damaged";
    }
    SECTION("the header intact, pages overwritten") {
        damaged = good.substr(0, 100) + std::string(good.size() - 100, '\x5a');
        says = "damaged";
    }
    SECTION("cut short after the first pages") {
        damaged = good.substr(0, 4096 * 2);
        says = "damaged";
    }
    {
        std::ofstream out(s.state_db, std::ios::binary | std::ios::trunc);
        out << damaged;
    }
    const auto result = s.run_refused();
    INFO(result.err);
    CHECK(result.exit_code == 1);
    const auto line = one_line_with(result.err, "critical");
    CHECK_THAT(line, Catch::Contains(s.state_db));
    CHECK_THAT(line, Catch::Contains(says));
    CHECK_THAT(line, Catch::Contains("restore it from a backup"));
    CHECK_THAT(line, Catch::Contains("not starting"));
    CHECK(file_bytes(s.state_db) == damaged);  // nothing was written over the evidence
}

TEST_CASE("a state database from a newer tocsin is refused naming both schema versions",
          "[storage]") {
    Setup s;
    s.create_state();
    const auto ours = sql_value(s.state_db, "SELECT value FROM meta WHERE key = 'schema_version'");
    REQUIRE(ours);
    sql_exec(s.state_db, "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
    const auto result = s.run_refused();
    INFO(result.err);
    CHECK(result.exit_code == 1);
    const auto line = one_line_with(result.err, "critical");
    CHECK_THAT(line, Catch::Contains(s.state_db));
    CHECK_THAT(line, Catch::Contains("schema version 99"));
    CHECK_THAT(line, Catch::Contains("version " + *ours + " this build knows"));
    CHECK(sql_value(s.state_db, "SELECT value FROM meta WHERE key = 'schema_version'") == "99");
}

TEST_CASE("a state database of an older schema is migrated and keeps its alerts and outbox",
          "[storage]") {
    Setup s;
    // A firing alert whose notification the receiver refuses: it stays pending in the outbox.
    s.hook.set_default_response(HttpResponse{503, {}, "down", 0ms});
    s.inst.start();
    s.inst.push(R"({"kpi": "queue_depth", "value": 500})");
    REQUIRE(s.hook.wait_for_requests(1, 10s));
    s.inst.daemon->signal(SIGTERM);
    REQUIRE(s.inst.daemon->wait_exit(15s) == std::optional<int>(0));
    const auto latest =
        sql_value(s.state_db, "SELECT value FROM meta WHERE key = 'schema_version'");
    REQUIRE(latest);
    const auto pending_id = sql_value(s.state_db, "SELECT id FROM outbox WHERE state = 'pending'");
    REQUIRE(pending_id);

    // Back to schema version 3 as an older release left it: no acknowledgement columns (v4), no
    // silences and no held batches (v5), and one row per sample in `samples` (v6).
    sql_exec(s.state_db,
             "DROP TABLE sample_log; DROP TABLE sample_chunks; DROP TABLE sample_blocks;"
             "ALTER TABLE series DROP COLUMN last_at_ms; ALTER TABLE series DROP COLUMN last_value;"
             "CREATE TABLE samples (series_id INTEGER NOT NULL REFERENCES series (id) ON DELETE "
             "CASCADE, at_ms INTEGER NOT NULL, value REAL);"
             "CREATE INDEX samples_series_at ON samples (series_id, at_ms);"
             "CREATE INDEX samples_at ON samples (at_ms);"
             // Recent samples: retention's prune at start must not be what empties them.
             "INSERT INTO samples SELECT id, CAST(strftime('%s', 'now') AS INTEGER) * 1000 - "
             "2000, 500 FROM series;"
             "INSERT INTO samples SELECT id, CAST(strftime('%s', 'now') AS INTEGER) * 1000 - "
             "1000, 500 FROM series;"
             "DROP TABLE silences; DROP TABLE held;"
             "ALTER TABLE alert_instances DROP COLUMN ack_author;"
             "ALTER TABLE alert_instances DROP COLUMN ack_comment;"
             "ALTER TABLE alert_instances DROP COLUMN ack_at_ms;"
             "ALTER TABLE alert_instances DROP COLUMN ack_until_ms;"
             "UPDATE meta SET value = '3' WHERE key = 'schema_version';");

    s.hook.set_default_response(HttpResponse{200, {}, "ok", 0ms});
    const auto before = s.hook.request_count();
    s.inst.start();
    INFO(s.inst.daemon->log());
    CHECK_THAT(s.inst.daemon->log(), Catch::Contains("restored 1 active alert(s)"));
    CHECK(sql_value(s.state_db, "SELECT value FROM meta WHERE key = 'schema_version'") == latest);
    CHECK(sql_value(s.state_db, "SELECT count(*) FROM sqlite_schema WHERE name = 'samples'") ==
          "0");
    CHECK(std::stol(sql_value(s.state_db, kSampleCountSql).value_or("0")) >= 2);
    const auto alerts = parse_body(s.inst.call("GET", "/api/v1/alerts"));
    REQUIRE(alerts.at("alerts").as_array().size() == 1);
    CHECK(alerts.at("alerts").as_array()[0].at("state").as_string() == "firing");
    // The notification the old database held goes out, with its id.
    REQUIRE(s.hook.wait_for_requests(before + 1, 15s));
    CHECK(s.hook.requests()[before].header("Idempotency-Key") == *pending_id);
    REQUIRE(eventually([&] { return s.inst.outbox("delivered").size() == 1; }, 10s));
    // The migrated database takes what the new columns are for.
    const auto ack =
        s.inst.cli({"ack",
                    std::string(alerts.at("alerts").as_array()[0].at("id").as_string()),
                    "--author",
                    "dana"});
    INFO(ack.out << ack.err);
    CHECK(ack.exit_code == 0);
}

}  // namespace
}  // namespace tocsin::testing
