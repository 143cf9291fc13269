// The prometheus source: instant queries against a Prometheus server's HTTP API (`url`, per-KPI
// `query`), or one scrape of a text-exposition endpoint per collect (`scrape_url`, per-KPI
// `match`). See prometheus_results.hpp for how answers become samples.

#include "exposition.hpp"
#include "http_fetch.hpp"
#include "prometheus_config.hpp"
#include "prometheus_results.hpp"
#include <tocsin/sdk/plugin.hpp>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace tocsin::plugins::prometheus {
namespace {

std::int64_t unix_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Gathers per-KPI failures into one status: distinct reasons joined, retry only when every
// failure is temporary (a bad query will not fix itself by waiting).
class Failures {
public:
    void add(std::string reason, bool temporary) {
        all_temporary_ = all_temporary_ && temporary;
        if (std::find(reasons_.begin(), reasons_.end(), reason) == reasons_.end()) {
            reasons_.push_back(std::move(reason));
        }
    }
    [[nodiscard]] sdk::Status status() const {
        if (reasons_.empty()) {
            return sdk::Status::ok();
        }
        std::string message = reasons_.front();
        for (std::size_t i = 1; i < reasons_.size(); ++i) {
            message += "; " + reasons_[i];
        }
        return all_temporary_ ? sdk::Status::retry(std::move(message))
                              : sdk::Status::failed(std::move(message));
    }

private:
    std::vector<std::string> reasons_;
    bool all_temporary_ = true;
};

class PrometheusSource final : public sdk::Source {
public:
    sdk::Status configure(const sdk::Config& config, sdk::Logger& log) override {
        log_ = &log;
        if (auto status = parse_config(config, config_); !status.is_ok()) {
            return status;
        }
        origin_ = http::url_origin(config_.target);
        return sdk::Status::ok();
    }

    sdk::Status collect(const std::vector<sdk::KpiRequest>& kpis,
                        sdk::SampleSink& sink,
                        sdk::Deadline deadline) override {
        Failures failures;
        if (config_.mode == Mode::Scrape) {
            scrape(kpis, sink, deadline, failures);
        } else {
            query(kpis, sink, deadline, failures);
        }
        return failures.status();
    }

private:
    void query(const std::vector<sdk::KpiRequest>& kpis,
               sdk::SampleSink& sink,
               sdk::Deadline deadline,
               Failures& failures) {
        std::string base = config_.target;
        while (!base.empty() && base.back() == '/') {
            base.pop_back();
        }
        const std::int64_t now_ms = unix_ms_now();  // one evaluation time for the whole collect
        for (const auto& request : kpis) {
            std::string promql;
            if (auto status = parse_kpi(request.kpi, request.params, Mode::Query, promql);
                !status.is_ok()) {
                failures.add(std::move(status.message), false);
                continue;
            }
            http::Request http = config_.request;
            http.method = config_.method;
            const std::string form = query_form(promql, now_ms);
            if (config_.method == "POST") {
                http.url = base + "/api/v1/query";
                http.body = form;
                http.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
            } else {
                http.url = base + "/api/v1/query?" + form;
            }
            const auto response = http::fetch(http, deadline);
            auto result = read_query_answer(request.kpi, response, origin_);
            emit(request.kpi, result, sink);
            if (result.error) {
                failures.add(std::move(*result.error), result.temporary);
                if (response.timed_out) {
                    break;  // the rest would only time out too
                }
            }
        }
    }

    void scrape(const std::vector<sdk::KpiRequest>& kpis,
                sdk::SampleSink& sink,
                sdk::Deadline deadline,
                Failures& failures) {
        http::Request http = config_.request;
        http.url = config_.target;
        http.headers.emplace_back("Accept",
                                  "text/plain;version=0.0.4;q=0.9,*/*;q=0.1");  // never protobuf
        const auto response = http::fetch(http, deadline);
        if (!response.error.empty()) {
            failures.add("scrape of " + origin_ + " failed: " + response.error,
                         response.temporary());
            return;
        }
        if (response.status < 200 || response.status >= 300) {
            failures.add("scrape failed: " + http::describe_status(response, origin_),
                         response.temporary());
            return;
        }
        exposition::Exposition parsed;
        if (auto error = exposition::parse(response.body, parsed)) {
            failures.add(
                "scrape of " + origin_ + " is not valid text exposition: " + error->to_string(),
                false);
            return;
        }
        exposition::SeriesIndex index(parsed);
        // The host asks for the same KPIs in the same order on every collect: the selector used
        // at the same position last time is checked first, before the map of all of them.
        selectors_by_position_.resize(kpis.size(), nullptr);
        for (std::size_t k = 0; k < kpis.size(); ++k) {
            const auto& request = kpis[k];
            std::string text;
            if (auto status = parse_kpi(request.kpi, request.params, Mode::Scrape, text);
                !status.is_ok()) {
                failures.add(std::move(status.message), false);
                continue;
            }
            const exposition::Selector*& selector = selectors_by_position_[k];
            if (selector == nullptr || selector->text() != text) {
                selector = selector_for(request.kpi, text, failures);
            }
            if (selector == nullptr) {
                continue;
            }
            // exposition::Regex counts matches that gave up (work limit) in this module's copy.
            const auto limit_hits_before = exposition::regex_limit_hits();
            // Each series goes to the host as it is found, its labels read in place.
            const auto result = select_series(
                request.kpi, parsed, *selector, index, [&](const exposition::Series& series) {
                    sink.emit(
                        request.kpi, series.value, series.labels, series.timestamp_ms.value_or(0));
                });
            if (exposition::regex_limit_hits() != limit_hits_before &&
                regex_limited_.insert(request.kpi).second) {
                log_->warning("KPI '" + request.kpi + "': a regex of " + text +
                              " gave up on a label value (work limit), so that series is left "
                              "out; simplify the pattern, e.g. avoid nested repetition (a+)+");
            }
            if (result.picked == 0 && result.skipped == 0) {
                if (unmatched_.insert(request.kpi).second) {
                    log_->warning("KPI '" + request.kpi + "': no series of the scrape matches " +
                                  text + "; the KPI gets no value until one does");
                }
            } else {
                unmatched_.erase(request.kpi);
            }
            for (const auto& warning : result.warnings) {
                log_->warning(warning);
            }
        }
    }

    // Compiled selectors are kept by text: regexes are costly to build on every collect.
    const exposition::Selector* selector_for(const std::string& kpi,
                                             const std::string& text,
                                             Failures& failures) {
        if (const auto it = selectors_.find(text); it != selectors_.end()) {
            return &it->second;
        }
        exposition::Selector selector;
        if (auto error = exposition::Selector::parse(text, selector)) {
            failures.add(
                "KPI '" + kpi + "': match '" + text + "' is not a series selector: " + *error,
                false);
            return nullptr;
        }
        return &selectors_.emplace(text, std::move(selector)).first->second;
    }

    void emit(const std::string& kpi, const KpiResult& result, sdk::SampleSink& sink) {
        for (const auto& warning : result.warnings) {
            log_->warning(warning);
        }
        for (const auto& row : result.rows) {
            sink.emit(kpi, row.value, row.labels, row.timestamp_ms);
        }
    }

    sdk::Logger* log_ = nullptr;
    PrometheusConfig config_;
    std::string origin_;
    // Unordered: with 10,000 KPIs, the ordered map's compares of long shared prefixes
    // (`kpi_value{kpi="k...`) cost as much as picking the series.
    std::unordered_map<std::string, exposition::Selector> selectors_;  // nodes: stable addresses
    std::vector<const exposition::Selector*> selectors_by_position_;   // as used by the last scrape
    std::set<std::string> unmatched_;      // KPIs already warned about matching nothing
    std::set<std::string> regex_limited_;  // KPIs already warned about a regex giving up
};

}  // namespace
}  // namespace tocsin::plugins::prometheus

TOCSIN_EXPORT_SOURCE(tocsin::plugins::prometheus::PrometheusSource,
                     "prometheus",
                     "1.0.0",
                     "reads KPIs from a Prometheus server (instant queries) or scrapes a "
                     "Prometheus text-exposition endpoint",
                     tocsin::plugins::prometheus::kConfigKeys,
                     tocsin::plugins::prometheus::kKpiKeys)
