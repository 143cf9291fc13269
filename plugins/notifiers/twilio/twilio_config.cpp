#include "twilio_config.hpp"

#include "http_response.hpp"

#include <algorithm>
#include <cctype>

namespace tocsin::plugins::twilio {
namespace {

bool is_e164(std::string_view number) {
    if (number.size() < 3 || number.size() > 16 || number[0] != '+' || number[1] == '0') {
        return false;
    }
    return std::all_of(number.begin() + 1, number.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0;
    });
}

bool is_token(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0;
    });
}

}  // namespace

sdk::Status parse_config(const sdk::Config& config, TwilioConfig& out) {
    out.account_sid = config.get_string("account_sid");
    if (out.account_sid.rfind("AC", 0) != 0 || !is_token(out.account_sid)) {
        return sdk::Status::bad_config("account_sid must be the account SID, starting with AC");
    }
    const std::string token = config.get_string("auth_token");
    const std::string key_sid = config.get_string("api_key_sid");
    const std::string key_secret = config.get_string("api_key_secret");
    if (!token.empty() && (!key_sid.empty() || !key_secret.empty())) {
        return sdk::Status::bad_config(
            "set either auth_token or api_key_sid with api_key_secret, not both");
    }
    if (!token.empty()) {
        out.auth_user = out.account_sid;
        out.auth_password = token;
    } else if (!key_sid.empty() && !key_secret.empty()) {
        if (!is_token(key_sid)) {
            return sdk::Status::bad_config("api_key_sid must be an API key SID such as SK...");
        }
        out.auth_user = key_sid;
        out.auth_password = key_secret;
    } else {
        return sdk::Status::bad_config(
            "credentials missing: set auth_token, or api_key_sid with api_key_secret");
    }

    out.from = config.get_string("from");
    out.messaging_service_sid = config.get_string("messaging_service_sid");
    if (out.from.empty() == out.messaging_service_sid.empty()) {
        return sdk::Status::bad_config("set exactly one of from and messaging_service_sid");
    }
    if (!out.messaging_service_sid.empty() &&
        (out.messaging_service_sid.rfind("MG", 0) != 0 || !is_token(out.messaging_service_sid))) {
        return sdk::Status::bad_config("messaging_service_sid must start with MG");
    }
    if (!out.from.empty() && out.from[0] == '+' && !is_e164(out.from)) {
        return sdk::Status::bad_config("from '" + out.from +
                                       "' is not an E.164 number; use e.g. +15550100");
    }

    out.to = config.get_string_list("to");
    if (out.to.empty()) {
        return sdk::Status::bad_config("to is empty; list at least one number such as +15550199");
    }
    for (const auto& number : out.to) {
        if (!is_e164(number)) {
            return sdk::Status::bad_config("to: '" + number +
                                           "' is not an E.164 number; use e.g. +15550199");
        }
    }

    out.api_url = config.get_string("api_url", kDefaultApiUrl);
    while (!out.api_url.empty() && out.api_url.back() == '/') {
        out.api_url.pop_back();
    }
    const std::string_view url = out.api_url;
    if ((url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) ||
        common::redact_url(url).size() <= url.find("://") + 3) {
        return sdk::Status::bad_config(
            "api_url must be an http(s) URL such as https://api.twilio.com");
    }

    const auto validity = config.get_duration("validity_period", std::chrono::hours(1));
    if (validity < std::chrono::seconds(1) || validity > std::chrono::hours(10)) {
        return sdk::Status::bad_config("validity_period must be between 1s and 10h");
    }
    out.validity_period = std::chrono::duration_cast<std::chrono::seconds>(validity);
    return sdk::Status::ok();
}

}  // namespace tocsin::plugins::twilio
