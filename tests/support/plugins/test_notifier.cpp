// "testnotifier": a notifier for host tests. It appends each notification's JSON as one line to
// the file `path`, then answers as `answer` says.
#include "tocsin/sdk/plugin.hpp"

#include <fstream>
#include <string>

namespace {

using tocsin::sdk::Config;
using tocsin::sdk::Deadline;
using tocsin::sdk::Delivery;
using tocsin::sdk::Json;
using tocsin::sdk::Logger;
using tocsin::sdk::Status;

class TestNotifier final : public tocsin::sdk::Notifier {
public:
    Status configure(const Config& config, Logger& log) override {
        path_ = config.get_string("path");
        answer_ = config.get_string("answer", "ok");
        retry_after_ = config.get_duration("retry_after").count();
        if (path_.empty()) {
            return Status::bad_config("path must not be empty");
        }
        if (answer_ != "ok" && answer_ != "retry" && answer_ != "failed") {
            return Status::bad_config("answer must be ok, retry or failed");
        }
        log.debug("appending to " + path_);
        return Status::ok();
    }

    Delivery send(const Json& notification, Deadline) override {
        const std::string line = notification.dump() + "\n";
        std::ofstream out(path_, std::ios::app | std::ios::binary);
        if (!out || !out.write(line.data(), static_cast<std::streamsize>(line.size()))) {
            return {Status::failed("cannot write " + path_), 0, ""};
        }
        if (answer_ == "retry") {
            return {Status::retry("told to retry"), retry_after_, "answered retry"};
        }
        if (answer_ == "failed") {
            return {Status::failed("told to fail"), 0, "answered failed"};
        }
        return {Status::ok(), 0, "appended " + std::to_string(line.size()) + " bytes"};
    }

private:
    std::string path_;
    std::string answer_;
    std::int64_t retry_after_ = 0;
};

const tocsin_config_key kConfigKeys[] = {
    {"path", TOCSIN_TYPE_STRING, 1, nullptr, 0, "file the notifications are appended to"},
    {"answer", TOCSIN_TYPE_STRING, 0, "\"ok\"", 0, "ok, retry or failed"},
    {"retry_after", TOCSIN_TYPE_DURATION, 0, "0", 0, "retry-after given with answer retry"},
    {"api_token", TOCSIN_TYPE_STRING, 0, nullptr, 1, "a secret that is never used"},
};

}  // namespace

TOCSIN_EXPORT_NOTIFIER(
    TestNotifier, "testnotifier", "0.9.0", "appends notifications to a file", kConfigKeys)
