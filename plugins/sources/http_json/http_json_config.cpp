#include "http_json_config.hpp"

#include "json_extract.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace tocsin::plugins::http_json {
namespace {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return text;
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        out += (out.empty() ? "" : ", ") + item;
    }
    return out;
}

bool is_label_name(std::string_view name) {
    if (name.empty()) {
        return false;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!letter && !(i > 0 && c >= '0' && c <= '9')) {
            return false;
        }
    }
    return true;
}

}  // namespace

sdk::Status parse_config(const sdk::Config& config, HttpJsonConfig& out) {
    auto& request = out.request;
    request.url = config.get_string("url");
    const auto host = http::url_host(request.url);
    if (!host) {
        return sdk::Status::bad_config(
            "url is not an http(s) URL with a host; write e.g. https://api.example.com/stats");
    }
    out.allowed_hosts.clear();
    for (const auto& allowed : config.get_string_list("allowed_hosts")) {
        out.allowed_hosts.push_back(lower(allowed));
    }
    if (out.allowed_hosts.empty()) {
        return sdk::Status::bad_config(
            "allowed_hosts is empty; list the hosts this source may "
            "contact, e.g. [" +
            *host + "]");
    }
    if (std::find(out.allowed_hosts.begin(), out.allowed_hosts.end(), *host) ==
        out.allowed_hosts.end()) {
        return sdk::Status::bad_config("url's host '" + *host + "' is not in allowed_hosts (" +
                                       join(out.allowed_hosts) +
                                       "); add it there if this source may contact it");
    }
    request.redirect_hosts = out.allowed_hosts;
    request.method = config.get_string("method", "GET");
    if (request.method != "GET" && request.method != "POST") {
        return sdk::Status::bad_config("method '" + request.method +
                                       "' is not allowed; use GET or POST");
    }
    request.body = config.get_string("body");
    if (!request.body.empty() && request.method != "POST") {
        return sdk::Status::bad_config("body is set but method is GET; set method: POST");
    }
    request.headers = config.get_string_map("headers");
    if (auto problem = http::check_headers(request.headers)) {
        return sdk::Status::bad_config("headers: " + *problem);
    }
    const bool has_content_type =
        std::any_of(request.headers.begin(), request.headers.end(), [](const auto& header) {
            return lower(header.first) == "content-type";
        });
    if (request.method == "POST" && !has_content_type) {
        request.headers.emplace_back("Content-Type", "application/json");
    }
    request.headers.emplace_back("Accept", "application/json");
    request.bearer_token = config.get_string("bearer_token");
    request.username = config.get_string("username");
    request.password = config.get_string("password");
    if (request.username.empty() != request.password.empty()) {
        return sdk::Status::bad_config("set username and password together for basic auth");
    }
    if (!request.bearer_token.empty() && !request.username.empty()) {
        return sdk::Status::bad_config(
            "bearer_token and username/password are both set; use one way to authenticate");
    }
    request.tls_verify = config.get_bool("tls_verify", true);
    request.ca_file = config.get_string("ca_file");
    return sdk::Status::ok();
}

sdk::Status parse_kpi(const std::string& kpi, const sdk::Config& params, KpiSpec& out) {
    const std::string what = "KPI '" + kpi + "'";
    if (!params.has("pointer")) {
        return sdk::Status::failed(what +
                                   " has no pointer; set pointer to a JSON Pointer such as "
                                   "/data/count");
    }
    out.pointer = params.get_string("pointer");
    out.value_pointer = params.get_string("value_pointer");
    for (const auto* pointer : {&out.pointer, &out.value_pointer}) {
        if (auto problem = check_pointer(*pointer)) {
            return sdk::Status::failed(what + ": " + *problem);
        }
    }
    out.labels.clear();
    for (auto& [name, text] : params.get_string_map("labels")) {
        if (!is_label_name(name)) {
            return sdk::Status::failed(what + ": label name '" + name +
                                       "' is not allowed; use letters, digits and _");
        }
        LabelSpec label{name, false, text};
        if (!text.empty() && text.front() == '/') {
            label.is_pointer = true;
            if (auto problem = check_pointer(text)) {
                return sdk::Status::failed(what + ": label '" + name + "': " + *problem);
            }
        } else if (!text.empty() && text.front() == '=') {
            label.text = text.substr(1);  // '=' escapes fixed text that starts with '/'
        }
        out.labels.push_back(std::move(label));
    }
    return sdk::Status::ok();
}

}  // namespace tocsin::plugins::http_json
