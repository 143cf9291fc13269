#pragma once

// A real PostgreSQL server for the postgres source tests, from Debian's packages: initdb into a
// temp dir, pg_ctl start on 127.0.0.1 with a free port (and a Unix socket in the temp dir), with
// scram-sha-256 password auth. initdb refuses to run as root, so as root every server command
// runs as `nobody` through runuser. Started once per test binary, stopped at exit.

#include "support/temp_dir.hpp"

#include <cstdint>
#include <string>

namespace tocsin::testing {

class PgServer {
public:
    static constexpr const char* kUser = "tocsin_admin";
    static constexpr const char* kPassword = "admin-pw";

    /// initdb and start; throws std::runtime_error with the server's log when either fails.
    PgServer();
    /// Stops the server (immediate mode) and removes its files.
    ~PgServer();
    PgServer(const PgServer&) = delete;
    PgServer& operator=(const PgServer&) = delete;
    PgServer(PgServer&&) = delete;
    PgServer& operator=(PgServer&&) = delete;

    [[nodiscard]] std::uint16_t port() const { return port_; }
    /// A libpq connection string for database `postgres` as the admin user (or `password`).
    [[nodiscard]] std::string dsn(const std::string& password = kPassword) const;
    /// Runs `sql` as the admin user; throws std::runtime_error with the server's message.
    void exec(const std::string& sql) const;
    /// The first column of the first row of `sql`, as text.
    [[nodiscard]] std::string scalar(const std::string& sql) const;
    /// pg_ctl restart (fast mode), waiting until the server accepts connections again.
    void restart();

private:
    void pg_ctl(const std::string& action) const;

    TempDir dir_;
    std::string data_;
    std::uint16_t port_ = 0;
    bool running_ = false;
};

/// The shared server, started on first use.
PgServer& pg_server();

/// A TCP port on 127.0.0.1 that was free a moment ago.
std::uint16_t free_port();

}  // namespace tocsin::testing
