// file_append: an example tocsin NOTIFIER built out of tree against the installed SDK.
//
// Appends every notification as one line of JSON (JSON Lines) to a file, for an audit trail or
// for another program to tail:
//
//   notifiers:
//     audit: { plugin: file_append, path: /var/log/tocsin/notifications.jsonl }
//
// The notification's shape is in docs/notification-json.md. Answers retry when the file cannot
// be written (the daemon backs off and tries again; nothing is lost), ok otherwise.

#include <tocsin/sdk/plugin.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace {

using namespace tocsin::sdk;

const tocsin_config_key kConfigKeys[] = {
    {"path", TOCSIN_TYPE_STRING, 1, nullptr, 0, "file to append one JSON line per notification to"},
    {"fsync", TOCSIN_TYPE_BOOL, 0, "false", 0, "flush each line to disk before answering ok"},
};

// Optional fields may be missing: read them leniently.
std::string text_of(const Json& object, const char* key) {
    const Json* v = object.find(key);
    return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

class FileAppendNotifier final : public Notifier {
public:
    // Parse only: `tocsin check` creates instances too, so the file is opened in send().
    Status configure(const Config& config, Logger& log) override {
        log_ = &log;
        path_ = config.get_string("path");
        fsync_ = config.get_bool("fsync", false);
        if (path_.empty()) {
            return Status::bad_config("path is empty; give the file to append to");
        }
        return Status::ok();
    }

    // One notification per call, on a host worker; calls on one instance never overlap.
    Delivery send(const Json& notification, Deadline /*deadline*/) override {
        // One write() of one whole line with O_APPEND: readers never see half a line.
        const std::string line = notification.dump() + "\n";
        const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0) {
            return {Status::retry("cannot open '" + path_ + "': " + std::strerror(errno)), 0, {}};
        }
        const ssize_t written = ::write(fd, line.data(), line.size());
        const int write_errno = errno;
        const bool synced = !fsync_ || ::fsync(fd) == 0;
        ::close(fd);
        if (written != static_cast<ssize_t>(line.size()) || !synced) {
            return {Status::retry("cannot write '" + path_ + "': " + std::strerror(write_errno)),
                    0,
                    {}};
        }
        log_->debug("appended notification " + text_of(notification, "id"));
        return {Status::ok(), 0, "appended " + std::to_string(line.size()) + " bytes"};
    }

private:
    Logger* log_ = nullptr;
    std::string path_;
    bool fsync_ = false;
};

}  // namespace

TOCSIN_EXPORT_NOTIFIER(FileAppendNotifier,
                       "file_append",
                       "1.0.0",
                       "appends each notification as one JSON line to a file",
                       kConfigKeys)
