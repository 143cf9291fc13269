// The log notifier: appends each notification, as received, as one JSON line to a file or
// stderr. Meant for audits, debugging rules and feeding log shippers.

#include "log_config.hpp"
#include "log_file.hpp"
#include <tocsin/sdk/plugin.hpp>

#include <memory>
#include <string>

namespace tocsin::plugins::log {
namespace {

class LogNotifier final : public sdk::Notifier {
public:
    sdk::Status configure(const sdk::Config& config, sdk::Logger& /*log*/) override {
        LogConfig parsed;
        if (auto status = parse_config(config, parsed); !status.is_ok()) {
            return status;
        }
        file_ = std::make_unique<AppendFile>(parsed.path);
        return sdk::Status::ok();
    }

    sdk::Delivery send(const sdk::Json& notification, sdk::Deadline /*deadline*/) override {
        const std::string line = render_line(notification);
        if (auto error = file_->append(line)) {
            // A full disk or a permission fixed by the operator: worth another try later.
            return {sdk::Status::retry(*error), 0, {}};
        }
        return {sdk::Status::ok(), 0, "wrote " + std::to_string(line.size()) + " bytes"};
    }

private:
    std::unique_ptr<AppendFile> file_;
};

}  // namespace
}  // namespace tocsin::plugins::log

TOCSIN_EXPORT_NOTIFIER(tocsin::plugins::log::LogNotifier,
                       "log",
                       "1.0.0",
                       "appends each notification as one JSON line to a file or stderr",
                       tocsin::plugins::log::kConfigKeys)
