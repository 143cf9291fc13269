// Differential fuzzing of the loaders' fast YAML parser (daemon/engine/yaml_fast.cpp) against
// yaml-cpp: whatever text the fast parser accepts must be read by yaml-cpp too, into the same
// tree (types, scalar texts, quoting, positions, order). Text it gives up on goes to yaml-cpp in
// the loaders, so giving up is always allowed; a different reading is a finding.

#include "engine/yaml_node.hpp"
#include "fuzz_util.hpp"
#include "support/yaml_compare.hpp"

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <string>

using namespace tocsin;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = fuzz::as_text(data, size);
    const auto fast = engine::yaml::parse_fast(text);
    if (!fast) {
        return 0;
    }
    engine::yaml::Node slow;
    try {
        slow = engine::yaml::from_yaml_cpp(YAML::Load(std::string(text)));
    } catch (const YAML::Exception& e) {
        fuzz::fuzz_fail(std::string("the fast parser accepted what yaml-cpp refuses: ") + e.what(),
                        text);
    } catch (const engine::yaml::TooLarge&) {
        fuzz::fuzz_fail("the fast parser accepted what expands past the alias limits", text);
    }
    if (const auto d = testing::yaml_difference(*fast, slow); !d.empty()) {
        fuzz::fuzz_fail("the fast parser and yaml-cpp read it differently: " + d, text);
    }
    return 0;
}
