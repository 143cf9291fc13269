#include "engine/yaml_node.hpp"

#include <vector>

// A parser for the YAML that config and rule files are written in, ~10 times faster than
// yaml-cpp 0.7 (whose scanner and node tree were two thirds of loading 10,000 rules). It reads
// only forms whose meaning it knows exactly and gives up (nullopt) on anything else, so the
// caller can hand the text to yaml-cpp: anchors, aliases, tags, directives, document markers,
// `?` keys, `>` blocks, plain scalars over several lines, quoted scalars or flow collections over
// several lines, tabs, malformed UTF-8 and every syntax error. tests/unit/engine/yaml_fast_test.cpp
// checks that every tree it builds equals yaml-cpp's, positions included.
namespace tocsin::engine::yaml {
namespace {

struct Line {
    std::size_t begin = 0;  // offset of the first character
    std::size_t end = 0;    // offset of the newline (or the text's end)
    int indent = 0;         // leading spaces
    bool blank = false;     // nothing but spaces, or a comment
};

/// Thrown to give up; caught in parse_fast.
struct GiveUp {};

bool is_null_text(std::string_view s) {
    return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

class FastParser {
public:
    FastParser(std::string_view text, Document& doc) : text_(text), doc_(doc) {}

    std::uint32_t parse() {
        split_lines();
        const auto first = next_content(0);
        if (first == lines_.size()) {
            return add(NodeType::Null, Mark{});
        }
        const Line& l = lines_[first];
        line_ = first;
        std::uint32_t root = 0;
        if (is_dash(l.begin + static_cast<std::size_t>(l.indent))) {
            root = block_seq(l.indent);
        } else if (key_end(l.begin + static_cast<std::size_t>(l.indent)) != kNpos) {
            root = block_map(l.indent, l.begin + static_cast<std::size_t>(l.indent));
        } else {
            throw GiveUp{};
        }
        if (next_content(line_) != lines_.size()) {
            throw GiveUp{};
        }
        return root;
    }

private:
    static constexpr std::size_t kNpos = std::string_view::npos;

    /// Gives up on tabs, CR, control characters, malformed UTF-8, and the code points YAML
    /// may read as a byte order mark or a line break (U+FEFF, U+0085, U+2028, U+2029). yaml-cpp
    /// counts columns in bytes, as this parser does.
    void check_characters() const {
        const auto byte = [&](std::size_t i) {
            return i < text_.size() ? static_cast<unsigned char>(text_[i]) : 0U;
        };
        for (std::size_t i = 0; i < text_.size();) {
            const unsigned u = byte(i);
            if (u < 0x80U) {
                if (u == 0x7FU || (u < 0x20U && u != '\n')) {
                    throw GiveUp{};
                }
                ++i;
                continue;
            }
            std::size_t n = 0;
            std::uint32_t cp = 0;
            if (u >= 0xC2U && u <= 0xDFU) {
                n = 1;
                cp = u & 0x1FU;
            } else if (u >= 0xE0U && u <= 0xEFU) {
                n = 2;
                cp = u & 0x0FU;
            } else if (u >= 0xF0U && u <= 0xF4U) {
                n = 3;
                cp = u & 0x07U;
            } else {
                throw GiveUp{};
            }
            for (std::size_t k = 1; k <= n; ++k) {
                const unsigned c = byte(i + k);
                if ((c & 0xC0U) != 0x80U) {
                    throw GiveUp{};
                }
                cp = (cp << 6U) | (c & 0x3FU);
            }
            const bool overlong = (n == 2 && cp < 0x800U) || (n == 3 && cp < 0x10000U);
            if (overlong || cp > 0x10FFFFU || (cp >= 0xD800U && cp <= 0xDFFFU) || cp == 0xFEFFU ||
                cp == 0x85U || cp == 0x2028U || cp == 0x2029U) {
                throw GiveUp{};
            }
            i += n + 1;
        }
    }

    void split_lines() {
        check_characters();
        std::size_t at = 0;
        while (at < text_.size()) {
            Line l;
            l.begin = at;
            l.end = text_.find('\n', at);
            if (l.end == kNpos) {
                l.end = text_.size();
            }
            std::size_t p = at;
            while (p < l.end && text_[p] == ' ') {
                ++p;
            }
            l.indent = static_cast<int>(p - at);
            l.blank = p == l.end || text_[p] == '#';
            const std::string_view content = text_.substr(p, l.end - p);
            if (l.indent == 0 && (content.starts_with("---") || content.starts_with("...") ||
                                  content.starts_with("%"))) {
                throw GiveUp{};
            }
            lines_.push_back(l);
            at = l.end + 1;
        }
    }

    /// The first line at or after `from` with content.
    std::size_t next_content(std::size_t from) const {
        while (from < lines_.size() && lines_[from].blank) {
            ++from;
        }
        return from;
    }

    char at(std::size_t p) const { return p < text_.size() ? text_[p] : '\n'; }
    std::size_t line_end() const { return lines_[line_].end; }
    Mark mark_of(std::size_t p) const {
        return Mark{static_cast<int>(line_), static_cast<int>(p - lines_[line_].begin)};
    }

    bool is_dash(std::size_t p) const {
        return at(p) == '-' && (at(p + 1) == ' ' || at(p + 1) == '\n');
    }

    std::uint32_t add(NodeType type, Mark mark) {
        const auto index = static_cast<std::uint32_t>(doc_.nodes.size());
        NodeData& d = doc_.nodes.emplace_back();
        d.type = type;
        d.mark = mark;
        return index;
    }

    std::uint32_t add_scalar(std::string text, bool quoted, Mark mark) {
        if (!quoted && is_null_text(text)) {
            return add(NodeType::Null, mark);
        }
        const auto index = add(NodeType::Scalar, mark);
        doc_.nodes[index].scalar = std::move(text);
        doc_.nodes[index].quoted = quoted;
        return index;
    }

    struct Children {
        std::uint32_t parent;
        std::uint32_t last = NodeData::kNone;
    };
    void link(Children& c, std::uint32_t child) {
        if (c.last == NodeData::kNone) {
            doc_.nodes[c.parent].first = child;
        } else {
            doc_.nodes[c.last].next = child;
        }
        c.last = child;
    }

    /// Skips spaces; returns the position of the next character on the line.
    std::size_t skip_spaces(std::size_t p) const {
        while (p < line_end() && text_[p] == ' ') {
            ++p;
        }
        return p;
    }

    /// The rest of the line from `p` must be spaces or a comment.
    void expect_line_end(std::size_t p) const {
        const std::size_t q = skip_spaces(p);
        if (q != line_end() && !(text_[q] == '#' && q > p)) {
            throw GiveUp{};
        }
    }

    static bool plain_start_ok(char c, char next) {
        switch (c) {
            case '&':
            case '*':
            case '!':
            case '|':
            case '>':
            case '\'':
            case '"':
            case '%':
            case '@':
            case '`':
            case '[':
            case ']':
            case '{':
            case '}':
            case ',':
            case '#':
                return false;
            case '-':
            case '?':
            case ':':
                return next != ' ' && next != '\n';
            default:
                return true;
        }
    }

    /// Where the `:` of a key that starts at `p` is, or npos when the line holds no simple key
    /// there. A key is a quoted scalar or a plain one without flow indicators.
    std::size_t key_end(std::size_t p) const {
        const std::size_t end = lines_[line_].end;
        const char c = at(p);
        std::size_t q = p;
        if (c == '"' || c == '\'') {
            q = text_.find(c, p + 1);  // a guess: the scalar is parsed properly later
            if (q == kNpos || q >= end) {
                return kNpos;
            }
            q = skip_spaces(q + 1);
            return at(q) == ':' && (at(q + 1) == ' ' || at(q + 1) == '\n') ? q : kNpos;
        }
        if (!plain_start_ok(c, at(p + 1))) {
            return kNpos;
        }
        for (; q < end; ++q) {
            const char x = text_[q];
            if (x == ':' && (at(q + 1) == ' ' || at(q + 1) == '\n')) {
                return q;
            }
            if (x == '#' && text_[q - 1] == ' ') {
                return kNpos;
            }
        }
        return kNpos;
    }

    /// A single- or double-quoted scalar on one line starting at `p`; `p` ends after it.
    std::uint32_t quoted(std::size_t& p) {
        const char quote = text_[p];
        const Mark mark = mark_of(p);
        std::string out;
        std::size_t q = p + 1;
        for (;; ++q) {
            if (q >= line_end()) {
                throw GiveUp{};
            }
            const char c = text_[q];
            if (c == quote) {
                if (quote == '\'' && at(q + 1) == '\'') {
                    out += '\'';
                    ++q;
                    continue;
                }
                break;
            }
            if (quote == '"' && c == '\\') {
                ++q;
                switch (at(q)) {
                    case '\\':
                        out += '\\';
                        break;
                    case '"':
                        out += '"';
                        break;
                    case '/':
                        out += '/';
                        break;
                    case 'n':
                        out += '\n';
                        break;
                    case 't':
                        out += '\t';
                        break;
                    case 'r':
                        out += '\r';
                        break;
                    default:
                        throw GiveUp{};
                }
                continue;
            }
            out += c;
        }
        p = q + 1;
        return add_scalar(std::move(out), true, mark);
    }

    /// A plain scalar in a flow collection.
    std::uint32_t flow_plain(std::size_t& p) {
        if (!plain_start_ok(at(p), at(p + 1))) {
            throw GiveUp{};
        }
        const Mark mark = mark_of(p);
        const std::size_t start = p;
        std::size_t q = p;
        for (; q < line_end(); ++q) {
            const char c = text_[q];
            if (c == ',' || c == '}' || c == ']') {
                break;
            }
            if (c == ':') {
                if (at(q + 1) == ' ') {
                    break;
                }
                throw GiveUp{};
            }
            // Indicators yaml-cpp reads differently inside a flow collection (`[a?b]` is an
            // error there, for one): left to it.
            if (std::string_view("[{#?'\"&*!|>%@`").find(c) != std::string_view::npos) {
                throw GiveUp{};
            }
        }
        std::size_t e = q;
        while (e > start && text_[e - 1] == ' ') {
            --e;
        }
        p = q;
        return add_scalar(std::string(text_.substr(start, e - start)), false, mark);
    }

    std::uint32_t flow_node(std::size_t& p) {
        p = skip_spaces(p);
        const char c = at(p);
        if (c == '{') {
            return flow_map(p);
        }
        if (c == '[') {
            return flow_seq(p);
        }
        if (c == '"' || c == '\'') {
            return quoted(p);
        }
        return flow_plain(p);
    }

    std::uint32_t flow_map(std::size_t& p) {
        const auto map = add(NodeType::Map, mark_of(p));
        Children kids{map};
        p = skip_spaces(p + 1);
        if (at(p) == '}') {
            ++p;
            return map;
        }
        for (;;) {
            const auto key = flow_node(p);
            if (doc_.nodes[key].type != NodeType::Scalar) {
                throw GiveUp{};
            }
            p = skip_spaces(p);
            if (at(p) != ':' || at(p + 1) != ' ') {
                throw GiveUp{};
            }
            p = skip_spaces(p + 1);
            if (at(p) == ',' || at(p) == '}') {
                throw GiveUp{};  // an empty value
            }
            const auto value = flow_node(p);
            link(kids, key);
            link(kids, value);
            ++doc_.nodes[map].count;
            p = skip_spaces(p);
            if (at(p) == '}') {
                ++p;
                return map;
            }
            if (at(p) != ',') {
                throw GiveUp{};
            }
            p = skip_spaces(p + 1);
            if (at(p) == '}') {
                throw GiveUp{};  // a trailing comma
            }
        }
    }

    std::uint32_t flow_seq(std::size_t& p) {
        const auto seq = add(NodeType::Sequence, mark_of(p));
        Children kids{seq};
        p = skip_spaces(p + 1);
        if (at(p) == ']') {
            ++p;
            return seq;
        }
        for (;;) {
            const auto item = flow_node(p);
            link(kids, item);
            ++doc_.nodes[seq].count;
            p = skip_spaces(p);
            if (at(p) == ']') {
                ++p;
                return seq;
            }
            if (at(p) != ',') {
                throw GiveUp{};  // includes `[a: b]`, a map in a list
            }
            p = skip_spaces(p + 1);
            if (at(p) == ']') {
                throw GiveUp{};
            }
        }
    }

    /// A `|` block scalar whose indicator is at `p`; its content is more indented than `parent`.
    std::uint32_t literal(std::size_t p, int parent) {
        const Mark mark = mark_of(p);
        char chomp = ' ';
        std::size_t q = p + 1;
        if (at(q) == '-' || at(q) == '+') {
            chomp = at(q);
            ++q;
        }
        expect_line_end(q);
        std::vector<std::string_view> body;
        int indent = -1;
        std::size_t n = line_ + 1;
        for (; n < lines_.size(); ++n) {
            const Line& l = lines_[n];
            const bool empty = l.begin + static_cast<std::size_t>(l.indent) == l.end;
            if (empty) {
                if (indent >= 0 ? l.indent > indent : l.indent > parent) {
                    throw GiveUp{};  // spaces that would be content, or set the indentation
                }
                body.emplace_back();
                continue;
            }
            if (indent < 0) {
                if (l.indent <= parent) {
                    break;
                }
                indent = l.indent;
            }
            if (l.indent < indent) {
                break;
            }
            body.push_back(text_.substr(l.begin + static_cast<std::size_t>(indent),
                                        l.end - l.begin - static_cast<std::size_t>(indent)));
        }
        if (indent < 0 || (n == lines_.size() && !text_.ends_with('\n'))) {
            throw GiveUp{};  // an empty block, or one whose last line has no line break
        }
        std::size_t last = body.size();
        while (last > 0 && body[last - 1].empty()) {
            --last;
        }
        std::string out;
        for (std::size_t i = 0; i < last; ++i) {
            out.append(body[i]);
            out += '\n';
        }
        if (chomp == '-' && !out.empty()) {
            out.pop_back();
        } else if (chomp == '+') {
            out.append(body.size() - last, '\n');
        }
        // Trailing empty lines belong to the block; the next node starts after them.
        line_ = n;
        const auto index = add(NodeType::Scalar, mark);
        doc_.nodes[index].scalar = std::move(out);
        doc_.nodes[index].quoted = true;
        return index;
    }

    /// The value after a key's `: ` or a list's `- ` at `p` on the current line; `indent` is the
    /// column of the map's keys or the list's dashes. Leaves line_ on the next unread line.
    std::uint32_t value(std::size_t p, int indent, bool in_seq) {
        p = skip_spaces(p);
        const char c = at(p);
        if (p == line_end() || (c == '#' && text_[p - 1] == ' ')) {
            const auto next = next_content(line_ + 1);
            // yaml-cpp places an empty value at the token after it.
            Mark here;
            if (next < lines_.size()) {
                here = Mark{static_cast<int>(next), lines_[next].indent};
            } else if (text_.ends_with('\n')) {
                here = Mark{static_cast<int>(lines_.size()), 0};
            } else {
                throw GiveUp{};  // an empty value ends a text without a final line break
            }
            if (next < lines_.size()) {
                const Line& l = lines_[next];
                const std::size_t start = l.begin + static_cast<std::size_t>(l.indent);
                const bool deeper = l.indent > indent;
                if (deeper || (!in_seq && l.indent == indent && is_dash(start))) {
                    line_ = next;
                    if (is_dash(start)) {
                        return block_seq(l.indent);
                    }
                    if (key_end(start) != kNpos) {
                        return block_map(l.indent, start);
                    }
                    throw GiveUp{};  // a scalar on its own line
                }
            }
            ++line_;
            return add(NodeType::Null, here);
        }
        if (c == '|') {
            return literal(p, indent);
        }
        if (c == '{' || c == '[' || c == '"' || c == '\'') {
            if (in_seq && key_end(p) != kNpos) {
                return block_map(static_cast<int>(p - lines_[line_].begin), p);
            }
            std::uint32_t node = c == '{' ? flow_map(p) : c == '[' ? flow_seq(p) : quoted(p);
            expect_line_end(p);
            end_of_value(indent);
            return node;
        }
        if (!plain_start_ok(c, at(p + 1))) {
            throw GiveUp{};
        }
        if (key_end(p) != kNpos) {
            if (!in_seq) {
                throw GiveUp{};  // `a: b: c`
            }
            return block_map(static_cast<int>(p - lines_[line_].begin), p);
        }
        const Mark mark = mark_of(p);
        std::size_t q = p;
        while (q < line_end() && !(text_[q] == '#' && text_[q - 1] == ' ')) {
            ++q;
        }
        while (q > p && text_[q - 1] == ' ') {
            --q;
        }
        if (text_[q - 1] == ':') {
            throw GiveUp{};
        }
        auto node = add_scalar(std::string(text_.substr(p, q - p)), false, mark);
        end_of_value(indent);
        return node;
    }

    /// After a value on one line: the next line with content must not be more indented (that
    /// would continue a plain scalar, or be an error).
    void end_of_value(int indent) {
        const auto next = next_content(line_ + 1);
        if (next < lines_.size() && lines_[next].indent > indent) {
            throw GiveUp{};
        }
        line_ += 1;
    }

    /// A block map whose keys are at column `indent`; its first key starts at `p` on line_.
    std::uint32_t block_map(int indent, std::size_t p) {
        const auto map = add(NodeType::Map, mark_of(p));
        Children kids{map};
        for (;;) {
            const std::size_t colon = key_end(p);
            if (colon == kNpos) {
                throw GiveUp{};
            }
            std::uint32_t key = 0;
            if (at(p) == '"' || at(p) == '\'') {
                std::size_t q = p;
                key = quoted(q);
                if (skip_spaces(q) != colon) {
                    throw GiveUp{};
                }
            } else {
                std::size_t e = colon;
                while (e > p && text_[e - 1] == ' ') {
                    --e;
                }
                const std::string_view text = text_.substr(p, e - p);
                if (text.find_first_of("[]{},") != kNpos || text == "<<") {
                    throw GiveUp{};
                }
                key = add_scalar(std::string(text), false, mark_of(p));
            }
            const auto val = value(colon + 1, indent, false);
            link(kids, key);
            link(kids, val);
            ++doc_.nodes[map].count;
            line_ = next_content(line_);
            if (line_ == lines_.size() || lines_[line_].indent < indent) {
                return map;
            }
            if (lines_[line_].indent > indent) {
                throw GiveUp{};
            }
            p = lines_[line_].begin + static_cast<std::size_t>(indent);
            if (is_dash(p)) {
                throw GiveUp{};
            }
        }
    }

    /// A block list whose dashes are at column `indent`, starting on line_.
    std::uint32_t block_seq(int indent) {
        std::size_t p = lines_[line_].begin + static_cast<std::size_t>(indent);
        const auto seq = add(NodeType::Sequence, mark_of(p));
        Children kids{seq};
        for (;;) {
            if (is_dash(skip_spaces(p + 1))) {
                throw GiveUp{};  // `- - a`
            }
            const auto item = value(p + 1, indent, true);
            link(kids, item);
            ++doc_.nodes[seq].count;
            line_ = next_content(line_);
            if (line_ == lines_.size() || lines_[line_].indent < indent) {
                return seq;
            }
            if (lines_[line_].indent > indent) {
                throw GiveUp{};
            }
            p = lines_[line_].begin + static_cast<std::size_t>(indent);
            if (!is_dash(p)) {
                return seq;  // the key after an indentless list
            }
        }
    }

    std::string_view text_;
    Document& doc_;
    std::vector<Line> lines_;
    std::size_t line_ = 0;
};

}  // namespace

std::optional<Node> parse_fast(std::string_view text) {
    auto doc = std::make_shared<Document>();
    try {
        FastParser parser(text, *doc);
        const auto root = parser.parse();
        const NodeData* data = &doc->nodes[root];
        return Node(std::move(doc), data);
    } catch (const GiveUp&) {
        return std::nullopt;
    }
}

}  // namespace tocsin::engine::yaml
