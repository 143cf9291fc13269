#pragma once

#include <compare>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

/// Diagnostics for config, rule and test files: every problem found while loading, each with the
/// position it refers to. Loaders collect them all and never stop at the first.
namespace tocsin::engine {

/// A source file's name, interned: every position in a file shares one copy of its name for the
/// life of the process (a loaded rule keeps several positions, and 10,000 rules kept ~40,000
/// copies of the same path). Reads as the `const std::string&` it stands for.
class FileName {
public:
    FileName() = default;
    FileName(const std::string& name);  // NOLINT(google-explicit-constructor): reads as a string
    FileName(const char* name);         // NOLINT(google-explicit-constructor)
    FileName(std::string_view name);    // NOLINT(google-explicit-constructor)

    [[nodiscard]] const std::string& str() const { return *name_; }
    operator const std::string&() const { return *name_; }  // NOLINT(google-explicit-constructor)
    [[nodiscard]] bool empty() const { return name_->empty(); }
    [[nodiscard]] const char* c_str() const { return name_->c_str(); }
    [[nodiscard]] std::size_t size() const { return name_->size(); }

    friend bool operator==(const FileName& a, const FileName& b) { return a.name_ == b.name_; }
    friend bool operator==(const FileName& a, const std::string& b) { return *a.name_ == b; }
    friend bool operator==(const FileName& a, const char* b) { return *a.name_ == b; }
    friend auto operator<=>(const FileName& a, const FileName& b) { return *a.name_ <=> *b.name_; }
    friend std::string operator+(const FileName& a, const char* b) { return *a.name_ + b; }
    friend std::string operator+(const FileName& a, const std::string& b) { return *a.name_ + b; }
    friend std::string operator+(const std::string& a, const FileName& b) { return a + *b.name_; }
    friend std::string operator+(const char* a, const FileName& b) { return a + *b.name_; }
    friend std::ostream& operator<<(std::ostream& out, const FileName& f) {
        return out << *f.name_;
    }

private:
    static const std::string kEmpty;
    const std::string* name_ = &kEmpty;
};

/// A position in a source file; line and col are 1-based, line 0 means "no position".
struct SourceLoc {
    FileName file;
    int line = 0;
    int col = 0;
};

enum class DiagSeverity { Error, Warning };

/// One problem. `path` is the item path ("notifier 'ops-slack' > timeout"); `message` is one
/// lower-case sentence with no trailing period, ending with what is allowed or what to do.
struct Diagnostic {
    DiagSeverity severity = DiagSeverity::Error;
    SourceLoc loc;
    std::string path;
    std::string message;
};

/// Keeps the text of every file a loader read, so a diagnostic can quote its source line.
class SourceCache {
public:
    void add(const std::string& file, std::string text);
    /// The line (1-based) without its newline, or nullptr when unknown.
    [[nodiscard]] const std::string* line(const std::string& file, int line) const;
    /// Adds the files of `other` not already known here (Diagnostics::append uses it).
    void merge(const SourceCache& other);

private:
    std::map<std::string, std::vector<std::string>> lines_;
};

class Diagnostics {
public:
    void error(SourceLoc loc, std::string path, std::string message);
    void warning(SourceLoc loc, std::string path, std::string message);
    void add(Diagnostic d);
    void append(const Diagnostics& other);

    [[nodiscard]] bool has_errors() const { return errors_ > 0; }
    [[nodiscard]] int error_count() const { return errors_; }
    [[nodiscard]] int warning_count() const { return warnings_; }
    [[nodiscard]] const std::vector<Diagnostic>& all() const { return items_; }

    SourceCache& sources() { return sources_; }
    [[nodiscard]] const SourceCache& sources() const { return sources_; }

    /// GCC-style text for every diagnostic, in file/line order:
    ///   rules/a.yaml:7:5: error: rule 'X' > for: 'soon' is not a duration; use e.g. 30s or 2m
    ///       for: soon
    ///            ^
    /// followed by a summary line when `summary` is set:
    ///   tocsin: 3 errors, 1 warning; configuration not applied. Fix them, then run 'tocsin check'.
    [[nodiscard]] std::string render(bool summary = true) const;
    /// The same as a JSON array of {file,line,col,severity,path,message}.
    [[nodiscard]] std::string render_json() const;

private:
    std::vector<Diagnostic> items_;
    SourceCache sources_;
    int errors_ = 0;
    int warnings_ = 0;
};

/// "did you mean" support: the candidate closest to `word` by edit distance, or "" when none is
/// close enough (distance <= max(1, size/3)).
[[nodiscard]] std::string closest_match(const std::string& word,
                                        const std::vector<std::string>& candidates);

}  // namespace tocsin::engine
