#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

/// The packed forms of KPI history (see docs/operators.md, "State database"). Pure functions, no
/// SQLite: the store keeps the bytes in BLOB columns.
///
/// - A log row (`sample_log.data`) holds one commit's samples of any series, in commit order:
///   per sample the series id and the time as zig-zag varint deltas from the sample before, then
///   the value's 8 bytes (IEEE 754, little-endian), so NaN and infinities round-trip bit for bit.
/// - A chunk (`sample_chunks.data`) holds one series' samples of one block, sorted by time: the
///   first time as a zig-zag varint offset from the block's start, then delta-of-deltas; each
///   value XORed with the one before, written as one header byte and only its non-zero bytes
///   (a repeated value costs one byte).
///
/// Decoding checks every length against the row's `count` and the blob's size; a damaged blob
/// reads as false, never as made-up samples.
namespace tocsin::store::sample_codec {

/// One stored sample as the store sees it: the series by id.
struct LoggedSample {
    std::int64_t series_id = 0;
    std::int64_t at_ms = 0;
    double value = 0;
};

/// One point of one series.
struct Point {
    std::int64_t at_ms = 0;
    double value = 0;
};

/// Packs samples, in the given order, for one sample_log row.
[[nodiscard]] std::string pack_log(std::span<const LoggedSample> samples);
/// Appends the `count` samples of a log row to `out` in their packed order; false when the blob
/// does not hold exactly that many.
[[nodiscard]] bool unpack_log(std::string_view data,
                              std::size_t count,
                              std::vector<LoggedSample>& out);

/// Packs one series' points, which must be sorted by time, relative to `base_ms`.
[[nodiscard]] std::string pack_chunk(std::span<const Point> points, std::int64_t base_ms);
/// Appends the `count` points of a chunk to `out`, oldest first; false when damaged.
[[nodiscard]] bool unpack_chunk(std::string_view data,
                                std::size_t count,
                                std::int64_t base_ms,
                                std::vector<Point>& out);

}  // namespace tocsin::store::sample_codec
