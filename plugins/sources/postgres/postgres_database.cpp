#include "postgres_database.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <memory>

namespace tocsin::plugins::postgres {
namespace {

// Skipped rows are reported one by one up to this many, then summed up.
constexpr std::size_t kMaxRowWarnings = 5;
constexpr const char* kValueColumn = "value";
constexpr const char* kTimestampColumn = "timestamp";
constexpr Oid kBoolOid = 16;

struct ResultDeleter {
    void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// libpq's messages end in a newline and may span lines ("...failed: Connection refused\n\tIs the
// server running...?"): one line for a log.
std::string one_line(const char* message) {
    std::string text = message != nullptr ? message : "";
    std::replace_if(
        text.begin(), text.end(), [](char c) { return c == '\n' || c == '\t' || c == '\r'; }, ' ');
    text.erase(
        std::unique(text.begin(), text.end(), [](char a, char b) { return a == ' ' && b == ' '; }),
        text.end());
    while (!text.empty() && text.back() == ' ') {
        text.pop_back();
    }
    if (text.rfind("ERROR: ", 0) == 0 || text.rfind("FATAL: ", 0) == 0) {
        text.erase(0, 7);
    }
    return text.empty() ? "unknown libpq error" : text;
}

// Waits until `fd` is ready for `events` or the deadline passes (false).
bool wait_socket(int fd, short events, Deadline deadline) {
    for (;;) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return false;
        }
        pollfd pfd{fd, events, 0};
        const int rc =
            ::poll(&pfd, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 60000)));
        if (rc > 0) {
            return true;
        }
        if (rc < 0 && errno != EINTR) {
            return true;  // let libpq find and report the socket's problem
        }
    }
}

std::string format_elapsed(std::chrono::steady_clock::duration elapsed) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
    if (ms < 1000) {
        return std::to_string(ms) + "ms";
    }
    const auto tenths = (ms + 50) / 100;
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "s";
}

// Authentication and "no such role/database" will not fix themselves by waiting.
bool is_permanent_connect_error(const std::string& message) {
    for (const char* marker : {"authentication failed",
                               "no password supplied",
                               "pg_hba.conf",
                               "does not exist",
                               "password is required",
                               "invalid connection option",
                               "invalid URI",
                               "missing \"=\""}) {
        if (message.find(marker) != std::string::npos) {
            return true;
        }
    }
    return false;
}

bool is_connection_sqlstate(const std::string& state) {
    return state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03";
}

std::string quoted(std::string_view text) {
    constexpr std::size_t kMaxShown = 40;
    if (text.size() > kMaxShown) {
        return "'" + std::string(text.substr(0, kMaxShown)) + "...'";
    }
    return "'" + std::string(text) + "'";
}

}  // namespace

/// The end of one round trip: the last result, or the first error with its SQLSTATE.
struct Database::Exec {
    ResultPtr result;
    std::string error;
    std::string sqlstate;
    bool timed_out = false;
    bool broken = false;  // the connection is unusable

    [[nodiscard]] bool ok() const { return error.empty() && !timed_out && !broken; }
};

Database::Database(std::string dsn, std::chrono::milliseconds statement_timeout)
    : dsn_(std::move(dsn)), statement_timeout_(statement_timeout) {}

Database::~Database() {
    close();
}

void Database::close() {
    if (conn_ != nullptr) {
        PQfinish(conn_);
        conn_ = nullptr;
    }
}

int Database::backend_pid() const {
    return conn_ != nullptr ? PQbackendPID(conn_) : 0;
}

std::optional<std::string> Database::connect(Deadline deadline, bool& temporary) {
    temporary = true;
    const auto left =
        std::chrono::ceil<std::chrono::seconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
        return std::string("cannot connect: the deadline passed");
    }
    // Later keywords win: the DSN may set application_name, but connect_timeout is ours. libpq's
    // own timeout is a backstop; the poll loop below keeps the exact deadline.
    const std::string timeout = std::to_string(std::max<std::int64_t>(2, left.count()));
    const char* keys[] = {"application_name", "dbname", "connect_timeout", nullptr};
    const char* values[] = {"tocsin", dsn_.c_str(), timeout.c_str(), nullptr};
    PGconn* conn = PQconnectStartParams(keys, values, 1);
    if (conn == nullptr) {
        return std::string("cannot connect: out of memory");
    }
    auto fail = [&](const std::string& why) {
        PQfinish(conn);
        return std::optional<std::string>("cannot connect: " + why);
    };
    if (PQstatus(conn) == CONNECTION_BAD) {
        const std::string message = one_line(PQerrorMessage(conn));
        temporary = !is_permanent_connect_error(message);
        return fail(message);
    }
    PostgresPollingStatusType state = PGRES_POLLING_WRITING;
    while (state != PGRES_POLLING_OK) {
        if (state == PGRES_POLLING_FAILED) {
            const std::string message = one_line(PQerrorMessage(conn));
            temporary =
                !is_permanent_connect_error(message) && PQconnectionNeedsPassword(conn) == 0;
            return fail(message);
        }
        const short events = state == PGRES_POLLING_READING ? POLLIN : POLLOUT;
        if (!wait_socket(PQsocket(conn), events, deadline)) {
            return fail("timed out before the deadline");
        }
        state = PQconnectPoll(conn);
    }
    PQsetnonblocking(conn, 1);
    conn_ = conn;
    // Timestamps in one fixed text form, whatever the server's defaults.
    const auto setup = exec("SET DateStyle = ISO; SET TimeZone = 'UTC'", false, deadline);
    if (!setup.ok()) {
        close();
        temporary = true;
        return "cannot set up the session: " + (setup.timed_out ? "timed out" : setup.error);
    }
    return std::nullopt;
}

Database::Exec Database::exec(const std::string& sql, bool extended, Deadline deadline) {
    Exec out;
    // The extended protocol runs exactly one statement: "SELECT 1; DROP ..." is refused.
    const int sent =
        extended ? PQsendQueryParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0)
                 : PQsendQuery(conn_, sql.c_str());
    if (sent == 0) {
        out.error = one_line(PQerrorMessage(conn_));
        out.broken = PQstatus(conn_) == CONNECTION_BAD;
        return out;
    }
    const int fd = PQsocket(conn_);
    for (;;) {
        const int flushed = PQflush(conn_);
        if (flushed == 0) {
            break;
        }
        if (flushed < 0) {
            out.error = one_line(PQerrorMessage(conn_));
            out.broken = true;
            return out;
        }
        if (!wait_socket(fd, POLLOUT | POLLIN, deadline)) {
            out.timed_out = true;
            return out;
        }
        if (PQconsumeInput(conn_) == 0) {
            out.error = one_line(PQerrorMessage(conn_));
            out.broken = true;
            return out;
        }
    }
    for (;;) {
        while (PQisBusy(conn_) != 0) {
            if (!wait_socket(fd, POLLIN, deadline)) {
                out.timed_out = true;
                return out;
            }
            if (PQconsumeInput(conn_) == 0) {
                out.error = one_line(PQerrorMessage(conn_));
                out.broken = true;
                return out;
            }
        }
        ResultPtr result(PQgetResult(conn_));
        if (!result) {
            break;
        }
        const auto status = PQresultStatus(result.get());
        if (status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE ||
            status == PGRES_NONFATAL_ERROR) {
            if (out.error.empty()) {
                // The primary message alone: the full text adds a LINE/caret block.
                const char* primary = PQresultErrorField(result.get(), PG_DIAG_MESSAGE_PRIMARY);
                out.error =
                    one_line(primary != nullptr ? primary : PQresultErrorMessage(result.get()));
                const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
                out.sqlstate = state != nullptr ? state : "";
            }
        } else if (out.error.empty()) {
            out.result = std::move(result);
        }
    }
    out.broken = PQstatus(conn_) == CONNECTION_BAD || is_connection_sqlstate(out.sqlstate);
    return out;
}

KpiOutcome Database::run_one(const KpiQuery& query, Deadline deadline, bool& broken) {
    KpiOutcome out;
    const std::string what = "query for KPI '" + query.kpi + "'";
    const auto started = std::chrono::steady_clock::now();
    const auto left = std::chrono::floor<std::chrono::milliseconds>(deadline - started);
    if (left.count() <= 0) {
        out.error = what + " not run: the deadline passed";
        out.temporary = true;
        return out;
    }
    // The server stops the query too, so a slow query never outlives the collect there either.
    const auto timeout = std::min(statement_timeout_, left);
    const auto prepare = exec(
        "SAVEPOINT tocsin_kpi; SET LOCAL statement_timeout = " + std::to_string(timeout.count()),
        false,
        deadline);
    if (!prepare.ok()) {
        broken = prepare.broken;
        if (prepare.timed_out) {
            close();
        }
        out.error =
            what + " not run: " + (prepare.timed_out ? "the deadline passed" : prepare.error);
        out.temporary = true;
        return out;
    }
    const auto result = exec(query.sql, true, deadline);
    if (result.timed_out) {
        close();  // mid-query: the connection cannot be reused
        out.error =
            what + " timed out after " + format_elapsed(std::chrono::steady_clock::now() - started);
        out.temporary = true;
        return out;
    }
    if (result.broken) {
        broken = true;
        out.error = what + " failed: " + result.error;
        out.temporary = true;
        return out;
    }
    const auto finish =
        exec(result.ok() ? "RELEASE SAVEPOINT tocsin_kpi" : "ROLLBACK TO SAVEPOINT tocsin_kpi",
             false,
             deadline);
    if (!finish.ok()) {
        close();
        broken = finish.broken;
    }
    if (!result.ok()) {
        if (result.sqlstate == "57014") {
            out.error = what + " timed out after " +
                        format_elapsed(std::chrono::steady_clock::now() - started) +
                        " (statement_timeout " + std::to_string(timeout.count()) + "ms)";
            out.temporary = true;
        } else if (result.sqlstate == "25006") {
            out.error = what + " failed: " + result.error + "; the postgres source only reads";
        } else {
            out.error = what + " failed: " + result.error;
        }
        return out;
    }

    PGresult* res = result.result.get();
    const int columns = res != nullptr ? PQnfields(res) : 0;
    const int value_column = res != nullptr ? PQfnumber(res, kValueColumn) : -1;
    const int timestamp_column = res != nullptr ? PQfnumber(res, kTimestampColumn) : -1;
    if (value_column < 0) {
        out.error = what + " has no 'value' column";
        return out;
    }
    const int rows = PQntuples(res);
    if (static_cast<std::size_t>(rows) > kMaxRows) {
        out.error = what + " returned more than " + std::to_string(kMaxRows) +
                    " rows; aggregate or add a LIMIT";
        return out;
    }
    const bool value_is_bool = PQftype(res, value_column) == kBoolOid;
    std::size_t skipped = 0;
    auto skip = [&](int row, const std::string& why) {
        if (++skipped <= kMaxRowWarnings) {
            out.warnings.push_back("KPI '" + query.kpi + "': row " + std::to_string(row + 1) +
                                   " skipped: " + why);
        }
    };
    for (int r = 0; r < rows; ++r) {
        if (PQgetisnull(res, r, value_column) != 0) {
            skip(r, "'value' is NULL");
            continue;
        }
        const std::string_view text(PQgetvalue(res, r, value_column),
                                    static_cast<std::size_t>(PQgetlength(res, r, value_column)));
        const auto value = parse_value(text, value_is_bool);
        if (!value) {
            skip(r, "'value' is not a finite number (" + quoted(text) + ")");
            continue;
        }
        QueryRow row;
        row.value = *value;
        if (timestamp_column >= 0 && PQgetisnull(res, r, timestamp_column) == 0) {
            const std::string_view ts(
                PQgetvalue(res, r, timestamp_column),
                static_cast<std::size_t>(PQgetlength(res, r, timestamp_column)));
            const auto ms = parse_timestamp_ms(ts);
            if (!ms) {
                skip(r, "'timestamp' is neither a timestamp nor Unix seconds (" + quoted(ts) + ")");
                continue;
            }
            row.timestamp_ms = *ms;
        }
        for (int c = 0; c < columns; ++c) {
            if (c == value_column || c == timestamp_column || PQgetisnull(res, r, c) != 0) {
                continue;  // a NULL label is the same as no label
            }
            row.labels.emplace_back(PQfname(res, c), PQgetvalue(res, r, c));
        }
        out.rows.push_back(std::move(row));
    }
    if (skipped > kMaxRowWarnings) {
        out.warnings.push_back("KPI '" + query.kpi + "': " +
                               std::to_string(skipped - kMaxRowWarnings) + " more rows skipped");
    }
    return out;
}

CollectResult Database::run(const std::vector<KpiQuery>& queries, Deadline deadline) {
    CollectResult result;
    result.kpis.resize(queries.size());
    auto give_up_rest = [&](std::size_t from, const std::string& why) {
        for (std::size_t i = from; i < queries.size(); ++i) {
            result.kpis[i].error = "query for KPI '" + queries[i].kpi + "' not run: " + why;
            result.kpis[i].temporary = true;
        }
    };
    std::size_t next = 0;
    bool retried = false;  // a dead connection is reopened once per collect
    while (next < queries.size()) {
        if (conn_ == nullptr) {
            bool temporary = true;
            if (auto error = connect(deadline, temporary)) {
                result.error = std::move(error);
                result.temporary = temporary;
                return result;
            }
        }
        const auto begin = exec("BEGIN READ ONLY ISOLATION LEVEL REPEATABLE READ", false, deadline);
        if (!begin.ok()) {
            close();
            if (begin.broken && !retried) {
                retried = true;
                continue;
            }
            result.error = "cannot start a read-only transaction: " +
                           (begin.timed_out ? std::string("the deadline passed") : begin.error);
            result.temporary = true;
            return result;
        }
        bool restart = false;
        while (next < queries.size()) {
            bool broken = false;
            KpiOutcome outcome = run_one(queries[next], deadline, broken);
            if (broken && outcome.error && !retried) {
                close();
                retried = true;
                restart = true;  // reconnect and run this KPI again
                break;
            }
            result.kpis[next++] = std::move(outcome);
            if (broken) {
                close();
                if (retried) {
                    give_up_rest(next, "the connection was lost");
                    return result;
                }
                retried = true;
                restart = true;
                break;
            }
            if (conn_ == nullptr) {  // the deadline passed mid-query
                give_up_rest(next, "the deadline passed");
                return result;
            }
        }
        if (restart) {
            continue;
        }
        // Read-only: nothing to keep, but COMMIT ends the transaction cleanly for the next collect.
        if (!exec("COMMIT", false, deadline).ok()) {
            close();
        }
    }
    return result;
}

}  // namespace tocsin::plugins::postgres
