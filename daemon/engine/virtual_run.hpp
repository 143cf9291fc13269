#pragma once

#include "engine/engine.hpp"
#include "engine/rule_test_file.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

/// One engine on a virtual clock, standing in for the daemon's loop and store: `tocsin test` and
/// `tocsin simulate` drive it. Every StepOutput is persisted into maps exactly as the store would
/// persist it, so a `restart` restores what a daemon killed at that instant would find on disk.
namespace tocsin::engine {

class VirtualRun {
public:
    VirtualRun(std::shared_ptr<const LoadedConfig> loaded, TimePoint start);

    /// Runs every timer due at or before `t`, each at its own instant (advance(t) in one call
    /// would date them all at t).
    void run_until(TimePoint t);
    void ingest(const std::vector<Sample>& samples, TimePoint t);
    /// As after kill -9 at `t`: a new engine restores what was persisted.
    void restart(TimePoint t);
    /// As a reload of an unchanged configuration at `t`: a new engine takes over the old one's
    /// state in memory.
    void reload(TimePoint t);
    /// Adds a silence from `t` for the event's duration.
    void silence(const rule_test::TestEvent& e, TimePoint t);
    /// Acknowledges the firing instance of `e.alert` whose series labels include `e.labels`;
    /// false when there is none.
    bool acknowledge(const rule_test::TestEvent& e, TimePoint t);

    std::vector<Notification> sent;
    std::vector<std::string> problems;  // events that could not happen

private:
    void apply(StepOutput out);

    std::shared_ptr<const LoadedConfig> loaded_;
    std::unique_ptr<Engine> engine_;
    std::map<std::string, AlertInstance> store_;
    std::map<std::string, HeldBatch> held_;
    std::vector<Silence> silences_;
    std::vector<Sample> stored_samples_;  // what the store's sample history would hold
};

}  // namespace tocsin::engine
