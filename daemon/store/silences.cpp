// The silences half of Store: silences people ask for through the API or the CLI, kept after they
// end for audit.
#include "store/sqlite.hpp"
#include "store/store.hpp"

#include <fmt/format.h>

namespace tocsin::store {
namespace {

using engine::from_unix_ms;
using engine::to_unix_ms;

constexpr std::string_view kColumns =
    "id, matchers, starts_ms, ends_ms, author, comment, created_ms, calendar";

/// The matchers in the text form parse_matcher_list() reads back: `team="growth", x=~"a|b"`.
std::string matchers_text(const std::vector<engine::Matcher>& matchers) {
    std::string out;
    for (const auto& m : matchers) {
        if (!out.empty()) {
            out += ", ";
        }
        out += m.to_string();
    }
    return out;
}

Result<engine::Silence> read_silence(Database& db, const Statement& row) {
    engine::Silence s;
    s.id = row.column_text(0);
    std::string why;
    auto matchers = engine::parse_matcher_list(row.column_text(1), why);
    if (!matchers) {
        return db.error_text(fmt::format(
            "silence '{}' has unreadable matchers ({}); the database is damaged", s.id, why));
    }
    s.matchers = std::move(*matchers);
    s.starts_at = from_unix_ms(row.column_int(2));
    s.ends_at = from_unix_ms(row.column_int(3));
    s.author = row.column_text(4);
    s.comment = row.column_text(5);
    s.created_at = from_unix_ms(row.column_int(6));
    s.calendar = row.column_text(7);
    return s;
}

Result<std::vector<engine::Silence>> read_silences(Database& db, Statement& select) {
    std::vector<engine::Silence> out;
    for (;;) {
        BOOST_OUTCOME_TRY(const bool row, select.step());
        if (!row) {
            return out;
        }
        BOOST_OUTCOME_TRY(auto silence, read_silence(db, select));
        out.push_back(std::move(silence));
    }
}

}  // namespace

Result<void> Store::insert_silence(const engine::Silence& silence) {
    BOOST_OUTCOME_TRY(auto insert,
                      db_->prepare(fmt::format("INSERT INTO silences ({}) VALUES "
                                               "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                                               kColumns)));
    insert.bind(1, silence.id)
        .bind(2, matchers_text(silence.matchers))
        .bind(3, to_unix_ms(silence.starts_at))
        .bind(4, to_unix_ms(silence.ends_at))
        .bind(5, silence.author)
        .bind(6, silence.comment)
        .bind(7, to_unix_ms(silence.created_at))
        .bind(8, silence.calendar);
    return insert.run();
}

Result<std::vector<engine::Silence>> Store::list_silences(
    std::optional<engine::TimePoint> not_ended_at) {
    if (!not_ended_at) {
        BOOST_OUTCOME_TRY(
            auto select,
            db_->prepare(fmt::format("SELECT {} FROM silences ORDER BY starts_ms, id", kColumns)));
        return read_silences(*db_, select);
    }
    BOOST_OUTCOME_TRY(
        auto select,
        db_->prepare(fmt::format(
            "SELECT {} FROM silences WHERE ends_ms > ?1 ORDER BY starts_ms, id", kColumns)));
    select.bind(1, to_unix_ms(*not_ended_at));
    return read_silences(*db_, select);
}

Result<std::optional<engine::Silence>> Store::get_silence(const std::string& id) {
    BOOST_OUTCOME_TRY(auto select,
                      db_->prepare(fmt::format("SELECT {} FROM silences WHERE id = ?1", kColumns)));
    select.bind(1, id);
    BOOST_OUTCOME_TRY(const bool row, select.step());
    if (!row) {
        return std::optional<engine::Silence>();
    }
    BOOST_OUTCOME_TRY(auto silence, read_silence(*db_, select));
    return std::optional<engine::Silence>(std::move(silence));
}

Result<SilenceEnd> Store::end_silence(const std::string& id, engine::TimePoint now) {
    const std::int64_t now_ms = to_unix_ms(now);
    BOOST_OUTCOME_TRY(auto update,
                      db_->prepare("UPDATE silences SET ends_ms = ?2, "
                                   "starts_ms = MIN(starts_ms, ?2 - 1) "
                                   "WHERE id = ?1 AND ends_ms > ?2"));
    update.bind(1, id).bind(2, now_ms);
    BOOST_OUTCOME_TRY(update.run());
    if (db_->changes() > 0) {
        return SilenceEnd::Ended;
    }
    BOOST_OUTCOME_TRY(auto found, get_silence(id));
    return found ? SilenceEnd::AlreadyEnded : SilenceEnd::Unknown;
}

}  // namespace tocsin::store
