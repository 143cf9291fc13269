#include "engine/yaml_node.hpp"

#include <yaml-cpp/yaml.h>

namespace tocsin::engine::yaml {
namespace {

// yaml-cpp shares an aliased node; the copy writes it out at every alias, so nested aliases (or
// an alias inside its own anchor) could grow without end. Config files are far below these.
constexpr std::size_t kMaxNodes = 2'000'000;
constexpr int kMaxDepth = 1'000;

/// Appends a copy of `node` (and its children) to `doc`; returns its index.
std::uint32_t copy_node(const YAML::Node& node, Document& doc, int depth) {
    if (doc.nodes.size() >= kMaxNodes || depth > kMaxDepth) {
        throw TooLarge{};
    }
    const auto index = static_cast<std::uint32_t>(doc.nodes.size());
    doc.nodes.emplace_back();
    {
        NodeData& data = doc.nodes.back();
        const YAML::Mark mark = node.Mark();
        if (!mark.is_null()) {
            data.mark = Mark{mark.line, mark.column};
        }
    }
    NodeType type = NodeType::Null;
    switch (node.Type()) {
        case YAML::NodeType::Scalar:
            type = NodeType::Scalar;
            doc.nodes[index].scalar = node.Scalar();
            doc.nodes[index].quoted = node.Tag() == "!";
            break;
        case YAML::NodeType::Sequence:
            type = NodeType::Sequence;
            break;
        case YAML::NodeType::Map:
            type = NodeType::Map;
            break;
        case YAML::NodeType::Null:
            break;
        case YAML::NodeType::Undefined:
            type = NodeType::Undefined;
            break;
    }
    doc.nodes[index].type = type;
    std::uint32_t last = NodeData::kNone;
    const auto link = [&](std::uint32_t child) {
        if (last == NodeData::kNone) {
            doc.nodes[index].first = child;
        } else {
            doc.nodes[last].next = child;
        }
        last = child;
    };
    if (type == NodeType::Sequence) {
        for (const auto& item : node) {
            link(copy_node(item, doc, depth + 1));
            ++doc.nodes[index].count;
        }
    } else if (type == NodeType::Map) {
        for (const auto& kv : node) {
            link(copy_node(kv.first, doc, depth + 1));
            link(copy_node(kv.second, doc, depth + 1));
            ++doc.nodes[index].count;
        }
    }
    return index;
}

const std::string kNoText;

}  // namespace

const std::string& Node::Scalar() const {
    return data_ != nullptr && data_->type == NodeType::Scalar ? data_->scalar : kNoText;
}

Node Node::operator[](std::size_t index) const {
    if (!IsSequence()) {
        return {};
    }
    std::uint32_t at = data_->first;
    for (; at != NodeData::kNone && index > 0; --index) {
        at = doc_->nodes[at].next;
    }
    return at == NodeData::kNone ? Node{} : Node(doc_, &doc_->nodes[at]);
}

Node Node::operator[](std::string_view key) const {
    if (!IsMap()) {
        return {};
    }
    for (std::uint32_t at = data_->first; at != NodeData::kNone;) {
        const NodeData& k = doc_->nodes[at];
        if (k.type == NodeType::Scalar && k.scalar == key) {
            return {doc_, &doc_->nodes[k.next]};
        }
        at = doc_->nodes[k.next].next;
    }
    return {};
}

Node::const_iterator Node::begin() const {
    const bool collection = IsSequence() || IsMap();
    return {this, collection ? data_->first : NodeData::kNone};
}

Node::const_iterator Node::end() const {
    return {this, NodeData::kNone};
}

void Node::const_iterator::load() {
    value_ = IteratorValue{};
    if (at_ == NodeData::kNone) {
        return;
    }
    const auto& nodes = owner_->doc_->nodes;
    if (owner_->IsMap()) {
        const NodeData& key = nodes[at_];
        value_.first = Node(owner_->doc_, &key);
        value_.second = Node(owner_->doc_, &nodes[key.next]);
    } else {
        static_cast<Node&>(value_) = Node(owner_->doc_, &nodes[at_]);
    }
}

Node::const_iterator& Node::const_iterator::operator++() {
    const auto& nodes = owner_->doc_->nodes;
    at_ = owner_->IsMap() ? nodes[nodes[at_].next].next : nodes[at_].next;
    load();
    return *this;
}

Node from_yaml_cpp(const YAML::Node& root) {
    auto doc = std::make_shared<Document>();
    copy_node(root, *doc, 0);
    const NodeData* data = &doc->nodes.front();
    return {std::move(doc), data};
}

}  // namespace tocsin::engine::yaml
