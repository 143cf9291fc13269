// Tests of the loopback HTTP server in tests/support, which the plugin and integration tests rely
// on; driven with libcurl as a real client.

#include "support/http_server.hpp"

#include <catch2/catch.hpp>
#include <curl/curl.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

using std::chrono::milliseconds;
using tocsin::testing::HttpRequest;
using tocsin::testing::HttpResponse;
using tocsin::testing::HttpServer;

namespace {

struct Answer {
    long status = 0;
    std::string body;
    CURLcode code = CURLE_OK;
};

std::size_t collect_body(char* data, std::size_t size, std::size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

// One request with libcurl; `body` makes it a POST.
Answer fetch(const std::string& url,
             const std::optional<std::string>& body = std::nullopt,
             const std::vector<std::string>& headers = {},
             milliseconds timeout = milliseconds(5000)) {
    Answer answer;
    CURL* curl = curl_easy_init();
    curl_slist* list = nullptr;
    for (const auto& header : headers) {
        list = curl_slist_append(list, header.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &collect_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer.body);
    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->c_str());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
    }
    answer.code = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    return answer;
}

}  // namespace

TEST_CASE("test http server records requests and answers from its queue in order", "[support]") {
    HttpServer server;
    server.enqueue(HttpResponse{201, {{"X-Reply", "yes"}}, "first", {}});
    server.set_default_response(HttpResponse{202, {}, "default", {}});

    const auto first = fetch(server.url("/a/b?x=1"), std::string(R"({"k":1})"), {"X-Custom: v1"});
    const auto second = fetch(server.url("/c"));
    CHECK(first.status == 201);
    CHECK(first.body == "first");
    CHECK(second.status == 202);
    CHECK(second.body == "default");

    const auto requests = server.requests();
    REQUIRE(requests.size() == 2);
    CHECK(requests[0].method == "POST");
    CHECK(requests[0].target == "/a/b?x=1");
    CHECK(requests[0].path() == "/a/b");
    CHECK(requests[0].version == "HTTP/1.1");
    CHECK(requests[0].header("x-custom") == "v1");
    CHECK(requests[0].has_header("X-CUSTOM"));
    CHECK(requests[0].body == R"({"k":1})");
    CHECK(requests[1].method == "GET");
    CHECK(requests[1].body.empty());
    CHECK_FALSE(requests[1].has_header("X-Custom"));
    CHECK(requests[1].header("X-Custom").empty());
}

TEST_CASE("test http server handler computes answers and may use the server", "[support]") {
    HttpServer server;
    server.set_handler([&server](const HttpRequest& request) {
        return HttpResponse{
            200, {}, request.path() + " #" + std::to_string(server.request_count()), {}};
    });
    CHECK(fetch(server.url("/x")).body == "/x #1");
    CHECK(fetch(server.url("/y")).body == "/y #2");
}

TEST_CASE("test http server answers Expect: 100-continue and reads large bodies", "[support]") {
    HttpServer server;
    const std::string body(200000, 'b');
    const auto answer = fetch(server.url("/big"), body, {"Expect: 100-continue"});
    CHECK(answer.code == CURLE_OK);
    CHECK(answer.status == 200);
    REQUIRE(server.request_count() == 1);
    CHECK(server.requests().front().body == body);
}

TEST_CASE("test http server wait_for_requests times out when nothing arrives", "[support]") {
    HttpServer server;
    CHECK_FALSE(server.wait_for_requests(1, milliseconds(20)));
    std::thread client([&] { fetch(server.url("/late")); });
    CHECK(server.wait_for_requests(1, milliseconds(5000)));
    client.join();
}

TEST_CASE("test http server stops promptly while an answer is delayed", "[support]") {
    auto server = std::make_unique<HttpServer>();
    server->set_default_response(HttpResponse{200, {}, "", milliseconds(30000)});
    Answer answer;
    std::thread client([&, url = server->url("/hang")] { answer = fetch(url); });
    REQUIRE(server->wait_for_requests(1, milliseconds(5000)));
    const auto started = std::chrono::steady_clock::now();
    server.reset();
    const auto stopping = std::chrono::steady_clock::now() - started;
    client.join();
    CHECK(stopping < milliseconds(1000));
    CHECK(answer.code != CURLE_OK);  // the connection closed without an answer
}
