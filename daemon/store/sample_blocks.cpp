#include "store/sample_blocks.hpp"

#include "store/sqlite.hpp"

#include <algorithm>
#include <utility>

namespace tocsin::store::sample_blocks {
namespace {

using sample_codec::LoggedSample;
using sample_codec::Point;

// Writes one series' points as a chunk of block `block_id` and keeps its newest value in
// `series`. `points` are sorted by time, equal times in commit order, so the last one is the
// value latest_samples() must give (newest time, then latest written).
Result<void> write_chunk(Database& db,
                         std::int64_t block_id,
                         std::int64_t base_ms,
                         std::int64_t series_id,
                         const std::vector<Point>& points) {
    BOOST_OUTCOME_TRY(auto insert,
                      db.prepare("INSERT INTO sample_chunks (block_id, series_id, count, data) "
                                 "VALUES (?1, ?2, ?3, ?4)"));
    BOOST_OUTCOME_TRY(insert.bind(1, block_id)
                          .bind(2, series_id)
                          .bind(3, static_cast<std::int64_t>(points.size()))
                          .bind_blob(4, sample_codec::pack_chunk(points, base_ms))
                          .run());
    BOOST_OUTCOME_TRY(auto latest, db.prepare(R"sql(
UPDATE series SET last_at_ms = ?2, last_value = ?3
WHERE id = ?1 AND (last_at_ms IS NULL OR last_at_ms <= ?2)
)sql"));
    return latest.bind(1, series_id)
        .bind(2, points.back().at_ms)
        .bind(3, points.back().value)
        .run();
}

}  // namespace

Result<void> write_block(Database& db, std::vector<LoggedSample> samples) {
    if (samples.empty()) {
        return boost::outcome_v2::success();
    }
    // Stable: samples of one series at the same time keep their commit order, as they had in
    // the log (history() returns them in that order).
    std::stable_sort(samples.begin(), samples.end(), [](const auto& a, const auto& b) {
        return a.series_id != b.series_id ? a.series_id < b.series_id : a.at_ms < b.at_ms;
    });
    std::int64_t min_at = samples.front().at_ms;
    std::int64_t max_at = min_at;
    for (const auto& s : samples) {
        min_at = std::min(min_at, s.at_ms);
        max_at = std::max(max_at, s.at_ms);
    }
    BOOST_OUTCOME_TRY(auto block,
                      db.prepare("INSERT INTO sample_blocks (min_at_ms, max_at_ms, count) "
                                 "VALUES (?1, ?2, ?3) RETURNING id"));
    block.bind(1, min_at).bind(2, max_at).bind(3, static_cast<std::int64_t>(samples.size()));
    BOOST_OUTCOME_TRY(const bool returned, block.step());
    if (!returned) {
        return db.error_text("inserting a sample block returned no id");
    }
    const std::int64_t block_id = block.column_int(0);
    BOOST_OUTCOME_TRY(block.run());  // finish the statement before the next one

    std::vector<Point> points;
    for (std::size_t i = 0; i < samples.size();) {
        const std::int64_t series_id = samples[i].series_id;
        points.clear();
        for (; i < samples.size() && samples[i].series_id == series_id; ++i) {
            points.push_back(Point{samples[i].at_ms, samples[i].value});
        }
        BOOST_OUTCOME_TRY(write_chunk(db, block_id, min_at, series_id, points));
    }
    return boost::outcome_v2::success();
}

Result<void> convert_samples_table(Database& db) {
    BOOST_OUTCOME_TRY(auto select,
                      db.prepare("SELECT series_id, at_ms, value FROM samples ORDER BY rowid"));
    std::vector<LoggedSample> pending;
    for (;;) {
        BOOST_OUTCOME_TRY(const bool row, select.step());
        if (!row) {
            break;
        }
        pending.push_back(
            LoggedSample{select.column_int(0), select.column_int(1), select.column_double(2)});
        if (pending.size() >= kMaxBlockSamples) {
            BOOST_OUTCOME_TRY(write_block(db, std::exchange(pending, {})));
        }
    }
    BOOST_OUTCOME_TRY(write_block(db, std::move(pending)));
    {
        // Finished before the DROP: SQLite refuses to drop a table a statement still reads.
        const Statement done = std::move(select);
    }
    return db.exec("DROP TABLE samples");
}

}  // namespace tocsin::store::sample_blocks
