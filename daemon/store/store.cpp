#include "store/store.hpp"

#include "store/codec.hpp"
#include "store/schema.hpp"
#include "store/sqlite.hpp"

#include <fmt/format.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

namespace tocsin::store {
namespace {

using engine::from_unix_ms;
using engine::to_unix_ms;

constexpr int kBusyTimeoutMs = 5000;    // CLI commands and the daemon may briefly contend
constexpr char kKeySeparator = '\x1f';  // engine::instance_key() joins rule and fingerprint with it

// Creates the state directory 0750 (and any missing parents); an existing one is left as it is,
// since systemd's StateDirectory= or the package owns its mode.
Result<void> make_state_dir(const std::string& dir) {
    const std::filesystem::path path(dir);
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        return boost::outcome_v2::success();
    }
    if (path.has_parent_path() && !path.parent_path().empty()) {
        std::filesystem::create_directories(path.parent_path(), ec);
        if (ec) {
            return make_error(ErrorCode::Io,
                              "cannot create the parent folder: " + ec.message(),
                              "store '" + dir + "'");
        }
    }
    if (::mkdir(path.c_str(), 0750) != 0 && errno != EEXIST) {
        return make_error(ErrorCode::Io,
                          std::string("cannot create the state folder: ") + std::strerror(errno),
                          "store '" + dir + "'");
    }
    return boost::outcome_v2::success();
}

// Says up front when the folder or the file cannot be written (a read-only mount, wrong owner):
// SQLite would otherwise fail later with a vaguer "unable to open database file" or "attempt to
// write a readonly database".
Result<void> check_writable(const std::string& dir, const std::string& file) {
    const auto refuse = [&](const std::string& what, int err) {
        return make_error(
            ErrorCode::Io,
            fmt::format("cannot write to {}: {}; tocsin keeps its state there: remount it "
                        "read-write, give the user tocsin runs as write access, or point "
                        "state_dir at a writable folder",
                        what,
                        std::strerror(err)),
            "store '" + file + "'");
    };
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        return refuse("the state folder '" + dir + "'", errno);
    }
    if (::access(file.c_str(), F_OK) == 0 && ::access(file.c_str(), R_OK | W_OK) != 0) {
        return refuse("the state database", errno);
    }
    return boost::outcome_v2::success();
}

Result<void> set_pragmas(Database& db) {
    // journal_mode answers with the mode in effect, which stays "delete" if WAL is unavailable
    // (e.g. some network file systems): refuse rather than silently lose durability guarantees.
    auto mode = db.prepare("PRAGMA journal_mode = WAL");
    if (!mode) {
        return mode.error();
    }
    auto row = mode.value().step();
    if (!row) {
        return row.error();
    }
    const std::string got = row.value() ? mode.value().column_text(0) : std::string();
    if (got != "wal") {
        return db.error_text(fmt::format(
            "cannot switch the database to WAL mode (journal mode is '{}'); put state_dir on a "
            "local file system",
            got));
    }
    // FULL: every commit is fsynced with the WAL, so a delivered mark survives power loss.
    return db.exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
}

Result<engine::AlertInstance> read_instance(Database& db, const Statement& row) {
    engine::AlertInstance inst;
    inst.rule = row.column_text(0);
    inst.fingerprint = row.column_text(1);
    inst.kpi = row.column_text(2);
    const auto bad = [&](std::string_view column) {
        return db.error_text(
            fmt::format("alert instance '{}' '{}' has an unreadable {}; the "
                        "database is damaged",
                        inst.rule,
                        inst.fingerprint,
                        column));
    };
    auto labels = codec::parse_labels_json(row.column_text(3));
    auto state = codec::parse_alert_state(row.column_text(4));
    auto severity = codec::parse_severity_text(row.column_text(5));
    auto notified_severity = codec::parse_severity_text(row.column_text(6));
    auto notified = codec::parse_strings_json(row.column_text(14));
    if (!labels) {
        return bad("labels_json");
    }
    if (!state) {
        return bad("state");
    }
    if (!severity || !notified_severity) {
        return bad("severity");
    }
    if (!notified) {
        return bad("notified_json");
    }
    inst.series_labels = std::move(*labels);
    inst.state = *state;
    inst.severity = *severity;
    inst.notified_severity = *notified_severity;
    inst.nodata = row.column_int(7) != 0;
    inst.value = row.column_double(8);
    if (!row.is_null(9)) {
        inst.threshold = row.column_double(9);
    }
    inst.pending_since = from_unix_ms(row.column_int(10));
    inst.firing_since = from_unix_ms(row.column_int(11));
    if (auto clear = row.column_optional_int(12)) {
        inst.clear_since = from_unix_ms(*clear);
    }
    inst.last_sample_at = from_unix_ms(row.column_int(13));
    inst.notified = std::move(*notified);
    inst.steps_done = static_cast<std::uint32_t>(row.column_int(15));
    inst.seq = static_cast<std::uint64_t>(row.column_int(16));
    if (auto ack_at = row.column_optional_int(19)) {
        engine::Ack ack;
        ack.author = row.column_text(17);
        ack.comment = row.column_text(18);
        ack.at = from_unix_ms(*ack_at);
        if (auto until = row.column_optional_int(20)) {
            ack.until = from_unix_ms(*until);
        }
        inst.ack = std::move(ack);
    }
    return inst;
}

}  // namespace

Store::Store(std::unique_ptr<Database> db) : db_(std::move(db)) {}

Store::~Store() = default;

const std::string& Store::path() const {
    return db_->file();
}

Result<std::unique_ptr<Store>> Store::open(const std::string& state_dir) {
    if (auto dir = make_state_dir(state_dir); !dir) {
        return dir.error();
    }
    const std::string file = (std::filesystem::path(state_dir) / kFileName).string();
    if (auto writable = check_writable(state_dir, file); !writable) {
        return writable.error();
    }
    auto db = Database::open(file);
    if (!db) {
        return db.error();
    }
    Database& database = *db.value();
    if (auto busy = database.busy_timeout(kBusyTimeoutMs); !busy) {
        return busy.error();
    }
    if (auto identity = schema::check_identity(database); !identity) {
        return identity.error();
    }
    if (auto pragmas = set_pragmas(database); !pragmas) {
        return pragmas.error();
    }
    if (auto migrated = schema::migrate(database, schema::latest_version()); !migrated) {
        return migrated.error();
    }
    // Take the write lock once: a process holding the database locked (BEGIN EXCLUSIVE, another
    // writer stuck) is reported now, after the busy timeout, instead of at the first alert.
    if (auto probe = database.exec("BEGIN IMMEDIATE; COMMIT;"); !probe) {
        return database.error_text("cannot take the write lock: " + probe.error().message);
    }
    return std::unique_ptr<Store>(new Store(std::move(db).value()));
}

Result<void> Store::commit(const Batch& batch) {
    if (batch.empty()) {
        return boost::outcome_v2::success();
    }
    auto done = db_->transaction([&] { return write_batch(batch); });
    if (!done) {
        forget_log();  // it may hold ids of series rows the rollback took back
        return done;
    }
    if (!batch.samples.empty()) {
        log_rows_ += 1;
        log_samples_ += batch.samples.size();
        // The step is durable already; a compaction that fails leaves the log as it was and is
        // tried again after the next commit, so its failure is not the step's.
        if (log_rows_ >= kCompactLogRows || log_samples_ >= kCompactLogSamples) {
            (void)compact();
        }
    }
    return done;
}

Result<void> Store::write_batch(const Batch& batch) {
    BOOST_OUTCOME_TRY(append_log(batch.samples));

    for (const auto& inst : batch.upserted) {
        BOOST_OUTCOME_TRY(auto upsert, db_->prepare(R"sql(
INSERT INTO alert_instances (rule, fingerprint, kpi, labels_json, state, severity, notified_severity,
    nodata, value, threshold, pending_since_ms, firing_since_ms, clear_since_ms, last_sample_at_ms,
    notified_json, steps_done, seq, ack_author, ack_comment, ack_at_ms, ack_until_ms)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
    ?21)
ON CONFLICT (rule, fingerprint) DO UPDATE SET
    kpi = excluded.kpi, labels_json = excluded.labels_json, state = excluded.state,
    severity = excluded.severity, notified_severity = excluded.notified_severity,
    nodata = excluded.nodata, value = excluded.value, threshold = excluded.threshold,
    pending_since_ms = excluded.pending_since_ms, firing_since_ms = excluded.firing_since_ms,
    clear_since_ms = excluded.clear_since_ms, last_sample_at_ms = excluded.last_sample_at_ms,
    notified_json = excluded.notified_json, steps_done = excluded.steps_done, seq = excluded.seq,
    ack_author = excluded.ack_author, ack_comment = excluded.ack_comment,
    ack_at_ms = excluded.ack_at_ms, ack_until_ms = excluded.ack_until_ms
)sql"));
        std::optional<std::int64_t> clear;
        if (inst.clear_since) {
            clear = to_unix_ms(*inst.clear_since);
        }
        upsert.bind(1, inst.rule)
            .bind(2, inst.fingerprint)
            .bind(3, inst.kpi)
            .bind(4, codec::labels_json(inst.series_labels))
            .bind(5, codec::alert_state_text(inst.state))
            .bind(6, codec::severity_text(inst.severity))
            .bind(7, codec::severity_text(inst.notified_severity))
            .bind(8, std::int64_t{inst.nodata ? 1 : 0})
            .bind(9, inst.value)
            .bind(10, inst.threshold)
            .bind(11, to_unix_ms(inst.pending_since))
            .bind(12, to_unix_ms(inst.firing_since))
            .bind(13, clear)
            .bind(14, to_unix_ms(inst.last_sample_at))
            .bind(15, codec::strings_json(inst.notified))
            .bind(16, std::int64_t{inst.steps_done})
            .bind(17, static_cast<std::int64_t>(inst.seq));  // bit pattern; read back the same way
        if (inst.ack) {
            std::optional<std::int64_t> until;
            if (inst.ack->until) {
                until = to_unix_ms(*inst.ack->until);
            }
            upsert.bind(18, inst.ack->author)
                .bind(19, inst.ack->comment)
                .bind(20, std::optional<std::int64_t>(to_unix_ms(inst.ack->at)))
                .bind(21, until);
        } else {
            upsert.bind_null(18).bind_null(19).bind_null(20).bind_null(21);
        }
        BOOST_OUTCOME_TRY(upsert.run());
    }

    for (const auto& key : batch.removed) {
        const auto separator = key.find(kKeySeparator);
        if (separator == std::string::npos) {
            return db_->error_text(
                fmt::format("removed instance key '{}' has no \\x1f separator; build it with "
                            "engine::instance_key()",
                            key));
        }
        BOOST_OUTCOME_TRY(
            auto remove,
            db_->prepare("DELETE FROM alert_instances WHERE rule = ?1 AND fingerprint = ?2"));
        BOOST_OUTCOME_TRY(remove.bind(1, std::string_view(key).substr(0, separator))
                              .bind(2, std::string_view(key).substr(separator + 1))
                              .run());
    }

    for (const auto& item : batch.outbox) {
        // ON CONFLICT (id) rather than INSERT OR IGNORE: only a repeated id is skipped, while a
        // CHECK or NOT NULL violation still fails the batch.
        BOOST_OUTCOME_TRY(auto insert, db_->prepare(R"sql(
INSERT INTO outbox (id, notifier, alert, fingerprint, kind, payload_json, created_ms, state, attempts,
    next_attempt_ms, delivered_ms, last_detail)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
ON CONFLICT (id) DO NOTHING
)sql"));
        std::optional<std::int64_t> delivered;
        if (item.delivered_at) {
            delivered = to_unix_ms(*item.delivered_at);
        }
        BOOST_OUTCOME_TRY(insert.bind(1, item.id)
                              .bind(2, item.notifier)
                              .bind(3, item.alert)
                              .bind(4, item.fingerprint)
                              .bind(5, item.kind)
                              .bind(6, item.payload_json)
                              .bind(7, to_unix_ms(item.created_at))
                              .bind(8, to_string(item.state))
                              .bind(9, std::int64_t{item.attempts})
                              .bind(10, to_unix_ms(item.next_attempt_at))
                              .bind(11, delivered)
                              .bind(12, item.last_detail)
                              .run());
    }
    for (const auto& [key, value] : batch.meta) {
        BOOST_OUTCOME_TRY(set_meta(key, value));
    }
    return write_held(batch);
}

Result<std::vector<engine::AlertInstance>> Store::load_instances() {
    BOOST_OUTCOME_TRY(auto select, db_->prepare(R"sql(
SELECT rule, fingerprint, kpi, labels_json, state, severity, notified_severity, nodata, value,
    threshold, pending_since_ms, firing_since_ms, clear_since_ms, last_sample_at_ms, notified_json,
    steps_done, seq, ack_author, ack_comment, ack_at_ms, ack_until_ms
FROM alert_instances ORDER BY rule, fingerprint
)sql"));
    std::vector<engine::AlertInstance> out;
    for (;;) {
        BOOST_OUTCOME_TRY(const bool row, select.step());
        if (!row) {
            return out;
        }
        BOOST_OUTCOME_TRY(auto inst, read_instance(*db_, select));
        out.push_back(std::move(inst));
    }
}

Result<void> Store::set_meta(const std::string& key, const std::string& value) {
    BOOST_OUTCOME_TRY(auto upsert,
                      db_->prepare("INSERT INTO meta (key, value) VALUES (?1, ?2) "
                                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
    return upsert.bind(1, key).bind(2, value).run();
}

Result<std::optional<std::string>> Store::get_meta(const std::string& key) {
    BOOST_OUTCOME_TRY(auto select, db_->prepare("SELECT value FROM meta WHERE key = ?1"));
    select.bind(1, key);
    BOOST_OUTCOME_TRY(const bool row, select.step());
    if (!row) {
        return std::optional<std::string>();
    }
    return std::optional<std::string>(select.column_text(0));
}

}  // namespace tocsin::store
