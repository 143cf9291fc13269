#pragma once

// The file side of the file source: noticing that the file changed (inode, size, mtime), reading
// and parsing it, keeping the last good version, and picking each KPI's samples out of it.
// Knows nothing of the plugin ABI; tests drive it directly against real files.

#include "csv.hpp"
#include "file_config.hpp"
#include "samples.hpp"
#include <tocsin/sdk/source.hpp>
#include <tocsin/sdk/status.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tocsin::plugins::file {

/// What identifies one version of the file.
struct FileStamp {
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::int64_t size = 0;
    std::int64_t mtime_ns = 0;

    bool operator==(const FileStamp&) const = default;
};

/// One parsed version of the file.
struct FileData {
    FileStamp stamp;
    CsvTable csv;                              // format: csv
    std::vector<local::ParsedSample> samples;  // format: json
};

/// Watches one file. Threading: one caller at a time (the host never overlaps calls).
class FileWatcher {
public:
    explicit FileWatcher(FileConfig config) : config_(std::move(config)) {}

    /// Makes data() current: stats the file and, when it changed since the last good read (or
    /// the last read failed), reads and parses it again. A file that changes while it is read is
    /// read again (up to 3 times) before its parse error counts. On failure the last good data
    /// stays (data() still returns it) and the status says why: failed for a missing or
    /// oversized file, retry for one that does not parse (a writer may be half-way).
    /// `now_unix_ms` is for max_age.
    sdk::Status refresh(std::int64_t now_unix_ms);

    /// The last good version, or nullptr before the first successful read.
    [[nodiscard]] const FileData* data() const { return data_ ? &*data_ : nullptr; }
    /// How many times the file was read (for tests: an unchanged file is not read again).
    [[nodiscard]] std::size_t reads() const { return reads_; }

private:
    sdk::Status read_once(FileData& out, bool& changed_while_reading);

    FileConfig config_;
    std::optional<FileData> data_;
    std::size_t reads_ = 0;
};

/// The samples of `kpis` in a parsed CSV (see the `column` and `labels` per-KPI keys). Fails on a
/// missing column or a value cell that is not a number, naming the line.
[[nodiscard]] sdk::Status csv_samples(const CsvTable& table,
                                      const std::vector<sdk::KpiRequest>& kpis,
                                      std::vector<local::ParsedSample>& out);

}  // namespace tocsin::plugins::file
