#pragma once

// Configuration of the email notifier (SMTP through libcurl): the declared keys (the host
// validates them) and the parsed settings with the cross-field checks the host cannot do.

#include <tocsin/sdk/config.hpp>
#include <tocsin/sdk/status.hpp>

#include <string>
#include <vector>

namespace tocsin::plugins::email {

/// Instance keys, as `tocsin plugins` lists them.
inline constexpr tocsin_config_key kConfigKeys[] = {
    {"smtp_url",
     TOCSIN_TYPE_STRING,
     1,
     nullptr,
     0,
     "smtp://host:587 (STARTTLS) or smtps://host:465 (TLS from the start)"},
    {"username", TOCSIN_TYPE_STRING, 0, nullptr, 0, "SMTP AUTH user; no AUTH when unset"},
    {"password", TOCSIN_TYPE_STRING, 0, nullptr, 1, "SMTP AUTH password"},
    {"from", TOCSIN_TYPE_STRING, 1, nullptr, 0, "sender, e.g. \"tocsin <alerts@example.com>\""},
    {"to", TOCSIN_TYPE_STRING_LIST, 1, nullptr, 0, "recipient addresses"},
    {"cc", TOCSIN_TYPE_STRING_LIST, 0, nullptr, 0, "copy recipients"},
    {"require_tls",
     TOCSIN_TYPE_BOOL,
     0,
     "true",
     0,
     "smtp:// only: refuse to send unless the server offers STARTTLS; false = use it if offered"},
    {"tls_verify",
     TOCSIN_TYPE_BOOL,
     0,
     "true",
     0,
     "check the server's certificate and name; turn off only for tests"},
    {"ca_file", TOCSIN_TYPE_STRING, 0, nullptr, 0, "PEM file of CA certificates to trust instead"},
    {"subject_prefix", TOCSIN_TYPE_STRING, 0, nullptr, 0, "put before every subject, e.g. [ops]"},
};

struct Mailbox {
    std::string display;  // "tocsin", may be empty
    std::string address;  // "alerts@example.com"
};

struct EmailConfig {
    std::string smtp_url;
    bool implicit_tls = false;  // smtps://
    std::string username;
    std::string password;
    Mailbox from;
    std::vector<Mailbox> to;
    std::vector<Mailbox> cc;
    bool require_tls = true;
    bool tls_verify = true;
    std::string ca_file;
    std::string subject_prefix;
};

/// "Name <a@b>", "<a@b>" or "a@b" as a mailbox; false when there is no plausible address.
[[nodiscard]] bool parse_mailbox(const std::string& text, Mailbox& out);

/// Reads validated config into `out`; bad_config on an URL that is not smtp(s), addresses that
/// do not parse, or a password without a username. Messages never contain the password.
[[nodiscard]] sdk::Status parse_config(const sdk::Config& config, EmailConfig& out);

}  // namespace tocsin::plugins::email
