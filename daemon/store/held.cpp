// The held-batches half of Store: notifications the engine holds back (group_wait, quiet hours
// defer or digest) until their batch goes out, written with the step that changed them.
#include "store/held_codec.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"

#include <fmt/format.h>

namespace tocsin::store {

Result<void> Store::write_held(const Batch& batch) {
    for (const auto& b : batch.held) {
        BOOST_OUTCOME_TRY(auto upsert,
                          db_->prepare("INSERT INTO held (key, body_json) VALUES (?1, ?2) "
                                       "ON CONFLICT (key) DO UPDATE SET body_json = "
                                       "excluded.body_json"));
        BOOST_OUTCOME_TRY(upsert.bind(1, b.key).bind(2, codec::held_json(b)).run());
    }
    for (const auto& key : batch.released) {
        BOOST_OUTCOME_TRY(auto remove, db_->prepare("DELETE FROM held WHERE key = ?1"));
        BOOST_OUTCOME_TRY(remove.bind(1, key).run());
    }
    return boost::outcome_v2::success();
}

Result<HeldRows> Store::load_held() {
    BOOST_OUTCOME_TRY(auto select, db_->prepare("SELECT key, body_json FROM held ORDER BY key"));
    HeldRows out;
    for (;;) {
        BOOST_OUTCOME_TRY(const bool row, select.step());
        if (!row) {
            return out;
        }
        const std::string key = select.column_text(0);
        std::string why;
        auto batch = codec::parse_held_json(select.column_text(1), why);
        if (!batch) {
            out.damaged.push_back(fmt::format(
                "held batch '{}' has an unreadable body_json ({}); it is not sent", key, why));
            continue;
        }
        if (batch->key != key) {
            out.damaged.push_back(fmt::format(
                "held batch '{}' has the body of batch '{}'; it is not sent", key, batch->key));
            continue;
        }
        out.batches.push_back(std::move(*batch));
    }
}

}  // namespace tocsin::store
