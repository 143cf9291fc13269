#pragma once

/// A Source produces KPI values from one external system (a database, an HTTP endpoint, ...).
/// Lifecycle: the host creates the instance -> configure() once -> collect() any number of times
///            -> destroyed. The module itself stays loaded until the daemon exits.
/// Threading: calls on one instance never overlap; collect() runs on a host worker, never on the
///            event loop, so blocking I/O is fine until the deadline.
/// Ownership: the host owns the instance; requests and the sink live only for the call.
/// Errors:    return a Status; exceptions are caught at the boundary and become a failure whose
///            reason is the exception's what().

#include "tocsin/sdk/abi.h"
#include "tocsin/sdk/config.hpp"
#include "tocsin/sdk/logger.hpp"
#include "tocsin/sdk/status.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tocsin::sdk {

/// One KPI the host asks for, with its per-KPI keys (e.g. `query`) already validated.
struct KpiRequest {
    std::string kpi;
    Config params;
};

using LabelList = std::vector<std::pair<std::string, std::string>>;

/// Where collect() puts its samples; wraps the host's emit callback.
class SampleSink {
public:
    SampleSink(tocsin_emit_fn emit_fn, void* ctx) : emit_(emit_fn), ctx_(ctx) {}

    /// Hands one sample to the host, which copies it. `timestamp_ms` is Unix milliseconds, 0 for
    /// "now". Returns false if the host refused it (a KPI that was not requested, a bad label).
    bool emit(const std::string& kpi,
              double value,
              const LabelList& labels = {},
              std::int64_t timestamp_ms = 0) {
        if (emit_ == nullptr) {
            return false;
        }
        // Series rarely carry more than a handful of labels: those cross from the stack, without
        // an allocation per sample (a 10,000-series scrape emits 10,000 of them).
        constexpr std::size_t kInline = 16;
        std::array<tocsin_label, kInline> inline_labels;
        std::vector<tocsin_label> heap_labels;
        tocsin_label* c_labels = inline_labels.data();
        if (labels.size() > kInline) {
            heap_labels.resize(labels.size());
            c_labels = heap_labels.data();
        }
        for (std::size_t i = 0; i < labels.size(); ++i) {
            c_labels[i] = tocsin_label{labels[i].first.c_str(), labels[i].second.c_str()};
        }
        tocsin_sample sample{};
        sample.struct_size = sizeof(tocsin_sample);
        sample.kpi = kpi.c_str();
        sample.labels = labels.empty() ? nullptr : c_labels;
        sample.label_count = labels.size();
        sample.value = value;
        sample.timestamp_ms = timestamp_ms;
        return emit_(ctx_, &sample) == 0;
    }

private:
    tocsin_emit_fn emit_;
    void* ctx_;
};

class Source {
public:
    virtual ~Source() = default;
    /// Reads the validated config and checks cross-field rules ("query requires table"). No I/O:
    /// `tocsin check` creates instances too. `log` stays valid for the instance's lifetime.
    virtual Status configure(const Config& config, Logger& log) = 0;
    /// Collects the requested KPIs, emitting any number of samples (several per KPI for labelled
    /// series). Return retry()/failed() when the system cannot be read; the host marks the KPIs
    /// stale and tries again at the next interval.
    virtual Status collect(const std::vector<KpiRequest>& kpis,
                           SampleSink& sink,
                           Deadline deadline) = 0;
};

}  // namespace tocsin::sdk
