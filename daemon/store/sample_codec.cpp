#include "store/sample_codec.hpp"

#include <bit>
#include <cstring>

namespace tocsin::store::sample_codec {
namespace {

// Deltas are computed in uint64 so that extreme times wrap instead of overflowing (undefined for
// int64); decoding wraps back the same way.
std::uint64_t zigzag(std::int64_t v) {
    const auto u = static_cast<std::uint64_t>(v);
    return (u << 1) ^ (v < 0 ? ~std::uint64_t{0} : 0);
}

std::int64_t unzigzag(std::uint64_t u) {
    return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

std::int64_t wrapping_sub(std::int64_t a, std::int64_t b) {
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
}

std::int64_t wrapping_add(std::int64_t a, std::int64_t b) {
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

void put_varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

void put_bits(std::string& out, std::uint64_t bits) {
    for (int i = 0; i < 8; ++i) {
        out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
    }
}

// One header byte (trailing zero bytes << 4 | significant bytes; 0 for an unchanged value), then
// the significant bytes, low first.
void put_xor(std::string& out, std::uint64_t x) {
    if (x == 0) {
        out.push_back(0);
        return;
    }
    const int trailing = std::countr_zero(x) / 8;
    const int leading = std::countl_zero(x) / 8;
    const int size = 8 - trailing - leading;
    out.push_back(static_cast<char>((trailing << 4) | size));
    x >>= 8 * trailing;
    for (int i = 0; i < size; ++i) {
        out.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
    }
}

/// Reads from a blob, failing (and staying failed) past its end.
class Reader {
public:
    explicit Reader(std::string_view data) : data_(data) {}

    bool varint(std::uint64_t& v) {
        v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ >= data_.size()) {
                return false;
            }
            const auto byte = static_cast<std::uint8_t>(data_[pos_++]);
            v |= std::uint64_t{byte & 0x7fU} << shift;
            if ((byte & 0x80) == 0) {
                return true;
            }
        }
        return false;  // more than 10 bytes: not ours
    }

    bool signed_varint(std::int64_t& v) {
        std::uint64_t u = 0;
        if (!varint(u)) {
            return false;
        }
        v = unzigzag(u);
        return true;
    }

    bool bytes(int size, std::uint64_t& v) {
        if (size < 0 || data_.size() - pos_ < static_cast<std::size_t>(size)) {
            return false;
        }
        v = 0;
        for (int i = 0; i < size; ++i) {
            v |= std::uint64_t{static_cast<std::uint8_t>(data_[pos_++])} << (8 * i);
        }
        return true;
    }

    bool xor_value(std::uint64_t& x) {
        std::uint64_t header = 0;
        if (!bytes(1, header)) {
            return false;
        }
        if (header == 0) {
            x = 0;
            return true;
        }
        const int trailing = static_cast<int>(header >> 4);
        const int size = static_cast<int>(header & 0x0f);
        if (size < 1 || trailing + size > 8) {
            return false;
        }
        if (!bytes(size, x)) {
            return false;
        }
        x <<= 8 * trailing;
        return true;
    }

    [[nodiscard]] bool at_end() const { return pos_ == data_.size(); }

private:
    std::string_view data_;
    std::size_t pos_ = 0;
};

}  // namespace

std::string pack_log(std::span<const LoggedSample> samples) {
    std::string out;
    out.reserve(samples.size() * 11);
    std::int64_t series = 0;
    std::int64_t at = 0;
    for (const auto& s : samples) {
        put_varint(out, zigzag(wrapping_sub(s.series_id, series)));
        put_varint(out, zigzag(wrapping_sub(s.at_ms, at)));
        put_bits(out, std::bit_cast<std::uint64_t>(s.value));
        series = s.series_id;
        at = s.at_ms;
    }
    return out;
}

bool unpack_log(std::string_view data, std::size_t count, std::vector<LoggedSample>& out) {
    Reader in(data);
    std::int64_t series = 0;
    std::int64_t at = 0;
    out.reserve(out.size() + count);
    for (std::size_t i = 0; i < count; ++i) {
        std::int64_t series_delta = 0;
        std::int64_t at_delta = 0;
        std::uint64_t bits = 0;
        if (!in.signed_varint(series_delta) || !in.signed_varint(at_delta) || !in.bytes(8, bits)) {
            return false;
        }
        series = wrapping_add(series, series_delta);
        at = wrapping_add(at, at_delta);
        out.push_back(LoggedSample{series, at, std::bit_cast<double>(bits)});
    }
    return in.at_end();
}

std::string pack_chunk(std::span<const Point> points, std::int64_t base_ms) {
    std::string out;
    out.reserve(points.size() * 3 + 8);
    std::int64_t at = base_ms;
    std::int64_t delta = 0;
    std::uint64_t bits = 0;
    for (const auto& p : points) {
        const std::int64_t next_delta = wrapping_sub(p.at_ms, at);
        put_varint(out, zigzag(wrapping_sub(next_delta, delta)));
        const auto value_bits = std::bit_cast<std::uint64_t>(p.value);
        put_xor(out, value_bits ^ bits);
        at = p.at_ms;
        delta = next_delta;
        bits = value_bits;
    }
    return out;
}

bool unpack_chunk(std::string_view data,
                  std::size_t count,
                  std::int64_t base_ms,
                  std::vector<Point>& out) {
    Reader in(data);
    std::int64_t at = base_ms;
    std::int64_t delta = 0;
    std::uint64_t bits = 0;
    out.reserve(out.size() + count);
    for (std::size_t i = 0; i < count; ++i) {
        std::int64_t delta_of_delta = 0;
        std::uint64_t x = 0;
        if (!in.signed_varint(delta_of_delta) || !in.xor_value(x)) {
            return false;
        }
        delta = wrapping_add(delta, delta_of_delta);
        at = wrapping_add(at, delta);
        bits ^= x;
        out.push_back(Point{at, std::bit_cast<double>(bits)});
    }
    return in.at_end();
}

}  // namespace tocsin::store::sample_codec
