#include "smtp_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace tocsin::testing {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

// Debian's interpreter, where python3-aiosmtpd is installed (a pyenv python3 on PATH lacks it).
const char* python() {
    return ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

}  // namespace

SmtpServer& SmtpServer::instance() {
    static SmtpServer server;
    return server;
}

SmtpServer::SmtpServer() {
    char pattern[] = "/tmp/tocsin-smtp-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) {
        throw std::runtime_error("cannot make a temp dir for the SMTP server");
    }
    dir_ = pattern;
    int in_pipe[2];
    int out_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0) {
        throw std::runtime_error("cannot make pipes for the SMTP server");
    }
    const std::string script = std::string(TOCSIN_SOURCE_DIR) + "/tests/support/smtp_server.py";
    pid_ = ::fork();
    if (pid_ == 0) {
        ::dup2(in_pipe[0], 0);
        ::dup2(out_pipe[1], 1);
        // Its log (and tracebacks of refused TLS handshakes) go to a file, not the test output.
        const int log = ::open((dir_ + "/server.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (log >= 0) {
            ::dup2(log, 2);
        }
        ::execlp(python(), python(), script.c_str(), dir_.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    stdin_fd_ = in_pipe[1];
    std::string line;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < give_up) {
        pollfd fd{out_pipe[0], POLLIN, 0};
        if (::poll(&fd, 1, 200) > 0) {
            char buffer[256];
            const auto n = ::read(out_pipe[0], buffer, sizeof(buffer));
            if (n <= 0) {
                break;
            }
            line.append(buffer, static_cast<std::size_t>(n));
        }
    }
    ::close(out_pipe[0]);
    std::istringstream words(line);
    std::string tag;
    unsigned a = 0;
    unsigned b = 0;
    unsigned c = 0;
    if (!(words >> tag >> a >> b >> c) || tag != "PORTS") {
        throw std::runtime_error("the SMTP server did not start (is python3-aiosmtpd installed?)");
    }
    ports_[0] = static_cast<std::uint16_t>(a);
    ports_[1] = static_cast<std::uint16_t>(b);
    ports_[2] = static_cast<std::uint16_t>(c);
}

SmtpServer::~SmtpServer() {
    if (stdin_fd_ >= 0) {
        ::close(stdin_fd_);  // the script exits when its stdin closes
    }
    if (pid_ > 0) {
        for (int i = 0; i < 50; ++i) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

std::optional<std::string> SmtpServer::file_of(const std::string& id) const {
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
        if (entry.path().extension() != ".json") {
            continue;
        }
        sdk::Json summary;
        if (sdk::Json::try_parse(read_file(entry.path().string()), summary)) {
            const sdk::Json* headers = summary.find("headers");
            const sdk::Json* value =
                headers != nullptr ? headers->find("X-Tocsin-Notification-Id") : nullptr;
            if (value != nullptr && value->is_string() && value->as_string() == id) {
                return entry.path().string();
            }
        }
    }
    return std::nullopt;
}

std::optional<sdk::Json> SmtpServer::find(const std::string& id) const {
    const auto file = file_of(id);
    if (!file) {
        return std::nullopt;
    }
    return sdk::Json::parse(read_file(*file));
}

std::string SmtpServer::raw(const std::string& id) const {
    const auto file = file_of(id);
    if (!file) {
        return {};
    }
    return read_file(file->substr(0, file->size() - 5) + ".eml");
}

}  // namespace tocsin::testing
