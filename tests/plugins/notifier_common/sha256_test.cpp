#include "sha256.hpp"

#include "text_util.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace cm = tocsin::plugins::common;

namespace {

std::string from_hex(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    }
    return out;
}

std::string hmac_hex(const std::string& key, const std::string& data) {
    return cm::to_hex(cm::hmac_sha256(key, data));
}

}  // namespace

TEST_CASE("sha256 matches the FIPS 180-4 examples", "[notifier-common]") {
    CHECK(cm::to_hex(cm::sha256("")) ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(cm::to_hex(cm::sha256("abc")) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(cm::to_hex(cm::sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    // One million 'a': many blocks, and the length in the padding above 2^16 bits.
    CHECK(cm::to_hex(cm::sha256(std::string(1000000, 'a'))) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("hmac-sha256 matches the RFC 4231 test vectors", "[notifier-common]") {
    // Test case 1
    CHECK(hmac_hex(std::string(20, '\x0b'), "Hi There") ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    // Test case 2: a key shorter than the block
    CHECK(hmac_hex("Jefe", "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // Test case 3
    CHECK(hmac_hex(std::string(20, '\xaa'), std::string(50, '\xdd')) ==
          "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    // Test case 4
    CHECK(hmac_hex(from_hex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                   std::string(50, '\xcd')) ==
          "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    // Test case 5: truncated to 128 bits
    CHECK(hmac_hex(std::string(20, '\x0c'), "Test With Truncation").substr(0, 32) ==
          "a3b6167473100ee06e0c796c2955552b");
    // Test case 6: a key longer than the block is hashed first
    CHECK(hmac_hex(std::string(131, '\xaa'),
                   "Test Using Larger Than Block-Size Key - Hash Key First") ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    // Test case 7
    CHECK(hmac_hex(std::string(131, '\xaa'),
                   "This is a test using a larger than block-size key and a larger than "
                   "block-size data. The key needs to be hashed before being used by the HMAC "
                   "algorithm.") ==
          "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST_CASE("text helpers cut UTF-8 on code point boundaries", "[notifier-common]") {
    CHECK(cm::utf8_length("h\xC3\xA9llo") == 5);
    CHECK(cm::truncate_chars("hello", 5) == "hello");
    CHECK(cm::truncate_chars("hello world", 5) == "hell\xE2\x80\xA6");
    CHECK(cm::truncate_chars("\xC3\xA9\xC3\xA9\xC3\xA9", 2) == "\xC3\xA9\xE2\x80\xA6");
    CHECK(cm::truncate_bytes("\xC3\xA9\xC3\xA9\xC3\xA9", 6) == "\xC3\xA9\xC3\xA9\xC3\xA9");
    // 5 bytes: 2 for text, 3 for "..."; the second é would be split, so only one stays.
    CHECK(cm::truncate_bytes("\xC3\xA9\xC3\xA9\xC3\xA9", 5) == "\xC3\xA9...");
    CHECK(cm::form_encode("a b&c=d+\xC3\xA9") == "a+b%26c%3Dd%2B%C3%A9");
}
