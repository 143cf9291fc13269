#pragma once

#include "engine/alert.hpp"
#include "engine/result.hpp"
#include "engine/silence.hpp"
#include "store/sample_codec.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

/// Durable daemon state in one SQLite database (`<state_dir>/state.db`, WAL): KPI history, alert
/// instances and the notification outbox.
///
/// Lifecycle: Store::open() once at start-up (creates the folder and file and migrates the schema)
///            -> any number of calls -> destroyed, which closes the database.
/// Threading: NOT thread-safe. The app gives the store its own thread; calls must never overlap,
///            and the connection is opened without SQLite's mutex for that reason. Other processes
///            (`tocsin` CLI commands) may open the same file; busy_timeout makes them wait.
/// Durability: WAL with synchronous=FULL, so a commit that returned is on disk, and a delivered
///            notification is never repeated after a crash or power loss.
/// Errors:    every failure is an Error{Store, "<what>: <SQLite's message>", "store '<file>'"}
///            (Io when the state folder cannot be created); nothing throws except on a bug.
namespace tocsin::store {

class Database;

/// "pending" | "delivered" | "failed" | "rerouted" (handed to the notifier's fallback).
enum class OutboxState { Pending, Delivered, Failed, Rerouted };
[[nodiscard]] const char* to_string(OutboxState s);
[[nodiscard]] std::optional<OutboxState> parse_outbox_state(std::string_view s);

/// One notification to one notifier instance, as kept in the outbox until it is delivered.
struct OutboxItem {
    std::string id;  // Notification::id (unique; idempotency id)
    std::string notifier;
    std::string alert;  // rule name, for listing
    std::string fingerprint;
    std::string kind;          // "firing" | "severity_change" | "resolved"
    std::string payload_json;  // rendered notification JSON
    engine::TimePoint created_at;
    OutboxState state = OutboxState::Pending;
    int attempts = 0;                               // delivery attempts made so far
    engine::TimePoint next_attempt_at;              // when pending: not before this
    std::optional<engine::TimePoint> delivered_at;  // delivered: when; failed: when given up
    std::string last_detail;                        // what the far end said last
};

/// One engine step's effects (or one report run), committed atomically: either all or nothing
/// survives a crash.
struct Batch {
    std::vector<engine::Sample> samples;  // KPI history rows
    std::vector<engine::AlertInstance> upserted;
    std::vector<std::string> removed;  // engine::instance_key(rule, fingerprint)
    std::vector<OutboxItem> outbox;    // new pending notifications
    /// Meta values set with the notifications (a report's last run), so a crash keeps both or
    /// neither. Written last; a later entry for the same key wins.
    std::vector<std::pair<std::string, std::string>> meta;
    // Batches held back by grouping or quiet hours (engine::StepOutput::held/released). They go
    // in the same transaction as the instances and the outbox, so a crash can neither lose a
    // held batch nor send it twice. A key is never in both lists.
    std::vector<engine::HeldBatch> held;  // created or changed: stored (replacing the old body)
    std::vector<std::string> released;    // HeldBatch::key of batches sent or emptied: deleted

    [[nodiscard]] bool empty() const {
        return samples.empty() && upserted.empty() && removed.empty() && outbox.empty() &&
               meta.empty() && held.empty() && released.empty();
    }
};

/// What Store::load_held() read: the batches, and one text per row that could not be read (the
/// row stays in the table for an operator to look at; the daemon logs each and goes on).
struct HeldRows {
    std::vector<engine::HeldBatch> batches;
    std::vector<std::string> damaged;
};

/// What ending a silence early found (Store::end_silence).
enum class SilenceEnd {
    Ended,         // it was pending or active; now it has ended
    AlreadyEnded,  // it had ended before (expired, or ended by hand); nothing changed
    Unknown,       // no silence has that id
};

struct HistoryPoint {
    engine::TimePoint at;
    double value = 0;
};

class Store {
public:
    /// File name of the database inside the state directory.
    static constexpr std::string_view kFileName = "state.db";

    /// Opens (creating the folder 0750 and the file `state.db`) `state_dir`; WAL,
    /// synchronous=FULL, foreign_keys, busy_timeout; runs migrations. Refuses a database whose
    /// schema version is newer than this build knows (the error names both versions), and a file
    /// that is not a tocsin state database. Called once at start-up, and by CLI commands.
    static Result<std::unique_ptr<Store>> open(const std::string& state_dir);

    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    /// Writes one engine step in one transaction: samples, then upserted instances, then removed
    /// ones (so a key in both lists ends up removed), then new outbox items, then meta values. An
    /// outbox id that is already stored is skipped, so replaying a step never duplicates a
    /// notification. On any failure nothing of the batch is kept.
    Result<void> commit(const Batch& batch);

    /// Every held batch, ordered by key; used to restore the engine (Engine::restore_held()).
    /// A row whose body cannot be read is reported in HeldRows::damaged, never silently dropped.
    Result<HeldRows> load_held();

    /// Every stored alert instance, ordered by (rule, fingerprint); used to restore the engine.
    Result<std::vector<engine::AlertInstance>> load_instances();
    /// The newest sample of every series (kpi, labels), ordered by (kpi, labels): the newest
    /// time, and of samples at that time the one written last. Reads `series` (newest compacted
    /// value) and the sample log, so it stays fast however long the history is.
    Result<std::vector<engine::Sample>> latest_samples();
    /// Samples of one series with from <= at <= to, oldest first; samples at the same time in
    /// the order they were committed. An unknown series gives none.
    Result<std::vector<HistoryPoint>> history(const std::string& kpi,
                                              const engine::Labels& labels,
                                              engine::TimePoint from,
                                              engine::TimePoint to);
    /// How many samples the store holds (compacted and in the log); for tests and reports.
    Result<std::size_t> sample_count();
    /// Moves the oldest rows of the sample log (at most sample_blocks::kMaxBlockSamples samples,
    /// at least one row) into a new block, in one transaction. commit() calls it when the log
    /// has grown past its bounds; a failure leaves the log and the blocks as they were.
    Result<void> compact();

    /// Pending items with next_attempt_at <= now, oldest (created_at, then insertion) first; at
    /// most `limit` of them (0: no limit). The outbox worker calls this when its timer fires.
    Result<std::vector<OutboxItem>> due_outbox(engine::TimePoint now, std::size_t limit);
    /// The earliest next_attempt_at of pending items, to arm the outbox timer; nullopt if none.
    Result<std::optional<engine::TimePoint>> next_outbox_due();
    /// Counts for the self-metrics: pending and failed items, and the oldest pending one's
    /// created_at (nullopt when nothing is pending).
    struct OutboxSummary {
        std::size_t pending = 0;
        std::size_t failed = 0;
        std::optional<engine::TimePoint> oldest_pending;
    };
    Result<OutboxSummary> outbox_summary();
    /// Items in any state (nullopt) or one state, newest first; at most `limit` (0: no limit).
    Result<std::vector<OutboxItem>> list_outbox(std::optional<OutboxState> state,
                                                std::size_t limit);

    /// Delivery succeeded: state delivered, attempts += 1. Fails if the id is unknown.
    Result<void> mark_delivered(const std::string& id,
                                engine::TimePoint at,
                                const std::string& detail);
    /// Delivery must be retried: attempts += 1, next_attempt_at set. The item must be pending.
    Result<void> mark_retry(const std::string& id,
                            engine::TimePoint next_attempt_at,
                            const std::string& detail);
    /// Gave up (dead letter): state failed, attempts += 1, delivered_at = at. Must be pending.
    Result<void> mark_failed(const std::string& id,
                             engine::TimePoint at,
                             const std::string& detail);
    /// The notifier keeps failing: the pending item becomes `rerouted` (attempts += 1,
    /// `detail` kept) and `replacement`, the same notification for the fallback notifier, is
    /// added as pending, in one transaction.
    Result<void> reroute(const std::string& id,
                         engine::TimePoint at,
                         const std::string& detail,
                         const OutboxItem& replacement);
    /// Manual retry of a failed item: back to pending, due at `now`, attempts reset to 0 so the
    /// retry policy starts over. The item must be failed.
    Result<void> requeue(const std::string& id, engine::TimePoint now);

    /// Retention: deletes samples older than `samples_before` and delivered items delivered before
    /// `delivered_before` (failed and pending items are kept), and then series left without
    /// samples. Returns the number of samples and outbox items deleted. The sample log is
    /// compacted first; blocks wholly older than the cut are dropped and a block straddling it
    /// is rewritten without its old samples, so history() never returns a pruned sample.
    Result<std::size_t> prune(engine::TimePoint samples_before, engine::TimePoint delivered_before);

    /// Keeps a new silence (matchers in their text form). Fails on a duplicate id or a silence
    /// that does not end after it starts; the caller checks it with engine::check_silence() first.
    Result<void> insert_silence(const engine::Silence& silence);
    /// Every silence (nullopt), or those not ended at `not_ended_at` (ends_at > it), ordered by
    /// start, then id. Expired silences stay in the table for audit.
    Result<std::vector<engine::Silence>> list_silences(
        std::optional<engine::TimePoint> not_ended_at);
    /// One silence by id; nullopt when there is none.
    Result<std::optional<engine::Silence>> get_silence(const std::string& id);
    /// Ends silence `id` at `now`: ends_at becomes `now` and the row stays for audit. A silence
    /// that had not started yet also gets its start moved to just before `now`, so the row still
    /// ends after it starts. Says whether it was ended, had already ended or is unknown.
    Result<SilenceEnd> end_silence(const std::string& id, engine::TimePoint now);

    /// Small named values (schema_version lives here too; do not overwrite it).
    Result<void> set_meta(const std::string& key, const std::string& value);
    Result<std::optional<std::string>> get_meta(const std::string& key);

    /// Full path of the database file.
    [[nodiscard]] const std::string& path() const;

private:
    explicit Store(std::unique_ptr<Database> db);

    Result<void> write_batch(const Batch& batch);
    Result<void> append_log(const std::vector<engine::Sample>& samples);
    Result<std::int64_t> series_id(const engine::Sample& sample);
    /// Moves up to `max_samples` of the log into a block; false when the log was empty. Runs in
    /// the caller's transaction.
    Result<bool> compact_log(std::size_t max_samples);
    Result<std::size_t> prune_blocks(std::int64_t before_ms);
    /// The whole sample log, decoded (log_cache_, refreshed when stale). In a read transaction.
    Result<const std::vector<sample_codec::LoggedSample>*> decoded_log();
    /// Drops what this connection believes about the file (series ids, log size), after a
    /// rollback or when another connection wrote.
    void forget_log();
    /// Drops the decoded log and its known size; both are re-read when next needed.
    void drop_log_cache();
    Result<void> write_held(const Batch& batch);
    Result<void> transition(std::string_view sql,
                            std::string_view what,
                            const std::string& id,
                            std::int64_t ms,
                            const std::string* detail);

    std::unique_ptr<Database> db_;
    // Series ids by series_key, kept across commits; see write_batch() for when they are dropped.
    static constexpr std::size_t kMaxCachedSeries = 1'000'000;
    std::unordered_map<std::string, std::int64_t> series_ids_;
    std::int64_t data_version_ = -1;
    // The sample log's size as of the last commit; unknown (re-read) after forget_log(). Its
    // bounds keep history(), latest_samples() and one compaction cheap: a compaction at 10,000
    // series every 20 commits writes chunks of 20 samples; see bench/README.md "Profile".
    static constexpr std::size_t kCompactLogRows = 60;
    static constexpr std::size_t kCompactLogSamples = 200'000;
    // The decoded log for history(), which start-up calls once per series: decoding the log
    // each time would cost O(series x log). Valid until this connection writes or another
    // connection commits (data_version); emptied by every commit.
    std::vector<sample_codec::LoggedSample> log_cache_;
    std::int64_t log_cache_version_ = -1;
    bool log_cache_valid_ = false;
    bool log_known_ = false;
    std::size_t log_rows_ = 0;
    std::size_t log_samples_ = 0;
};

}  // namespace tocsin::store
