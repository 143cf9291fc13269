#include "subprocess.hpp"

#include "script.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

namespace local = tocsin::plugins::local;
using std::chrono::milliseconds;
using tocsin::testing::TempDir;
using tocsin::testing::write_script;
using End = local::RunResult::End;

namespace {

auto in_ms(int ms) {
    return std::chrono::steady_clock::now() + milliseconds(ms);
}

local::Command command(std::string program) {
    return local::Command{{std::move(program)}, {}, {}};
}

}  // namespace

TEST_CASE("subprocess captures stdout, stderr and the exit code", "[exec][subprocess]") {
    TempDir dir;
    const auto script = write_script(dir, "s.sh", "echo out; echo err >&2; exit 3\n");
    const auto r = local::run_program(command(script), in_ms(5000));
    CHECK(r.end == End::Exited);
    CHECK(r.exit_code == 3);
    CHECK(r.out == "out\n");
    CHECK(r.err == "err\n");
    CHECK(local::describe_end(r) == "exited with code 3");
}

TEST_CASE("subprocess passes arguments without a shell, env, cwd and an empty stdin",
          "[exec][subprocess]") {
    TempDir dir;
    const auto script =
        write_script(dir, "s.sh", "printf '%s|' \"$1\" \"$GREETING\" \"$(pwd)\"; cat; echo end\n");
    local::Command cmd{{script, "two words; $(no)"}, {{"GREETING", "hello"}}, dir.str()};
    const auto r = local::run_program(cmd, in_ms(5000));
    REQUIRE(r.end == End::Exited);
    CHECK(r.out == "two words; $(no)|hello|" + dir.str() + "|end\n");
}

TEST_CASE("subprocess timeout kills the whole process group", "[exec][subprocess]") {
    TempDir dir;
    const auto script =
        write_script(dir,
                     "s.sh",
                     "sleep 100 &\necho $! > " + dir.file("grandchild.pid") + "\necho $$ > " +
                         dir.file("child.pid") + "\necho started\nwait\n");
    const auto started = std::chrono::steady_clock::now();
    const auto r = local::run_program(command(script), in_ms(300));
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
    CHECK(r.end == End::TimedOut);
    CHECK(r.out == "started\n");
    CHECK_THAT(local::describe_end(r), Catch::StartsWith("timed out after "));
    const pid_t child = tocsin::testing::read_pid_file(dir.file("child.pid"));
    const pid_t grandchild = tocsin::testing::read_pid_file(dir.file("grandchild.pid"));
    REQUIRE(child > 0);
    REQUIRE(grandchild > 0);
    CHECK(tocsin::testing::process_gone(child));
    CHECK(tocsin::testing::process_gone(grandchild));
}

TEST_CASE("subprocess sends SIGKILL when SIGTERM is ignored", "[exec][subprocess]") {
    TempDir dir;
    const auto script =
        write_script(dir, "s.sh", "trap '' TERM\necho ready\nwhile :; do sleep 0.05; done\n");
    const auto started = std::chrono::steady_clock::now();
    const auto r = local::run_program(command(script), in_ms(200));
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(r.end == End::TimedOut);
    CHECK(took >= milliseconds(200) + local::kTermGrace);
    CHECK(took < std::chrono::seconds(3));
}

TEST_CASE("subprocess returns when the program exits even if a grandchild holds its output",
          "[exec][subprocess]") {
    TempDir dir;
    const auto script = write_script(
        dir, "s.sh", "sleep 100 &\necho $! > " + dir.file("grandchild.pid") + "\necho hi\n");
    const auto started = std::chrono::steady_clock::now();
    const auto r = local::run_program(command(script), in_ms(10000));
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
    CHECK(r.end == End::Exited);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "hi\n");
    const pid_t grandchild = tocsin::testing::read_pid_file(dir.file("grandchild.pid"));
    REQUIRE(grandchild > 0);
    CHECK(tocsin::testing::process_gone(grandchild));
}

TEST_CASE("subprocess caps output and discards the rest", "[exec][subprocess]") {
    TempDir dir;
    const auto script = write_script(dir, "s.sh", "head -c 3000000 /dev/zero\necho tail >&2\n");
    const auto r = local::run_program(command(script), in_ms(10000), local::RunLimits{1000, 2});
    CHECK(r.end == End::Exited);
    CHECK(r.out.size() == 1000);
    CHECK(r.out_truncated);
    CHECK(r.err == "ta");
    CHECK(r.err_truncated);
}

TEST_CASE("subprocess reports a program that cannot be run", "[exec][subprocess]") {
    TempDir dir;
    const auto r = local::run_program(command(dir.file("absent")), in_ms(5000));
    CHECK(r.end == End::SpawnFailed);
    CHECK(r.spawn_error == "cannot run '" + dir.file("absent") + "': No such file or directory");
    CHECK(local::describe_end(r) == r.spawn_error);

    const auto empty = local::run_program(local::Command{}, in_ms(5000));
    CHECK(empty.end == End::SpawnFailed);
    CHECK_THAT(empty.spawn_error, Catch::StartsWith("command is empty"));
}

TEST_CASE("subprocess reports a program killed by a signal", "[exec][subprocess]") {
    TempDir dir;
    const auto script = write_script(dir, "s.sh", "kill -9 $$\n");
    const auto r = local::run_program(command(script), in_ms(5000));
    CHECK(r.end == End::Signaled);
    CHECK(r.signal == 9);
    CHECK(local::describe_end(r) == "was killed by signal 9 (Killed)");
}

TEST_CASE("subprocess finds programs in PATH", "[exec][subprocess]") {
    const auto r = local::run_program(local::Command{{"sh", "-c", "echo ok"}, {}, {}}, in_ms(5000));
    CHECK(r.end == End::Exited);
    CHECK(r.out == "ok\n");
}
