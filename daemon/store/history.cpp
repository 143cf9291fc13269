// KPI history in the store: the sample log every commit appends to, its compaction into blocks,
// and the reads (history, latest samples, retention). The layout is described in
// docs/operators.md, "State database", and in sample_codec.hpp.
#include "store/codec.hpp"
#include "store/sample_blocks.hpp"
#include "store/sample_codec.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"

#include <fmt/format.h>

#include <malloc.h>

#include <algorithm>
#include <limits>
#include <unordered_map>
#include <utility>

namespace tocsin::store {
namespace {

using engine::from_unix_ms;
using engine::to_unix_ms;
using sample_codec::LoggedSample;
using sample_codec::Point;

std::string series_key(const std::string& kpi, const std::string& labels_json) {
    std::string key;
    key.reserve(kpi.size() + 1 + labels_json.size());
    key.append(kpi);
    key.push_back('\0');
    key.append(labels_json);
    return key;
}

Error damaged(const Database& db, std::string_view what, std::int64_t id) {
    return db.error_text(fmt::format("{} {} cannot be decoded; the database is damaged", what, id));
}

// Decodes sample_log rows, oldest first, onto `out` until it holds at least `max_samples` (or
// the log ends). Answers the id of the last row read; 0 when there was none.
Result<std::int64_t> read_log(Database& db,
                              std::size_t max_samples,
                              std::vector<LoggedSample>& out) {
    BOOST_OUTCOME_TRY(auto select,
                      db.prepare("SELECT id, count, data FROM sample_log ORDER BY id"));
    std::int64_t last_id = 0;
    while (out.size() < max_samples) {
        BOOST_OUTCOME_TRY(const bool row, select.step());
        if (!row) {
            break;
        }
        last_id = select.column_int(0);
        const auto count = static_cast<std::size_t>(select.column_int(1));
        if (!sample_codec::unpack_log(select.column_blob(2), count, out)) {
            return damaged(db, "sample_log row", last_id);
        }
    }
    return last_id;
}

}  // namespace

void Store::forget_log() {
    series_ids_.clear();
    drop_log_cache();
}

void Store::drop_log_cache() {
    log_known_ = false;
    log_cache_valid_ = false;
    std::vector<LoggedSample>().swap(log_cache_);
}

Result<std::int64_t> Store::series_id(const engine::Sample& sample) {
    const std::string labels = codec::labels_json(sample.labels);
    std::string key = series_key(sample.kpi, labels);
    if (auto found = series_ids_.find(key); found != series_ids_.end()) {
        return found->second;
    }
    BOOST_OUTCOME_TRY(auto select,
                      db_->prepare("SELECT id FROM series WHERE kpi = ?1 AND labels_json = ?2"));
    select.bind(1, sample.kpi).bind(2, labels);
    BOOST_OUTCOME_TRY(const bool exists, select.step());
    std::int64_t id = 0;
    if (exists) {
        id = select.column_int(0);
    } else {
        BOOST_OUTCOME_TRY(auto insert,
                          db_->prepare("INSERT INTO series (kpi, labels_json) VALUES (?1, ?2) "
                                       "RETURNING id"));
        insert.bind(1, sample.kpi).bind(2, labels);
        BOOST_OUTCOME_TRY(const bool returned, insert.step());
        if (!returned) {
            return db_->error_text("inserting a series returned no id");
        }
        id = insert.column_int(0);
        BOOST_OUTCOME_TRY(insert.run());  // finish the statement before the next one
    }
    series_ids_.emplace(std::move(key), id);
    return id;
}

Result<void> Store::append_log(const std::vector<engine::Sample>& samples) {
    log_cache_valid_ = false;
    std::vector<LoggedSample>().swap(log_cache_);
    if (samples.empty()) {
        return boost::outcome_v2::success();
    }
    // Series ids are kept across batches (a SELECT per sample was a fifth of a 10,000-KPI scrape's
    // cost), as long as no other connection changed the file: a CLI prune may delete series and
    // compacts the log.
    BOOST_OUTCOME_TRY(auto pragma, db_->prepare("PRAGMA data_version"));
    BOOST_OUTCOME_TRY(const bool has_row, pragma.step());
    const std::int64_t version = has_row ? pragma.column_int(0) : -1;
    if (version != data_version_ || version < 0 || series_ids_.size() > kMaxCachedSeries) {
        forget_log();
        data_version_ = version;
    }
    if (!log_known_) {
        BOOST_OUTCOME_TRY(auto size,
                          db_->prepare("SELECT count(*), coalesce(sum(count), 0) FROM sample_log"));
        BOOST_OUTCOME_TRY(const bool row, size.step());
        log_rows_ = row ? static_cast<std::size_t>(size.column_int(0)) : 0;
        log_samples_ = row ? static_cast<std::size_t>(size.column_int(1)) : 0;
        log_known_ = true;
    }

    std::vector<LoggedSample> logged;
    logged.reserve(samples.size());
    std::int64_t min_at = to_unix_ms(samples.front().at);
    std::int64_t max_at = min_at;
    for (const auto& sample : samples) {
        BOOST_OUTCOME_TRY(const std::int64_t id, series_id(sample));
        const std::int64_t at = to_unix_ms(sample.at);
        min_at = std::min(min_at, at);
        max_at = std::max(max_at, at);
        logged.push_back(LoggedSample{id, at, sample.value});
    }
    BOOST_OUTCOME_TRY(auto insert,
                      db_->prepare("INSERT INTO sample_log (min_at_ms, max_at_ms, count, data) "
                                   "VALUES (?1, ?2, ?3, ?4)"));
    return insert.bind(1, min_at)
        .bind(2, max_at)
        .bind(3, static_cast<std::int64_t>(logged.size()))
        .bind_blob(4, sample_codec::pack_log(logged))
        .run();
}

Result<bool> Store::compact_log(std::size_t max_samples) {
    std::vector<LoggedSample> samples;
    BOOST_OUTCOME_TRY(const std::int64_t last_id, read_log(*db_, max_samples, samples));
    if (last_id == 0) {
        return false;
    }
    BOOST_OUTCOME_TRY(sample_blocks::write_block(*db_, std::move(samples)));
    BOOST_OUTCOME_TRY(auto remove, db_->prepare("DELETE FROM sample_log WHERE id <= ?1"));
    BOOST_OUTCOME_TRY(remove.bind(1, last_id).run());
    return true;
}

Result<void> Store::compact() {
    auto done = db_->transaction([&]() -> Result<void> {
        BOOST_OUTCOME_TRY(compact_log(sample_blocks::kMaxBlockSamples));
        return boost::outcome_v2::success();
    });
    // Re-read at the next commit: cheaper than tracking what this compaction took.
    drop_log_cache();
    // A compaction at 10,000 series decodes and sorts ~200,000 samples (~10 MB for a moment);
    // glibc keeps such freed heap resident unless asked, which showed as +12 MiB VmRSS.
    ::malloc_trim(0);
    return done;
}

Result<const std::vector<LoggedSample>*> Store::decoded_log() {
    BOOST_OUTCOME_TRY(auto pragma, db_->prepare("PRAGMA data_version"));
    BOOST_OUTCOME_TRY(const bool has_row, pragma.step());
    const std::int64_t version = has_row ? pragma.column_int(0) : -1;
    if (log_cache_valid_ && version == log_cache_version_ && version >= 0) {
        return &log_cache_;
    }
    log_cache_valid_ = false;
    log_cache_.clear();
    BOOST_OUTCOME_TRY(read_log(*db_, std::numeric_limits<std::size_t>::max(), log_cache_));
    log_cache_valid_ = true;
    log_cache_version_ = version;
    return &log_cache_;
}

Result<std::vector<engine::Sample>> Store::latest_samples() {
    struct Latest {
        std::string kpi;
        std::string labels_json;
        std::optional<std::int64_t> at_ms;
        double value = 0;
    };
    std::vector<Latest> series;
    auto read = db_->read_transaction([&]() -> Result<void> {
        BOOST_OUTCOME_TRY(auto select, db_->prepare(R"sql(
SELECT id, kpi, labels_json, last_at_ms, last_value FROM series ORDER BY kpi, labels_json
)sql"));
        std::unordered_map<std::int64_t, std::size_t> index;
        for (;;) {
            BOOST_OUTCOME_TRY(const bool row, select.step());
            if (!row) {
                break;
            }
            index.emplace(select.column_int(0), series.size());
            series.push_back(Latest{select.column_text(1),
                                    select.column_text(2),
                                    select.column_optional_int(3),
                                    select.column_double(4)});
        }
        // The log is newer than every block, so at an equal time its sample wins, and within the
        // log a later one wins: the same "newest time, then written last" rule as before.
        BOOST_OUTCOME_TRY(const auto* log, decoded_log());
        for (const auto& s : *log) {
            const auto found = index.find(s.series_id);
            if (found == index.end()) {
                continue;
            }
            auto& latest = series[found->second];
            if (!latest.at_ms || s.at_ms >= *latest.at_ms) {
                latest.at_ms = s.at_ms;
                latest.value = s.value;
            }
        }
        return boost::outcome_v2::success();
    });
    if (!read) {
        return read.error();
    }
    std::vector<engine::Sample> out;
    out.reserve(series.size());
    for (auto& latest : series) {
        if (!latest.at_ms) {
            continue;  // a series whose samples were all pruned, until the next prune drops it
        }
        auto labels = codec::parse_labels_json(latest.labels_json);
        if (!labels) {
            return db_->error_text(fmt::format(
                "series of kpi '{}' has unreadable labels_json; the database is damaged",
                latest.kpi));
        }
        out.push_back(engine::Sample{
            std::move(latest.kpi), std::move(*labels), latest.value, from_unix_ms(*latest.at_ms)});
    }
    return out;
}

Result<std::vector<HistoryPoint>> Store::history(const std::string& kpi,
                                                 const engine::Labels& labels,
                                                 engine::TimePoint from,
                                                 engine::TimePoint to) {
    const std::int64_t from_ms = to_unix_ms(from);
    const std::int64_t to_ms = to_unix_ms(to);
    std::vector<Point> points;
    auto read = db_->read_transaction([&]() -> Result<void> {
        BOOST_OUTCOME_TRY(
            auto select, db_->prepare("SELECT id FROM series WHERE kpi = ?1 AND labels_json = ?2"));
        select.bind(1, kpi).bind(2, codec::labels_json(labels));
        BOOST_OUTCOME_TRY(const bool found, select.step());
        if (!found) {
            return boost::outcome_v2::success();
        }
        const std::int64_t id = select.column_int(0);

        // Blocks in id order (their compaction order), so that equal times keep commit order.
        std::vector<std::pair<std::int64_t, std::vector<Point>>> chunks;
        BOOST_OUTCOME_TRY(auto chunk, db_->prepare(R"sql(
SELECT b.id, b.min_at_ms, c.count, c.data
FROM sample_blocks b JOIN sample_chunks c ON c.block_id = b.id AND c.series_id = ?1
WHERE b.max_at_ms >= ?2 AND b.min_at_ms <= ?3
)sql"));
        chunk.bind(1, id).bind(2, from_ms).bind(3, to_ms);
        for (;;) {
            BOOST_OUTCOME_TRY(const bool row, chunk.step());
            if (!row) {
                break;
            }
            std::vector<Point> decoded;
            if (!sample_codec::unpack_chunk(chunk.column_blob(3),
                                            static_cast<std::size_t>(chunk.column_int(2)),
                                            chunk.column_int(1),
                                            decoded)) {
                return damaged(*db_, "sample_chunks row of block", chunk.column_int(0));
            }
            chunks.emplace_back(chunk.column_int(0), std::move(decoded));
        }
        std::sort(chunks.begin(), chunks.end(), [](const auto& a, const auto& b) {
            return a.first < b.first;
        });
        for (const auto& [block, decoded] : chunks) {
            for (const auto& p : decoded) {
                if (p.at_ms >= from_ms && p.at_ms <= to_ms) {
                    points.push_back(p);
                }
            }
        }
        BOOST_OUTCOME_TRY(const auto* log, decoded_log());
        for (const auto& s : *log) {
            if (s.series_id == id && s.at_ms >= from_ms && s.at_ms <= to_ms) {
                points.push_back(Point{s.at_ms, s.value});
            }
        }
        return boost::outcome_v2::success();
    });
    if (!read) {
        return read.error();
    }
    std::stable_sort(points.begin(), points.end(), [](const Point& a, const Point& b) {
        return a.at_ms < b.at_ms;
    });
    std::vector<HistoryPoint> out;
    out.reserve(points.size());
    for (const auto& p : points) {
        out.push_back(HistoryPoint{from_unix_ms(p.at_ms), p.value});
    }
    return out;
}

Result<std::size_t> Store::sample_count() {
    BOOST_OUTCOME_TRY(auto select, db_->prepare(R"sql(
SELECT (SELECT coalesce(sum(count), 0) FROM sample_blocks) +
       (SELECT coalesce(sum(count), 0) FROM sample_log)
)sql"));
    BOOST_OUTCOME_TRY(const bool row, select.step());
    return row ? static_cast<std::size_t>(select.column_int(0)) : std::size_t{0};
}

Result<std::size_t> Store::prune_blocks(std::int64_t before_ms) {
    std::size_t deleted = 0;
    {
        BOOST_OUTCOME_TRY(
            auto old,
            db_->prepare("SELECT coalesce(sum(count), 0) FROM sample_blocks WHERE max_at_ms < ?1"));
        old.bind(1, before_ms);
        BOOST_OUTCOME_TRY(const bool row, old.step());
        deleted += row ? static_cast<std::size_t>(old.column_int(0)) : 0;
    }
    BOOST_OUTCOME_TRY(auto chunks, db_->prepare(R"sql(
DELETE FROM sample_chunks WHERE block_id IN (SELECT id FROM sample_blocks WHERE max_at_ms < ?1)
)sql"));
    BOOST_OUTCOME_TRY(chunks.bind(1, before_ms).run());
    BOOST_OUTCOME_TRY(auto blocks, db_->prepare("DELETE FROM sample_blocks WHERE max_at_ms < ?1"));
    BOOST_OUTCOME_TRY(blocks.bind(1, before_ms).run());

    // Blocks straddling the cut are rewritten without their old samples (usually one block,
    // since blocks follow each other in time).
    std::vector<std::pair<std::int64_t, std::int64_t>> straddling;  // id, min_at_ms
    {
        BOOST_OUTCOME_TRY(
            auto select,
            db_->prepare("SELECT id, min_at_ms FROM sample_blocks WHERE min_at_ms < ?1"));
        select.bind(1, before_ms);
        for (;;) {
            BOOST_OUTCOME_TRY(const bool row, select.step());
            if (!row) {
                break;
            }
            straddling.emplace_back(select.column_int(0), select.column_int(1));
        }
    }
    for (const auto& [block, base] : straddling) {
        std::vector<std::pair<std::int64_t, std::vector<Point>>> kept;  // per series
        std::int64_t min_at = 0;
        std::size_t count = 0;
        {
            BOOST_OUTCOME_TRY(
                auto select,
                db_->prepare(
                    "SELECT series_id, count, data FROM sample_chunks WHERE block_id = ?1"));
            select.bind(1, block);
            std::vector<Point> decoded;
            for (;;) {
                BOOST_OUTCOME_TRY(const bool row, select.step());
                if (!row) {
                    break;
                }
                decoded.clear();
                const auto n = static_cast<std::size_t>(select.column_int(1));
                if (!sample_codec::unpack_chunk(select.column_blob(2), n, base, decoded)) {
                    return damaged(*db_, "sample_chunks row of block", block);
                }
                std::vector<Point> newer;
                for (const auto& p : decoded) {
                    if (p.at_ms >= before_ms) {
                        min_at = count == 0 ? p.at_ms : std::min(min_at, p.at_ms);
                        ++count;
                        newer.push_back(p);
                    }
                }
                deleted += n - newer.size();
                if (!newer.empty()) {
                    kept.emplace_back(select.column_int(0), std::move(newer));
                }
            }
        }
        BOOST_OUTCOME_TRY(auto remove,
                          db_->prepare("DELETE FROM sample_chunks WHERE block_id = ?1"));
        BOOST_OUTCOME_TRY(remove.bind(1, block).run());
        if (count == 0) {
            BOOST_OUTCOME_TRY(auto drop, db_->prepare("DELETE FROM sample_blocks WHERE id = ?1"));
            BOOST_OUTCOME_TRY(drop.bind(1, block).run());
            continue;
        }
        BOOST_OUTCOME_TRY(
            auto update,
            db_->prepare("UPDATE sample_blocks SET min_at_ms = ?2, count = ?3 WHERE id = ?1"));
        BOOST_OUTCOME_TRY(
            update.bind(1, block).bind(2, min_at).bind(3, static_cast<std::int64_t>(count)).run());
        for (const auto& [series, points] : kept) {
            BOOST_OUTCOME_TRY(
                auto insert,
                db_->prepare("INSERT INTO sample_chunks (block_id, series_id, count, data) "
                             "VALUES (?1, ?2, ?3, ?4)"));
            BOOST_OUTCOME_TRY(insert.bind(1, block)
                                  .bind(2, series)
                                  .bind(3, static_cast<std::int64_t>(points.size()))
                                  .bind_blob(4, sample_codec::pack_chunk(points, min_at))
                                  .run());
        }
    }
    return deleted;
}

Result<std::size_t> Store::prune(engine::TimePoint samples_before,
                                 engine::TimePoint delivered_before) {
    const std::int64_t cut = to_unix_ms(samples_before);
    std::size_t deleted = 0;
    auto done = db_->transaction([&]() -> Result<void> {
        // Everything into blocks first: then series.last_at_ms knows every series' newest
        // sample, and a series wholly older than the cut can go.
        for (;;) {
            BOOST_OUTCOME_TRY(const bool moved, compact_log(sample_blocks::kMaxBlockSamples));
            if (!moved) {
                break;
            }
        }
        BOOST_OUTCOME_TRY(const std::size_t samples, prune_blocks(cut));
        deleted += samples;
        BOOST_OUTCOME_TRY(
            auto outbox,
            db_->prepare("DELETE FROM outbox WHERE state = 'delivered' AND delivered_ms < ?1"));
        BOOST_OUTCOME_TRY(outbox.bind(1, to_unix_ms(delivered_before)).run());
        deleted += static_cast<std::size_t>(db_->changes());
        BOOST_OUTCOME_TRY(
            auto series,
            db_->prepare("DELETE FROM series WHERE last_at_ms IS NULL OR last_at_ms < ?1"));
        return series.bind(1, cut).run();
    });
    forget_log();  // ids of the deleted series must not be reused; the log was compacted
    if (!done) {
        return done.error();
    }
    return deleted;
}

}  // namespace tocsin::store
