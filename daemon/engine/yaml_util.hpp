#pragma once

#include "engine/diagnostics.hpp"
#include "engine/loader.hpp"
#include "engine/model.hpp"
#include "engine/time.hpp"
#include "engine/yaml_node.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// Helpers the config and rule loaders share on top of yaml-cpp: positions, key checks, typed
/// getters and `${env:..}`/`${file:..}` expansion. Every problem goes to the Diagnostics at the
/// position of the key or value it is about; nothing throws.
namespace tocsin::engine::yaml {

/// One key of a YAML map, in file order.
struct Field {
    std::string key;
    SourceLoc key_loc;
    yaml::Node node;  // the value
    SourceLoc loc;    // the value's position; the key's when the value is empty
};

/// `parent > key`, or just `key` at the top level.
[[nodiscard]] std::string join_path(const std::string& parent, const std::string& key);

/// A scalar after `${...}` expansion. `shown` is what messages may quote: the text as written
/// when it came from a secret, so a secret value never reaches a diagnostic.
struct Scalar {
    std::string text;
    std::string shown;
    bool secret = false;
};

/// Reads the nodes of one YAML file. `env` null means `${...}` is kept as written (rule files);
/// `base_dir` is where relative `${file:...}` paths start.
class Reader {
public:
    Reader(std::string file, std::string base_dir, Diagnostics& diags, const EnvLookup* env);

    /// Registers `text` with the source cache and parses it; a syntax error is reported at its
    /// mark and gives nullopt. An empty document gives a Null node.
    std::optional<yaml::Node> load(const std::string& text);

    [[nodiscard]] const std::string& file() const { return file_.str(); }
    Diagnostics& diags() { return diags_; }
    [[nodiscard]] SourceLoc loc(const yaml::Node& node) const;
    /// Where a scalar's content starts: after an opening quote, or on the first line of a `|`/`>`
    /// block. Templates use it to point at the exact column of an expression.
    [[nodiscard]] SourceLoc text_loc(const yaml::Node& node, const SourceLoc& fallback) const;

    void error(const SourceLoc& loc, const std::string& path, std::string message);
    void warning(const SourceLoc& loc, const std::string& path, std::string message);

    /// The keys of a map in file order, or nullopt (reported) when `node` is not a map. A Null node
    /// gives an empty list. Duplicate keys are reported.
    std::optional<std::vector<Field>> fields(const yaml::Node& node,
                                             const SourceLoc& loc,
                                             const std::string& path);
    /// Reports each key not in `allowed`, with "did you mean" and the allowed list.
    void check_keys(const std::vector<Field>& fields,
                    const std::vector<std::string>& allowed,
                    const std::string& path);

    std::optional<Scalar> scalar(const yaml::Node& node,
                                 const SourceLoc& loc,
                                 const std::string& path,
                                 std::string_view expected);
    std::optional<std::string> string(const Field& f, const std::string& path);
    /// A string taken as written, never expanded: for names (policies, labels, time zones), which
    /// are not secrets and appear in messages.
    std::optional<std::string> literal(const Field& f, const std::string& path);
    std::optional<double> number(const yaml::Node& node,
                                 const SourceLoc& loc,
                                 const std::string& path);
    std::optional<double> number(const Field& f, const std::string& path) {
        return number(f.node, f.loc, path);
    }
    std::optional<Duration> duration(const Field& f, const std::string& path);
    struct ListItem {
        std::string text;
        std::string shown;  // see Scalar::shown
        SourceLoc loc;
    };
    /// A list of strings (a single string counts as a list of one), each with its position.
    std::optional<std::vector<std::pair<std::string, SourceLoc>>> string_list(
        const Field& f, const std::string& path);
    /// The same, also keeping what messages may quote (for lists that may hold secrets).
    std::optional<std::vector<ListItem>> string_items(const Field& f, const std::string& path);
    /// The value kept as written (after expansion) for the plugin host to check.
    RawValue raw(const yaml::Node& node, const SourceLoc& loc, const std::string& path);

    /// "a map", "a list", "nothing" or the quoted scalar; used in "expected X, got Y".
    [[nodiscard]] std::string describe(const yaml::Node& node) const;

private:
    std::optional<Scalar> expand(const std::string& text,
                                 const yaml::Node& node,
                                 const SourceLoc& loc,
                                 const std::string& path);

    FileName file_;  // interned: every position of the file shares it
    std::string base_dir_;
    Diagnostics& diags_;
    const EnvLookup* env_;
};

/// Reads a whole file; nullopt with the system's reason in `why` when it cannot be read.
std::optional<std::string> read_text_file(const std::string& path, std::string& why);

/// " (did you mean 'x'?)" or "".
[[nodiscard]] std::string did_you_mean(const std::string& word,
                                       const std::vector<std::string>& candidates);
/// "a, b, c", or "none" for an empty list.
[[nodiscard]] std::string join(const std::vector<std::string>& items);

}  // namespace tocsin::engine::yaml
