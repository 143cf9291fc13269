#pragma once

#include "engine/result.hpp"
#include "engine/time.hpp"
#include "store/store.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

/// Shared helpers for the store tests: a real temp directory and result unwrapping that shows the
/// store's own error text when something fails.
namespace tocsin::store::test {

/// A fresh directory under TMPDIR, removed with everything in it at scope exit.
class TempDir {
public:
    TempDir() {
        const auto base = std::filesystem::temp_directory_path() / "tocsin-store-XXXXXX";
        std::string pattern = base.string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            FAIL("mkdtemp failed for " << pattern);
        }
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);  // best effort; a leftover temp dir is harmless
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    [[nodiscard]] std::string str() const { return path_.string(); }
    [[nodiscard]] std::string db_file() const { return (path_ / Store::kFileName).string(); }

private:
    std::filesystem::path path_;
};

/// The value of a successful result; fails the test with the error text otherwise.
template <class T>
T ok(Result<T>&& result) {
    if (!result) {
        FAIL(result.error().text());
    }
    return std::move(result).value();
}

inline void ok(Result<void>&& result) {
    if (!result) {
        FAIL(result.error().text());
    }
}

/// The error text of a result that must have failed.
template <class T>
std::string failure(Result<T>&& result) {
    REQUIRE_FALSE(result.has_value());
    return result.error().text();
}

inline std::unique_ptr<Store> open_store(const TempDir& dir) {
    return ok(Store::open(dir.str()));
}

inline engine::TimePoint at_ms(std::int64_t ms) {
    return engine::from_unix_ms(ms);
}

/// "<rule>\x1f<fingerprint>", as documented for engine::instance_key().
inline std::string key_of(const std::string& rule, const std::string& fingerprint) {
    return rule + '\x1f' + fingerprint;
}

inline OutboxItem make_item(std::string id, std::int64_t created_ms, std::string kind = "firing") {
    OutboxItem item;
    item.id = std::move(id);
    item.notifier = "ops";
    item.alert = "HighErrorRate";
    item.fingerprint = "00112233aabbccdd";
    item.kind = std::move(kind);
    item.payload_json = R"({"status":"firing"})";
    item.created_at = at_ms(created_ms);
    item.next_attempt_at = at_ms(created_ms);
    return item;
}

}  // namespace tocsin::store::test
