#include "file_config.hpp"
#include "file_data.hpp"
#include "plugin_harness.hpp"
#include "support/temp_dir.hpp"
#include <tocsin/sdk/json.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <string>

namespace fl = tocsin::plugins::file;
using std::chrono::milliseconds;
using tocsin::sdk::Config;
using tocsin::sdk::Json;
using tocsin::sdk::KpiRequest;
using tocsin::testing::PluginInstance;
using tocsin::testing::TempDir;

namespace {

const tocsin_plugin& file_plugin() {
    return tocsin::testing::load_plugin("tocsin_source_file.so");
}

fl::FileConfig config_for(const std::string& path) {
    fl::FileConfig config;
    REQUIRE(fl::parse_config(Config(Json::object().set("path", path)), config).is_ok());
    return config;
}

KpiRequest kpi(const std::string& name, const char* params = "{}") {
    return KpiRequest{name, Config(Json::parse(params))};
}

std::vector<tocsin::plugins::local::ParsedSample> samples_of(const std::string& csv,
                                                             std::vector<KpiRequest> kpis) {
    fl::CsvTable table;
    REQUIRE_FALSE(fl::parse_csv(csv, ',', table));
    std::vector<tocsin::plugins::local::ParsedSample> out;
    const auto status = fl::csv_samples(table, kpis, out);
    INFO(status.message);
    REQUIRE(status.is_ok());
    return out;
}

// Sets the file's mtime, so that a rewrite of the same size is seen as a change even on file
// systems with coarse timestamps.
void set_mtime(const std::string& path, std::int64_t seconds) {
    timespec times[2] = {{seconds, 0}, {seconds, 0}};
    REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

std::int64_t now_ms() {
    return tocsin::testing::unix_ms_now();
}

}  // namespace

TEST_CASE("file config infers the format from the file name", "[file][config]") {
    fl::FileConfig c;
    REQUIRE(fl::parse_config(Config(Json::parse(R"({"path": "/x/kpis.json"})")), c).is_ok());
    CHECK(c.format == fl::Format::Json);
    REQUIRE(fl::parse_config(Config(Json::parse(R"({"path": "/x/kpis.csv"})")), c).is_ok());
    CHECK(c.format == fl::Format::Csv);
    REQUIRE(fl::parse_config(
                Config(Json::parse(R"({"path": "/x/kpis.txt", "format": "csv", "delimiter": ";",
                    "max_age": 7200000})")),
                c)
                .is_ok());
    CHECK(c.delimiter == ';');
    CHECK(c.max_age == milliseconds(7200000));
}

TEST_CASE("file config refuses what it cannot read", "[file][config]") {
    fl::FileConfig c;
    auto parse = [&](const char* json) { return fl::parse_config(Config(Json::parse(json)), c); };
    CHECK(parse(R"({"path": "/x/kpis.txt"})").message ==
          "format is not set and the file name ends in neither .csv nor .json; set format: csv "
          "or format: json");
    CHECK(parse(R"({"path": "a.csv", "format": "xlsx"})").message ==
          "format 'xlsx' is unknown; use csv or json");
    CHECK(parse(R"({"path": "a.csv", "delimiter": "ab"})").code == TOCSIN_BAD_CONFIG);
    CHECK(parse(R"({"path": " "})").message == "path is empty; give the CSV or JSON file to read");
}

TEST_CASE("file csv with a kpi column: rows by KPI, other columns as labels", "[file]") {
    const auto out = samples_of(
        "kpi,value,plan,timestamp\n"
        "signups,12,free,1767571200\n"
        "signups,3,pro,\n"
        "churn,0.02,,2026-01-05T06:00:00Z\n"
        "signups,,team,\n",
        {kpi("signups"), kpi("churn")});
    REQUIRE(out.size() == 3);
    CHECK(out[0].kpi == "signups");
    CHECK(out[0].value == 12);
    CHECK(out[0].labels == tocsin::sdk::LabelList{{"plan", "free"}});
    CHECK(out[0].timestamp_ms == 1767571200000);
    CHECK(out[1].timestamp_ms == 0);
    CHECK(out[2].kpi == "churn");
    CHECK(out[2].labels.empty());  // an empty cell is no label
    CHECK(out[2].timestamp_ms == 1767592800000);
}

TEST_CASE("file csv without a kpi column: one column per KPI", "[file]") {
    const auto out = samples_of(
        "day,signups,revenue,region\n"
        "2026-01-04,10,100.5,eu\n"
        "2026-01-05,12,90,us\n",
        {kpi("signups"), kpi("sales", R"({"column": "revenue", "labels": ["region"]})")});
    REQUIRE(out.size() == 4);
    CHECK(out[0].kpi == "signups");
    CHECK(out[1].value == 12);
    CHECK(out[1].labels.empty());
    CHECK(out[2].kpi == "sales");
    CHECK(out[2].value == 100.5);
    CHECK(out[3].labels == tocsin::sdk::LabelList{{"region", "us"}});
}

TEST_CASE("file csv names a missing column and a bad number with its line", "[file]") {
    fl::CsvTable table;
    REQUIRE_FALSE(fl::parse_csv("kpi,value\na,1\na,lots\n", ',', table));
    std::vector<tocsin::plugins::local::ParsedSample> out;
    CHECK(fl::csv_samples(table, {kpi("a")}, out).message ==
          "line 3: column 'value' ('lots') is not a number");
    CHECK(fl::csv_samples(table, {kpi("a", R"({"column": "n"})")}, out).message ==
          "KPI 'a': the file has no column 'n'");
    CHECK(fl::csv_samples(table, {kpi("a", R"({"labels": ["team"]})")}, out).message ==
          "KPI 'a': the file has no label column 'team'");
}

TEST_CASE("file watcher reads again only when the file changed", "[file]") {
    TempDir dir;
    const auto path = dir.write("k.csv", "kpi,value\na,1\n");
    set_mtime(path, 1767571200);
    fl::FileWatcher watcher(config_for(path));
    REQUIRE(watcher.refresh(now_ms()).is_ok());
    REQUIRE(watcher.data() != nullptr);
    CHECK(watcher.data()->csv.rows.size() == 1);
    REQUIRE(watcher.refresh(now_ms()).is_ok());
    CHECK(watcher.reads() == 1);

    dir.write("k.csv", "kpi,value\na,2\n");  // same size
    set_mtime(path, 1767571260);
    REQUIRE(watcher.refresh(now_ms()).is_ok());
    CHECK(watcher.reads() == 2);
    CHECK(watcher.data()->csv.rows[0][1] == "2");

    // Replaced by rename, as careful writers do: a new inode.
    const auto tmp = dir.write("k.csv.tmp", "kpi,value\na,3\n");
    std::filesystem::rename(tmp, path);
    set_mtime(path, 1767571260);
    REQUIRE(watcher.refresh(now_ms()).is_ok());
    CHECK(watcher.data()->csv.rows[0][1] == "3");
}

TEST_CASE("file watcher keeps the last good data when a write is half done", "[file]") {
    TempDir dir;
    const auto path = dir.write("k.json", R"([{"kpi": "a", "value": 1}])");
    fl::FileWatcher watcher(config_for(path));
    REQUIRE(watcher.refresh(now_ms()).is_ok());

    dir.write("k.json", R"([{"kpi": "a", "value": 2}, {"kpi": "b", "va)");
    const auto status = watcher.refresh(now_ms());
    CHECK(status.code == TOCSIN_RETRY);
    CHECK_THAT(status.message,
               Catch::StartsWith("'" + path + "': not JSON: ") &&
                   Catch::EndsWith("; the last good version is kept until it parses"));
    REQUIRE(watcher.data() != nullptr);
    CHECK(watcher.data()->samples.at(0).value == 1);

    dir.write("k.json", R"([{"kpi": "a", "value": 2}, {"kpi": "b", "value": 5}])");
    REQUIRE(watcher.refresh(now_ms()).is_ok());
    CHECK(watcher.data()->samples.size() == 2);
}

TEST_CASE("file watcher fails on a missing file and a file older than max_age", "[file]") {
    TempDir dir;
    fl::FileWatcher missing(config_for(dir.file("absent.csv")));
    const auto status = missing.refresh(now_ms());
    CHECK(status.code == TOCSIN_FAILED);
    CHECK(status.message ==
          "cannot read '" + dir.file("absent.csv") + "': No such file or directory");

    const auto path = dir.write("k.csv", "kpi,value\na,1\n");
    set_mtime(path, 1767571200);
    fl::FileConfig config = config_for(path);
    config.max_age = std::chrono::hours(2);
    fl::FileWatcher aged(config);
    CHECK(aged.refresh(1767571200000 + 3600000).is_ok());
    CHECK(aged.refresh(1767571200000 + 3 * 3600000).message ==
          "'" + path + "' was last modified 3h ago, longer than max_age 2h");
}

TEST_CASE("file module emits the same values again while the file is unchanged", "[file]") {
    TempDir dir;
    const auto path = dir.write("kpis.csv", "kpi,value,team\nbacklog,7,ops\n");
    PluginInstance instance(file_plugin(), Json::object().set("path", path).dump());
    REQUIRE(instance.create_status() == TOCSIN_OK);
    for (int round = 0; round < 2; ++round) {
        const auto out = instance.collect({{"backlog", "{}"}}, milliseconds(2000));
        INFO(out.error);
        REQUIRE(out.status == TOCSIN_OK);
        REQUIRE(out.samples.size() == 1);
        CHECK(out.samples[0].value == 7);
        CHECK(out.samples[0].label("team") == "ops");
    }
    const auto missing = instance.collect({{"absent", "{}"}}, milliseconds(2000));
    CHECK(missing.status == TOCSIN_FAILED);
    CHECK(missing.error == "KPI 'absent' is missing from '" + path + "'");
}

TEST_CASE("file module asks for a retry while the file does not parse", "[file]") {
    TempDir dir;
    const auto path = dir.write("kpis.csv", "kpi,value\nbacklog,7\n");
    PluginInstance instance(file_plugin(), Json::object().set("path", path).dump());
    REQUIRE(instance.collect({{"backlog", "{}"}}, milliseconds(2000)).status == TOCSIN_OK);
    dir.write("kpis.csv", "kpi,value\nbacklog,8\nqueue");
    const auto out = instance.collect({{"backlog", "{}"}}, milliseconds(2000));
    CHECK(out.status == TOCSIN_RETRY);
    CHECK_THAT(out.error, Catch::Contains("line 3: expected 2 fields, found 1"));
    CHECK(out.samples.empty());
}
