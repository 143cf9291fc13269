#include "engine/simulate.hpp"

#include "engine/virtual_run.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <sstream>

namespace tocsin::engine {
namespace {

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return std::string(s);
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= s.size(); ++i) {
        if (i == s.size() || s[i] == sep) {
            out.push_back(trim(s.substr(start, i - start)));
            start = i + 1;
        }
    }
    return out;
}

std::optional<TimePoint> parse_time(const std::string& text) {
    if (auto t = parse_rfc3339(text)) {
        return t;
    }
    std::int64_t ms = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (ec == std::errc() && ptr == text.data() + text.size()) {
        return from_unix_ms(ms);
    }
    return std::nullopt;
}

std::string labels_text(const Labels& labels) {
    std::string out;
    for (const auto& [name, value] : labels) {
        if (name == "alertname" || name == "severity") {
            continue;
        }
        out += (out.empty() ? "" : ",") + name + "=" + value;
    }
    return "{" + out + "}";
}

}  // namespace

std::optional<std::vector<Sample>> parse_series_csv(const std::string& text, std::string& why) {
    std::vector<Sample> out;
    std::istringstream in(text);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        const std::string t = trim(line);
        if (t.empty() || t.front() == '#' || (number == 1 && t.rfind("time,", 0) == 0)) {
            continue;
        }
        const auto fields = split(t, ',');
        const std::string where = "line " + std::to_string(number) + ": ";
        if (fields.size() < 3 || fields.size() > 4) {
            why = where + "expected time,kpi,value[,labels], got " + std::to_string(fields.size()) +
                  " fields";
            return std::nullopt;
        }
        Sample s;
        const auto at = parse_time(fields[0]);
        if (!at) {
            why = where + "'" + fields[0] +
                  "' is not a time; use RFC 3339 (2026-01-05T06:00:00Z) or Unix milliseconds";
            return std::nullopt;
        }
        s.at = *at;
        s.kpi = fields[1];
        if (s.kpi.empty()) {
            why = where + "the KPI name is empty";
            return std::nullopt;
        }
        const auto [ptr, ec] =
            std::from_chars(fields[2].data(), fields[2].data() + fields[2].size(), s.value);
        if (ec != std::errc() || ptr != fields[2].data() + fields[2].size()) {
            why = where + "'" + fields[2] + "' is not a number";
            return std::nullopt;
        }
        if (fields.size() == 4 && !fields[3].empty()) {
            for (const std::string& pair : split(fields[3], ';')) {
                const auto eq = pair.find('=');
                if (eq == std::string::npos || eq == 0) {
                    why = where + "label '" + pair + "' is not name=value";
                    return std::nullopt;
                }
                s.labels[pair.substr(0, eq)] = pair.substr(eq + 1);
            }
        }
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<Notification> simulate(std::shared_ptr<const LoadedConfig> loaded,
                                   std::vector<Sample> samples,
                                   TimePoint from,
                                   TimePoint to) {
    std::erase_if(samples, [&](const Sample& s) { return s.at < from || s.at > to; });
    std::map<TimePoint, std::vector<Sample>> by_time;
    for (Sample& s : samples) {
        by_time[s.at].push_back(std::move(s));
    }
    VirtualRun run(std::move(loaded), from);
    for (auto& [at, batch] : by_time) {
        run.run_until(at);
        run.ingest(batch, at);
    }
    run.run_until(to);
    return std::move(run.sent);
}

std::string format_timeline(const std::vector<Notification>& sent) {
    std::ostringstream out;
    for (const Notification& n : sent) {
        out << format_rfc3339(n.at) << "  " << to_string(n.kind) << "  " << to_string(n.severity)
            << "  " << n.alert << "  " << n.notifier << "  " << labels_text(n.labels);
        if (!n.members.empty()) {
            out << "  (" << n.members.size() << " alerts)\n";
            for (const Notification& m : n.members) {
                out << "    " << to_string(m.kind) << "  " << to_string(m.severity) << "  "
                    << m.alert << "  " << labels_text(m.labels) << "  " << m.summary << "\n";
            }
        } else {
            out << "  " << n.summary << "\n";
        }
    }
    return out.str();
}

}  // namespace tocsin::engine
