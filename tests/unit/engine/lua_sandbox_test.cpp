#include "engine/lua_sandbox.hpp"

#include "lua_fixture.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>

using namespace tocsin::engine;
using namespace tocsin::engine::testing;

namespace {

struct Attempt {
    const char* what;
    std::string source;
    const char* expected;  // part of the error message
    bool limit;            // a budget or cap, rather than a plain error
};

/// One engine with the hostile rule and a healthy threshold rule on the same KPI; one sample.
struct EscapeRun {
    explicit EscapeRun(const std::string& source) {
        ConfigBuilder b;
        b.kpi("k");
        b.rule("Healthy", "k", Comparison::Above, level(0.5), std::nullopt);
        b.cfg.rules.rules.push_back(lua_rule("Evil", "k", source));
        b.cfg = with_ops_policy(b.cfg.rules);
        engine = std::make_unique<Engine>(b.build(), kStart);
        out = engine->ingest({Sample{"k", {}, 1.0, at(0s)}}, at(0s));
    }
    std::unique_ptr<Engine> engine;
    StepOutput out;
};

}  // namespace

TEST_CASE("each sandbox escape is refused while other rules keep evaluating", "[lua][sandbox]") {
    const std::string marker =
        (std::filesystem::temp_directory_path() / "tocsin-lua-escape-marker").string();
    std::filesystem::remove(marker);
    const std::vector<Attempt> attempts{
        {"reading a file",
         "local f = io.open('/etc/passwd')\nreturn 'critical', f:read('a')",
         "global 'io'",
         false},
        {"running a command",
         "os.execute('touch " + marker + "')\nreturn 'critical'",
         "field 'execute'",
         false},
        {"loading bytecode with load", "return load('return 1')()", "global 'load'", false},
        {"loading a file with dofile", "return dofile('/etc/passwd')", "global 'dofile'", false},
        {"string.dump",
         "local b = string.dump(function() end)\nreturn 'warning'",
         "field 'dump'",
         false},
        {"touching debug", "debug.sethook()\nreturn 'warning'", "global 'debug'", false},
        {"reaching package", "return package.loadlib('x', 'y')", "global 'package'", false},
        {"writing a global",
         "shared = 1\nreturn 'warning'",
         "assignment to global 'shared'",
         false},
        {"changing a library", "string.upper = nil\nreturn 'warning'", "read-only", false},
        {"reaching the string metatable",
         "local mt = getmetatable('')\nmt.__index = nil\nreturn 'warning'",
         "index a boolean",
         false},
        {"an infinite loop", "while true do end", "instruction budget", true},
        {"an infinite loop in pcall",
         "pcall(function() while true do end end)\nreturn 'warning'",
         "instruction budget",
         true},
        {"an infinite loop in xpcall's handler",
         "xpcall(error, function() while true do end end)\nreturn 'warning'",
         "instruction budget",
         true},
        {"allocating without bound",
         "local s = 'x'\nwhile true do s = s .. s end",
         "memory limit",
         true},
        {"allocating without bound in pcall",
         "local t = {}\npcall(function() local s = 'x' while true do s = s .. s end end)\nreturn "
         "'warning'",
         "memory limit",
         true},
        {"a pathological pattern",
         "return string.find(string.rep('a', 5000), '.-.-.-.-b')",
         "too costly",
         false},
        {"a huge string.rep", "return string.rep('x', 1e9)", "longer than the cap", false},
    };
    for (const Attempt& a : attempts) {
        INFO(a.what);
        const auto started = std::chrono::steady_clock::now();
        EscapeRun run(a.source);
        CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
        // The attempt is refused with a clear error naming the rule and the Lua line...
        REQUIRE(run.out.rule_errors.size() == 1);
        const RuleError& e = run.out.rule_errors.front();
        CHECK(e.item == "Evil");
        INFO(e.message);
        CHECK(e.message.find(a.expected) != std::string::npos);
        CHECK(e.limit == a.limit);
        CHECK(e.where.file == "rules/evil.yaml");
        CHECK(e.where.line >= 10);
        // ... the other rule still fires, and TocsinRuleError names the failing rule.
        CHECK(find_sent(run.out.notifications, "Healthy") != nullptr);
        CHECK(find_sent(run.out.notifications, "Evil") == nullptr);
        const Notification* alert = find_sent(run.out.notifications, kRuleErrorAlert);
        REQUIRE(alert != nullptr);
        CHECK(alert->labels.at("rule") == "Evil");
        CHECK(alert->summary.find(a.expected) != std::string::npos);
    }
    CHECK_FALSE(std::filesystem::exists(marker));
}

TEST_CASE("a global written by one rule is never seen by another", "[lua][sandbox]") {
    ConfigBuilder b;
    b.kpi("k");
    b.cfg.rules.rules.push_back(lua_rule("Writer", "k", "leak = 'critical'"));
    b.cfg.rules.rules.push_back(lua_rule("Reader", "k", "return leak"));
    b.cfg = with_ops_policy(b.cfg.rules);
    Engine engine(b.build(), kStart);
    const StepOutput out = engine.ingest({Sample{"k", {}, 1.0, at(0s)}}, at(0s));
    REQUIRE(out.rule_errors.size() == 1);
    CHECK(out.rule_errors.front().item == "Writer");
    CHECK(find_sent(out.notifications, "Reader") == nullptr);
}

TEST_CASE("a binary chunk is refused at compile time", "[lua][sandbox]") {
    LuaSandbox sandbox;
    LuaCode code;
    code.source = std::string("\x1bLua\x54\x00", 6);
    code.loc = SourceLoc{"r.yaml", 3, 10};
    code.path = "rule 'X' > lua";
    std::string error;
    CHECK(sandbox.compile(code, error) == -1);
    CHECK(error.find("r.yaml:3:10: rule 'X' > lua: Lua: attempt to load a binary chunk") == 0);
}

TEST_CASE("the sandbox keeps working after a limit was hit", "[lua][sandbox]") {
    LuaLimits limits;
    limits.instructions = 100'000;
    LuaSandbox sandbox(limits);
    LuaCode loop;
    loop.source = "while true do end";
    LuaCode ok;
    ok.source = "if value > 1 then return 'critical', 'high' end";
    std::string error;
    const int a = sandbox.compile(loop, error);
    const int b = sandbox.compile(ok, error);
    LuaContext ctx;
    ctx.value = 2;
    for (int i = 0; i < 3; ++i) {
        const LuaResult bad = sandbox.call(a, LuaReturn::Condition, ctx);
        CHECK(bad.status == LuaResult::Status::Error);
        CHECK(bad.limit);
        const LuaResult good = sandbox.call(b, LuaReturn::Condition, ctx);
        REQUIRE(good.status == LuaResult::Status::Ok);
        CHECK(good.severity == Severity::Critical);
        CHECK(good.message == "high");
    }
}

TEST_CASE("a time budget stops a slow call", "[lua][sandbox]") {
    LuaLimits limits;
    limits.instructions = 1'000'000'000'000;
    limits.time = std::chrono::milliseconds(20);
    LuaSandbox sandbox(limits);
    LuaCode loop;
    loop.source = "local n = 0\nwhile true do n = n + 1 end";
    loop.loc = SourceLoc{"r.yaml", 5, 9};
    std::string error;
    const int id = sandbox.compile(loop, error);
    const auto started = std::chrono::steady_clock::now();
    const LuaResult r = sandbox.call(id, LuaReturn::Condition, LuaContext{});
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
    CHECK(r.status == LuaResult::Status::Error);
    CHECK(r.error.find("time budget of 20ms") != std::string::npos);
    CHECK(r.where.line == 6);
}

TEST_CASE("pattern functions work within their caps", "[lua][sandbox]") {
    LuaSandbox sandbox;
    LuaCode code;
    code.source =
        "local a, b = string.find('disk /var is full', '(/%w+)')\n"
        "local n = select(2, ('a,b,c'):gsub(',', ';'))\n"
        "return 'warning', string.format('%d %d %s', a, n, ('x'):rep(3))";
    std::string error;
    const int id = sandbox.compile(code, error);
    const LuaResult r = sandbox.call(id, LuaReturn::Condition, LuaContext{});
    INFO(r.error);
    REQUIRE(r.status == LuaResult::Status::Ok);
    CHECK(r.message == "6 2 xxx");
}
