#include "app/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

namespace tocsin::app {
namespace {

/// A whole positive decimal number from the environment, or nullopt.
std::optional<std::uint64_t> env_number(const char* name) {
    const char* text = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read-only use
    if (text == nullptr || text[0] == '\0') {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    const char* end = text + std::strlen(text);
    const auto [ptr, ec] = std::from_chars(text, end, value);
    if (ec != std::errc{} || ptr != end || value == 0) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

void sd_notify(std::string_view message) {
    const char* path =
        std::getenv("NOTIFY_SOCKET");  // NOLINT(concurrency-mt-unsafe): read-only use
    if (path == nullptr || path[0] == '\0') {
        return;
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::size_t len = std::strlen(path);
    if (len >= sizeof(addr.sun_path)) {
        return;
    }
    std::memcpy(addr.sun_path, path, len);
    if (addr.sun_path[0] == '@') {
        addr.sun_path[0] = '\0';  // abstract namespace socket
    }
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return;
    }
    const auto addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
    (void)::sendto(fd,
                   message.data(),
                   message.size(),
                   MSG_NOSIGNAL,
                   reinterpret_cast<const sockaddr*>(&addr),
                   addr_len);
    ::close(fd);
}

std::string sd_reloading_message(std::string_view status) {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const auto usec = static_cast<std::uint64_t>(now.tv_sec) * 1000000U +
                      static_cast<std::uint64_t>(now.tv_nsec) / 1000U;
    std::string message = "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec);
    message += "\nSTATUS=";
    message += status;
    return message;
}

std::optional<std::chrono::microseconds> sd_watchdog_interval() {
    const auto usec = env_number("WATCHDOG_USEC");
    if (!usec) {
        return std::nullopt;
    }
    // Set for the main process only; a child that inherited the variables must not ping.
    if (const auto pid = env_number("WATCHDOG_PID");
        pid && *pid != static_cast<std::uint64_t>(::getpid())) {
        return std::nullopt;
    }
    return std::chrono::microseconds(static_cast<std::chrono::microseconds::rep>(*usec / 2));
}

}  // namespace tocsin::app
