#include "slack_message.hpp"

#include "text_util.hpp"

#include <algorithm>

namespace tocsin::plugins::slack {
namespace {

using common::AlertView;
using common::NotificationView;
using sdk::Json;

Json text_object(const std::string& type, const std::string& text) {
    Json out = Json::object();
    out.set("type", type);
    out.set("text", text);
    if (type == "plain_text") {
        out.set("emoji", true);
    }
    return out;
}

Json section(const std::string& markdown) {
    Json out = Json::object();
    out.set("type", "section");
    out.set("text", text_object("mrkdwn", mrkdwn(markdown, kMaxSectionChars)));
    return out;
}

Json context(const std::string& markdown) {
    Json element = text_object("mrkdwn", mrkdwn(markdown, kMaxSectionChars));
    Json out = Json::object();
    out.set("type", "context");
    out.set("elements", Json::array({element}));
    return out;
}

Json button(const std::string& label,
            const std::string& url,
            const std::string& action_id,
            const char* style) {
    Json out = Json::object();
    out.set("type", "button");
    out.set("text", text_object("plain_text", common::truncate_chars(label, kMaxButtonChars)));
    out.set("url", url);
    out.set("action_id", action_id);
    if (style != nullptr) {
        out.set("style", style);
    }
    return out;
}

// The facts of one alert as section fields (Slack shows them in two columns).
Json alert_facts(const AlertView& alert) {
    Json fields = Json::array();
    auto add = [&](const std::string& name, const std::string& value) {
        if (!value.empty()) {
            fields.push_back(
                text_object("mrkdwn", mrkdwn("*" + name + "*\n" + value, kMaxFieldChars)));
        }
    };
    const std::string what = alert.status == "resolved" ? "resolved" : alert.severity;
    add("Alert", alert.name + (what.empty() ? "" : " (" + what + ")"));
    if (alert.nodata) {
        add("Value", "no recent data");
    } else if (alert.value) {
        std::string value = common::format_value(*alert.value, alert.unit);
        if (alert.previous_value) {
            const char* arrow = *alert.previous_value < *alert.value   ? " ↑ from "
                                : *alert.previous_value > *alert.value ? " ↓ from "
                                                                       : " = ";
            value += arrow + common::format_value(*alert.previous_value, alert.unit);
        }
        add("Value", value);
    }
    if (alert.threshold) {
        add("Threshold", common::format_value(*alert.threshold, alert.unit));
    }
    if (alert.target) {
        add("Target", common::format_value(*alert.target, alert.unit));
    }
    if (alert.status == "resolved" && alert.duration_s) {
        add("Lasted", common::format_duration(*alert.duration_s));
    } else if (!alert.starts_at.empty()) {
        add("Since", alert.starts_at);
    }
    Json out = Json::object();
    out.set("type", "section");
    out.set("fields", fields);
    return out;
}

Json alert_buttons(const AlertView& alert, std::size_t index) {
    Json elements = Json::array();
    if (!alert.runbook.empty()) {
        elements.push_back(
            button("Runbook", alert.runbook, "runbook-" + std::to_string(index), nullptr));
    }
    if (alert.status != "resolved" && !alert.ack_url.empty()) {
        elements.push_back(
            button("Acknowledge", alert.ack_url, "ack-" + std::to_string(index), "primary"));
    }
    if (elements.size() == 0) {
        return nullptr;
    }
    Json out = Json::object();
    out.set("type", "actions");
    out.set("elements", elements);
    return out;
}

const char* status_emoji(const std::string& status) {
    if (status == "critical") {
        return ":red_circle:";
    }
    if (status == "warning") {
        return ":large_yellow_circle:";
    }
    if (status == "stale") {
        return ":hourglass:";
    }
    if (status == "no data") {
        return ":grey_question:";
    }
    return ":white_check_mark:";
}

/// A report: a section per KPI line (mark, series, value, target, status, trend), so each reads
/// as one row; lines past Slack's block limit are counted in a last context block.
void add_report_lines(const NotificationView& view, Json& blocks) {
    std::size_t shown = 0;
    for (const auto& line : view.report.lines) {
        if (blocks.size() + 2 > kMaxBlocks) {
            break;
        }
        blocks.push_back(section(std::string(status_emoji(line.status)) + " *" +
                                 common::series_name(line) +
                                 "*: " + common::report_line_facts(line)));
        ++shown;
    }
    const auto left_out = view.report.lines.size() - shown;
    if (left_out > 0) {
        blocks.push_back(context(std::to_string(left_out) + " more KPI line" +
                                 (left_out == 1 ? "" : "s") + " not shown"));
    }
}

std::string kind_word(const NotificationView& view) {
    if (view.kind == "severity_change") {
        return "severity changed";
    }
    return view.kind;
}

}  // namespace

std::string mrkdwn(std::string_view text, std::size_t max_chars) {
    std::string escaped;
    for (const char c : text) {
        switch (c) {
            case '&':
                escaped += "&amp;";
                break;
            case '<':
                escaped += "&lt;";
                break;
            case '>':
                escaped += "&gt;";
                break;
            default:
                escaped += c;
        }
    }
    if (common::utf8_length(escaped) <= max_chars) {
        return escaped;
    }
    std::string cut = common::truncate_chars(escaped, max_chars);
    // Drop an escape the cut went through ("&am…" would show as garbage).
    const auto amp = cut.rfind('&');
    if (amp != std::string::npos && cut.find(';', amp) == std::string::npos) {
        cut = cut.substr(0, amp) + "\xE2\x80\xA6";
    }
    return cut;
}

std::string emoji_for(const NotificationView& view) {
    if (view.kind == "resolved") {
        return ":white_check_mark:";
    }
    if (view.kind == "acknowledged") {
        return ":eyes:";
    }
    if (view.kind == "test") {
        return ":test_tube:";
    }
    if (view.kind == "digest") {
        return ":clipboard:";
    }
    if (view.kind == "report") {
        return ":bar_chart:";
    }
    const std::string severity = common::headline_severity(view);
    if (severity == "critical") {
        return ":red_circle:";
    }
    if (severity == "error") {
        return ":large_orange_circle:";
    }
    if (severity == "warning") {
        return ":large_yellow_circle:";
    }
    return ":large_blue_circle:";
}

Json render_message(const NotificationView& view, const SlackConfig& config) {
    const std::string emoji = emoji_for(view);
    const std::string severity = common::headline_severity(view);
    const bool shout =
        !config.mention.empty() && severity == "critical" &&
        (view.kind == "firing" || view.kind == "severity_change" || view.kind == "reminder");

    Json blocks = Json::array();
    Json header = Json::object();
    header.set("type", "header");
    header.set(
        "text",
        text_object("plain_text",
                    common::truncate_chars(emoji + " " + view.message.title, kMaxHeaderChars)));
    blocks.push_back(header);

    std::string status_line;
    if (!severity.empty() && severity != "resolved") {
        status_line += "*Severity:* " + common::upper(severity) + "   ";
    }
    status_line += "*Kind:* " + kind_word(view);
    if (!view.receiver.empty()) {
        status_line += "   *Notifier:* " + view.receiver;
    }
    blocks.push_back(context(status_line));

    // The mention must stay raw (<!here>), so it is a separate, unescaped section.
    if (shout) {
        Json mention = Json::object();
        mention.set("type", "section");
        mention.set("text", text_object("mrkdwn", common::truncate_chars(config.mention, 200)));
        blocks.push_back(mention);
    }
    if (view.kind == "report" && !view.report.lines.empty()) {
        add_report_lines(view, blocks);
    } else if (!view.message.text.empty()) {
        blocks.push_back(section(view.message.text));
    }

    // Per alert: a divider (when several), its facts and its buttons; keep room for the footer.
    std::size_t shown = 0;
    const bool several = view.alerts.size() > 1;
    for (std::size_t i = 0; i < view.alerts.size(); ++i) {
        if (shown >= static_cast<std::size_t>(config.max_alerts)) {
            break;
        }
        const AlertView& alert = view.alerts[i];
        Json buttons = alert_buttons(alert, i);
        const std::size_t needed = (several ? 1 : 0) + 1 + (buttons.is_null() ? 0 : 1);
        if (blocks.size() + needed > kMaxBlocks - 1) {
            break;
        }
        if (several) {
            Json divider = Json::object();
            divider.set("type", "divider");
            blocks.push_back(divider);
        }
        blocks.push_back(alert_facts(alert));
        if (!buttons.is_null()) {
            blocks.push_back(buttons);
        }
        ++shown;
    }
    const auto left_out = static_cast<std::int64_t>(view.alerts.size() - shown);
    if (left_out > 0) {
        blocks.push_back(context(std::to_string(left_out) + " more alert" +
                                 (left_out == 1 ? "" : "s") + " in this notification"));
    }

    std::string plain = emoji + " " + view.message.title;
    if (!view.via_fallback.empty()) {
        plain += " (sent via fallback because " + view.via_fallback + " failed)";
    }
    std::string fallback = mrkdwn(plain, kMaxSectionChars - 200);
    if (shout) {
        fallback = common::truncate_chars(config.mention, 200) + " " + fallback;
    }

    Json out = Json::object();
    out.set("text", fallback);
    out.set("blocks", blocks);
    if (!config.channel.empty()) {
        out.set("channel", config.channel);
    }
    if (!config.username.empty()) {
        out.set("username", config.username);
    }
    if (!config.icon_emoji.empty()) {
        out.set("icon_emoji", config.icon_emoji);
    }
    return out;
}

}  // namespace tocsin::plugins::slack
