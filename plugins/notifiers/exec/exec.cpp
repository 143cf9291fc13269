// The exec notifier: runs a program per notification and pipes it the Alertmanager webhook JSON
// (the webhook notifier's body) on stdin. Exit 0 is delivered; exit 75 (EX_TEMPFAIL) or a
// timeout (the process group is killed) is retried; any other exit, or a crash, is a permanent
// failure. The program sees only PATH and TOCSIN_NOTIFICATION_ID in its environment.

#include "alertmanager_payload.hpp"
#include "exec_notifier_config.hpp"
#include "exec_runner.hpp"
#include "notification.hpp"
#include "text_util.hpp"
#include <tocsin/sdk/plugin.hpp>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace tocsin::plugins::exec_notifier {
namespace {

constexpr int kExitTempFail = 75;  // EX_TEMPFAIL from sysexits.h
constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

// One line of stderr for a message: control characters as spaces, trailing blanks dropped.
std::string printable(std::string text) {
    for (char& c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            c = ' ';
        }
    }
    while (!text.empty() && text.back() == ' ') {
        text.pop_back();
    }
    return text;
}

class ExecNotifier final : public sdk::Notifier {
public:
    sdk::Status configure(const sdk::Config& config, sdk::Logger& log) override {
        log_ = &log;
        if (auto status = parse_config(config, config_); !status.is_ok()) {
            return status;
        }
        const char* path = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe): read once here
        path_ = path != nullptr && *path != '\0' ? path : kDefaultPath;
        return sdk::Status::ok();
    }

    sdk::Delivery send(const sdk::Json& notification, sdk::Deadline deadline) override {
        if (!notification.is_object()) {
            return {sdk::Status::failed("the notification is not a JSON object"), 0, {}};
        }
        const std::string input = common::render_payload(notification, config_.max_alerts).dump();
        std::vector<std::string> env = {"PATH=" + path_};
        if (const auto id = common::text_of(notification, "id"); !id.empty()) {
            env.push_back("TOCSIN_NOTIFICATION_ID=" + id);
        }
        const auto limit = std::min(deadline, std::chrono::steady_clock::now() + config_.timeout);
        const RunResult run = run_program(config_.command, env, path_, input, limit);
        const std::string name = config_.command.front();
        const std::string err = printable(run.stderr_head);
        const std::string tail = err.empty() ? "" : ": " + err;

        sdk::Delivery delivery;
        if (!run.started) {
            delivery.detail = common::truncate_bytes(run.error, 255);
            delivery.status = sdk::Status::failed(run.error);
        } else if (run.timed_out) {
            delivery.detail = common::truncate_bytes("timed out; process group killed" + tail, 255);
            delivery.status = sdk::Status::retry("'" + name + "' timed out and was killed" + tail);
        } else if (run.exited && run.exit_code == 0) {
            delivery.detail = common::truncate_bytes("exit 0" + tail, 255);
        } else if (run.exited && run.exit_code == kExitTempFail) {
            delivery.detail = common::truncate_bytes("exit 75 (temporary failure)" + tail, 255);
            delivery.status =
                sdk::Status::retry("'" + name + "' exited with 75 (temporary failure)" + tail);
        } else if (run.exited) {
            const std::string code = std::to_string(run.exit_code);
            delivery.detail = common::truncate_bytes("exit " + code + tail, 255);
            delivery.status = sdk::Status::failed("'" + name + "' exited with " + code + tail);
        } else {
            const std::string sig = std::to_string(run.signal);
            delivery.detail = common::truncate_bytes("killed by signal " + sig + tail, 255);
            delivery.status =
                sdk::Status::failed("'" + name + "' was killed by signal " + sig + tail);
        }
        if (!delivery.status.is_ok()) {
            log_->debug(delivery.status.message);
        }
        return delivery;
    }

private:
    sdk::Logger* log_ = nullptr;
    ExecConfig config_;
    std::string path_;
};

}  // namespace
}  // namespace tocsin::plugins::exec_notifier

TOCSIN_EXPORT_NOTIFIER(tocsin::plugins::exec_notifier::ExecNotifier,
                       "exec",
                       "1.0.0",
                       "pipes Alertmanager-compatible webhook JSON to a program",
                       tocsin::plugins::exec_notifier::kConfigKeys)
