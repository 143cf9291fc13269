#include "pagerduty_config.hpp"

#include "http_response.hpp"

#include <algorithm>

namespace tocsin::plugins::pagerduty {

sdk::Status parse_config(const sdk::Config& config, PagerDutyConfig& out) {
    out.routing_key = config.get_string("routing_key");
    const bool printable = std::all_of(out.routing_key.begin(), out.routing_key.end(), [](char c) {
        return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
    });
    if (out.routing_key.size() != 32 || !printable) {
        return sdk::Status::bad_config(
            "routing_key must be the 32-character integration key of an Events API v2 "
            "integration");
    }
    out.api_url = config.get_string("api_url", kDefaultApiUrl);
    while (!out.api_url.empty() && out.api_url.back() == '/') {
        out.api_url.pop_back();
    }
    const std::string_view url = out.api_url;
    if ((url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) ||
        common::redact_url(url).size() <= url.find("://") + 3) {
        return sdk::Status::bad_config(
            "api_url must be an http(s) URL such as https://events.pagerduty.com");
    }
    out.source = config.get_string("source");
    out.component = config.get_string("component");
    out.group = config.get_string("group");
    out.client = config.get_string("client", "tocsin");
    return sdk::Status::ok();
}

}  // namespace tocsin::plugins::pagerduty
