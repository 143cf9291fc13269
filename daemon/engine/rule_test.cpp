#include "engine/rule_test.hpp"

#include "engine/engine.hpp"
#include "engine/rule_test_file.hpp"

#include <algorithm>
#include <map>

// `tocsin test`: each case runs the real Engine on a virtual clock, persisting its StepOutput into
// a map exactly as the store would, so a `restart` event restores what a daemon killed at that
// instant would have found on disk.
namespace tocsin::engine {
namespace {

using rule_test::EventKind;
using rule_test::Expectation;
using rule_test::TestCase;
using rule_test::TestEvent;
using rule_test::TestFile;

constexpr Duration kDefaultTail = std::chrono::hours(24);

/// Drives one engine, standing in for the daemon's loop and store.
class VirtualRun {
public:
    VirtualRun(std::shared_ptr<const LoadedConfig> loaded, TimePoint start)
        : loaded_(std::move(loaded)), engine_(std::make_unique<Engine>(loaded_, start)) {}

    /// Runs every timer due at or before `t`, each at its own instant (advance(t) in one call
    /// would date them all at t).
    void run_until(TimePoint t) {
        while (const auto next = engine_->next_wakeup()) {
            if (*next > t) {
                break;
            }
            apply(engine_->advance(*next));
        }
    }

    void ingest(const std::vector<Sample>& samples, TimePoint t) {
        stored_samples_.insert(stored_samples_.end(), samples.begin(), samples.end());
        apply(engine_->ingest(samples, t));
    }

    /// As after kill -9 at `t`: a new engine restores what was persisted.
    void restart(TimePoint t) {
        std::vector<AlertInstance> persisted;
        persisted.reserve(store_.size());
        for (const auto& [key, inst] : store_) {
            persisted.push_back(inst);
        }
        std::vector<HeldBatch> held;
        for (const auto& [key, batch] : held_) {
            held.push_back(batch);
        }
        engine_ = std::make_unique<Engine>(loaded_, t);
        // As the daemon does at start-up: the history helpers get what the store kept.
        engine_->preload(stored_samples_);
        apply(engine_->restore(std::move(persisted), t));
        engine_->restore_held(std::move(held));
        apply(engine_->set_silences(silences_, t));
    }

    /// As a reload of an unchanged configuration at `t`: a new engine takes over the old one's
    /// state in memory.
    void reload(TimePoint t) {
        auto next = std::make_unique<Engine>(loaded_, t);
        next->preload(engine_->history());
        StepOutput out = next->restore(engine_->instances(), t);
        next->restore_held(engine_->held());
        out.append(next->set_silences(silences_, t));
        engine_ = std::move(next);
        apply(std::move(out));
    }

    void silence(const TestEvent& e, TimePoint t) {
        Silence s;
        s.id = "test-silence-" + std::to_string(silences_.size() + 1);
        s.matchers = e.matchers;
        s.starts_at = t;
        s.ends_at = t + e.for_duration.value_or(Duration{0});
        s.author = e.author;
        s.comment = e.comment;
        s.created_at = t;
        s.calendar = e.calendar;
        silences_.push_back(std::move(s));
        apply(engine_->set_silences(silences_, t));
    }

    /// Acknowledges the firing instance of `e.alert` whose series labels include `e.labels`;
    /// false when there is none (the test then fails with a clear line).
    bool acknowledge(const TestEvent& e, TimePoint t) {
        for (const auto& inst : engine_->instances()) {
            if (inst.rule != e.alert || inst.state != AlertState::Firing) {
                continue;
            }
            const bool labels_match =
                std::all_of(e.labels.begin(), e.labels.end(), [&](const auto& l) {
                    const auto it = inst.series_labels.find(l.first);
                    return it != inst.series_labels.end() && it->second == l.second;
                });
            if (!labels_match) {
                continue;
            }
            Ack ack;
            ack.author = e.author;
            ack.comment = e.comment;
            if (e.for_duration) {
                ack.until = t + *e.for_duration;
            }
            if (auto out = engine_->acknowledge(inst.fingerprint, std::move(ack), t)) {
                apply(std::move(*out));
                return true;
            }
        }
        return false;
    }

    std::vector<Notification> sent;
    std::vector<std::string> problems;  // events that could not happen

private:
    void apply(StepOutput out) {
        for (auto& n : out.notifications) {
            sent.push_back(std::move(n));
        }
        for (auto& d : out.derived) {
            stored_samples_.push_back(std::move(d));
        }
        for (auto& i : out.upserted) {
            std::string key = instance_key(i.rule, i.fingerprint);
            store_[std::move(key)] = std::move(i);
        }
        for (const auto& key : out.removed) {
            store_.erase(key);
        }
        for (auto& b : out.held) {
            std::string key = b.key;
            held_[std::move(key)] = std::move(b);
        }
        for (const auto& key : out.released) {
            held_.erase(key);
        }
    }

    std::shared_ptr<const LoadedConfig> loaded_;
    std::unique_ptr<Engine> engine_;
    std::map<std::string, AlertInstance> store_;
    std::map<std::string, HeldBatch> held_;
    std::vector<Silence> silences_;
    std::vector<Sample> stored_samples_;  // what the store's sample history would hold
};

struct Outcome {
    std::vector<Notification> sent;
    std::vector<std::string> problems;
};

Outcome simulate(const TestFile& file, const TestCase& c) {
    // Everything that happens, by offset: samples grouped per instant, restarts flagged.
    struct Moment {
        bool restart = false;
        bool reload = false;
        std::vector<const TestEvent*> acks;
        std::vector<const TestEvent*> silences;
        std::vector<Sample> samples;
    };
    std::map<Duration, Moment> timeline;
    Duration last{0};
    for (const auto& s : c.series) {
        for (const auto& sample : s.samples) {
            timeline[sample.at].samples.push_back(
                Sample{s.kpi, s.labels, sample.value, file.start + sample.at});
        }
        last = std::max(last, s.last_slot);
    }
    for (const auto& e : c.events) {
        switch (e.kind) {
            case EventKind::Restart:
                timeline[e.at].restart = true;
                break;
            case EventKind::Reload:
                timeline[e.at].reload = true;
                break;
            case EventKind::Ack:
                timeline[e.at].acks.push_back(&e);
                break;
            case EventKind::Silence:
                timeline[e.at].silences.push_back(&e);
                break;
        }
        last = std::max(last, e.at);
    }
    for (const auto& e : c.expect) {
        last = std::max(last, e.at);
    }
    const Duration until = c.until.value_or(last + kDefaultTail);

    VirtualRun run(file.loaded, file.start);
    for (const auto& [offset, moment] : timeline) {
        const TimePoint t = file.start + offset;
        run.run_until(t);
        if (moment.restart) {
            run.restart(t);
        }
        if (moment.reload) {
            run.reload(t);
        }
        for (const TestEvent* silence : moment.silences) {
            run.silence(*silence, t);
        }
        if (!moment.samples.empty()) {
            run.ingest(moment.samples, t);
        }
        for (const TestEvent* ack : moment.acks) {
            if (!run.acknowledge(*ack, t)) {
                run.problems.push_back("at " + format_duration(offset) + ": no firing " +
                                       ack->alert + " to acknowledge");
            }
        }
    }
    run.run_until(file.start + until);
    return Outcome{std::move(run.sent), std::move(run.problems)};
}

bool core_matches(const Expectation& e, const Notification& n, TimePoint start) {
    return n.at - start == e.at && n.alert == e.alert && n.kind == e.kind &&
           n.severity == e.severity && n.notifier == e.notifier;
}

bool matches(const Expectation& e, const Notification& n, TimePoint start) {
    if (!core_matches(e, n, start)) {
        return false;
    }
    if (e.summary && *e.summary != n.summary) {
        return false;
    }
    if (e.alerts && *e.alerts != std::max<std::size_t>(1, n.members.size())) {
        return false;
    }
    if (e.labels) {
        for (const auto& [name, value] : *e.labels) {
            const auto it = n.labels.find(name);
            if (it == n.labels.end() || it->second != value) {
                return false;
            }
        }
    }
    return true;
}

std::string offset_text(Duration d) {
    return d < Duration::zero() ? "-" + format_duration(-d) : "+" + format_duration(d);
}

std::string labels_text(const Labels& labels) {
    std::string out = "{";
    for (const auto& [name, value] : labels) {
        out += (out.size() > 1 ? ", " : "") + name + ": " + value;
    }
    return out + "}";
}

struct Row {
    Duration at{0};
    std::string mark;  // "ok", "-" (expected, not sent) or "+" (sent, not expected)
    std::string kind;
    std::string severity;
    std::string alert;
    std::string notifier;
    std::vector<std::string> details;  // shown under a near miss: what differed
};

std::string pad(const std::string& s, std::size_t width) {
    return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

void print_timeline(std::vector<Row> rows, std::ostream& out) {
    std::stable_sort(
        rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.at < b.at; });
    std::size_t w_time = 4;
    std::size_t w_kind = 4;
    std::size_t w_sev = 8;
    std::size_t w_alert = 5;
    std::size_t w_notifier = 8;
    for (const Row& r : rows) {
        w_time = std::max(w_time, offset_text(r.at).size());
        w_kind = std::max(w_kind, r.kind.size());
        w_sev = std::max(w_sev, r.severity.size());
        w_alert = std::max(w_alert, r.alert.size());
        w_notifier = std::max(w_notifier, r.notifier.size());
    }
    const auto line = [&](const std::string& mark,
                          const std::string& time,
                          const std::string& kind,
                          const std::string& sev,
                          const std::string& alert,
                          const std::string& notifier,
                          const std::string& note) {
        std::string text = "  " + pad(mark, 4) + pad(time, w_time + 2) + pad(kind, w_kind + 2) +
                           pad(sev, w_sev + 2) + pad(alert, w_alert + 2) +
                           pad(notifier, w_notifier + 4) + note;
        while (!text.empty() && text.back() == ' ') {
            text.pop_back();
        }
        out << text << '\n';
    };
    line("", "time", "kind", "severity", "alert", "notifier", "");
    for (const Row& r : rows) {
        const std::string note = r.mark == "-"   ? "(expected, not sent)"
                                 : r.mark == "+" ? "(sent, not expected)"
                                                 : "";
        line(r.mark, offset_text(r.at), r.kind, r.severity, r.alert, r.notifier, note);
        for (const auto& d : r.details) {
            out << "        " << d << '\n';
        }
    }
}

/// Matches expected against sent; prints the case's line; returns whether it passed.
bool report_case(const TestFile& file,
                 const TestCase& c,
                 const Outcome& outcome,
                 std::ostream& out) {
    const auto& sent = outcome.sent;
    std::vector<bool> used(sent.size(), false);
    std::vector<int> match_of(c.expect.size(), -1);
    for (std::size_t e = 0; e < c.expect.size(); ++e) {
        for (std::size_t n = 0; n < sent.size(); ++n) {
            if (!used[n] && matches(c.expect[e], sent[n], file.start)) {
                used[n] = true;
                match_of[e] = static_cast<int>(n);
                break;
            }
        }
    }
    const bool passed =
        outcome.problems.empty() &&
        std::all_of(match_of.begin(), match_of.end(), [](int m) { return m >= 0; }) &&
        std::all_of(used.begin(), used.end(), [](bool u) { return u; });
    if (passed) {
        out << "ok   " << file.path << ':' << c.loc.line << ": " << c.name << '\n';
        return true;
    }
    out << "FAIL " << file.path << ':' << c.loc.line << ':' << c.loc.col << ": " << c.name << '\n';
    for (const auto& problem : outcome.problems) {
        out << "     " << problem << '\n';
    }
    std::vector<Row> rows;
    for (std::size_t e = 0; e < c.expect.size(); ++e) {
        const Expectation& x = c.expect[e];
        Row row{x.at,
                match_of[e] >= 0 ? "ok" : "-",
                to_string(x.kind),
                to_string(x.severity),
                x.alert,
                x.notifier,
                {}};
        if (match_of[e] < 0) {
            if (x.summary) {
                row.details.push_back("summary: \"" + *x.summary + "\"");
            }
            if (x.labels) {
                row.details.push_back("labels: " + labels_text(*x.labels));
            }
        }
        rows.push_back(std::move(row));
    }
    for (std::size_t n = 0; n < sent.size(); ++n) {
        if (used[n]) {
            continue;
        }
        const Notification& s = sent[n];
        Row row{s.at - file.start,
                "+",
                to_string(s.kind),
                to_string(s.severity),
                s.alert,
                s.notifier,
                {}};
        // A near miss (same time, alert, kind, severity, notifier) differs in summary or labels:
        // show what was sent so the difference is visible.
        const bool near_miss =
            std::any_of(c.expect.begin(), c.expect.end(), [&](const Expectation& x) {
                return core_matches(x, s, file.start);
            });
        if (near_miss) {
            row.details.push_back("summary: \"" + s.summary + "\"");
            row.details.push_back("labels: " + labels_text(s.labels));
        }
        rows.push_back(std::move(row));
    }
    print_timeline(std::move(rows), out);
    return false;
}

}  // namespace

RuleTestSummary run_rule_tests(const std::vector<std::string>& files,
                               std::ostream& out,
                               Diagnostics& diags) {
    RuleTestSummary summary;
    for (const std::string& path : files) {
        ++summary.files;
        // Each file's problems are printed right away, before the final count line, which must
        // stay the last line of the output.
        Diagnostics file_diags;
        int cases_seen = 0;
        const auto file = rule_test::load_test_file(path, file_diags, cases_seen);
        if (!file_diags.all().empty()) {
            out << file_diags.render(false);
        }
        diags.append(file_diags);
        if (!file) {
            const int failed = std::max(1, cases_seen);
            summary.cases += failed;
            summary.failed += failed;
            out << "FAIL " << path << ": not run; fix the errors above\n";
            continue;
        }
        for (const TestCase& c : file->cases) {
            ++summary.cases;
            if (report_case(*file, c, simulate(*file, c), out)) {
                ++summary.passed;
            } else {
                ++summary.failed;
            }
        }
    }
    out << "tocsin: " << summary.passed << " passed, " << summary.failed << " failed\n";
    return summary;
}

}  // namespace tocsin::engine
