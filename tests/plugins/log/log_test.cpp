#include "log_file.hpp"
#include "plugin_harness.hpp"
#include "support/temp_dir.hpp"
#include <tocsin/sdk/json.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace lg = tocsin::plugins::log;
using std::chrono::milliseconds;
using tocsin::sdk::Json;
using tocsin::testing::PluginInstance;
using tocsin::testing::TempDir;

namespace {

constexpr const char* kNotification = R"json({
  "version": "1", "id": "fp-1767571200000-1/audit", "kind": "firing", "receiver": "audit",
  "status": "firing",
  "alerts": [{"name": "ActivationRateLow", "value": 0.28,
              "annotations": {"summary": "line one\nline two"}}]
})json";

std::vector<std::string> read_lines(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

std::string config_for(const std::string& path) {
    return Json::object().set("path", path).dump();
}

const tocsin_plugin& log_plugin() {
    return tocsin::testing::load_plugin("tocsin_notifier_log.so");
}

// Points fd 2 at a file for the lifetime of the object.
class StderrCapture {
public:
    explicit StderrCapture(const std::string& path) {
        saved_ = ::dup(STDERR_FILENO);
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ::dup2(fd, STDERR_FILENO);
        ::close(fd);
    }
    ~StderrCapture() {
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
    }
    StderrCapture(const StderrCapture&) = delete;
    StderrCapture& operator=(const StderrCapture&) = delete;
    StderrCapture(StderrCapture&&) = delete;
    StderrCapture& operator=(StderrCapture&&) = delete;

private:
    int saved_ = -1;
};

}  // namespace

TEST_CASE("log line is the compact notification on exactly one line", "[log]") {
    const Json notification = Json::parse(kNotification);
    const std::string line = lg::render_line(notification);
    REQUIRE(line.back() == '\n');
    CHECK(line.find('\n') == line.size() - 1);
    CHECK(line.find("  ") == std::string::npos);
    CHECK(Json::parse(line) == notification);
}

TEST_CASE("log module appends one JSON line per notification", "[log]") {
    TempDir dir;
    const std::string path = dir.file("notifications.jsonl");
    {
        std::ofstream existing(path);
        existing << "earlier line\n";
    }
    PluginInstance instance(log_plugin(), config_for(path));
    REQUIRE(instance.create_status() == TOCSIN_OK);

    const auto first = instance.send(kNotification, milliseconds(1000));
    REQUIRE(first.status == TOCSIN_OK);
    // Visible to readers as soon as send() returns: nothing is left in a user-space buffer.
    CHECK(read_lines(path).size() == 2);
    const auto second = instance.send(R"({"id": "second"})", milliseconds(1000));
    REQUIRE(second.status == TOCSIN_OK);

    const auto lines = read_lines(path);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == "earlier line");
    CHECK(Json::parse(lines[1]) == Json::parse(kNotification));
    CHECK(lines[1] == Json::parse(kNotification).dump());
    CHECK(lines[2] == R"({"id":"second"})");
    CHECK(first.detail == "wrote " + std::to_string(lines[1].size() + 1) + " bytes");
}

TEST_CASE("log module creates the file readable by owner and group only", "[log]") {
    TempDir dir;
    const std::string path = dir.file("new.jsonl");
    PluginInstance instance(log_plugin(), config_for(path));
    REQUIRE(instance.send(kNotification, milliseconds(1000)).status == TOCSIN_OK);
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    CHECK((info.st_mode & 0007) == 0);
}

TEST_CASE("log module reopens the file after rotation", "[log]") {
    TempDir dir;
    const std::string path = dir.file("n.jsonl");
    PluginInstance instance(log_plugin(), config_for(path));
    REQUIRE(instance.send(R"({"n": 1})", milliseconds(1000)).status == TOCSIN_OK);

    SECTION("moved away") {
        std::filesystem::rename(path, path + ".1");
        REQUIRE(instance.send(R"({"n": 2})", milliseconds(1000)).status == TOCSIN_OK);
        CHECK(read_all(path + ".1") == "{\"n\":1}\n");
        CHECK(read_all(path) == "{\"n\":2}\n");
    }
    SECTION("deleted") {
        std::filesystem::remove(path);
        REQUIRE(instance.send(R"({"n": 2})", milliseconds(1000)).status == TOCSIN_OK);
        CHECK(read_all(path) == "{\"n\":2}\n");
    }
    SECTION("copied and truncated in place (copytruncate) keeps the same file") {
        std::filesystem::copy_file(path, path + ".1");
        std::filesystem::resize_file(path, 0);
        REQUIRE(instance.send(R"({"n": 2})", milliseconds(1000)).status == TOCSIN_OK);
        // O_APPEND writes at the new end, so no hole of zero bytes appears.
        CHECK(read_all(path) == "{\"n\":2}\n");
    }
}

TEST_CASE("log file opens once and again only after rotation", "[log]") {
    TempDir dir;
    const std::string path = dir.file("n.jsonl");
    lg::AppendFile file(path);
    CHECK(file.open_count() == 0);  // no I/O before the first line
    REQUIRE_FALSE(file.append("a\n"));
    REQUIRE_FALSE(file.append("b\n"));
    CHECK(file.open_count() == 1);
    std::filesystem::rename(path, path + ".1");
    REQUIRE_FALSE(file.append("c\n"));
    CHECK(file.open_count() == 2);
    CHECK(read_all(path + ".1") == "a\nb\n");
    CHECK(read_all(path) == "c\n");
}

TEST_CASE("log module writes to stderr for path '-'", "[log]") {
    TempDir dir;
    const std::string captured = dir.file("stderr.txt");
    PluginInstance instance(log_plugin(), config_for("-"));
    REQUIRE(instance.create_status() == TOCSIN_OK);
    tocsin::testing::SendOutcome outcome;
    {
        StderrCapture capture(captured);
        outcome = instance.send(kNotification, milliseconds(1000));
    }
    REQUIRE(outcome.status == TOCSIN_OK);
    CHECK(read_all(captured) == lg::render_line(Json::parse(kNotification)));
}

TEST_CASE("log module asks for a retry when it cannot write", "[log]") {
    SECTION("full disk") {
        PluginInstance instance(log_plugin(), config_for("/dev/full"));
        const auto outcome = instance.send(kNotification, milliseconds(1000));
        CHECK(outcome.status == TOCSIN_RETRY);
        CHECK(outcome.error == "cannot write to '/dev/full': No space left on device");
    }
    SECTION("missing directory, created later") {
        TempDir dir;
        const std::string path = dir.file("later/n.jsonl");
        PluginInstance instance(log_plugin(), config_for(path));
        const auto outcome = instance.send(kNotification, milliseconds(1000));
        CHECK(outcome.status == TOCSIN_RETRY);
        CHECK(outcome.error == "cannot open '" + path + "': No such file or directory");

        std::filesystem::create_directory(dir.file("later"));
        CHECK(instance.send(kNotification, milliseconds(1000)).status == TOCSIN_OK);
        CHECK(read_lines(path).size() == 1);
    }
}
