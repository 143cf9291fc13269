#include "webhook_signature.hpp"

#include "sha256.hpp"
#include "text_util.hpp"

namespace tocsin::plugins::webhook {

std::string signature(std::string_view secret, std::int64_t unix_seconds, std::string_view body) {
    std::string signed_text = std::to_string(unix_seconds);
    signed_text += '.';
    signed_text += body;
    return "sha256=" + common::to_hex(common::hmac_sha256(secret, signed_text));
}

}  // namespace tocsin::plugins::webhook
