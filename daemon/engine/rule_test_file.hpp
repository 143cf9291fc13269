#pragma once

#include "engine/alert.hpp"
#include "engine/diagnostics.hpp"
#include "engine/matcher.hpp"
#include "engine/model.hpp"
#include "engine/time.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

/// A rule test file (docs/rule-tests.md) parsed into values: the rule files it loads with the
/// config it assumes, and its test cases with every instant as an offset from `start`.
namespace tocsin::engine::rule_test {

struct SeriesSample {
    Duration at{0};
    double value = 0;
};

struct TestSeries {
    std::string kpi;
    Labels labels;
    std::vector<SeriesSample> samples;
    Duration last_slot{0};  // the last slot of `values`, empty ones included (time advances)
};

enum class EventKind { Restart, Reload, Ack, Silence };

struct TestEvent {
    Duration at{0};
    EventKind kind = EventKind::Restart;
    // Ack: the firing instance of `alert` whose labels include `labels`.
    std::string alert;
    Labels labels;
    std::string author;
    std::string comment;
    std::optional<Duration> for_duration;  // the acknowledgement (or silence) runs out after this
    // Silence: who and what it hides; it starts at `at` and ends after `for_duration`.
    std::vector<Matcher> matchers;
    std::string calendar;  // a recurring silence: active only while this calendar is in
};

struct Expectation {
    Duration at{0};
    std::string alert;
    NotificationKind kind = NotificationKind::Firing;
    Severity severity = Severity::Warning;
    std::string notifier;
    std::optional<Labels> labels;
    std::optional<std::string> summary;
    std::optional<std::size_t> alerts;  // how many alerts the notification lists (a batch)
};

struct TestCase {
    std::string name;
    SourceLoc loc;
    std::optional<Duration> until;
    std::vector<TestSeries> series;
    std::vector<TestEvent> events;
    std::vector<Expectation> expect;
};

struct TestFile {
    std::string path;  // as given on the command line
    std::shared_ptr<const LoadedConfig> loaded;
    TimePoint start;
    std::vector<TestCase> cases;
};

/// Reads and checks one test file, loading its rule files and cross-checking them against the
/// config it declares. Every problem goes to `diags` with its position. `cases_seen` is set to
/// the number of items under `tests:` even when loading fails, so the caller can count them.
[[nodiscard]] std::optional<TestFile> load_test_file(const std::string& path,
                                                     Diagnostics& diags,
                                                     int& cases_seen);

/// Parses the `values:` shorthand ("0.41 0.35 0.28x4 _ _x2"): one entry per slot, nullopt for
/// an empty slot. Gives nullopt and sets `error` to a message when a token is invalid.
[[nodiscard]] std::optional<std::vector<std::optional<double>>> parse_values(
    const std::string& text, std::string& error);

}  // namespace tocsin::engine::rule_test
