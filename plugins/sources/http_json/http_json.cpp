// The http_json source: one HTTP request per collect to a host on its allowed_hosts list, the
// JSON answer parsed once, and each KPI's value and labels picked with JSON Pointers (see
// json_extract.hpp).

#include "http_fetch.hpp"
#include "http_json_config.hpp"
#include "json_extract.hpp"
#include <tocsin/sdk/plugin.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace tocsin::plugins::http_json {
namespace {

class HttpJsonSource final : public sdk::Source {
public:
    sdk::Status configure(const sdk::Config& config, sdk::Logger& log) override {
        log_ = &log;
        if (auto status = parse_config(config, config_); !status.is_ok()) {
            return status;
        }
        origin_ = http::url_origin(config_.request.url);
        return sdk::Status::ok();
    }

    sdk::Status collect(const std::vector<sdk::KpiRequest>& kpis,
                        sdk::SampleSink& sink,
                        sdk::Deadline deadline) override {
        // Check the KPIs first: a mistake in one is reported without a request.
        std::vector<KpiSpec> specs(kpis.size());
        std::vector<bool> valid(kpis.size(), true);
        std::vector<std::string> errors;
        for (std::size_t i = 0; i < kpis.size(); ++i) {
            if (auto status = parse_kpi(kpis[i].kpi, kpis[i].params, specs[i]); !status.is_ok()) {
                errors.push_back(std::move(status.message));
                valid[i] = false;
            }
        }
        if (errors.size() == kpis.size() && !errors.empty()) {
            return sdk::Status::failed(join(errors));
        }

        const auto response = http::fetch(config_.request, deadline);
        if (!response.error.empty()) {
            return response.temporary() ? sdk::Status::retry(response.error)
                                        : sdk::Status::failed(response.error);
        }
        if (response.status < 200 || response.status >= 300) {
            const std::string reason = http::describe_status(response, origin_);
            return response.temporary() ? sdk::Status::retry(reason) : sdk::Status::failed(reason);
        }
        sdk::Json doc;
        std::string parse_error;
        std::size_t offset = 0;
        if (!sdk::Json::try_parse(response.body, doc, &parse_error, &offset)) {
            return sdk::Status::failed("the answer from " + origin_ + " is not JSON: " +
                                       parse_error + " at byte " + std::to_string(offset));
        }

        for (std::size_t i = 0; i < kpis.size(); ++i) {
            if (!valid[i]) {
                continue;  // its config error is already in `errors`
            }
            auto result = extract(kpis[i].kpi, doc, specs[i]);
            for (const auto& warning : result.warnings) {
                log_->warning(warning);
            }
            if (result.error) {
                errors.push_back(std::move(*result.error));
            }
            for (const auto& row : result.rows) {
                sink.emit(kpis[i].kpi, row.value, row.labels);
            }
        }
        return errors.empty() ? sdk::Status::ok() : sdk::Status::failed(join(errors));
    }

private:
    static std::string join(const std::vector<std::string>& errors) {
        std::string message;
        for (const auto& error : errors) {
            if (message.find(error) == std::string::npos) {
                message += (message.empty() ? "" : "; ") + error;
            }
        }
        return message;
    }

    sdk::Logger* log_ = nullptr;
    HttpJsonConfig config_;
    std::string origin_;
};

}  // namespace
}  // namespace tocsin::plugins::http_json

TOCSIN_EXPORT_SOURCE(tocsin::plugins::http_json::HttpJsonSource,
                     "http_json",
                     "1.0.0",
                     "reads KPIs from a JSON HTTP API with JSON Pointers, only from allowed hosts",
                     tocsin::plugins::http_json::kConfigKeys,
                     tocsin::plugins::http_json::kKpiKeys)
