#include "store/schema.hpp"

#include "store/sample_blocks.hpp"
#include "store/sqlite.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <array>
#include <charconv>
#include <string>

namespace tocsin::store::schema {
namespace {

// Times are Unix milliseconds (INTEGER); enums are lower-case text checked by CHECK constraints;
// label sets are canonical JSON (see codec.hpp).
constexpr std::array kMigrations{
    // v1: KPI history and alert instances.
    Migration{1, R"sql(
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE series (
    id          INTEGER PRIMARY KEY,
    kpi         TEXT NOT NULL,
    labels_json TEXT NOT NULL,
    UNIQUE (kpi, labels_json)
);

CREATE TABLE samples (
    series_id INTEGER NOT NULL REFERENCES series (id) ON DELETE CASCADE,
    at_ms     INTEGER NOT NULL,
    value     REAL  -- NULL stands for NaN
);
CREATE INDEX samples_series_at ON samples (series_id, at_ms);
CREATE INDEX samples_at ON samples (at_ms);

CREATE TABLE alert_instances (
    rule              TEXT NOT NULL,
    fingerprint       TEXT NOT NULL,
    kpi               TEXT NOT NULL,
    labels_json       TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('inactive', 'pending', 'firing')),
    severity          TEXT NOT NULL CHECK (severity IN ('none', 'warning', 'critical')),
    notified_severity TEXT NOT NULL CHECK (notified_severity IN ('none', 'warning', 'critical')),
    nodata            INTEGER NOT NULL CHECK (nodata IN (0, 1)),
    value             REAL,  -- NULL stands for NaN
    threshold         REAL,
    pending_since_ms  INTEGER NOT NULL,
    firing_since_ms   INTEGER NOT NULL,
    clear_since_ms    INTEGER,
    last_sample_at_ms INTEGER NOT NULL,
    notified_json     TEXT NOT NULL,
    steps_done        INTEGER NOT NULL CHECK (steps_done >= 0),
    seq               INTEGER NOT NULL,  -- uint64 stored as its int64 bit pattern
    PRIMARY KEY (rule, fingerprint)
) WITHOUT ROWID;
)sql"},
    // v2: the notification outbox.
    Migration{2, R"sql(
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    notifier        TEXT NOT NULL,
    alert           TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('firing', 'severity_change', 'resolved')),
    payload_json    TEXT NOT NULL,
    created_ms      INTEGER NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_ms INTEGER NOT NULL,
    delivered_ms    INTEGER,
    last_detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_state_next ON outbox (state, next_attempt_ms);
)sql"},
    // v3: more notification kinds (reminders, acknowledgements, digests, tests) and the
    // `rerouted` state of an item handed to its notifier's fallback. SQLite cannot change a CHECK
    // constraint, so the table is rebuilt; rowid order (the delivery order) is kept.
    Migration{3, R"sql(
CREATE TABLE outbox_v3 (
    id              TEXT PRIMARY KEY,
    notifier        TEXT NOT NULL,
    alert           TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('firing', 'severity_change', 'reminder',
                                                  'acknowledged', 'resolved', 'digest', 'test')),
    payload_json    TEXT NOT NULL,
    created_ms      INTEGER NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'rerouted')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_ms INTEGER NOT NULL,
    delivered_ms    INTEGER,
    last_detail     TEXT NOT NULL DEFAULT ''
);
INSERT INTO outbox_v3 (id, notifier, alert, fingerprint, kind, payload_json, created_ms, state,
                       attempts, next_attempt_ms, delivered_ms, last_detail)
    SELECT id, notifier, alert, fingerprint, kind, payload_json, created_ms, state, attempts,
           next_attempt_ms, delivered_ms, last_detail
    FROM outbox ORDER BY rowid;
DROP TABLE outbox;
ALTER TABLE outbox_v3 RENAME TO outbox;
CREATE INDEX outbox_state_next ON outbox (state, next_attempt_ms);
)sql"},
    // v4: acknowledgements of alert instances (all NULL while not acknowledged).
    Migration{4, R"sql(
ALTER TABLE alert_instances ADD COLUMN ack_author TEXT;
ALTER TABLE alert_instances ADD COLUMN ack_comment TEXT;
ALTER TABLE alert_instances ADD COLUMN ack_at_ms INTEGER;
ALTER TABLE alert_instances ADD COLUMN ack_until_ms INTEGER;
)sql"},
    // v5: scheduled KPI reports and flapping notices (new outbox kinds), silences (kept after
    // they end, for audit) and notifications held back by grouping or quiet hours until their
    // batch goes out. Each migration spells out its tables in full: it must keep meaning what it
    // meant when it shipped, so it never shares text with a later one.
    Migration{5, R"sql(
CREATE TABLE outbox_v5 (
    id              TEXT PRIMARY KEY,
    notifier        TEXT NOT NULL,
    alert           TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('firing', 'severity_change', 'reminder',
                                                  'acknowledged', 'resolved', 'digest', 'test',
                                                  'report', 'flapping')),
    payload_json    TEXT NOT NULL,
    created_ms      INTEGER NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed', 'rerouted')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_ms INTEGER NOT NULL,
    delivered_ms    INTEGER,
    last_detail     TEXT NOT NULL DEFAULT ''
);
INSERT INTO outbox_v5 (id, notifier, alert, fingerprint, kind, payload_json, created_ms, state,
                       attempts, next_attempt_ms, delivered_ms, last_detail)
    SELECT id, notifier, alert, fingerprint, kind, payload_json, created_ms, state, attempts,
           next_attempt_ms, delivered_ms, last_detail
    FROM outbox ORDER BY rowid;
DROP TABLE outbox;
ALTER TABLE outbox_v5 RENAME TO outbox;
CREATE INDEX outbox_state_next ON outbox (state, next_attempt_ms);
CREATE TABLE silences (
    id            TEXT PRIMARY KEY,
    matchers      TEXT NOT NULL,
    starts_ms     INTEGER NOT NULL,
    ends_ms       INTEGER NOT NULL,
    author        TEXT NOT NULL,
    comment       TEXT NOT NULL DEFAULT '',
    created_ms    INTEGER NOT NULL,
    calendar      TEXT NOT NULL DEFAULT '',
    CHECK (ends_ms > starts_ms)
);
CREATE INDEX silences_ends ON silences (ends_ms);
CREATE TABLE held (
    key           TEXT PRIMARY KEY,
    body_json     TEXT NOT NULL
);
)sql"},
    // v6: compact KPI history. One row per sample with two indexes cost a page write per series
    // per commit; now each commit appends one packed `sample_log` row, and a compaction moves the
    // log into `sample_blocks` (one per compaction) of `sample_chunks` (one per series in it,
    // keyed so that a compaction appends). `series` keeps each series' newest compacted value
    // for start-up. The old samples are converted by sample_blocks::convert_samples_table().
    Migration{6,
              R"sql(
ALTER TABLE series ADD COLUMN last_at_ms INTEGER;
ALTER TABLE series ADD COLUMN last_value REAL;  -- NULL stands for NaN (or none, with last_at_ms)
CREATE TABLE sample_log (
    id        INTEGER PRIMARY KEY,
    min_at_ms INTEGER NOT NULL,
    max_at_ms INTEGER NOT NULL,
    count     INTEGER NOT NULL CHECK (count > 0),
    data      BLOB NOT NULL
);
CREATE TABLE sample_blocks (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: it orders equal times
    min_at_ms INTEGER NOT NULL,
    max_at_ms INTEGER NOT NULL,
    count     INTEGER NOT NULL CHECK (count > 0)
);
CREATE INDEX sample_blocks_max_at ON sample_blocks (max_at_ms);
CREATE TABLE sample_chunks (
    block_id  INTEGER NOT NULL,
    series_id INTEGER NOT NULL,
    count     INTEGER NOT NULL CHECK (count > 0),
    data      BLOB NOT NULL,
    PRIMARY KEY (block_id, series_id)
) WITHOUT ROWID;
)sql",
              &sample_blocks::convert_samples_table},
};

Result<bool> has_table(Database& db, const char* name) {
    auto stmt = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1");
    if (!stmt) {
        return stmt.error();
    }
    stmt.value().bind(1, name);
    return stmt.value().step();
}

Result<std::int64_t> pragma_int(Database& db, const char* sql) {
    auto stmt = db.prepare(sql);
    if (!stmt) {
        return stmt.error();
    }
    auto row = stmt.value().step();
    if (!row) {
        return row.error();
    }
    if (!row.value()) {
        return db.error_text(fmt::format("'{}' returned no row", sql));
    }
    return stmt.value().column_int(0);
}

Result<void> apply(Database& db, const Migration& migration) {
    return db.transaction([&]() -> Result<void> {
        // Read again under the write lock: another process may have migrated meanwhile.
        auto current = stored_version(db);
        if (!current) {
            return current.error();
        }
        if (current.value() >= migration.version) {
            return boost::outcome_v2::success();
        }
        if (auto done = db.exec(migration.sql); !done) {
            return db.error_text(fmt::format("migration to schema version {} failed: {}",
                                             migration.version,
                                             done.error().message));
        }
        if (migration.convert != nullptr) {
            if (auto done = migration.convert(db); !done) {
                return db.error_text(fmt::format("migration to schema version {} failed: {}",
                                                 migration.version,
                                                 done.error().message));
            }
        }
        if (migration.version == 1) {
            if (auto id =
                    db.exec(fmt::format("PRAGMA application_id = {}", kApplicationId).c_str());
                !id) {
                return id.error();
            }
        }
        auto stmt = db.prepare(
            "INSERT INTO meta (key, value) VALUES ('schema_version', ?1) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
        if (!stmt) {
            return stmt.error();
        }
        return stmt.value().bind(1, std::to_string(migration.version)).run();
    });
}

}  // namespace

std::span<const Migration> migrations() {
    return kMigrations;
}

int latest_version() {
    return kMigrations.back().version;
}

Result<void> check_identity(Database& db) {
    // The first read of the file: this is where a file that is not SQLite at all is noticed.
    auto app_id = pragma_int(db, "PRAGMA application_id");
    if (!app_id) {
        // A damaged tocsin database and a file of another kind fail here alike; only SQLite's
        // code tells them apart, and the hint in the message says what to do about either.
        const bool damaged = (db.last_code() & 0xff) == SQLITE_CORRUPT;
        return db.error_text((damaged ? "the database file is damaged: "
                                      : "the file is not a tocsin state database: ") +
                             app_id.error().message);
    }
    if (app_id.value() == kApplicationId) {
        return boost::outcome_v2::success();
    }
    auto objects = pragma_int(db, "SELECT count(*) FROM sqlite_schema");
    if (!objects) {
        return objects.error();
    }
    if (app_id.value() == 0 && objects.value() == 0) {
        return boost::outcome_v2::success();  // empty: a new state database
    }
    return db.error_text(fmt::format(
        "the file is not a tocsin state database (application_id {:#x}, {} schema objects); point "
        "state_dir at an empty folder or at a tocsin state directory",
        app_id.value(),
        objects.value()));
}

Result<int> stored_version(Database& db) {
    auto meta = has_table(db, "meta");
    if (!meta) {
        return meta.error();
    }
    if (!meta.value()) {
        return 0;
    }
    auto stmt = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'");
    if (!stmt) {
        return stmt.error();
    }
    auto row = stmt.value().step();
    if (!row) {
        return row.error();
    }
    if (!row.value()) {
        return db.error_text("the database has no schema_version in its meta table; it is damaged");
    }
    const std::string text = stmt.value().column_text(0);
    int version = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
    if (ec != std::errc{} || end != text.data() + text.size() || version < 1) {
        return db.error_text(
            fmt::format("the schema_version '{}' is not a positive number; the "
                        "database is damaged",
                        text));
    }
    return version;
}

Result<void> migrate(Database& db, int target) {
    auto current = stored_version(db);
    if (!current) {
        return current.error();
    }
    if (current.value() > latest_version()) {
        return db.error_text(fmt::format(
            "the database has schema version {}, newer than the version {} this build knows; run "
            "the tocsin release that wrote it, or a newer one",
            current.value(),
            latest_version()));
    }
    for (const auto& migration : kMigrations) {
        if (migration.version > current.value() && migration.version <= target) {
            if (auto applied = apply(db, migration); !applied) {
                return applied.error();
            }
        }
    }
    return boost::outcome_v2::success();
}

}  // namespace tocsin::store::schema
