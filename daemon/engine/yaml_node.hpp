#pragma once

#include <cstdint>
#include <deque>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace YAML {
class Node;
}

/// The YAML tree the loaders read: what yaml-cpp's YAML::Node gives them (type, scalar text,
/// quoted or plain, position, children in file order), in one block per file that is cheap to
/// build and to free. Files in the common subset of YAML are read by a parser of our own
/// (yaml_fast.cpp); anything else, including every file with a syntax error, goes through
/// yaml-cpp and is copied into this form, so both paths give the same tree and the same messages.
namespace tocsin::engine::yaml {

enum class NodeType { Undefined, Null, Scalar, Sequence, Map };

/// A position as yaml-cpp reports it: 0-based line and column; line -1 means none.
struct Mark {
    int line = -1;
    int column = -1;
    [[nodiscard]] bool is_null() const { return line < 0; }
};

struct NodeData {
    static constexpr std::uint32_t kNone = 0xFFFFFFFFU;
    NodeType type = NodeType::Null;
    bool quoted = false;  // a quoted or block scalar: yaml-cpp's non-specific tag "!"
    Mark mark;
    std::string scalar;
    std::uint32_t first = kNone;  // first child; a map's children alternate key, value
    std::uint32_t next = kNone;   // next sibling
    std::uint32_t count = 0;      // items of a sequence, pairs of a map
};

/// Every node of one file.
struct Document {
    std::deque<NodeData> nodes;  // a deque: adding a node never moves the others
};

struct IteratorValue;

/// A handle on one node of a Document (which it keeps alive). A default Node is Null.
class Node {
public:
    Node() = default;
    Node(std::shared_ptr<const Document> doc, const NodeData* data)
        : doc_(std::move(doc)), data_(data) {}

    [[nodiscard]] NodeType Type() const { return data_ ? data_->type : NodeType::Null; }
    [[nodiscard]] bool IsNull() const { return Type() == NodeType::Null; }
    [[nodiscard]] bool IsScalar() const { return Type() == NodeType::Scalar; }
    [[nodiscard]] bool IsSequence() const { return Type() == NodeType::Sequence; }
    [[nodiscard]] bool IsMap() const { return Type() == NodeType::Map; }
    /// The scalar's text; "" for other nodes.
    [[nodiscard]] const std::string& Scalar() const;
    /// "!" for a quoted or block scalar, "?" otherwise (yaml-cpp's non-specific tags).
    [[nodiscard]] std::string Tag() const { return data_ && data_->quoted ? "!" : "?"; }
    [[nodiscard]] yaml::Mark Mark() const { return data_ ? data_->mark : yaml::Mark{}; }
    /// Items of a sequence, pairs of a map, 0 otherwise.
    [[nodiscard]] std::size_t size() const { return data_ ? data_->count : 0; }
    /// The item at `index` of a sequence; a Null node when there is none.
    [[nodiscard]] Node operator[](std::size_t index) const;
    /// The value of the first `key` of a map; a Null node when there is none.
    [[nodiscard]] Node operator[](std::string_view key) const;

    class const_iterator;
    [[nodiscard]] const_iterator begin() const;
    [[nodiscard]] const_iterator end() const;

private:
    friend class const_iterator;
    std::shared_ptr<const Document> doc_;
    const NodeData* data_ = nullptr;
};

/// What iterating a node gives: the item itself for a sequence, `first` (key) and `second`
/// (value) for a map, as yaml-cpp's iterators do.
struct IteratorValue : Node {
    Node first;
    Node second;
};

class Node::const_iterator {
public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = IteratorValue;
    using difference_type = std::ptrdiff_t;
    using pointer = const IteratorValue*;
    using reference = const IteratorValue&;

    const_iterator() = default;
    const_iterator(const Node* owner, std::uint32_t at) : owner_(owner), at_(at) { load(); }

    reference operator*() const { return value_; }
    pointer operator->() const { return &value_; }
    const_iterator& operator++();
    const_iterator operator++(int) {
        auto copy = *this;
        ++*this;
        return copy;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
        return a.at_ == b.at_;
    }

private:
    void load();

    const Node* owner_ = nullptr;
    std::uint32_t at_ = NodeData::kNone;
    IteratorValue value_;
};

/// Thrown by from_yaml_cpp when aliases expand a tree past 2,000,000 nodes or 1,000 levels.
struct TooLarge {};

/// Copies a yaml-cpp tree into a Document (the fallback path).
[[nodiscard]] Node from_yaml_cpp(const YAML::Node& root);

/// Parses `text` with our own parser when it keeps to the subset it reads exactly as yaml-cpp
/// does (block maps and lists, flow maps and lists on one line, plain and quoted scalars on one
/// line, `|` blocks, comments; UTF-8); nullopt for anything else, syntax errors included.
[[nodiscard]] std::optional<Node> parse_fast(std::string_view text);

}  // namespace tocsin::engine::yaml
