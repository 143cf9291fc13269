// Crash consistency: a child process commits batches until it is SIGKILLed at a random moment;
// the parent then checks that the database is intact and that every batch is all or nothing.
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "store_fixture.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>

namespace tocsin::store {
namespace {

using test::at_ms;
using test::db_file;
using test::ok;
using test::TempDir;

constexpr int kSeriesPerBatch = 3;
constexpr int kSamplesPerSeries = 20;
constexpr int kItemsPerBatch = 3;

std::string batch_fingerprint(int n) {
    return fmt::format("{:016x}", n);
}

Batch make_batch(int n) {
    Batch batch;
    for (int s = 0; s < kSeriesPerBatch; ++s) {
        const engine::Labels labels{{"batch", std::to_string(n)}, {"series", std::to_string(s)}};
        for (int i = 0; i < kSamplesPerSeries; ++i) {
            batch.samples.push_back(
                engine::Sample{"crash", labels, n + i * 0.5, at_ms(n * 1000 + i)});
        }
    }
    engine::AlertInstance inst;
    inst.rule = "Crash";
    inst.kpi = "crash";
    inst.fingerprint = batch_fingerprint(n);
    inst.series_labels = {{"batch", std::to_string(n)}};
    inst.state = engine::AlertState::Firing;
    batch.upserted.push_back(inst);
    // One instance every batch rewrites: its seq must name the newest batch present.
    engine::AlertInstance counter;
    counter.rule = "Counter";
    counter.kpi = "crash";
    counter.fingerprint = batch_fingerprint(0);
    counter.seq = static_cast<std::uint64_t>(n);
    batch.upserted.push_back(counter);
    for (int j = 0; j < kItemsPerBatch; ++j) {
        batch.outbox.push_back(test::make_item(fmt::format("crash-{}-{}", n, j), n * 1000));
    }
    return batch;
}

// The child: commit batches first, first+1, ... and report each finished one on `fd`.
[[noreturn]] void commit_forever(const std::string& dir, int first, int fd) {
    auto store = Store::open(dir);
    if (!store) {
        ::_exit(2);
    }
    for (int n = first;; ++n) {
        if (!store.value()->commit(make_batch(n))) {
            ::_exit(3);
        }
        if (::write(fd, &n, sizeof n) != static_cast<ssize_t>(sizeof n)) {
            ::_exit(4);
        }
    }
}

// Reads batch numbers until `wanted` have arrived; returns the last, or -1 on timeout/EOF.
int wait_for_commits(int fd, int wanted, std::chrono::steady_clock::time_point deadline) {
    int last = -1;
    for (int seen = 0; seen < wanted;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return -1;
        }
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            return -1;
        }
        int n = 0;
        if (::read(fd, &n, sizeof n) != static_cast<ssize_t>(sizeof n)) {
            return -1;
        }
        last = n;
        ++seen;
    }
    return last;
}

struct BatchCounts {
    std::int64_t samples = 0;
    std::int64_t instances = 0;
    std::int64_t items = 0;
};

BatchCounts count_batch(Store& store, int n) {
    BatchCounts c;
    for (int s = 0; s < kSeriesPerBatch; ++s) {
        const engine::Labels labels{{"batch", std::to_string(n)}, {"series", std::to_string(s)}};
        c.samples += static_cast<std::int64_t>(
            ok(store.history("crash", labels, at_ms(n * 1000), at_ms(n * 1000 + 999))).size());
    }
    for (const auto& inst : ok(store.load_instances())) {
        c.instances += inst.rule == "Crash" && inst.fingerprint == batch_fingerprint(n) ? 1 : 0;
    }
    for (const auto& item : ok(store.list_outbox(std::nullopt, 0))) {
        c.items += item.id.rfind(fmt::format("crash-{}-", n), 0) == 0 ? 1 : 0;
    }
    return c;
}

TEST_CASE("a process killed mid-commit leaves every batch whole or absent", "[store][slow]") {
    TempDir dir;
    const auto seed = std::random_device{}();
    INFO("seed " << seed);
    std::mt19937 random(seed);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);

    int next = 0;  // first batch number of the next round
    for (int round = 0; round < 3; ++round) {
        INFO("round " << round);
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            ::close(fds[0]);
            commit_forever(dir.str(), next, fds[1]);
        }
        ::close(fds[1]);
        const int wanted = std::uniform_int_distribution<int>(1, 40)(random);
        const int last_reported = wait_for_commits(fds[0], wanted, deadline);
        // Let the child run a random extra few microseconds so the kill lands anywhere in a commit.
        const auto extra =
            std::chrono::microseconds(std::uniform_int_distribution<int>(0, 3000)(random));
        for (const auto until = std::chrono::steady_clock::now() + extra;
             std::chrono::steady_clock::now() < until;) {
        }
        ::kill(child, SIGKILL);
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        ::close(fds[0]);
        REQUIRE(last_reported >= 0);  // the child committed in time
        REQUIRE(WIFSIGNALED(status));
        REQUIRE(WTERMSIG(status) == SIGKILL);

        {
            auto db = ok(Database::open(db_file(dir)));
            auto check = ok(db->prepare("PRAGMA integrity_check"));
            REQUIRE(ok(check.step()));
            CHECK(check.column_text(0) == "ok");
        }

        auto store = ok(Store::open(dir.str()));
        std::uint64_t counter_seq = 0;
        for (const auto& inst : ok(store->load_instances())) {
            if (inst.rule == "Counter") {
                counter_seq = inst.seq;
            }
        }
        // The child runs ahead of the reports read so far (they wait in the pipe), by more
        // batches the faster a commit is: look as far as the counter says it got, and past it.
        const int last_to_check = std::max(last_reported, static_cast<int>(counter_seq)) + 5;
        // Every reported batch is whole; unreported ones are whole or absent and form a prefix.
        int newest = -1;
        for (int n = 0; n <= last_to_check; ++n) {
            INFO("batch " << n);
            const auto c = count_batch(*store, n);
            const bool whole = c.samples == kSeriesPerBatch * kSamplesPerSeries &&
                               c.instances == 1 && c.items == kItemsPerBatch;
            const bool absent = c.samples == 0 && c.instances == 0 && c.items == 0;
            REQUIRE((whole || absent));
            if (n <= last_reported) {
                REQUIRE(whole);
            }
            if (whole) {
                REQUIRE(newest == n - 1);
                newest = n;
            }
        }
        CHECK(counter_seq == static_cast<std::uint64_t>(newest));
        next = newest + 1;
    }
}

}  // namespace
}  // namespace tocsin::store
