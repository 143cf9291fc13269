#include "app/file_watch.hpp"

#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

namespace tocsin::app {
namespace {
using testing::TempDir;
namespace fs = std::filesystem;

/// Writes `text` and moves the file's modification time on by `seconds`, so that a change is
/// visible whatever the file system's timestamp resolution.
void rewrite(const TempDir& dir, const std::string& name, const std::string& text, int seconds) {
    const auto path = dir.write(name, text);
    fs::last_write_time(path, fs::last_write_time(path) + std::chrono::seconds(seconds));
}

engine::LoadedConfig config_in(const TempDir& dir) {
    engine::LoadedConfig loaded;
    loaded.config.file = dir.write("tocsin.yaml", "state_dir: state\n");
    loaded.config.rule_files = {dir.file("rules.d/*.yaml"), dir.file("extra.yaml")};
    dir.write("rules.d/a.yaml", "kpis: {}\n");
    dir.write("extra.yaml", "kpis: {}\n");
    return loaded;
}

}  // namespace

TEST_CASE("a file watch reports a changed rule file once it holds still, and only once",
          "[app][watch]") {
    TempDir dir;
    FileWatch watch;
    watch.reset(config_in(dir));
    CHECK_FALSE(watch.poll());
    CHECK(watch.files().size() == 3);

    rewrite(dir, "rules.d/a.yaml", "kpis: { x: { source: s } }\n", 5);
    CHECK_FALSE(watch.poll());  // just moved: wait one more poll in case the editor is not done
    CHECK(watch.poll());
    CHECK_FALSE(watch.poll());  // the change is the new baseline
}

TEST_CASE("a file watch sees rule files appear and go away through the globs", "[app][watch]") {
    TempDir dir;
    FileWatch watch;
    watch.reset(config_in(dir));

    dir.write("rules.d/b.yaml", "kpis: {}\n");
    CHECK_FALSE(watch.poll());
    CHECK(watch.poll());
    CHECK(watch.files().size() == 4);

    fs::remove(dir.file("rules.d/b.yaml"));
    CHECK_FALSE(watch.poll());
    CHECK(watch.poll());

    fs::remove(dir.file("extra.yaml"));  // named without a glob: its absence is a change
    CHECK_FALSE(watch.poll());
    CHECK(watch.poll());
    CHECK(watch.files().size() == 3);
}

TEST_CASE("touching a file without changing it is not a change", "[app][watch]") {
    TempDir dir;
    FileWatch watch;
    watch.reset(config_in(dir));
    rewrite(dir, "tocsin.yaml", "state_dir: state\n", 7);
    CHECK_FALSE(watch.poll());
    CHECK_FALSE(watch.poll());
    CHECK_FALSE(watch.poll());
    rewrite(dir, "tocsin.yaml", "state_dir: other\n", 9);
    CHECK_FALSE(watch.poll());
    CHECK(watch.poll());
}

}  // namespace tocsin::app
