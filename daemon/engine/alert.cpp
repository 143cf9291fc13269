#include "engine/alert.hpp"

#include <array>
#include <cstdint>

namespace tocsin::engine {

namespace {

constexpr std::uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

void fnv_mix(std::uint64_t& hash, std::string_view bytes) {
    for (const char c : bytes) {
        hash ^= static_cast<unsigned char>(c);
        hash *= kFnvPrime;
    }
}

}  // namespace

Labels alert_labels(const RuleDef& rule, const Labels& series_labels) {
    // Later sources win: a rule label overrides a series label of the same name, and `alertname`
    // is always the rule's name so two rules never share an identity.
    Labels labels = series_labels;
    for (const auto& [name, value] : rule.labels) {
        labels[name] = value;
    }
    labels["alertname"] = rule.alert;
    return labels;
}

std::string fingerprint(const Labels& labels) {
    // Labels is a std::map, so iteration is already sorted by name. Each pair is hashed as
    // "name=value" followed by a 0xff byte, which cannot occur in UTF-8 text, so {a: "b=c"} and
    // {"a=b": c} or adjacent pairs can never run together into the same byte stream.
    std::uint64_t hash = kFnvOffset;
    constexpr std::string_view kSeparator{"\xff", 1};
    for (const auto& [name, value] : labels) {
        if (name == "severity") {
            continue;
        }
        fnv_mix(hash, name);
        fnv_mix(hash, "=");
        fnv_mix(hash, value);
        fnv_mix(hash, kSeparator);
    }
    static constexpr std::array<char, 16> kHex = {
        '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = kHex[hash & 0xfU];
        hash >>= 4U;
    }
    return out;
}

const char* to_string(AlertState s) {
    switch (s) {
        case AlertState::Inactive:
            return "inactive";
        case AlertState::Pending:
            return "pending";
        case AlertState::Firing:
            return "firing";
    }
    return "inactive";
}

const char* to_string(NotificationKind k) {
    switch (k) {
        case NotificationKind::Firing:
            return "firing";
        case NotificationKind::SeverityChange:
            return "severity_change";
        case NotificationKind::Reminder:
            return "reminder";
        case NotificationKind::Acknowledged:
            return "acknowledged";
        case NotificationKind::Resolved:
            return "resolved";
        case NotificationKind::Digest:
            return "digest";
        case NotificationKind::Test:
            return "test";
        case NotificationKind::Report:
            return "report";
        case NotificationKind::Flapping:
            return "flapping";
    }
    return "firing";
}

std::optional<NotificationKind> parse_notification_kind(std::string_view s) {
    for (auto k : {NotificationKind::Firing,
                   NotificationKind::SeverityChange,
                   NotificationKind::Reminder,
                   NotificationKind::Acknowledged,
                   NotificationKind::Resolved,
                   NotificationKind::Digest,
                   NotificationKind::Test,
                   NotificationKind::Report,
                   NotificationKind::Flapping}) {
        if (s == to_string(k)) {
            return k;
        }
    }
    return std::nullopt;
}

const char* to_string(HeldBatch::Kind k) {
    switch (k) {
        case HeldBatch::Kind::Group:
            return "group";
        case HeldBatch::Kind::Defer:
            return "defer";
        case HeldBatch::Kind::Digest:
            return "digest";
    }
    return "group";
}

}  // namespace tocsin::engine
