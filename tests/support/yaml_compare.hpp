#pragma once

#include "engine/yaml_node.hpp"

#include <sstream>
#include <string>

/// Compares two trees of the loaders' YAML form (engine/yaml_node.hpp) node by node: type, scalar
/// text, quoting, position, size and order. Used to hold the fast parser to yaml-cpp's reading,
/// by the unit tests and by the differential fuzz target.
namespace tocsin::testing {

inline std::string describe_yaml(const engine::yaml::Node& n) {
    std::ostringstream out;
    out << static_cast<int>(n.Type()) << "@" << n.Mark().line << ":" << n.Mark().column;
    if (n.IsScalar()) {
        out << (n.Tag() == "!" ? " quoted " : " plain ") << "[" << n.Scalar() << "]";
    }
    return out.str();
}

/// "" when `a` and `b` are the same tree; else the path of the first difference and both nodes.
inline std::string yaml_difference(const engine::yaml::Node& a,
                                   const engine::yaml::Node& b,
                                   const std::string& path = "") {
    if (a.Type() != b.Type() || a.Scalar() != b.Scalar() || a.Tag() != b.Tag() ||
        a.Mark().line != b.Mark().line || a.Mark().column != b.Mark().column ||
        a.size() != b.size()) {
        return path + ": fast " + describe_yaml(a) + " vs yaml-cpp " + describe_yaml(b);
    }
    auto ia = a.begin();
    auto ib = b.begin();
    for (int i = 0; ia != a.end(); ++ia, ++ib, ++i) {
        const std::string at = path + "/" + std::to_string(i);
        std::string d = a.IsMap() ? yaml_difference(ia->first, ib->first, at + "k") +
                                        yaml_difference(ia->second, ib->second, at + "v")
                                  : yaml_difference(*ia, *ib, at);
        if (!d.empty()) {
            return d;
        }
    }
    return "";
}

}  // namespace tocsin::testing
