// The outbox half of Store: durable notifications and their delivery state.
#include "store/sqlite.hpp"
#include "store/store.hpp"

#include <fmt/format.h>

namespace tocsin::store {
namespace {

using engine::from_unix_ms;
using engine::to_unix_ms;

constexpr std::string_view kColumns =
    "id, notifier, alert, fingerprint, kind, payload_json, created_ms, state, attempts, "
    "next_attempt_ms, delivered_ms, last_detail";

// SQLite's LIMIT takes a signed 64-bit count; a negative one means "no limit".
std::int64_t sql_limit(std::size_t limit) {
    if (limit == 0 || limit > static_cast<std::size_t>(INT64_MAX)) {
        return -1;
    }
    return static_cast<std::int64_t>(limit);
}

Result<OutboxItem> read_item(Database& db, const Statement& row) {
    OutboxItem item;
    item.id = row.column_text(0);
    item.notifier = row.column_text(1);
    item.alert = row.column_text(2);
    item.fingerprint = row.column_text(3);
    item.kind = row.column_text(4);
    item.payload_json = row.column_text(5);
    item.created_at = from_unix_ms(row.column_int(6));
    const auto state = parse_outbox_state(row.column_text(7));
    if (!state) {
        return db.error_text(
            fmt::format("outbox item '{}' has an unknown state; the database is damaged", item.id));
    }
    item.state = *state;
    item.attempts = static_cast<int>(row.column_int(8));
    item.next_attempt_at = from_unix_ms(row.column_int(9));
    if (auto delivered = row.column_optional_int(10)) {
        item.delivered_at = from_unix_ms(*delivered);
    }
    item.last_detail = row.column_text(11);
    return item;
}

Result<std::vector<OutboxItem>> read_items(Database& db, Statement& select) {
    std::vector<OutboxItem> out;
    for (;;) {
        BOOST_OUTCOME_TRY(const bool row, select.step());
        if (!row) {
            return out;
        }
        BOOST_OUTCOME_TRY(auto item, read_item(db, select));
        out.push_back(std::move(item));
    }
}

// The current state of one item, or nullopt if there is none with this id.
Result<std::optional<std::string>> item_state(Database& db, const std::string& id) {
    BOOST_OUTCOME_TRY(auto select, db.prepare("SELECT state FROM outbox WHERE id = ?1"));
    select.bind(1, id);
    BOOST_OUTCOME_TRY(const bool row, select.step());
    if (!row) {
        return std::optional<std::string>();
    }
    return std::optional<std::string>(select.column_text(0));
}

}  // namespace

const char* to_string(OutboxState s) {
    switch (s) {
        case OutboxState::Pending:
            return "pending";
        case OutboxState::Delivered:
            return "delivered";
        case OutboxState::Failed:
            return "failed";
        case OutboxState::Rerouted:
            return "rerouted";
    }
    return "pending";  // unreachable for valid enum values
}

std::optional<OutboxState> parse_outbox_state(std::string_view s) {
    if (s == "pending") {
        return OutboxState::Pending;
    }
    if (s == "delivered") {
        return OutboxState::Delivered;
    }
    if (s == "failed") {
        return OutboxState::Failed;
    }
    if (s == "rerouted") {
        return OutboxState::Rerouted;
    }
    return std::nullopt;
}

Result<std::vector<OutboxItem>> Store::due_outbox(engine::TimePoint now, std::size_t limit) {
    // Creation order keeps an alert's firing ahead of its resolve; rowid breaks ties in insertion
    // order. The (state, next_attempt_ms) index finds the due rows.
    BOOST_OUTCOME_TRY(auto select,
                      db_->prepare(fmt::format("SELECT {} FROM outbox WHERE state = 'pending' AND "
                                               "next_attempt_ms <= ?1 ORDER BY created_ms, rowid "
                                               "LIMIT ?2",
                                               kColumns)));
    select.bind(1, to_unix_ms(now)).bind(2, sql_limit(limit));
    return read_items(*db_, select);
}

Result<std::optional<engine::TimePoint>> Store::next_outbox_due() {
    BOOST_OUTCOME_TRY(
        auto select,
        db_->prepare("SELECT min(next_attempt_ms) FROM outbox WHERE state = 'pending'"));
    BOOST_OUTCOME_TRY(const bool row, select.step());
    if (!row || select.is_null(0)) {
        return std::optional<engine::TimePoint>();
    }
    return std::optional<engine::TimePoint>(from_unix_ms(select.column_int(0)));
}

Result<Store::OutboxSummary> Store::outbox_summary() {
    BOOST_OUTCOME_TRY(auto select,
                      db_->prepare("SELECT count(*) FILTER (WHERE state = 'pending'), "
                                   "count(*) FILTER (WHERE state = 'failed'), "
                                   "min(created_ms) FILTER (WHERE state = 'pending') FROM outbox "
                                   "WHERE state IN ('pending', 'failed')"));
    BOOST_OUTCOME_TRY(const bool row, select.step());
    OutboxSummary summary;
    if (row) {
        summary.pending = static_cast<std::size_t>(select.column_int(0));
        summary.failed = static_cast<std::size_t>(select.column_int(1));
        if (!select.is_null(2)) {
            summary.oldest_pending = from_unix_ms(select.column_int(2));
        }
    }
    return summary;
}

Result<std::vector<OutboxItem>> Store::list_outbox(std::optional<OutboxState> state,
                                                   std::size_t limit) {
    // ?1 NULL selects every state.
    BOOST_OUTCOME_TRY(
        auto select,
        db_->prepare(fmt::format("SELECT {} FROM outbox WHERE ?1 IS NULL OR state = ?1 "
                                 "ORDER BY created_ms DESC, rowid DESC LIMIT ?2",
                                 kColumns)));
    if (state) {
        select.bind(1, to_string(*state));
    } else {
        select.bind_null(1);
    }
    select.bind(2, sql_limit(limit));
    return read_items(*db_, select);
}

Result<void> Store::transition(std::string_view sql,
                               std::string_view what,
                               const std::string& id,
                               std::int64_t ms,
                               const std::string* detail) {
    BOOST_OUTCOME_TRY(auto update, db_->prepare(sql));
    update.bind(1, id).bind(2, ms);
    if (detail != nullptr) {
        update.bind(3, *detail);
    }
    BOOST_OUTCOME_TRY(update.run());
    if (db_->changes() > 0) {
        return boost::outcome_v2::success();
    }
    BOOST_OUTCOME_TRY(auto state, item_state(*db_, id));
    if (!state) {
        return db_->error_text(
            fmt::format("cannot {} outbox item '{}': there is no such item", what, id));
    }
    return db_->error_text(fmt::format("cannot {} outbox item '{}': it is {}", what, id, *state));
}

Result<void> Store::mark_delivered(const std::string& id,
                                   engine::TimePoint at,
                                   const std::string& detail) {
    // A failed item may still be reported delivered (a late answer wins: it did arrive). Marking a
    // delivered item again changes nothing, so a repeated call is harmless.
    BOOST_OUTCOME_TRY(auto state, item_state(*db_, id));
    if (state && *state == "delivered") {
        return boost::outcome_v2::success();
    }
    return transition(
        "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, delivered_ms = ?2, "
        "last_detail = ?3 WHERE id = ?1 AND state IN ('pending', 'failed')",
        "mark delivered",
        id,
        to_unix_ms(at),
        &detail);
}

Result<void> Store::mark_retry(const std::string& id,
                               engine::TimePoint next_attempt_at,
                               const std::string& detail) {
    return transition(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_ms = ?2, last_detail = ?3 "
        "WHERE id = ?1 AND state = 'pending'",
        "retry",
        id,
        to_unix_ms(next_attempt_at),
        &detail);
}

Result<void> Store::mark_failed(const std::string& id,
                                engine::TimePoint at,
                                const std::string& detail) {
    return transition(
        "UPDATE outbox SET state = 'failed', attempts = attempts + 1, delivered_ms = ?2, "
        "last_detail = ?3 WHERE id = ?1 AND state = 'pending'",
        "mark failed",
        id,
        to_unix_ms(at),
        &detail);
}

Result<void> Store::reroute(const std::string& id,
                            engine::TimePoint at,
                            const std::string& detail,
                            const OutboxItem& replacement) {
    return db_->transaction([&]() -> Result<void> {
        BOOST_OUTCOME_TRY(transition(
            "UPDATE outbox SET state = 'rerouted', attempts = attempts + 1, delivered_ms = ?2, "
            "last_detail = ?3 WHERE id = ?1 AND state = 'pending'",
            "reroute",
            id,
            to_unix_ms(at),
            &detail));
        Batch batch;
        batch.outbox.push_back(replacement);
        return write_batch(batch);
    });
}

Result<void> Store::requeue(const std::string& id, engine::TimePoint now) {
    return transition(
        "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_ms = ?2, "
        "delivered_ms = NULL WHERE id = ?1 AND state = 'failed'",
        "requeue",
        id,
        to_unix_ms(now),
        nullptr);
}

}  // namespace tocsin::store
