#pragma once

// The real SMTP server of the email tests: tests/support/smtp_server.py (aiosmtpd) run once per
// test process, with STARTTLS + AUTH, implicit TLS and plain ports on 127.0.0.1. Received mails
// are read back as the JSON summaries the script writes (parsed by Python's email package).

#include <tocsin/sdk/json.hpp>

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace tocsin::testing {

class SmtpServer {
public:
    /// The process-wide server, started on first use (throws when it does not come up in 20 s).
    static SmtpServer& instance();
    ~SmtpServer();
    SmtpServer(const SmtpServer&) = delete;
    SmtpServer& operator=(const SmtpServer&) = delete;
    SmtpServer(SmtpServer&&) = delete;
    SmtpServer& operator=(SmtpServer&&) = delete;

    [[nodiscard]] std::uint16_t starttls_port() const { return ports_[0]; }
    [[nodiscard]] std::uint16_t smtps_port() const { return ports_[1]; }
    [[nodiscard]] std::uint16_t plain_port() const { return ports_[2]; }
    /// The server's self-signed certificate (PEM), to trust as ca_file.
    [[nodiscard]] std::string ca_file() const { return dir_ + "/cert.pem"; }

    /// The summary of the mail whose X-Tocsin-Notification-Id is `id`, if one arrived.
    [[nodiscard]] std::optional<sdk::Json> find(const std::string& id) const;
    /// The raw message of that mail.
    [[nodiscard]] std::string raw(const std::string& id) const;

private:
    SmtpServer();
    [[nodiscard]] std::optional<std::string> file_of(const std::string& id) const;

    std::string dir_;
    pid_t pid_ = -1;
    int stdin_fd_ = -1;
    std::uint16_t ports_[3] = {0, 0, 0};
};

}  // namespace tocsin::testing
