// "testsource": a source for host tests. It emits, for each requested KPI, the `value` written in
// that KPI's params (times `scale`, `repeat` times), so a test states its samples in config.
#include "tocsin/sdk/plugin.hpp"

#include <string>
#include <vector>

namespace {

using tocsin::sdk::Config;
using tocsin::sdk::Deadline;
using tocsin::sdk::KpiRequest;
using tocsin::sdk::LabelList;
using tocsin::sdk::Logger;
using tocsin::sdk::SampleSink;
using tocsin::sdk::Status;

class TestSource final : public tocsin::sdk::Source {
public:
    Status configure(const Config& config, Logger& log) override {
        log_ = &log;
        scale_ = config.get_number("scale", 1);
        repeat_ = config.get_int("repeat", 1);
        mode_ = config.get_string("mode", "ok");
        if (mode_ != "ok" && mode_ != "retry" && mode_ != "failed") {
            return Status::bad_config("mode must be ok, retry or failed");
        }
        if (config.has("token") && config.get_string("token") != "letmein") {
            return Status::bad_config("token is not accepted");
        }
        extra_labels_ = config.get_string_map("extra_labels");
        std::string tags;
        for (const auto& t : config.get_string_list("tags")) {
            tags += (tags.empty() ? "" : ",") + t;
        }
        log.info("configured: greeting=" + config.get_string("greeting") +
                 " interval=" + std::to_string(config.get_duration("interval").count()) +
                 " scale=" + config.json().at("scale").dump() +
                 " repeat=" + std::to_string(repeat_) +
                 " enabled=" + (config.get_bool("enabled") ? "true" : "false") + " tags=" + tags);
        return Status::ok();
    }

    Status collect(const std::vector<KpiRequest>& kpis, SampleSink& sink, Deadline) override {
        if (mode_ == "retry") {
            return Status::retry("mode says retry");
        }
        if (mode_ == "failed") {
            return Status::failed("mode says failed");
        }
        int refused = 0;
        for (const auto& k : kpis) {
            LabelList labels = k.params.get_string_map("labels");
            labels.insert(labels.end(), extra_labels_.begin(), extra_labels_.end());
            const double value = k.params.get_number("value") * scale_;
            const auto ts = k.params.get_int("timestamp_ms", 0);
            for (std::int64_t i = 0; i < repeat_; ++i) {
                refused += sink.emit(k.kpi, value, labels, ts) ? 0 : 1;
            }
            const std::string also = k.params.get_string("also_emit");
            if (!also.empty()) {
                refused += sink.emit(also, value, labels, ts) ? 0 : 1;
            }
        }
        if (refused > 0) {
            log_->warning("the host refused " + std::to_string(refused) + " samples");
        }
        return Status::ok();
    }

private:
    Logger* log_ = nullptr;
    double scale_ = 1;
    std::int64_t repeat_ = 1;
    std::string mode_;
    LabelList extra_labels_;
};

const tocsin_config_key kConfigKeys[] = {
    {"greeting", TOCSIN_TYPE_STRING, 0, "\"hello\"", 0, "logged at configure"},
    {"scale", TOCSIN_TYPE_NUMBER, 0, "1", 0, "multiplies every value"},
    {"repeat", TOCSIN_TYPE_INT, 0, "1", 0, "samples emitted per KPI"},
    {"enabled", TOCSIN_TYPE_BOOL, 0, "true", 0, "logged at configure"},
    {"interval", TOCSIN_TYPE_DURATION, 0, "\"30s\"", 0, "logged at configure"},
    {"tags", TOCSIN_TYPE_STRING_LIST, 0, nullptr, 0, "logged at configure"},
    {"extra_labels", TOCSIN_TYPE_STRING_MAP, 0, nullptr, 0, "labels added to every sample"},
    {"token", TOCSIN_TYPE_STRING, 0, nullptr, 1, "when set, must be 'letmein'"},
    {"mode", TOCSIN_TYPE_STRING, 0, "\"ok\"", 0, "ok, retry or failed: the outcome of collect"},
};

const tocsin_config_key kKpiKeys[] = {
    {"value", TOCSIN_TYPE_NUMBER, 1, nullptr, 0, "the value to emit"},
    {"labels", TOCSIN_TYPE_STRING_MAP, 0, nullptr, 0, "labels of the sample"},
    {"timestamp_ms", TOCSIN_TYPE_INT, 0, "0", 0, "Unix ms of the sample; 0 = now"},
    {"also_emit", TOCSIN_TYPE_STRING, 0, nullptr, 0, "also emit the value under this KPI name"},
};

}  // namespace

TOCSIN_EXPORT_SOURCE(
    TestSource, "testsource", "1.2.3", "emits the samples its config names", kConfigKeys, kKpiKeys)
