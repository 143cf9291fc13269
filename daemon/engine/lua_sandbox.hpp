#pragma once

#include "engine/history.hpp"
#include "engine/model.hpp"
#include "engine/time.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

struct lua_State;
struct lua_Debug;

/// The Lua sandbox (DESIGN.md §4): one lua_State per evaluator (the engine owns one), every chunk
/// compiled once from text into its own environment over a read-only allowlist (no io, debug,
/// package, load, dofile, string.dump, coroutine, rawset; os only time/date/clock). Each call
/// runs under an instruction and time budget enforced by a count hook that keeps raising once
/// the budget is spent (the sandbox's pcall/xpcall re-raise it, so a rule cannot swallow it), a
/// memory cap through its own allocator, and length caps on the string pattern functions.
namespace tocsin::engine {

struct LuaLimits {
    std::uint64_t instructions = 1'000'000;           // per call
    std::chrono::milliseconds time{200};              // per call, measured from the first hook tick
    std::size_t memory = std::size_t{64} << 20;       // bytes one call may add to the state
    std::size_t max_subject = std::size_t{64} << 10;  // string.find/match/gmatch/gsub subject
    std::size_t max_pattern = 256;                    // pattern length
    std::size_t max_string = std::size_t{1} << 20;    // string.rep result
};

/// Looks up the latest value of another KPI for `kpi("name")`.
class LuaKpiLookup {
public:
    virtual ~LuaKpiLookup() = default;
    /// The value of `kpi`'s series matching `labels` (equal, else the most specific series whose
    /// labels are a subset), or nullopt when there is none yet.
    [[nodiscard]] virtual std::optional<double> kpi_value(const std::string& kpi,
                                                          const Labels& labels) const = 0;
};

/// What one call sees; set by the engine before each call. Pointers need only live for the call.
struct LuaContext {
    double value = 0;
    std::optional<double> threshold;
    std::optional<double> target;
    Severity severity = Severity::None;  // the alert's current severity (None: not active)
    std::optional<TimePoint> since;      // the alert's firing (or pending) start
    TimePoint now{};
    Unit unit = Unit::None;
    const std::string* alert = nullptr;
    const std::string* kpi = nullptr;
    const Labels* labels = nullptr;
    const SeriesHistory* history = nullptr;  // the series' history; null when none is kept
    Duration history_keep{0};                // how much history the KPI keeps
    const LuaKpiLookup* kpis = nullptr;
};

/// What a call returns, by the kind of chunk.
enum class LuaReturn { Condition, Number, Text };

struct LuaResult {
    enum class Status { Ok, Error, MissingInput };
    Status status = Status::Ok;
    Severity severity = Severity::None;  // Condition
    std::string message;                 // Condition: the optional second value
    std::optional<double> number;        // Number
    std::string text;                    // Text
    std::string error;                   // Error: one sentence, without position
    SourceLoc where;                     // Error: YAML (or module file) position of the Lua line
    bool limit = false;                  // Error: a budget or cap was hit
};

class LuaSandbox {
public:
    explicit LuaSandbox(LuaLimits limits = {});
    ~LuaSandbox();
    LuaSandbox(const LuaSandbox&) = delete;
    LuaSandbox& operator=(const LuaSandbox&) = delete;

    /// The modules require() may load; must outlive the sandbox (the engine's LoadedConfig).
    void set_modules(const std::map<std::string, LuaModule>* modules) { modules_ = modules; }

    /// Compiles `code` (text only) into a fresh environment; `code` must outlive the sandbox.
    /// Returns the chunk id, or -1 with `error` set to "file:line:col: message".
    int compile(const LuaCode& code, std::string& error);

    /// Runs a compiled chunk with `ctx`. Never throws; errors and limits come back in the result.
    LuaResult call(int chunk, LuaReturn kind, const LuaContext& ctx);

    /// Bytes the state holds now (compiled chunks, environments, live data).
    [[nodiscard]] std::size_t memory_used() const { return used_; }
    [[nodiscard]] const LuaLimits& limits() const { return limits_; }

    // For the C functions of the sandbox (lua_sandbox.cpp, lua_helpers.cpp).
    struct Access;

private:
    friend struct Access;

    void open_allowlist();
    void set_context(const LuaContext& ctx);
    void read_results(LuaReturn kind, int base, LuaResult& out);
    void note_abort_line(lua_State* L, lua_Debug* ar);
    void fail(LuaResult& out, const std::string& message, bool limit);

    lua_State* L_ = nullptr;
    LuaLimits limits_;
    const std::map<std::string, LuaModule>* modules_ = nullptr;
    std::vector<const LuaCode*> chunks_;  // by chunk id; chunk name "=lua#<id>"
    std::vector<int> refs_;               // registry refs of the compiled functions
    int env_meta_ = 0;                    // registry ref: metatable shared by every environment
    int modules_ref_ = 0;                 // registry ref: loaded modules by name

    // Per call.
    const LuaContext* ctx_ = nullptr;
    bool in_call_ = false;
    bool aborting_ = false;
    std::string abort_message_;
    int abort_chunk_ = -1;  // where the budget ran out, when the hook saw it in a chunk
    int abort_line_ = 0;
    std::uint64_t ticks_ = 0;
    std::chrono::steady_clock::time_point started_{};
    std::size_t used_ = 0;
    std::size_t cap_ = 0;
    int depth_ = 0;  // require() nesting

    // The context fields last written into the Lua context table, to skip unchanged ones.
    struct Shadow {
        std::optional<double> value;
        std::optional<double> threshold;
        std::optional<double> target;
        int severity = -1;
        std::optional<TimePoint> since;
        std::optional<TimePoint> now;
        const std::string* alert = nullptr;
        const std::string* kpi = nullptr;
        int unit = -1;
        bool valid = false;
    } shadow_;
};

}  // namespace tocsin::engine
