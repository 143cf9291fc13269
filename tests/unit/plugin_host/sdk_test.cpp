// The SDK's C++ layer linked statically, with a fake host: what a plugin author's own tests do.
#include "tocsin/sdk/plugin.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace sdk = tocsin::sdk;

namespace {

struct FakeHost {
    std::vector<std::pair<tocsin_log_level, std::string>> lines;
    tocsin_host host{
        sizeof(tocsin_host), this, [](void* ctx, tocsin_log_level level, const char* msg) {
            static_cast<FakeHost*>(ctx)->lines.emplace_back(level, msg);
        }};
};

struct Emitted {
    std::string kpi;
    double value;
    std::vector<std::pair<std::string, std::string>> labels;
    std::int64_t ts;
};

int32_t capture_emit(void* ctx, const tocsin_sample* s) {
    auto* out = static_cast<std::vector<Emitted>*>(ctx);
    Emitted e{s->kpi, s->value, {}, s->timestamp_ms};
    for (std::size_t i = 0; i < s->label_count; ++i) {
        e.labels.emplace_back(s->labels[i].name, s->labels[i].value);
    }
    out->push_back(e);
    return e.kpi == "refused" ? 1 : 0;
}

/// Behaviour is chosen by config so one class covers the trampolines' paths.
class ScriptedSource final : public sdk::Source {
public:
    sdk::Status configure(const sdk::Config& config, sdk::Logger& log) override {
        const std::string on_configure = config.get_string("on_configure");
        if (on_configure == "throw_std") {
            throw std::invalid_argument("bad things in configure");
        }
        if (on_configure == "throw_int") {
            throw 7;
        }
        if (on_configure == "bad_config") {
            return sdk::Status::bad_config("url requires a scheme");
        }
        on_collect_ = config.get_string("on_collect");
        log.info("configured with " + std::to_string(config.json().size()) + " keys");
        log_ = &log;
        return sdk::Status::ok();
    }

    sdk::Status collect(const std::vector<sdk::KpiRequest>& kpis,
                        sdk::SampleSink& sink,
                        sdk::Deadline deadline) override {
        last_deadline_ = deadline;
        if (on_collect_ == "throw_std") {
            throw std::runtime_error("database is locked");
        }
        if (on_collect_ == "throw_int") {
            throw 3.5;
        }
        if (on_collect_ == "retry") {
            return sdk::Status::retry("server busy");
        }
        for (const auto& k : kpis) {
            const bool accepted = sink.emit(k.kpi,
                                            k.params.get_number("v"),
                                            k.params.get_string_map("l"),
                                            k.params.get_int("ts"));
            log_->debug(k.kpi + (accepted ? " accepted" : " refused"));
        }
        return sdk::Status::ok();
    }

    static inline sdk::Deadline last_deadline_{};

private:
    std::string on_collect_;
    sdk::Logger* log_ = nullptr;
};

class ScriptedNotifier final : public sdk::Notifier {
public:
    sdk::Status configure(const sdk::Config& config, sdk::Logger&) override {
        detail_ = config.get_string("detail");
        return sdk::Status::ok();
    }
    sdk::Delivery send(const sdk::Json& n, sdk::Deadline) override {
        if (n.at("kind").as_string() == "retry") {
            return {sdk::Status::retry("HTTP 429"), 1500, detail_};
        }
        return {sdk::Status::ok(), 0, detail_};
    }

private:
    std::string detail_;
};

const tocsin_config_key kKeys[] = {
    {"on_configure", TOCSIN_TYPE_STRING, 0, nullptr, 0, "what configure does"}};

const tocsin_plugin kSource =
    sdk::detail::make_plugin<ScriptedSource>(TOCSIN_KIND_SOURCE,
                                             "scripted",
                                             "1.0.0",
                                             "test",
                                             sdk::detail::key_table(kKeys),
                                             sdk::detail::key_table(TOCSIN_NO_KEYS));
const tocsin_plugin kNotifier =
    sdk::detail::make_plugin<ScriptedNotifier>(TOCSIN_KIND_NOTIFIER,
                                               "scripted",
                                               "1.0.0",
                                               "test",
                                               sdk::detail::key_table(TOCSIN_NO_KEYS),
                                               sdk::detail::key_table(TOCSIN_NO_KEYS));

std::int64_t unix_ms_in(std::chrono::milliseconds d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               (std::chrono::system_clock::now() + d).time_since_epoch())
        .count();
}

/// create() + the status it set; the caller destroys.
std::pair<void*, tocsin_status> create(const tocsin_plugin& p, const char* json, FakeHost& host) {
    tocsin_status status = TOCSIN_OK;
    void* inst = p.create(json, &host.host, &status);
    return {inst, status};
}

}  // namespace

TEST_CASE("sdk plugin struct carries the ABI version, kind and keys", "[sdk]") {
    CHECK(kSource.struct_size == sizeof(tocsin_plugin));
    CHECK(kSource.abi_major == TOCSIN_ABI_MAJOR);
    CHECK(kSource.abi_minor == TOCSIN_ABI_MINOR);
    CHECK(kSource.kind == TOCSIN_KIND_SOURCE);
    CHECK(kSource.config_key_count == 1);
    CHECK(kSource.kpi_keys == nullptr);
    CHECK(kSource.kpi_key_count == 0);
    CHECK(kSource.collect != nullptr);
    CHECK(kSource.send == nullptr);
    CHECK(kNotifier.send != nullptr);
    CHECK(kNotifier.collect == nullptr);
}

TEST_CASE("sdk create runs configure and logs through the host", "[sdk]") {
    FakeHost host;
    auto [inst, status] = create(kSource, R"({"on_configure":"","on_collect":""})", host);
    REQUIRE(inst != nullptr);
    CHECK(status == TOCSIN_OK);
    REQUIRE(host.lines.size() == 1);
    CHECK(host.lines[0].first == TOCSIN_LOG_INFO);
    CHECK(host.lines[0].second == "configured with 2 keys");
    kSource.destroy(inst);
}

TEST_CASE("sdk create turns configure failures and exceptions into status and last_error",
          "[sdk]") {
    FakeHost host;
    struct Case {
        const char* config;
        tocsin_status status;
        const char* error;
    };
    const Case cases[] = {
        {R"({"on_configure":"bad_config"})", TOCSIN_BAD_CONFIG, "url requires a scheme"},
        {R"({"on_configure":"throw_std"})", TOCSIN_FAILED, "bad things in configure"},
        {R"({"on_configure":"throw_int"})", TOCSIN_FAILED, "unknown exception"},
        {R"([1,2])",
         TOCSIN_BAD_CONFIG,
         "config is not a JSON object: expected a JSON object, found an array"},
        {R"({"on_configure":)",
         TOCSIN_BAD_CONFIG,
         "config is not a JSON object: unexpected end of input"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.config);
        auto [inst, status] = create(kSource, c.config, host);
        REQUIRE(inst != nullptr);
        CHECK(status == c.status);
        CHECK_THAT(kSource.last_error(inst), Catch::StartsWith(c.error));
        kSource.destroy(inst);
    }
}

TEST_CASE("sdk collect passes params, emits samples and converts the deadline", "[sdk]") {
    FakeHost host;
    auto [inst, status] = create(kSource, "{}", host);
    REQUIRE(status == TOCSIN_OK);
    const tocsin_kpi_request kpis[] = {
        {"signups", R"({"v":42.5,"l":{"plan":"pro","region":"eu"},"ts":1700000000000})"},
        {"refused", R"({"v":1})"},
        {"empty_params", nullptr},
    };
    std::vector<Emitted> emitted;
    tocsin_collect_request req{sizeof(tocsin_collect_request),
                               kpis,
                               3,
                               unix_ms_in(std::chrono::seconds(5)),
                               &capture_emit,
                               &emitted};
    const auto before = std::chrono::steady_clock::now();
    REQUIRE(kSource.collect(inst, &req) == TOCSIN_OK);
    REQUIRE(emitted.size() == 3);
    CHECK(emitted[0].kpi == "signups");
    CHECK(emitted[0].value == 42.5);
    CHECK(emitted[0].ts == 1700000000000);
    CHECK(emitted[0].labels ==
          std::vector<std::pair<std::string, std::string>>{{"plan", "pro"}, {"region", "eu"}});
    CHECK(emitted[2].kpi == "empty_params");
    CHECK(emitted[2].value == 0);
    CHECK(host.lines.back().second == "empty_params accepted");
    CHECK(host.lines[host.lines.size() - 2].second == "refused refused");
    const auto left = ScriptedSource::last_deadline_ - before;
    CHECK(left > std::chrono::seconds(4));
    CHECK(left <= std::chrono::seconds(6));
    kSource.destroy(inst);
}

TEST_CASE("sdk collect contains exceptions and reports retry", "[sdk]") {
    FakeHost host;
    struct Case {
        const char* config;
        tocsin_status status;
        const char* error;
    };
    const Case cases[] = {
        {R"({"on_collect":"throw_std"})", TOCSIN_FAILED, "database is locked"},
        {R"({"on_collect":"throw_int"})", TOCSIN_FAILED, "unknown exception"},
        {R"({"on_collect":"retry"})", TOCSIN_RETRY, "server busy"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.config);
        auto [inst, status] = create(kSource, c.config, host);
        REQUIRE(status == TOCSIN_OK);
        std::vector<Emitted> emitted;
        tocsin_collect_request req{
            sizeof(tocsin_collect_request), nullptr, 0, 0, &capture_emit, &emitted};
        CHECK(kSource.collect(inst, &req) == c.status);
        CHECK(std::string(kSource.last_error(inst)) == c.error);
        kSource.destroy(inst);
    }
}

TEST_CASE("sdk collect rejects malformed KPI params without calling the plugin", "[sdk]") {
    FakeHost host;
    auto [inst, status] = create(kSource, "{}", host);
    REQUIRE(status == TOCSIN_OK);
    const tocsin_kpi_request kpis[] = {{"k", "{not json"}};
    std::vector<Emitted> emitted;
    tocsin_collect_request req{sizeof(tocsin_collect_request), kpis, 1, 0, &capture_emit, &emitted};
    CHECK(kSource.collect(inst, &req) == TOCSIN_FAILED);
    CHECK_THAT(kSource.last_error(inst), Catch::Contains("expected a string key"));
    CHECK(emitted.empty());
    kSource.destroy(inst);
}

TEST_CASE("sdk send fills the result and cuts long details on a UTF-8 boundary", "[sdk]") {
    FakeHost host;
    std::string long_detail;
    for (int i = 0; i < 200; ++i) {
        long_detail += "\xc3\xa9";  // 400 bytes of two-byte characters
    }
    const std::string config = sdk::Json::object().set("detail", long_detail).dump();
    auto [inst, status] = create(kNotifier, config.c_str(), host);
    REQUIRE(status == TOCSIN_OK);

    tocsin_send_result result{};
    result.struct_size = sizeof result;
    CHECK(kNotifier.send(inst, R"({"kind":"ok"})", 0, &result) == TOCSIN_OK);
    const std::string detail = result.detail;
    CHECK(detail.size() == 254);  // 255 would split a character
    CHECK(detail == long_detail.substr(0, 254));

    CHECK(kNotifier.send(inst, R"({"kind":"retry"})", 0, &result) == TOCSIN_RETRY);
    CHECK(result.retry_after_ms == 1500);
    CHECK(std::string(kNotifier.last_error(inst)) == "HTTP 429");

    CHECK(kNotifier.send(inst, R"({"other":1})", 0, &result) == TOCSIN_FAILED);
    CHECK(std::string(kNotifier.last_error(inst)) == "missing key 'kind'");
    CHECK(kNotifier.send(inst, "not json", 0, &result) == TOCSIN_FAILED);
    kNotifier.destroy(inst);
}

TEST_CASE("sdk config getters read each type and fall back when absent", "[sdk]") {
    const sdk::Config c(sdk::Json::parse(
        R"({"s":"text","i":12,"n":0.5,"b":true,"d":30000,"ds":"1m30s","l":["a","b"],"m":{"k":"v","x":"y"}})"));
    CHECK(c.has("s"));
    CHECK_FALSE(c.has("nope"));
    CHECK(c.get_string("s") == "text");
    CHECK(c.get_string("nope", "dflt") == "dflt");
    CHECK(c.get_int("i") == 12);
    CHECK(c.get_int("n", -1) == -1);  // not an integer
    CHECK(c.get_number("n") == 0.5);
    CHECK(c.get_number("i") == 12);
    CHECK(c.get_bool("b"));
    CHECK(c.get_bool("nope", true));
    CHECK(c.get_duration("d") == std::chrono::seconds(30));
    CHECK(c.get_duration("ds") == std::chrono::seconds(90));
    CHECK(c.get_duration("s", std::chrono::milliseconds(7)) == std::chrono::milliseconds(7));
    CHECK(c.get_string_list("l") == std::vector<std::string>{"a", "b"});
    CHECK(c.get_string_list("nope").empty());
    CHECK(c.get_string_map("m") ==
          std::vector<std::pair<std::string, std::string>>{{"k", "v"}, {"x", "y"}});
    CHECK(sdk::Config(sdk::Json(3)).json().is_object());
}
