#include "app/metrics.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace tocsin::app::metrics {
namespace {

const char* kind_name(Kind kind) {
    switch (kind) {
        case Kind::Counter:
            return "counter";
        case Kind::Gauge:
            return "gauge";
        case Kind::Histogram:
            return "histogram";
    }
    return "untyped";
}

/// [a-zA-Z_:][a-zA-Z0-9_:]*, checked by hand: names are ours, no regex engine needed.
bool valid_name(const std::string& name) {
    const auto allowed = [](char c, bool first) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
               (!first && c >= '0' && c <= '9');
    };
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (!allowed(name[i], i == 0)) {
            return false;
        }
    }
    return !name.empty();
}

void append_labels(std::string& out,
                   const std::vector<std::string>& names,
                   const LabelValues& values,
                   const std::string& extra_name = {},
                   const std::string& extra_value = {}) {
    if (names.empty() && extra_name.empty()) {
        return;
    }
    out += '{';
    bool first = true;
    for (std::size_t i = 0; i < names.size(); ++i) {
        out += (first ? "" : ",") + names[i] + "=\"" + escape_label_value(values[i]) + '"';
        first = false;
    }
    if (!extra_name.empty()) {
        out += (first ? "" : ",") + extra_name + "=\"" + escape_label_value(extra_value) + '"';
    }
    out += '}';
}

}  // namespace

std::string escape_label_value(const std::string& value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string escape_help(const std::string& text) {
    std::string out;
    for (const char c : text) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string format_value(double value) {
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::isinf(value)) {
        return value > 0 ? "+Inf" : "-Inf";
    }
    return fmt::format("{}", value);
}

Family::Family(Kind kind, std::string name, std::string help, std::vector<std::string> label_names)
    : kind_(kind),
      name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)) {
    if (!valid_name(name_)) {
        throw std::invalid_argument("metric name '" + name_ + "' is not a valid name");
    }
    for (const auto& l : label_names_) {
        if (!valid_name(l) || l.find(':') != std::string::npos || l.rfind("__", 0) == 0) {
            throw std::invalid_argument("label name '" + l + "' of " + name_ + " is not valid");
        }
    }
}

void Family::check_labels(const LabelValues& values) const {
    if (values.size() != label_names_.size()) {
        throw std::invalid_argument(fmt::format(
            "{} takes {} label value(s), got {}", name_, label_names_.size(), values.size()));
    }
}

void Family::render(std::string& out) const {
    out += "# HELP " + name_ + ' ' + escape_help(help_) + '\n';
    out += "# TYPE " + name_ + ' ' + kind_name(kind_) + '\n';
    render_series(out);
}

void Family::render_series(std::string& out) const {
    std::lock_guard lock(mutex_);
    for (const auto& [labels, value] : values_) {
        out += name_;
        append_labels(out, label_names_, labels);
        out += ' ' + format_value(value) + '\n';
    }
}

Counter::Counter(std::string name, std::string help, std::vector<std::string> label_names)
    : Family(Kind::Counter, std::move(name), std::move(help), std::move(label_names)) {}

void Counter::inc(const LabelValues& labels, double by) {
    check_labels(labels);
    if (!(by >= 0)) {
        throw std::invalid_argument(name_ + ": a counter only goes up");
    }
    std::lock_guard lock(mutex_);
    values_[labels] += by;
}

void Counter::touch(const LabelValues& labels) {
    check_labels(labels);
    std::lock_guard lock(mutex_);
    values_.try_emplace(labels, 0.0);
}

double Counter::value(const LabelValues& labels) const {
    std::lock_guard lock(mutex_);
    auto it = values_.find(labels);
    return it == values_.end() ? 0.0 : it->second;
}

Gauge::Gauge(std::string name, std::string help, std::vector<std::string> label_names)
    : Family(Kind::Gauge, std::move(name), std::move(help), std::move(label_names)) {}

void Gauge::set(const LabelValues& labels, double value) {
    check_labels(labels);
    std::lock_guard lock(mutex_);
    values_[labels] = value;
}

void Gauge::replace(std::map<LabelValues, double> values) {
    for (const auto& [labels, value] : values) {
        check_labels(labels);
    }
    std::lock_guard lock(mutex_);
    values_ = std::move(values);
}

double Gauge::value(const LabelValues& labels) const {
    std::lock_guard lock(mutex_);
    auto it = values_.find(labels);
    return it == values_.end() ? 0.0 : it->second;
}

Histogram::Histogram(std::string name, std::string help, std::vector<double> bounds)
    : Family(Kind::Histogram, std::move(name), std::move(help), {}),
      bounds_(std::move(bounds)),
      buckets_(bounds_.size() + 1, 0) {
    for (std::size_t i = 1; i < bounds_.size(); ++i) {
        if (!(bounds_[i - 1] < bounds_[i])) {
            throw std::invalid_argument(name_ + ": bucket bounds must increase");
        }
    }
}

void Histogram::observe(double value) {
    std::lock_guard lock(mutex_);
    std::size_t i = 0;
    while (i < bounds_.size() && value > bounds_[i]) {
        ++i;
    }
    buckets_[i] += 1;
    sum_ += value;
    count_ += 1;
}

std::uint64_t Histogram::count() const {
    std::lock_guard lock(mutex_);
    return count_;
}

double Histogram::sum() const {
    std::lock_guard lock(mutex_);
    return sum_;
}

void Histogram::render_series(std::string& out) const {
    std::lock_guard lock(mutex_);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
        cumulative += buckets_[i];
        const std::string le = i < bounds_.size() ? format_value(bounds_[i]) : "+Inf";
        out += name_ + "_bucket";
        append_labels(out, {}, {}, "le", le);
        out += ' ' + std::to_string(cumulative) + '\n';
    }
    out += name_ + "_sum " + format_value(sum_) + '\n';
    out += name_ + "_count " + std::to_string(count_) + '\n';
}

void Registry::check_new(const std::string& name) const {
    for (const auto& f : families_) {
        if (f->name() == name) {
            throw std::invalid_argument("metric '" + name + "' is registered twice");
        }
    }
}

Counter& Registry::counter(std::string name, std::string help, std::vector<std::string> labels) {
    check_new(name);
    auto family = std::make_unique<Counter>(std::move(name), std::move(help), std::move(labels));
    auto& ref = *family;
    families_.push_back(std::move(family));
    return ref;
}

Gauge& Registry::gauge(std::string name, std::string help, std::vector<std::string> labels) {
    check_new(name);
    auto family = std::make_unique<Gauge>(std::move(name), std::move(help), std::move(labels));
    auto& ref = *family;
    families_.push_back(std::move(family));
    return ref;
}

Histogram& Registry::histogram(std::string name, std::string help, std::vector<double> bounds) {
    check_new(name);
    auto family = std::make_unique<Histogram>(std::move(name), std::move(help), std::move(bounds));
    auto& ref = *family;
    families_.push_back(std::move(family));
    return ref;
}

std::string Registry::render() const {
    std::string out;
    for (const auto& f : families_) {
        f->render(out);
    }
    return out;
}

}  // namespace tocsin::app::metrics
