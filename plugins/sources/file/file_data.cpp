#include "file_data.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tocsin::plugins::file {
namespace {

constexpr int kReadAttempts = 3;

FileStamp stamp_of(const struct stat& st) {
    return FileStamp{
        static_cast<std::uint64_t>(st.st_dev),
        static_cast<std::uint64_t>(st.st_ino),
        static_cast<std::int64_t>(st.st_size),
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

std::string errno_text(int error) {
    return std::strerror(error);  // NOLINT(concurrency-mt-unsafe): glibc returns static text
}

std::string age_text(std::int64_t ms) {
    const std::int64_t s = ms / 1000;
    if (s < 120) {
        return std::to_string(s) + "s";
    }
    if (s < 7200) {
        return std::to_string(s / 60) + "m";
    }
    return std::to_string(s / 3600) + "h";
}

}  // namespace

sdk::Status FileWatcher::read_once(FileData& out, bool& changed_while_reading) {
    changed_while_reading = false;
    const int fd = ::open(config_.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int error = errno;
        return sdk::Status::failed("cannot open '" + config_.path + "': " + errno_text(error));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return sdk::Status::failed("'" + config_.path + "' is not a regular file");
    }
    out.stamp = stamp_of(st);
    if (static_cast<std::size_t>(st.st_size) > config_.max_size) {
        ::close(fd);
        return sdk::Status::failed("'" + config_.path + "' is " + std::to_string(st.st_size) +
                                   " bytes, more than max_size " +
                                   std::to_string(config_.max_size));
    }
    std::string text;
    text.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    ++reads_;
    for (;;) {
        if (got == text.size()) {
            text.resize(text.size() + 4096);  // it may have grown since fstat
        }
        const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            const int error = errno;
            ::close(fd);
            return sdk::Status::failed("cannot read '" + config_.path + "': " + errno_text(error));
        }
        if (n == 0) {
            break;
        }
        got += static_cast<std::size_t>(n);
        if (got > config_.max_size) {
            ::close(fd);
            return sdk::Status::failed("'" + config_.path + "' grew past max_size " +
                                       std::to_string(config_.max_size) + " bytes");
        }
    }
    ::close(fd);
    text.resize(got);
    struct stat after {};
    changed_while_reading = ::stat(config_.path.c_str(), &after) != 0 ||
                            stamp_of(after) != out.stamp ||
                            static_cast<std::size_t>(out.stamp.size) != got;

    std::optional<std::string> error;
    if (config_.format == Format::Csv) {
        error = parse_csv(text, config_.delimiter, out.csv);
    } else {
        error = local::read_sample_array(text, out.samples);
    }
    if (error) {
        return sdk::Status::retry("'" + config_.path + "': " + *error +
                                  "; the last good version is kept until it parses");
    }
    return sdk::Status::ok();
}

sdk::Status FileWatcher::refresh(std::int64_t now_unix_ms) {
    struct stat st {};
    if (::stat(config_.path.c_str(), &st) != 0) {
        const int error = errno;
        return sdk::Status::failed("cannot read '" + config_.path + "': " + errno_text(error));
    }
    const FileStamp stamp = stamp_of(st);
    if (config_.max_age) {
        const std::int64_t age = now_unix_ms - stamp.mtime_ns / 1000000;
        if (age > config_.max_age->count()) {
            return sdk::Status::failed("'" + config_.path + "' was last modified " + age_text(age) +
                                       " ago, longer than max_age " +
                                       age_text(config_.max_age->count()));
        }
    }
    if (data_ && data_->stamp == stamp) {
        return sdk::Status::ok();  // unchanged: the cached samples are emitted again
    }
    sdk::Status status;
    for (int attempt = 1; attempt <= kReadAttempts; ++attempt) {
        FileData fresh;
        bool changed = false;
        status = read_once(fresh, changed);
        if (status.is_ok() && !changed) {
            data_ = std::move(fresh);
            return status;
        }
        if (!changed) {
            break;  // a stable file that does not parse: no point in reading it again now
        }
        if (status.is_ok() && attempt == kReadAttempts) {
            data_ = std::move(fresh);  // parses, though it keeps changing: take it
            return status;
        }
    }
    return status;
}

sdk::Status csv_samples(const CsvTable& table,
                        const std::vector<sdk::KpiRequest>& kpis,
                        std::vector<local::ParsedSample>& out) {
    const auto kpi_column = table.column("kpi");
    const auto timestamp_column = table.column("timestamp");
    for (const auto& request : kpis) {
        const std::string value_name =
            request.params.get_string("column", kpi_column ? "value" : request.kpi);
        const auto value_column = table.column(value_name);
        if (!value_column) {
            return sdk::Status::failed("KPI '" + request.kpi + "': the file has no column '" +
                                       value_name + "'");
        }
        std::vector<std::size_t> label_columns;
        if (request.params.has("labels")) {
            for (const auto& name : request.params.get_string_list("labels")) {
                const auto column = table.column(name);
                if (!column) {
                    return sdk::Status::failed("KPI '" + request.kpi +
                                               "': the file has no label column '" + name + "'");
                }
                label_columns.push_back(*column);
            }
        } else if (kpi_column) {
            for (std::size_t i = 0; i < table.header.size(); ++i) {
                if (i != *kpi_column && i != *value_column && i != timestamp_column) {
                    label_columns.push_back(i);
                }
            }
        }
        for (std::size_t r = 0; r < table.rows.size(); ++r) {
            const auto& row = table.rows[r];
            if (kpi_column && row[*kpi_column] != request.kpi) {
                continue;
            }
            const std::string& cell = row[*value_column];
            if (cell.find_first_not_of(" \t") == std::string::npos) {
                continue;  // an empty cell: no value in this row
            }
            const auto value = local::parse_number(cell);
            const std::string where = "line " + std::to_string(table.lines[r]);
            if (!value) {
                return sdk::Status::failed(where + ": column '" + value_name + "' ('" + cell +
                                           "') is not a number");
            }
            local::ParsedSample sample{request.kpi, *value, {}, 0};
            if (timestamp_column && !row[*timestamp_column].empty()) {
                const auto ms = local::parse_timestamp_ms(row[*timestamp_column]);
                if (!ms || *ms < 0) {
                    return sdk::Status::failed(where + ": timestamp '" + row[*timestamp_column] +
                                               "' is neither Unix seconds nor ISO-8601");
                }
                sample.timestamp_ms = *ms;
            }
            for (const auto column : label_columns) {
                if (!row[column].empty()) {
                    sample.labels.emplace_back(table.header[column], row[column]);
                }
            }
            out.push_back(std::move(sample));
        }
    }
    return sdk::Status::ok();
}

}  // namespace tocsin::plugins::file
