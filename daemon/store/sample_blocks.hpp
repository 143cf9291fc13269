#pragma once

#include "engine/result.hpp"
#include "store/sample_codec.hpp"

#include <cstddef>
#include <vector>

/// Writing compacted KPI history: one `sample_blocks` row per compaction and one `sample_chunks`
/// row per series in it, keyed (block_id, series_id) so that a compaction appends at the end of
/// the table instead of touching one page per series. Used by Store's compaction and by the
/// schema migration that converts the old one-row-per-sample table. Runs inside the caller's
/// transaction.
namespace tocsin::store {

class Database;

namespace sample_blocks {

/// Upper bound of samples one compaction moves, so that it never holds the write lock for long.
inline constexpr std::size_t kMaxBlockSamples = 250'000;

/// Writes `samples` (in commit order; equal times keep that order) as one new block, and moves
/// each series' newest value into `series.last_at_ms` / `series.last_value` when it is at least
/// as new as the one there. Does nothing for no samples.
Result<void> write_block(Database& db, std::vector<sample_codec::LoggedSample> samples);

/// Schema migration 6: moves every row of the old `samples` table into blocks (oldest rows
/// first, at most kMaxBlockSamples per block) and drops the table.
Result<void> convert_samples_table(Database& db);

}  // namespace sample_blocks
}  // namespace tocsin::store
