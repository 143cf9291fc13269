#include "email_message.hpp"

#include "sha256.hpp"
#include "text_util.hpp"

#include <array>
#include <ctime>

namespace tocsin::plugins::email {
namespace {

using common::AlertView;
using common::NotificationView;

constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
// "=?UTF-8?B?" + "?=" around at most this much text keeps a word within 75 bytes.
constexpr std::size_t kMaxWordBytes = 45;

std::string base64(std::string_view data) {
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < data.size(); i += 3) {
        const unsigned n = (static_cast<unsigned char>(data[i]) << 16U) |
                           (static_cast<unsigned char>(data[i + 1]) << 8U) |
                           static_cast<unsigned char>(data[i + 2]);
        out += kBase64[(n >> 18U) & 63U];
        out += kBase64[(n >> 12U) & 63U];
        out += kBase64[(n >> 6U) & 63U];
        out += kBase64[n & 63U];
    }
    if (i < data.size()) {
        unsigned n = static_cast<unsigned char>(data[i]) << 16U;
        if (i + 1 < data.size()) {
            n |= static_cast<unsigned char>(data[i + 1]) << 8U;
        }
        out += kBase64[(n >> 18U) & 63U];
        out += kBase64[(n >> 12U) & 63U];
        out += i + 1 < data.size() ? kBase64[(n >> 6U) & 63U] : '=';
        out += '=';
    }
    return out;
}

bool plain_ascii(std::string_view text) {
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f) {
            return false;
        }
    }
    // "=?" would be read as the start of an encoded word.
    return text.find("=?") == std::string_view::npos;
}

std::string html_escape(std::string_view text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string format_mailbox(const Mailbox& mailbox) {
    if (mailbox.display.empty()) {
        return mailbox.address;
    }
    const std::string display = plain_ascii(mailbox.display) ? "\"" + mailbox.display + "\""
                                                             : encode_header_text(mailbox.display);
    return display + " <" + mailbox.address + ">";
}

std::string format_list(const std::vector<Mailbox>& list) {
    std::string out;
    for (const auto& mailbox : list) {
        out += (out.empty() ? "" : ",\r\n ") + format_mailbox(mailbox);
    }
    return out;
}

std::string domain_of(const std::string& address) {
    const auto at = address.find('@');
    return at == std::string::npos ? "tocsin.invalid" : address.substr(at + 1);
}

// A report's banner: red when a KPI is critical, amber for a warning, grey when data is
// missing, else green.
std::string report_colour(const NotificationView& view) {
    bool warning = false;
    bool missing = false;
    for (const auto& line : view.report.lines) {
        if (line.status == "critical") {
            return "#c62828";
        }
        warning = warning || line.status == "warning";
        missing = missing || line.status == "stale" || line.status == "no data";
    }
    return warning ? "#f9a825" : missing ? "#455a64" : "#2e7d32";
}

// Banner colour of the HTML part, by what the message is about.
std::string colour_for(const NotificationView& view) {
    if (view.kind == "report") {
        return report_colour(view);
    }
    if (view.kind == "resolved") {
        return "#2e7d32";
    }
    if (view.kind == "acknowledged" || view.kind == "test" || view.kind == "digest") {
        return "#455a64";
    }
    const std::string severity = common::headline_severity(view);
    if (severity == "critical") {
        return "#c62828";
    }
    if (severity == "error") {
        return "#ef6c00";
    }
    if (severity == "warning") {
        return "#f9a825";
    }
    return "#1565c0";
}

std::string link_button(const std::string& url, const std::string& label, const char* colour) {
    return "<a href=\"" + html_escape(url) +
           "\" style=\"display:inline-block;padding:6px 12px;"
           "margin-right:8px;background:" +
           colour +
           ";color:#ffffff;text-decoration:none;"
           "border-radius:4px\">" +
           html_escape(label) + "</a>";
}

std::string alert_table(const AlertView& alert) {
    std::string rows;
    auto row = [&](const std::string& name, const std::string& value) {
        if (!value.empty()) {
            rows += "<tr><th align=\"left\" style=\"padding:2px 12px 2px 0\">" + html_escape(name) +
                    "</th><td>" + html_escape(value) + "</td></tr>\r\n";
        }
    };
    row("Alert", alert.name + (alert.severity.empty() ? "" : " (" + alert.severity + ")"));
    row("KPI", alert.kpi);
    if (alert.nodata) {
        row("Value", "no recent data");
    } else if (alert.value) {
        std::string value = common::format_value(*alert.value, alert.unit);
        if (alert.previous_value) {
            value += " (was " + common::format_value(*alert.previous_value, alert.unit) + ")";
        }
        row("Value", value);
    }
    if (alert.threshold) {
        row("Threshold", common::format_value(*alert.threshold, alert.unit));
    }
    if (alert.target) {
        row("Target", common::format_value(*alert.target, alert.unit));
    }
    if (alert.status == "resolved" && alert.duration_s) {
        row("Lasted", common::format_duration(*alert.duration_s));
    } else {
        row("Since", alert.starts_at);
    }
    std::string out =
        "<table style=\"margin:12px 0;border-collapse:collapse\">\r\n" + rows + "</table>\r\n";
    std::string buttons;
    if (!alert.runbook.empty()) {
        buttons += link_button(alert.runbook, "Runbook", "#455a64");
    }
    if (alert.status != "resolved" && !alert.ack_url.empty()) {
        buttons += link_button(alert.ack_url, "Acknowledge", "#1565c0");
    }
    if (!buttons.empty()) {
        out += "<p>" + buttons + "</p>\r\n";
    }
    return out;
}

// A report as a table: one row per KPI series with value, target, status and the previous value.
std::string report_table(const NotificationView& view) {
    const std::string cell = "<td style=\"padding:4px 12px 4px 0\">";
    std::string rows =
        "<tr><th align=\"left\">KPI</th><th align=\"left\">Value</th><th "
        "align=\"left\">Target</th><th align=\"left\">Status</th><th align=\"left\">Last "
        "report</th></tr>\r\n";
    for (const auto& line : view.report.lines) {
        const auto shown = [&](const std::optional<double>& v) {
            return v ? common::format_value(*v, line.unit) : std::string();
        };
        std::string status = line.status;
        if (!line.alert.empty() && line.status != "ok") {
            status += " (" + line.alert + ")";
        }
        rows += "<tr>" + cell + html_escape(common::series_name(line)) + "</td>" + cell +
                html_escape(line.value ? shown(line.value) : "no data") + "</td>" + cell +
                html_escape(shown(line.target)) + "</td>" + cell + html_escape(status) + "</td>" +
                cell + html_escape(shown(line.previous)) + "</td></tr>\r\n";
    }
    return "<table style=\"margin:12px 0;border-collapse:collapse\">\r\n" + rows + "</table>\r\n";
}

std::string html_body(const NotificationView& view) {
    std::string html = "<!DOCTYPE html>\r\n<html><head><meta charset=\"utf-8\"><title>" +
                       html_escape(view.message.title) +
                       "</title></head>\r\n<body style=\"font-family:sans-serif\">\r\n"
                       "<div style=\"background:" +
                       colour_for(view) +
                       ";color:#ffffff;padding:10px 14px;font-size:18px;font-weight:bold\">" +
                       html_escape(view.message.title) + "</div>\r\n";
    if (view.kind == "report" && !view.report.lines.empty()) {
        html += report_table(view);
    } else {
        html += "<pre style=\"white-space:pre-wrap;font-family:inherit;font-size:14px\">" +
                html_escape(view.message.text) + "</pre>\r\n";
    }
    for (const auto& alert : view.alerts) {
        html += alert_table(alert);
    }
    html += "<p style=\"color:#777777;font-size:12px\">Sent by tocsin";
    if (!view.receiver.empty()) {
        html += " through notifier " + html_escape(view.receiver);
    }
    html += ".</p>\r\n</body></html>\r\n";
    return html;
}

std::string text_body(const NotificationView& view) {
    return view.message.title + "\n\n" + view.message.text + "\n\n-- \nSent by tocsin" +
           (view.receiver.empty() ? "" : " through notifier " + view.receiver) + ".\n";
}

}  // namespace

std::string thread_message_id(std::string_view fingerprint,
                              std::string_view starts_at,
                              std::string_view domain) {
    std::string key(fingerprint);
    key += '|';
    key += starts_at;
    return "<tocsin." + common::to_hex(common::sha256(key)).substr(0, 32) + "@" +
           std::string(domain) + ">";
}

std::string encode_header_text(std::string_view text) {
    if (plain_ascii(text)) {
        return std::string(text);
    }
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t end = std::min(text.size(), i + kMaxWordBytes);
        while (end < text.size() && end > i &&
               (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) {
            --end;  // never split a UTF-8 sequence between two words
        }
        out +=
            (out.empty() ? "" : "\r\n ") + ("=?UTF-8?B?" + base64(text.substr(i, end - i)) + "?=");
        i = end;
    }
    return out;
}

std::string quoted_printable(std::string_view text) {
    constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    std::size_t line = 0;
    auto put = [&](const std::string& piece) {
        if (line + piece.size() > 75) {
            out += "=\r\n";
            line = 0;
        }
        out += piece;
        line += piece.size();
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const auto u = static_cast<unsigned char>(c);
        if (c == '\r') {
            continue;
        }
        if (c == '\n') {
            out += "\r\n";
            line = 0;
            continue;
        }
        const bool at_line_end = i + 1 == text.size() || text[i + 1] == '\n' || text[i + 1] == '\r';
        const bool literal = (u >= 33 && u <= 126 && c != '=') || (c == ' ' && !at_line_end);
        // A line starting with "." is fine for curl (it dot-stuffs), "From " is not mangled by us.
        put(literal ? std::string(1, c) : std::string{'=', kHex[u >> 4U], kHex[u & 15U]});
    }
    return out;
}

std::string rfc5322_date(std::int64_t unix_seconds) {
    static constexpr std::array<const char*, 7> kDays = {
        "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> kMonths = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto time = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&time, &tm);
    std::array<char, 64> buffer{};
    std::snprintf(buffer.data(),
                  buffer.size(),
                  "%s, %02d %s %04d %02d:%02d:%02d +0000",
                  kDays[static_cast<std::size_t>(tm.tm_wday)],
                  tm.tm_mday,
                  kMonths[static_cast<std::size_t>(tm.tm_mon)],
                  tm.tm_year + 1900,
                  tm.tm_hour,
                  tm.tm_min,
                  tm.tm_sec);
    return buffer.data();
}

Mail build_mail(const NotificationView& view,
                const EmailConfig& config,
                std::int64_t unix_seconds) {
    Mail mail;
    const std::string domain = domain_of(config.from.address);
    // One alert's mails form a thread; a batch of several alerts (group_by, quiet hours) belongs
    // to no single alert's thread, so it starts its own mail.
    const bool threaded = view.alerts.size() == 1 && view.kind != "digest" && view.kind != "test";
    const std::string root =
        threaded ? thread_message_id(
                       view.alerts.front().fingerprint, view.alerts.front().starts_at, domain)
                 : "";
    if (threaded && view.kind == "firing") {
        mail.message_id = root;
    } else {
        const std::string seed =
            (view.id.empty() ? view.message.title + std::to_string(unix_seconds) : view.id) + "|" +
            view.kind;
        mail.message_id =
            "<tocsin.n." + common::to_hex(common::sha256(seed)).substr(0, 32) + "@" + domain + ">";
        mail.in_reply_to = root;
    }
    mail.subject = config.subject_prefix.empty() ? view.message.title
                                                 : config.subject_prefix + " " + view.message.title;
    // Subjects are one line; a template may have produced more.
    for (char& c : mail.subject) {
        if (c == '\r' || c == '\n') {
            c = ' ';
        }
    }
    const std::string boundary =
        "=_tocsin_" + common::to_hex(common::sha256(mail.message_id)).substr(0, 24);

    std::string m;
    auto header = [&](const std::string& name, const std::string& value) {
        m += name + ": " + value + "\r\n";
    };
    header("Date", rfc5322_date(unix_seconds));
    header("From", format_mailbox(config.from));
    header("To", format_list(config.to));
    if (!config.cc.empty()) {
        header("Cc", format_list(config.cc));
    }
    header("Subject", encode_header_text(mail.subject));
    header("Message-ID", mail.message_id);
    if (!mail.in_reply_to.empty()) {
        header("In-Reply-To", mail.in_reply_to);
        header("References", mail.in_reply_to);
    }
    if (!view.id.empty() && plain_ascii(view.id)) {
        header("X-Tocsin-Notification-Id", view.id);
    }
    header("X-Tocsin-Kind", view.kind);
    header("Auto-Submitted", "auto-generated");
    header("MIME-Version", "1.0");
    header("Content-Type", "multipart/alternative; boundary=\"" + boundary + "\"");
    m += "\r\nThis is a MIME message; your mail reader shows its text or HTML part.\r\n";
    m += "\r\n--" + boundary + "\r\n";
    m += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
         "quoted-printable\r\n\r\n";
    m += quoted_printable(text_body(view)) + "\r\n";
    m += "\r\n--" + boundary + "\r\n";
    m += "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: "
         "quoted-printable\r\n\r\n";
    m += quoted_printable(html_body(view)) + "\r\n";
    m += "\r\n--" + boundary + "--\r\n";
    mail.text = std::move(m);
    return mail;
}

}  // namespace tocsin::plugins::email
