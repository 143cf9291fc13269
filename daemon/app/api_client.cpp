#include "app/api_client.hpp"

#include "engine/loader.hpp"

#include <curl/curl.h>

#include <cstdlib>
#include <fstream>
#include <memory>

namespace tocsin::app {
namespace {

std::size_t collect_body(char* data, std::size_t size, std::size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
}

std::string trim(std::string s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    const auto last = s.find_last_not_of(" \t\r\n");
    return first == std::string::npos ? "" : s.substr(first, last - first + 1);
}

}  // namespace

std::optional<ApiTarget> resolve_api_target(const std::string& config_path,
                                            const std::string& url,
                                            std::string& error) {
    ApiTarget target;
    std::string token_file;
    if (!url.empty()) {
        target.base_url = url;
    }
    engine::Diagnostics diags;
    // Only the daemon's own settings matter here; rule files need not be readable by this user.
    auto loaded = engine::load_config_partial(config_path, diags, engine::process_env());
    if (loaded) {
        const auto& api = loaded->config.api;
        if (target.base_url.empty()) {
            if (api.loc.line == 0) {
                error = "no api: block in " + config_path + "; add one or pass --url";
                return std::nullopt;
            }
            target.base_url = "http://" + api.listen;
        }
        token_file = api.token_file;
    } else if (target.base_url.empty()) {
        error = "cannot read " + config_path + " to find the daemon's address; pass --url";
        return std::nullopt;
    }
    while (!target.base_url.empty() && target.base_url.back() == '/') {
        target.base_url.pop_back();
    }
    if (const char* env = std::getenv("TOCSIN_API_TOKEN"); env != nullptr && *env != '\0') {
        target.token = trim(env);
    } else if (!token_file.empty()) {
        std::ifstream in(token_file);
        std::string line;
        if (in && std::getline(in, line)) {
            target.token = trim(line);
        }
    }
    return target;
}

ApiAnswer api_call(const ApiTarget& target,
                   const std::string& method,
                   const std::string& path,
                   const std::string& body) {
    ApiAnswer answer;
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) {
        answer.error = "cannot initialise libcurl";
        return answer;
    }
    const std::string url = target.base_url + path;
    curl_slist* headers = nullptr;
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_guard(nullptr,
                                                                             curl_slist_free_all);
    headers = curl_slist_append(headers, "Accept: application/json");
    if (!target.token.empty()) {
        headers = curl_slist_append(headers, ("Authorization: Bearer " + target.token).c_str());
    }
    if (method != "GET") {
        headers = curl_slist_append(headers, "Content-Type: application/json");
    }
    header_guard.reset(headers);
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer.body);
    if (method != "GET") {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    const auto rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        answer.error =
            "cannot reach the daemon at " + target.base_url + ": " + curl_easy_strerror(rc);
        return answer;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &answer.status);
    return answer;
}

}  // namespace tocsin::app
