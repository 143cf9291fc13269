#include "app/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

namespace tocsin::app {

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

}  // namespace tocsin::app
