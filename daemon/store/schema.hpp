#pragma once

#include "engine/result.hpp"

#include <cstdint>
#include <span>

/// The database schema as an ordered list of migrations. Each migration runs in its own
/// transaction together with the bump of `meta.schema_version`, so a crash leaves the database at
/// one version or the next, never in between. Migrations are append-only: never edit a released
/// one.
namespace tocsin::store {

class Database;

namespace schema {

/// PRAGMA application_id of a tocsin state database ("tcs1"); tells our file from other SQLite
/// files.
inline constexpr std::int32_t kApplicationId = 0x74637331;

struct Migration {
    int version;      // 1, 2, ...: the schema version after this step
    const char* sql;  // one or more statements
    // Data conversion SQL cannot express (packing rows into blobs); runs after `sql`, in the
    // same transaction. nullptr for most migrations.
    Result<void> (*convert)(Database& db) = nullptr;
};

/// All migrations, oldest first.
[[nodiscard]] std::span<const Migration> migrations();
/// The schema version this build writes.
[[nodiscard]] int latest_version();

/// Refuses a file that is neither empty nor a tocsin state database. Call before anything writes.
Result<void> check_identity(Database& db);
/// The version recorded in `meta` (0 for an empty database).
Result<int> stored_version(Database& db);
/// Applies the migrations after the stored version up to `target` (tests stop early to build old
/// databases). Refuses a database newer than this build, naming both versions.
Result<void> migrate(Database& db, int target);

}  // namespace schema
}  // namespace tocsin::store
