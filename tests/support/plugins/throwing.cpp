// Plugins that throw, to prove the SDK's trampolines contain every exception. Built three times:
// THROW_IN=1 configure() throws ("throwcreate"), 2 collect() throws ("throwcollect"),
// 3 send() throws ("throwsend"). Config `what: std | other` picks std::runtime_error or an int.
#include "tocsin/sdk/plugin.hpp"

#include <stdexcept>
#include <string>
#include <vector>

namespace {

using tocsin::sdk::Config;
using tocsin::sdk::Deadline;
using tocsin::sdk::Logger;
using tocsin::sdk::Status;

[[noreturn]] void explode(const std::string& what, const char* where) {
    if (what == "std") {
        throw std::runtime_error(std::string(where) + " exploded");
    }
    throw 42;
}

const tocsin_config_key kConfigKeys[] = {
    {"what", TOCSIN_TYPE_STRING, 0, "\"std\"", 0, "std or other: what to throw"},
};

#if THROW_IN == 3
class Throwing final : public tocsin::sdk::Notifier {
public:
    Status configure(const Config& config, Logger&) override {
        what_ = config.get_string("what");
        return Status::ok();
    }
    tocsin::sdk::Delivery send(const tocsin::sdk::Json&, Deadline) override {
        explode(what_, "send");
    }

private:
    std::string what_;
};
#else
class Throwing final : public tocsin::sdk::Source {
public:
    Status configure(const Config& config, Logger&) override {
        what_ = config.get_string("what");
#if THROW_IN == 1
        explode(what_, "configure");
#else
        return Status::ok();
#endif
    }
    Status collect(const std::vector<tocsin::sdk::KpiRequest>&,
                   tocsin::sdk::SampleSink&,
                   Deadline) override {
        explode(what_, "collect");
    }

private:
    std::string what_;
};
#endif

}  // namespace

#if THROW_IN == 1
TOCSIN_EXPORT_SOURCE(
    Throwing, "throwcreate", "1.0.0", "throws in configure", kConfigKeys, TOCSIN_NO_KEYS)
#elif THROW_IN == 2
TOCSIN_EXPORT_SOURCE(
    Throwing, "throwcollect", "1.0.0", "throws in collect", kConfigKeys, TOCSIN_NO_KEYS)
#else
TOCSIN_EXPORT_NOTIFIER(Throwing, "throwsend", "1.0.0", "throws in send", kConfigKeys)
#endif
