#pragma once

// The libpq side of the postgres source: one connection, reused between collects and reopened
// when it breaks, and the running of a collect's queries in one read-only transaction. Every wait
// is bounded by the collect deadline (non-blocking libpq with poll()), and each query also by a
// server-side statement_timeout. It knows nothing of the plugin ABI, so tests drive it directly.

#include "postgres_rows.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

struct pg_conn;

namespace tocsin::plugins::postgres {

using Deadline = std::chrono::steady_clock::time_point;

/// One KPI's query.
struct KpiQuery {
    std::string kpi;
    std::string sql;
};

/// What one KPI's query produced: rows and warnings for skipped rows (bounded), or an error.
struct KpiOutcome {
    std::vector<QueryRow> rows;
    std::vector<std::string> warnings;
    std::optional<std::string> error;
    bool temporary = false;  // a timeout or a lost connection: waiting may help
};

/// What a collect produced: one outcome per query, in order, or a failure of the whole collect
/// (cannot connect, cannot start the transaction) in `error`.
struct CollectResult {
    std::vector<KpiOutcome> kpis;
    std::optional<std::string> error;
    bool temporary = false;
};

/// Threading: one caller at a time (the host never overlaps calls on one instance).
class Database {
public:
    /// Does no I/O; the connection opens at the first run().
    Database(std::string dsn, std::chrono::milliseconds statement_timeout);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    Database(Database&&) = delete;
    Database& operator=(Database&&) = delete;

    /// Runs `queries` in one READ ONLY transaction, each under a savepoint (one failing query
    /// does not spoil the others) and with statement_timeout = min(configured, time left). A
    /// connection found dead (server restart, terminated backend) is reopened and the remaining
    /// queries retried once. Authentication failures are not temporary; a server that cannot be
    /// reached is.
    [[nodiscard]] CollectResult run(const std::vector<KpiQuery>& queries, Deadline deadline);

    [[nodiscard]] bool is_open() const { return conn_ != nullptr; }
    /// The server process id of the open connection (0 when closed); tests terminate it.
    [[nodiscard]] int backend_pid() const;
    void close();

    /// Rows beyond this many are an error: a KPI query should aggregate, not dump a table.
    static constexpr std::size_t kMaxRows = 10000;

private:
    struct Exec;
    std::optional<std::string> connect(Deadline deadline, bool& temporary);
    Exec exec(const std::string& sql, bool extended, Deadline deadline);
    KpiOutcome run_one(const KpiQuery& query, Deadline deadline, bool& broken);

    std::string dsn_;
    std::chrono::milliseconds statement_timeout_;
    pg_conn* conn_ = nullptr;
};

}  // namespace tocsin::plugins::postgres
