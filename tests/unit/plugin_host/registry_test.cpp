#include "plugin_host/registry.hpp"

#include "test_util.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

using namespace tocsin::plugin_host;
using namespace tocsin::plugin_host::test;
namespace fs = std::filesystem;

namespace {

std::map<std::string, std::string> refusals_by_file(const Registry& reg) {
    std::map<std::string, std::string> out;
    for (const auto& r : reg.refusals()) {
        out[fs::path(r.path).filename().string()] = r.reason;
    }
    return out;
}

}  // namespace

TEST_CASE("registry loads the good test plugins and describes them", "[registry]") {
    const Registry reg = Registry::scan({kPluginDir});
    CHECK(reg.refusals().empty());
    for (const auto& r : reg.refusals()) {
        UNSCOPED_INFO(r.text());
    }
    const PluginInfo* src = reg.find("testsource", TOCSIN_KIND_SOURCE);
    REQUIRE(src != nullptr);
    CHECK(src->path == plugin_path("tocsin_test_source.so"));
    CHECK(src->version == "1.2.3");
    CHECK(src->description == "emits the samples its config names");
    CHECK(src->abi_major == TOCSIN_ABI_MAJOR);
    CHECK(src->abi_minor == TOCSIN_ABI_MINOR);
    REQUIRE(src->config_keys.size() == 9);
    REQUIRE(src->kpi_keys.size() == 4);
    CHECK(src->api != nullptr);

    const KeySpec* interval = src->find_config_key("interval");
    REQUIRE(interval != nullptr);
    CHECK(interval->type == TOCSIN_TYPE_DURATION);
    CHECK(interval->default_json == std::optional<std::string>("30000"));  // "30s" normalized to ms
    const KeySpec* token = src->find_config_key("token");
    REQUIRE(token != nullptr);
    CHECK(token->secret);
    CHECK_FALSE(token->required);
    CHECK_FALSE(token->default_json);
    const KeySpec* value = src->find_kpi_key("value");
    REQUIRE(value != nullptr);
    CHECK(value->required);
    CHECK(value->type == TOCSIN_TYPE_NUMBER);

    const PluginInfo* notifier = reg.find("testnotifier", TOCSIN_KIND_NOTIFIER);
    REQUIRE(notifier != nullptr);
    CHECK(notifier->kind == TOCSIN_KIND_NOTIFIER);
    CHECK(notifier->kpi_keys.empty());
    CHECK(reg.find("testsource", TOCSIN_KIND_NOTIFIER) == nullptr);
    CHECK(reg.find("testnotifier") == notifier);
    CHECK(reg.find("throwcreate", TOCSIN_KIND_SOURCE) != nullptr);
    CHECK(reg.find("throwcollect", TOCSIN_KIND_SOURCE) != nullptr);
    CHECK(reg.find("throwsend", TOCSIN_KIND_NOTIFIER) != nullptr);
    CHECK(reg.plugins().size() == 5);
}

TEST_CASE("registry refuses each broken plugin with its own reason while the good ones load",
          "[registry]") {
    const Registry reg = Registry::scan({kPluginDir, kBadPluginDir});
    CHECK(reg.plugins().size() == 5);
    CHECK(reg.find("broken") == nullptr);
    const auto refused = refusals_by_file(reg);
    REQUIRE(refused.size() == 6);
    CHECK_THAT(refused.at("broken_abi_major.so"),
               Catch::StartsWith("plugin ABI 2.0, tocsin supports 1.0; rebuild the plugin"));
    CHECK_THAT(refused.at("broken_abi_minor.so"),
               Catch::StartsWith("plugin ABI 1.1, tocsin supports 1.0; upgrade tocsin"));
    CHECK(refused.at("broken_null_entry.so") == "tocsin_plugin_entry() returned NULL");
    CHECK_THAT(refused.at("broken_small_struct.so"),
               Catch::StartsWith("plugin struct is too small (16 bytes"));
    CHECK(refused.at("broken_missing_send.so") ==
          "notifier plugin 'broken' lacks required function send");
    CHECK_THAT(refused.at("broken_no_entry.so"),
               Catch::Contains("does not export tocsin_plugin_entry"));
    for (const auto& r : reg.refusals()) {
        CHECK_THAT(r.text(), Catch::StartsWith(kBadPluginDir + "/broken_"));
    }
}

TEST_CASE("registry refuses a module writable by group or others with a chmod hint", "[registry]") {
    TempDir dir;
    const std::string copy = dir.file("writable.so");
    fs::copy_file(plugin_path("tocsin_test_source.so"), copy);
    SECTION("group-writable") {
        fs::permissions(copy, fs::perms::group_write, fs::perm_options::add);
    }
    SECTION("world-writable") {
        fs::permissions(copy, fs::perms::others_write, fs::perm_options::add);
    }
    const auto result = Registry::load_one(copy);
    REQUIRE(std::holds_alternative<Refusal>(result));
    const auto& refusal = std::get<Refusal>(result);
    CHECK(refusal.path == copy);
    CHECK_THAT(refusal.reason, Catch::Contains("writable by group or others"));
    CHECK_THAT(refusal.reason, Catch::EndsWith("run 'chmod go-w " + copy + "'"));

    fs::permissions(
        copy, fs::perms::group_write | fs::perms::others_write, fs::perm_options::remove);
    CHECK(std::holds_alternative<PluginInfo>(Registry::load_one(copy)));
}

TEST_CASE("registry keeps the dynamic loader's text when a module cannot be loaded", "[registry]") {
    TempDir dir;
    const std::string junk =
        dir.write("junk.so", "this is not an ELF file, just text that is long enough");
    fs::permissions(junk, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    const auto result = Registry::load_one(junk);
    REQUIRE(std::holds_alternative<Refusal>(result));
    const std::string& reason = std::get<Refusal>(result).reason;
    CHECK_THAT(reason, Catch::StartsWith("cannot load the module: "));
    CHECK_THAT(reason, Catch::Contains("junk.so"));  // dlerror() names the file
    CHECK_THAT(reason, Catch::Contains("ELF") || Catch::Contains("too short"));
}

TEST_CASE("registry refuses what is not a regular file and reports missing directories",
          "[registry]") {
    TempDir dir;
    fs::create_directory(dir.file("folder.so"));
    const Registry reg = Registry::scan({dir.path(), dir.file("missing")});
    REQUIRE(reg.refusals().size() == 2);
    CHECK(reg.refusals()[0].path == dir.file("folder.so"));
    CHECK(reg.refusals()[0].reason == "not a regular file");
    CHECK(reg.refusals()[1].path == dir.file("missing"));
    CHECK(reg.refusals()[1].reason == "the plugin directory does not exist");
    CHECK(reg.plugins().empty());

    const auto missing = Registry::load_one(dir.file("nothing.so"));
    REQUIRE(std::holds_alternative<Refusal>(missing));
    CHECK_THAT(std::get<Refusal>(missing).reason, Catch::StartsWith("cannot read the module"));
}

TEST_CASE("registry refuses a second plugin of the same name and kind, and the first wins",
          "[registry]") {
    const Registry reg = Registry::scan({kPluginDir, kDupPluginDir});
    REQUIRE(reg.refusals().size() == 1);
    const Refusal& r = reg.refusals()[0];
    CHECK(r.path == kDupPluginDir + "/tocsin_test_source_copy.so");
    CHECK(r.reason == "source plugin 'testsource' is already loaded from " +
                          plugin_path("tocsin_test_source.so") + "; remove one of the two");
    CHECK(reg.find("testsource", TOCSIN_KIND_SOURCE)->path == plugin_path("tocsin_test_source.so"));
}

TEST_CASE("registry load_one loads exactly the module named", "[registry]") {
    const auto result = Registry::load_one(plugin_path("tocsin_test_notifier.so"));
    REQUIRE(std::holds_alternative<PluginInfo>(result));
    const auto& info = std::get<PluginInfo>(result);
    CHECK(info.name == "testnotifier");
    CHECK(info.version == "0.9.0");
    REQUIRE(info.config_keys.size() == 4);
    CHECK(info.config_keys[0].name == "path");
    CHECK(info.config_keys[0].required);
    CHECK(info.config_keys[0].description == "file the notifications are appended to");
    CHECK(info.config_keys[3].secret);
    CHECK(to_string(info.kind) == std::string("notifier"));
    CHECK(to_string(info.config_keys[2].type) == std::string("duration"));
}

TEST_CASE("registry refuses a module owned by another user, naming both users", "[registry]") {
    if (::geteuid() != 0) {
        WARN("skipped: giving a file to another user needs root (CI runs this test as root)");
        return;
    }
    TempDir dir;
    const std::string copy = dir.file("foreign.so");
    fs::copy_file(plugin_path("tocsin_test_source.so"), copy);
    REQUIRE(::chown(copy.c_str(), 65534, 65534) == 0);  // nobody
    const auto result = Registry::load_one(copy);
    REQUIRE(std::holds_alternative<Refusal>(result));
    const auto& reason = std::get<Refusal>(result).reason;
    CHECK_THAT(reason, Catch::Contains("owned by uid 65534"));
    CHECK_THAT(reason, Catch::Contains("not by root or the user tocsin runs as (uid 0"));
    CHECK_THAT(reason, Catch::EndsWith("run 'chown root: " + copy + "'"));

    REQUIRE(::chown(copy.c_str(), 0, 0) == 0);
    CHECK(std::holds_alternative<PluginInfo>(Registry::load_one(copy)));
}

TEST_CASE(
    "registry loads nothing from a plugin directory others may write to, and goes on with "
    "the other directories",
    "[registry]") {
    TempDir dir;
    const std::string unsafe = dir.file("unsafe");
    fs::create_directory(unsafe);
    fs::permissions(unsafe, fs::perms(0755));
    fs::copy_file(plugin_path("tocsin_test_notifier.so"), unsafe + "/tocsin_test_notifier.so");
    SECTION("group-writable") {
        fs::permissions(unsafe, fs::perms::group_write, fs::perm_options::add);
    }
    SECTION("world-writable") {
        fs::permissions(unsafe, fs::perms::others_write, fs::perm_options::add);
    }
    SECTION("world-writable with the sticky bit, as /tmp") {
        fs::permissions(
            unsafe, fs::perms::others_all | fs::perms::sticky_bit, fs::perm_options::add);
    }
    const Registry reg = Registry::scan({unsafe, kPluginDir});
    REQUIRE(reg.refusals().size() == 1);
    CHECK(reg.refusals()[0].path == unsafe);
    CHECK_THAT(reg.refusals()[0].reason,
               Catch::Contains("plugin directory is writable by group or others"));
    CHECK_THAT(reg.refusals()[0].reason, Catch::Contains("run 'chmod go-w " + unsafe + "'"));
    CHECK_THAT(reg.refusals()[0].reason, Catch::EndsWith("no module in it was loaded"));
    // The safe directory's modules load; the copy in the unsafe one was never looked at.
    REQUIRE(reg.find("testnotifier", TOCSIN_KIND_NOTIFIER) != nullptr);
    CHECK(reg.find("testnotifier", TOCSIN_KIND_NOTIFIER)->path ==
          plugin_path("tocsin_test_notifier.so"));

    fs::permissions(unsafe, fs::perms(0755));
    const Registry fixed = Registry::scan({unsafe});
    CHECK(fixed.refusals().empty());
    CHECK(fixed.find("testnotifier", TOCSIN_KIND_NOTIFIER) != nullptr);
}

TEST_CASE("registry loads nothing from a plugin directory owned by another user", "[registry]") {
    if (::geteuid() != 0) {
        WARN("skipped: giving a folder to another user needs root (CI runs this test as root)");
        return;
    }
    TempDir dir;
    const std::string foreign = dir.file("foreign");
    fs::create_directory(foreign);
    fs::copy_file(plugin_path("tocsin_test_notifier.so"), foreign + "/tocsin_test_notifier.so");
    REQUIRE(::chown(foreign.c_str(), 65534, 65534) == 0);
    const Registry reg = Registry::scan({foreign});
    REQUIRE(reg.refusals().size() == 1);
    CHECK_THAT(reg.refusals()[0].reason, Catch::Contains("owned by uid 65534"));
    CHECK(reg.plugins().empty());
}
