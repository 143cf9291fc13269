#include "harness.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace tocsin::testing {
namespace {
using namespace std::chrono_literals;

std::string module(const std::string& file) {
    return plugin_dir() + "/" + file;
}

CommandResult check(const std::string& module_file, const std::string& config) {
    return run_command(
        {tocsin_binary(), "plugins", "--check", module(module_file), "--config", config}, 30s);
}

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("plugins --check collects once from a source and prints the samples",
          "[integration][plugins]") {
    TempDir dir;
    const auto csv = dir.write("kpis.csv", "kpi,value,team\nbacklog,7,ops\nbacklog,3,dev\n");
    const auto config = dir.write("check.yaml",
                                  "plugin: file\n"
                                  "path: " +
                                      csv +
                                      "\n"
                                      "timeout: 5s\n"
                                      "kpis:\n"
                                      "  backlog: {}\n");
    const auto r = check("tocsin_source_file.so", config);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::StartsWith("file 1.0.0 (source, ABI 1.0) from "));
    CHECK_THAT(r.out, Catch::Contains("2 sample(s) in "));
    CHECK_THAT(r.out, Catch::Contains("backlog  team=ops"));
    CHECK_THAT(r.out, Catch::Contains("backlog  team=dev"));
}

TEST_CASE("plugins --check reports config mistakes at their position and runs nothing",
          "[integration][plugins]") {
    TempDir dir;
    const auto config = dir.write("check.yaml",
                                  "path: " + dir.file("kpis.csv") +
                                      "\n"
                                      "delimiter: 7x\n"
                                      "kpis:\n"
                                      "  backlog: { labelz: [team] }\n");
    const auto r = check("tocsin_source_file.so", config);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err,
               Catch::Contains("check.yaml:4:14: error: kpi 'backlog': unknown key "
                               "'labelz' (did you mean 'labels'?)"));
    CHECK_THAT(r.err, Catch::Contains("the plugin was not run"));
    CHECK_THAT(r.out, !Catch::Contains("sample(s)"));

    const auto wrong = dir.write("wrong.yaml", "plugin: sqlite\npath: a.csv\nkpis: {}\n");
    const auto w = check("tocsin_source_file.so", wrong);
    CHECK(w.exit_code == 1);
    CHECK_THAT(w.err,
               Catch::Contains("wrong.yaml:1:9: error: source 'file' > plugin: this "
                               "module is plugin 'file', not "));

    const auto no_kpis = dir.write("nokpis.yaml", "path: a.csv\n");
    const auto n = check("tocsin_source_file.so", no_kpis);
    CHECK(n.exit_code == 1);
    CHECK_THAT(n.err, Catch::Contains("missing key 'kpis'"));
}

TEST_CASE("plugins --check exits 1 with the plugin's reason when the collect fails",
          "[integration][plugins]") {
    TempDir dir;
    const auto config =
        dir.write("check.yaml", "path: " + dir.file("absent.csv") + "\nkpis:\n  backlog: {}\n");
    const auto r = check("tocsin_source_file.so", config);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err,
               Catch::Contains("collect failed") &&
                   Catch::Contains("absent.csv': No such file or directory"));
}

TEST_CASE("plugins --check sends a test notification, or the one given", "[integration][plugins]") {
    TempDir dir;
    const auto log = dir.file("notifications.log");
    const auto config = dir.write("check.yaml", "path: " + log + "\n");
    const auto r = check("tocsin_notifier_log.so", config);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("send: ok in "));
    CHECK_THAT(slurp(log), Catch::Contains("TocsinPluginCheck"));

    const auto custom = dir.write("custom.yaml",
                                  "path: " + log +
                                      "\n"
                                      "notification:\n"
                                      "  version: \"1\"\n"
                                      "  id: my-own-id\n"
                                      "  kind: resolved\n"
                                      "  receiver: test\n"
                                      "  status: resolved\n"
                                      "  alerts:\n"
                                      "    - { name: DiskFull, status: resolved, value: 0.5,\n"
                                      "        labels: { alertname: DiskFull }, "
                                      "annotations: {} }\n");
    const auto c = check("tocsin_notifier_log.so", custom);
    INFO(c.out << c.err);
    CHECK(c.exit_code == 0);
    CHECK_THAT(slurp(log), Catch::Contains("DiskFull"));
}

TEST_CASE("plugins --check refuses a module the daemon would refuse", "[integration][plugins]") {
    TempDir dir;
    const auto copy = dir.file("tocsin_source_file.so");
    std::filesystem::copy_file(module("tocsin_source_file.so"), copy);
    std::filesystem::permissions(
        copy, std::filesystem::perms::others_write, std::filesystem::perm_options::add);
    const auto config = dir.write("check.yaml", "path: a.csv\nkpis: {}\n");
    const auto r =
        run_command({tocsin_binary(), "plugins", "--check", copy, "--config", config}, 30s);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains(copy) && Catch::Contains("chmod go-w"));

    const auto missing = run_command({tocsin_binary(), "plugins", "--check", copy}, 30s);
    CHECK(missing.exit_code == 2);
    CHECK_THAT(missing.err, Catch::Contains("--config FILE"));
}

}  // namespace tocsin::testing
