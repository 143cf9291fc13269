#include "engine/diagnostics.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <numeric>
#include <unordered_set>

namespace tocsin::engine {
namespace {

/// The interned names: a node set, so each name's address never changes. Names are few (the
/// files of configurations and tests) and never dropped.
struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const {
        return std::hash<std::string_view>{}(name);
    }
};

const std::string* intern(std::string_view name) {
    static std::mutex mutex;
    static std::unordered_set<std::string, NameHash, std::equal_to<>> names;
    const std::lock_guard lock(mutex);
    auto it = names.find(name);
    if (it == names.end()) {
        it = names.emplace(name).first;
    }
    return &*it;
}

const char* severity_name(DiagSeverity s) {
    return s == DiagSeverity::Error ? "error" : "warning";
}

std::string plural(int n, const char* word) {
    std::string out = std::to_string(n) + " " + word;
    if (n != 1) {
        out += 's';
    }
    return out;
}

}  // namespace

const std::string FileName::kEmpty;

FileName::FileName(const std::string& name) : FileName(std::string_view(name)) {}
FileName::FileName(const char* name) : FileName(std::string_view(name)) {}
FileName::FileName(std::string_view name) : name_(name.empty() ? &kEmpty : intern(name)) {}

namespace {

std::string location(const SourceLoc& loc) {
    if (loc.file.empty()) {
        return "tocsin";
    }
    if (loc.line <= 0) {
        return loc.file.str();
    }
    return loc.file + ":" + std::to_string(loc.line) + ":" + std::to_string(std::max(loc.col, 1));
}

// Spaces up to the caret, keeping tabs so the caret lines up however the terminal shows them.
// UTF-8 continuation bytes take no column.
std::string caret_line(const std::string& source, int col) {
    std::string out;
    const auto target = static_cast<std::size_t>(std::max(col, 1) - 1);
    for (std::size_t i = 0; i < target; ++i) {
        if (i < source.size()) {
            const auto c = static_cast<unsigned char>(source[i]);
            if (c == '\t') {
                out += '\t';
            } else if ((c & 0xC0U) != 0x80U) {
                out += ' ';
            }
        } else {
            out += ' ';
        }
    }
    out += '^';
    return out;
}

std::vector<std::size_t> sorted_order(const std::vector<Diagnostic>& items) {
    std::vector<std::size_t> order(items.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const auto& la = items[a].loc;
        const auto& lb = items[b].loc;
        if (la.file != lb.file) {
            return la.file < lb.file;
        }
        if (la.line != lb.line) {
            return la.line < lb.line;
        }
        return la.col < lb.col;
    });
    return order;
}

// Levenshtein distance where swapping two neighbours also counts as one edit ("valeu").
std::size_t edit_distance(const std::string& a, const std::string& b) {
    const std::size_t width = b.size() + 1;
    std::vector<std::size_t> d((a.size() + 1) * width);
    const auto at = [&](std::size_t i, std::size_t j) -> std::size_t& { return d[i * width + j]; };
    for (std::size_t i = 0; i <= a.size(); ++i) {
        at(i, 0) = i;
    }
    for (std::size_t j = 0; j <= b.size(); ++j) {
        at(0, j) = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
            }
        }
    }
    return at(a.size(), b.size());
}

}  // namespace

void SourceCache::add(const std::string& file, std::string text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) {
            end = text.size();
        }
        std::string line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        lines.push_back(std::move(line));
        start = end + 1;
    }
    lines_[file] = std::move(lines);
}

const std::string* SourceCache::line(const std::string& file, int line) const {
    const auto it = lines_.find(file);
    if (it == lines_.end() || line < 1 || static_cast<std::size_t>(line) > it->second.size()) {
        return nullptr;
    }
    return &it->second[static_cast<std::size_t>(line) - 1];
}

void SourceCache::merge(const SourceCache& other) {
    for (const auto& [file, lines] : other.lines_) {
        lines_.try_emplace(file, lines);
    }
}

void Diagnostics::error(SourceLoc loc, std::string path, std::string message) {
    add(Diagnostic{DiagSeverity::Error, std::move(loc), std::move(path), std::move(message)});
}

void Diagnostics::warning(SourceLoc loc, std::string path, std::string message) {
    add(Diagnostic{DiagSeverity::Warning, std::move(loc), std::move(path), std::move(message)});
}

void Diagnostics::add(Diagnostic d) {
    if (d.severity == DiagSeverity::Error) {
        ++errors_;
    } else {
        ++warnings_;
    }
    items_.push_back(std::move(d));
}

void Diagnostics::append(const Diagnostics& other) {
    for (const auto& d : other.items_) {
        add(d);
    }
    sources_.merge(other.sources_);
}

std::string Diagnostics::render(bool summary) const {
    std::string out;
    for (const std::size_t i : sorted_order(items_)) {
        const Diagnostic& d = items_[i];
        out += location(d.loc);
        out += ": ";
        out += severity_name(d.severity);
        out += ": ";
        if (!d.path.empty()) {
            out += d.path;
            out += ": ";
        }
        out += d.message;
        out += '\n';
        if (const std::string* src = sources_.line(d.loc.file, d.loc.line)) {
            out += "    " + *src + "\n";
            out += "    " + caret_line(*src, d.loc.col) + "\n";
        }
    }
    if (!summary) {
        return out;
    }
    if (errors_ > 0) {
        out += "tocsin: " + plural(errors_, "error");
        if (warnings_ > 0) {
            out += ", " + plural(warnings_, "warning");
        }
        out += "; configuration not applied. Fix ";
        out += errors_ == 1 ? "it" : "them";
        out += ", then run 'tocsin check'.\n";
    } else if (warnings_ > 0) {
        out += "tocsin: " + plural(warnings_, "warning") + ", no errors.\n";
    }
    return out;
}

std::string Diagnostics::render_json() const {
    boost::json::array out;
    for (const std::size_t i : sorted_order(items_)) {
        const Diagnostic& d = items_[i];
        out.push_back(boost::json::object{{"file", d.loc.file.str()},
                                          {"line", d.loc.line},
                                          {"col", d.loc.col},
                                          {"severity", severity_name(d.severity)},
                                          {"path", d.path},
                                          {"message", d.message}});
    }
    return boost::json::serialize(out);
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
    const std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
    std::string best;
    std::size_t best_distance = limit + 1;
    for (const auto& c : candidates) {
        const std::size_t d = edit_distance(word, c);
        if (d < best_distance) {
            best_distance = d;
            best = c;
        }
    }
    return best;
}

}  // namespace tocsin::engine
