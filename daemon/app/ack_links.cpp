#include "app/ack_links.hpp"

#include "api/http.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sha256.hpp>

namespace tocsin::app {
namespace {

constexpr const char* kKeyFile = "ack-links.key";

std::string hex(const std::string& bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const unsigned char c : bytes) {
        out.push_back(kDigits[c >> 4]);
        out.push_back(kDigits[c & 0xf]);
    }
    return out;
}

std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    std::ifstream urandom("/dev/urandom", std::ios::binary);
    if (urandom.read(out.data(), static_cast<std::streamsize>(n))) {
        return out;
    }
    std::random_device rd;  // reads the kernel's generator too on Linux
    for (auto& c : out) {
        c = static_cast<char>(rd() & 0xff);
    }
    return out;
}

}  // namespace

std::string random_hex(std::size_t bytes) {
    return hex(random_bytes(bytes));
}

Result<AckLinks> AckLinks::open(const std::string& state_dir) {
    const std::string path = state_dir + "/" + kKeyFile;
    std::ifstream in(path, std::ios::binary);
    std::string key;
    if (in && std::getline(in, key) && key.size() >= 32) {
        return AckLinks(key);
    }
    key = random_hex(32);
    // O_EXCL: two daemons on one state dir must not each write a different key.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        return make_error(
            ErrorCode::Io, "cannot create " + path + ": " + std::strerror(errno), "ack links");
    }
    const std::string line = key + "\n";
    const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    ::fsync(fd);
    ::close(fd);
    if (!written) {
        return make_error(ErrorCode::Io, "cannot write " + path, "ack links");
    }
    return AckLinks(key);
}

std::string AckLinks::sign(const std::string& fingerprint,
                           const std::string& starts_ms,
                           const std::string& expires_s) const {
    return hex(plugins::common::hmac_sha256(
        key_, "tocsin-ack\n" + fingerprint + "\n" + starts_ms + "\n" + expires_s));
}

std::string AckLinks::url(const std::string& base,
                          const std::string& fingerprint,
                          engine::TimePoint starts_at,
                          engine::TimePoint expires_at) const {
    const auto starts = std::to_string(engine::to_unix_ms(starts_at));
    const auto expires = std::to_string(engine::to_unix_ms(expires_at) / 1000);
    return base + "/api/v1/alerts/" + fingerprint + "/ack?s=" + starts + "&e=" + expires +
           "&sig=" + sign(fingerprint, starts, expires);
}

bool AckLinks::verify(const std::string& fingerprint,
                      const std::string& starts_ms,
                      const std::string& expires_s,
                      const std::string& sig,
                      engine::TimePoint now) const {
    if (!api::token_matches(sig, sign(fingerprint, starts_ms, expires_s))) {
        return false;
    }
    try {
        return engine::to_unix_ms(now) / 1000 <= std::stoll(expires_s);
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace tocsin::app
