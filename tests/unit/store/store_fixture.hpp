#pragma once

#include "engine/result.hpp"
#include "engine/time.hpp"
#include "store/store.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

/// Shared helpers for the store tests: the shared temp directory fixture and result unwrapping
/// that shows the store's own error text when something fails.
namespace tocsin::store::test {

using tocsin::testing::TempDir;

/// The store's SQLite file inside `dir`, where Store::open(dir.str()) puts it.
inline std::string db_file(const TempDir& dir) {
    return (dir.path() / Store::kFileName).string();
}

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
