#include "email_config.hpp"

#include <algorithm>

namespace tocsin::plugins::email {
namespace {

std::string trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(" \t");
    return std::string(text.substr(first, last - first + 1));
}

bool plausible_address(std::string_view address) {
    const auto at = address.find('@');
    const bool clean = std::none_of(address.begin(), address.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == '<' || c == '>' || c == ',' ||
               c == '"' || c == 0x7f;
    });
    return clean && at != std::string_view::npos && at > 0 && at + 1 < address.size() &&
           address.find('@', at + 1) == std::string_view::npos;
}

sdk::Status read_list(const sdk::Config& config, const char* key, std::vector<Mailbox>& out) {
    for (const auto& item : config.get_string_list(key)) {
        Mailbox mailbox;
        if (!parse_mailbox(item, mailbox)) {
            return sdk::Status::bad_config(std::string(key) + ": '" + item +
                                           "' is not an e-mail address; use e.g. ops@example.com");
        }
        out.push_back(mailbox);
    }
    return sdk::Status::ok();
}

}  // namespace

bool parse_mailbox(const std::string& text, Mailbox& out) {
    const auto open = text.rfind('<');
    if (open != std::string::npos) {
        const auto close = text.find('>', open);
        if (close == std::string::npos || trim(text.substr(close + 1)) != "") {
            return false;
        }
        out.address = text.substr(open + 1, close - open - 1);
        out.display = trim(text.substr(0, open));
        if (out.display.size() >= 2 && out.display.front() == '"' && out.display.back() == '"') {
            out.display = out.display.substr(1, out.display.size() - 2);
        }
    } else {
        out.address = trim(text);
        out.display.clear();
    }
    const bool display_ok = std::none_of(out.display.begin(), out.display.end(), [](char c) {
        return c == '\r' || c == '\n' || c == '"';
    });
    return display_ok && plausible_address(out.address);
}

sdk::Status parse_config(const sdk::Config& config, EmailConfig& out) {
    out.smtp_url = config.get_string("smtp_url");
    if (out.smtp_url.rfind("smtps://", 0) == 0) {
        out.implicit_tls = true;
    } else if (out.smtp_url.rfind("smtp://", 0) != 0) {
        return sdk::Status::bad_config(
            "smtp_url must start with smtp:// (STARTTLS) or smtps:// (TLS), e.g. "
            "smtp://mail.example.com:587");
    }
    const auto host_start = out.smtp_url.find("://") + 3;
    if (host_start >= out.smtp_url.size() || out.smtp_url[host_start] == '/' ||
        out.smtp_url.find_first_of(" \t\r\n") != std::string::npos) {
        return sdk::Status::bad_config(
            "smtp_url has no host; use e.g. smtp://mail.example.com:587");
    }
    out.username = config.get_string("username");
    out.password = config.get_string("password");
    if (!out.password.empty() && out.username.empty()) {
        return sdk::Status::bad_config("password is set but username is not; set both for AUTH");
    }
    if (!parse_mailbox(config.get_string("from"), out.from)) {
        return sdk::Status::bad_config(
            "from is not an e-mail address; use e.g. \"tocsin <alerts@example.com>\"");
    }
    if (auto status = read_list(config, "to", out.to); !status.is_ok()) {
        return status;
    }
    if (out.to.empty()) {
        return sdk::Status::bad_config("to is empty; list at least one address");
    }
    if (auto status = read_list(config, "cc", out.cc); !status.is_ok()) {
        return status;
    }
    out.require_tls = config.get_bool("require_tls", true);
    out.tls_verify = config.get_bool("tls_verify", true);
    out.ca_file = config.get_string("ca_file");
    out.subject_prefix = config.get_string("subject_prefix");
    return sdk::Status::ok();
}

}  // namespace tocsin::plugins::email
