#include "store/sample_codec.hpp"

#include <catch2/catch.hpp>

#include <bit>
#include <cstdint>
#include <limits>
#include <vector>

namespace tocsin::store::sample_codec {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

// Compares bit patterns, so NaN payloads and -0.0 count too.
bool same(double a, double b) {
    return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

std::vector<LoggedSample> awkward_samples() {
    return {
        {7, 1'700'000'000'000, 1.5},
        {3, 1'700'000'000'000, std::numeric_limits<double>::quiet_NaN()},
        {3, 1'699'999'999'000, kInf},  // older than the one before: a negative time delta
        {900'000'000'000, 5, -kInf},
        {1, -2000, -0.0},
        {kMax, kMax, std::numeric_limits<double>::denorm_min()},
        {kMin, kMin, std::numeric_limits<double>::max()},
        {2, 0, 0.0},
    };
}

TEST_CASE("a log row round-trips any order, time and value bit for bit", "[store][history]") {
    const auto samples = awkward_samples();
    const std::string packed = pack_log(samples);
    std::vector<LoggedSample> out{{42, 42, 42.0}};  // unpacking appends
    REQUIRE(unpack_log(packed, samples.size(), out));
    REQUIRE(out.size() == samples.size() + 1);
    for (std::size_t i = 0; i < samples.size(); ++i) {
        CHECK(out[i + 1].series_id == samples[i].series_id);
        CHECK(out[i + 1].at_ms == samples[i].at_ms);
        CHECK(same(out[i + 1].value, samples[i].value));
    }
}

TEST_CASE("a chunk round-trips times and values, repeated values costing one byte",
          "[store][history]") {
    const std::int64_t base = 1'700'000'000'000;
    std::vector<Point> points;
    for (int i = 0; i < 100; ++i) {
        points.push_back(Point{base + 1000 * i, 42.0});
    }
    const std::string steady = pack_chunk(points, base);
    CHECK(steady.size() <= 2 * points.size() + 16);  // one byte of time, one of value, each

    points = {{base - 5, -kInf},
              {base - 5, std::numeric_limits<double>::quiet_NaN()},  // same instant
              {base + 7, 3.25},
              {base + 7'000'000, 3.25},
              {kMax, kInf},
              {kMax, -0.0}};
    const std::string packed = pack_chunk(points, base);
    std::vector<Point> out;
    REQUIRE(unpack_chunk(packed, points.size(), base, out));
    REQUIRE(out.size() == points.size());
    for (std::size_t i = 0; i < points.size(); ++i) {
        CHECK(out[i].at_ms == points[i].at_ms);
        CHECK(same(out[i].value, points[i].value));
    }
}

TEST_CASE("a damaged blob never decodes into made-up samples", "[store][history]") {
    const auto samples = awkward_samples();
    const std::string log = pack_log(samples);
    std::vector<LoggedSample> logged;
    CHECK_FALSE(unpack_log(log.substr(0, log.size() - 1), samples.size(), logged));
    CHECK_FALSE(unpack_log(log + '\0', samples.size(), logged));
    CHECK_FALSE(unpack_log(log, samples.size() + 1, logged));
    CHECK_FALSE(unpack_log(log, samples.size() - 1, logged));  // bytes left over

    const std::vector<Point> points{{1000, 1.0}, {2000, 2.5}};
    const std::string chunk = pack_chunk(points, 0);
    std::vector<Point> decoded;
    CHECK_FALSE(unpack_chunk(chunk.substr(0, chunk.size() - 1), 2, 0, decoded));
    CHECK_FALSE(unpack_chunk(chunk, 3, 0, decoded));
    // A value header claiming more than 8 bytes.
    CHECK_FALSE(unpack_chunk(std::string("\x00\x79", 2), 1, 0, decoded));
    // A varint longer than 64 bits.
    CHECK_FALSE(unpack_chunk(std::string(11, '\xff'), 1, 0, decoded));
}

}  // namespace
}  // namespace tocsin::store::sample_codec
