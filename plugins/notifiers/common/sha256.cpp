#include "sha256.hpp"

#include <array>
#include <cstdint>

namespace tocsin::plugins::common {
namespace {

constexpr std::size_t kBlockSize = 64;

constexpr std::array<std::uint32_t, 64> kRoundConstants = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

constexpr std::uint32_t rotr(std::uint32_t x, unsigned n) {
    return (x >> n) | (x << (32U - n));
}

class Sha256 {
public:
    void update(std::string_view data) {
        for (const char c : data) {
            block_[filled_++] = static_cast<unsigned char>(c);
            if (filled_ == kBlockSize) {
                compress();
                filled_ = 0;
            }
        }
        bits_ += static_cast<std::uint64_t>(data.size()) * 8U;
    }

    std::string finish() {
        const std::uint64_t bits = bits_;
        update(std::string_view("\x80", 1));
        while (filled_ != kBlockSize - 8) {
            update(std::string_view("\0", 1));
        }
        for (int i = 7; i >= 0; --i) {
            block_[filled_++] = static_cast<unsigned char>(bits >> (static_cast<unsigned>(i) * 8U));
        }
        compress();
        std::string out;
        for (const std::uint32_t word : state_) {
            for (int shift = 24; shift >= 0; shift -= 8) {
                out += static_cast<char>((word >> static_cast<unsigned>(shift)) & 0xFFU);
            }
        }
        return out;
    }

private:
    void compress() {
        std::array<std::uint32_t, 64> w{};
        for (std::size_t i = 0; i < 16; ++i) {
            w[i] = (std::uint32_t{block_[i * 4]} << 24U) |
                   (std::uint32_t{block_[i * 4 + 1]} << 16U) |
                   (std::uint32_t{block_[i * 4 + 2]} << 8U) | std::uint32_t{block_[i * 4 + 3]};
        }
        for (std::size_t i = 16; i < 64; ++i) {
            const std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3U);
            const std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10U);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        auto [a, b, c, d, e, f, g, h] = state_;
        for (std::size_t i = 0; i < 64; ++i) {
            const std::uint32_t s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
            const std::uint32_t choice = (e & f) ^ (~e & g);
            const std::uint32_t t1 = h + s1 + choice + kRoundConstants[i] + w[i];
            const std::uint32_t s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
            const std::uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
            const std::uint32_t t2 = s0 + majority;
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        const std::array<std::uint32_t, 8> add = {a, b, c, d, e, f, g, h};
        for (std::size_t i = 0; i < 8; ++i) {
            state_[i] += add[i];
        }
    }

    std::array<std::uint32_t, 8> state_ = {0x6a09e667,
                                           0xbb67ae85,
                                           0x3c6ef372,
                                           0xa54ff53a,
                                           0x510e527f,
                                           0x9b05688c,
                                           0x1f83d9ab,
                                           0x5be0cd19};
    std::array<unsigned char, kBlockSize> block_{};
    std::size_t filled_ = 0;
    std::uint64_t bits_ = 0;
};

}  // namespace

std::string sha256(std::string_view data) {
    Sha256 hash;
    hash.update(data);
    return hash.finish();
}

std::string hmac_sha256(std::string_view key, std::string_view message) {
    std::string block_key = key.size() > kBlockSize ? sha256(key) : std::string(key);
    block_key.resize(kBlockSize, '\0');
    std::string inner_pad(kBlockSize, '\0');
    std::string outer_pad(kBlockSize, '\0');
    for (std::size_t i = 0; i < kBlockSize; ++i) {
        inner_pad[i] = static_cast<char>(block_key[i] ^ 0x36);
        outer_pad[i] = static_cast<char>(block_key[i] ^ 0x5c);
    }
    Sha256 inner;
    inner.update(inner_pad);
    inner.update(message);
    Sha256 outer;
    outer.update(outer_pad);
    outer.update(inner.finish());
    return outer.finish();
}

}  // namespace tocsin::plugins::common
