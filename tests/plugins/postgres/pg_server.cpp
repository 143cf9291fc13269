#include "pg_server.hpp"

#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <vector>

namespace tocsin::testing {
namespace {

std::string bin_dir() {
    // Debian installs one directory per major version; take the newest.
    std::string best;
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql")) {
        const auto candidate = entry.path() / "bin";
        if (std::filesystem::exists(candidate / "initdb") && candidate.string() > best) {
            best = candidate.string();
        }
    }
    if (best.empty()) {
        throw std::runtime_error(
            "no PostgreSQL server under /usr/lib/postgresql; run scripts/setup.sh");
    }
    return best;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), {}};
}

// Runs a program to completion with its output in `log`; as root, as `nobody`. Returns the exit
// status.
int run(std::vector<std::string> args, const std::string& log) {
    if (::geteuid() == 0) {
        args.insert(args.begin(), {"/usr/sbin/runuser", "-u", "nobody", "--"});
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        const int null = ::open("/dev/null", O_RDONLY);
        ::dup2(null, 0);
        std::vector<char*> argv;
        for (auto& arg : args) {
            argv.push_back(arg.data());
        }
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    if (pid < 0) {
        throw std::runtime_error("cannot fork");
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

struct ConnDeleter {
    void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ResultDeleter {
    void operator()(PGresult* result) const { PQclear(result); }
};

}  // namespace

std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        throw std::runtime_error("cannot find a free port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

PgServer::PgServer() {
    // mkdtemp made the folder private; the server's user must be able to reach its data inside.
    std::filesystem::permissions(
        dir_.path(),
        std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
            std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
            std::filesystem::perms::others_exec);
    const std::string home = dir_.file("pg");
    std::filesystem::create_directories(home);
    if (::geteuid() == 0) {
        const passwd* nobody = ::getpwnam("nobody");
        if (nobody == nullptr || ::chown(home.c_str(), nobody->pw_uid, nobody->pw_gid) != 0) {
            throw std::runtime_error("cannot hand " + home + " to nobody");
        }
    }
    data_ = home + "/data";
    const std::string pwfile = dir_.write("pwfile", std::string(kPassword) + "\n");
    std::filesystem::permissions(pwfile,
                                 std::filesystem::perms::owner_read |
                                     std::filesystem::perms::group_read |
                                     std::filesystem::perms::others_read);
    if (run({bin_dir() + "/initdb",
             "-D",
             data_,
             "-U",
             kUser,
             "--pwfile=" + pwfile,
             "-A",
             "scram-sha-256",
             "-E",
             "UTF8",
             "--no-sync",
             "--no-instructions"},
            dir_.file("initdb.log")) != 0) {
        throw std::runtime_error("initdb failed: " + read_file(dir_.file("initdb.log")));
    }
    port_ = free_port();
    std::ofstream(data_ + "/postgresql.auto.conf", std::ios::app)
        << "port = " << port_ << "\nlisten_addresses = '127.0.0.1'\n"
        << "unix_socket_directories = '" << home << "'\nfsync = off\n"
        << "synchronous_commit = off\nfull_page_writes = off\n";
    pg_ctl("start");
    running_ = true;
}

PgServer::~PgServer() {
    if (running_) {
        try {
            pg_ctl("stop");
        } catch (...) {  // NOLINT(bugprone-empty-catch): nothing left to do at exit
        }
    }
}

void PgServer::pg_ctl(const std::string& action) const {
    const std::string log = dir_.file("pg/server.log");
    std::vector<std::string> args = {bin_dir() + "/pg_ctl", "-D", data_, "-w", "-t", "30"};
    if (action == "start" || action == "restart") {
        args.insert(args.end(), {"-l", log});
    }
    if (action == "stop" || action == "restart") {
        args.insert(args.end(), {"-m", action == "stop" ? "immediate" : "fast"});
    }
    args.push_back(action);
    if (run(args, dir_.file("pg_ctl.log")) != 0) {
        throw std::runtime_error("pg_ctl " + action +
                                 " failed: " + read_file(dir_.file("pg_ctl.log")) + read_file(log));
    }
}

void PgServer::restart() {
    pg_ctl("restart");
}

std::string PgServer::dsn(const std::string& password) const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=postgres user=" + kUser +
           " password=" + password;
}

void PgServer::exec(const std::string& sql) const {
    static_cast<void>(scalar(sql));
}

std::string PgServer::scalar(const std::string& sql) const {
    std::unique_ptr<PGconn, ConnDeleter> conn(PQconnectdb(dsn().c_str()));
    if (PQstatus(conn.get()) != CONNECTION_OK) {
        throw std::runtime_error(std::string("cannot connect: ") + PQerrorMessage(conn.get()));
    }
    std::unique_ptr<PGresult, ResultDeleter> result(PQexec(conn.get(), sql.c_str()));
    const auto status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        throw std::runtime_error(sql + ": " + PQerrorMessage(conn.get()));
    }
    if (status == PGRES_TUPLES_OK && PQntuples(result.get()) > 0 && PQnfields(result.get()) > 0) {
        return PQgetvalue(result.get(), 0, 0);
    }
    return {};
}

PgServer& pg_server() {
    static const auto server = std::make_unique<PgServer>();
    return *server;
}

}  // namespace tocsin::testing
