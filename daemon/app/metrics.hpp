#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

/// A small metrics registry rendered in the Prometheus text format 0.0.4: counters and gauges
/// with label sets, and label-free histograms. Every operation is thread-safe (one mutex per
/// family), so the loop, the store thread and the API can all record.
namespace tocsin::app::metrics {

using LabelValues = std::vector<std::string>;

enum class Kind { Counter, Gauge, Histogram };

/// One metric family: a name, its help text, its label names, and one value per label set.
class Family {
public:
    Family(Kind kind, std::string name, std::string help, std::vector<std::string> label_names);
    virtual ~Family() = default;
    Family(const Family&) = delete;
    Family& operator=(const Family&) = delete;

    [[nodiscard]] Kind kind() const { return kind_; }
    [[nodiscard]] const std::string& name() const { return name_; }

    /// Appends `# HELP`, `# TYPE` and every series to `out`.
    void render(std::string& out) const;

protected:
    /// Appends the series lines (not HELP or TYPE).
    virtual void render_series(std::string& out) const;
    /// The values must match the label names in number; a mismatch is a programming error and
    /// throws std::invalid_argument.
    void check_labels(const LabelValues& values) const;

    const Kind kind_;
    const std::string name_;
    const std::string help_;
    const std::vector<std::string> label_names_;
    mutable std::mutex mutex_;
    std::map<LabelValues, double> values_;  // counters and gauges
};

/// A monotonically increasing count per label set.
class Counter : public Family {
public:
    Counter(std::string name, std::string help, std::vector<std::string> label_names = {});
    /// Adds `by` (must not be negative) to the series of `labels`, creating it at 0 first.
    void inc(const LabelValues& labels = {}, double by = 1);
    /// Creates the series at 0 if it does not exist, so it is exported before its first event.
    void touch(const LabelValues& labels = {});
    [[nodiscard]] double value(const LabelValues& labels = {}) const;
};

/// A value that goes up and down per label set.
class Gauge : public Family {
public:
    Gauge(std::string name, std::string help, std::vector<std::string> label_names = {});
    void set(const LabelValues& labels, double value);
    void set(double value) { set({}, value); }
    /// Replaces every series at once (series not in `values` disappear).
    void replace(std::map<LabelValues, double> values);
    [[nodiscard]] double value(const LabelValues& labels = {}) const;
};

/// Observations counted into cumulative buckets (`le`), with their sum and count.
class Histogram : public Family {
public:
    /// `bounds` are the upper bounds of the buckets, increasing; `+Inf` is added.
    Histogram(std::string name, std::string help, std::vector<double> bounds);
    void observe(double value);
    [[nodiscard]] std::uint64_t count() const;
    [[nodiscard]] double sum() const;

protected:
    void render_series(std::string& out) const override;

private:
    std::vector<double> bounds_;
    std::vector<std::uint64_t> buckets_;  // per bound (not cumulative), the last one is +Inf
    double sum_ = 0;
    std::uint64_t count_ = 0;
};

/// Owns families and renders them in registration order.
class Registry {
public:
    Counter& counter(std::string name, std::string help, std::vector<std::string> labels = {});
    Gauge& gauge(std::string name, std::string help, std::vector<std::string> labels = {});
    Histogram& histogram(std::string name, std::string help, std::vector<double> bounds);

    /// The whole exposition, each family once, ending with a newline.
    [[nodiscard]] std::string render() const;

private:
    void check_new(const std::string& name) const;
    std::vector<std::unique_ptr<Family>> families_;
};

/// Content type of render()'s text.
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

/// A label value escaped for the exposition: backslash, double quote and newline.
[[nodiscard]] std::string escape_label_value(const std::string& value);
/// HELP text escaped for the exposition: backslash and newline.
[[nodiscard]] std::string escape_help(const std::string& text);
/// A sample value as the exposition writes it: shortest round-trip form, NaN, +Inf, -Inf.
[[nodiscard]] std::string format_value(double value);

}  // namespace tocsin::app::metrics
