#include "support/temp_dir.hpp"

#include <stdlib.h>  // mkdtemp (POSIX)

#include <cerrno>
#include <fstream>
#include <system_error>

namespace tocsin::testing {

TempDir::TempDir() {
    // mkdtemp picks the unique name and creates the folder in one step, so parallel test
    // processes never share a directory. The name stays short: integration tests bind a unix
    // socket inside it, and sun_path holds only 108 bytes.
    std::string pattern = (std::filesystem::temp_directory_path() / "tocsin-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code
        ignored;  // best effort: a leftover temp dir is harmless, a throwing destructor is not
    std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::write(const std::string& name, const std::string& text) const {
    const auto target = path_ / name;
    std::filesystem::create_directories(target.parent_path());
    std::ofstream(target, std::ios::binary | std::ios::trunc) << text;
    return target.string();
}

}  // namespace tocsin::testing
