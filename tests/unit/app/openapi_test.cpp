// docs/openapi.yaml and the daemon's routes name the same endpoints: every route registered in
// daemon/app (router.add / router->add calls) is described, and every described operation exists.
#include <catch2/catch.hpp>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace {
namespace fs = std::filesystem;

using Endpoint = std::pair<std::string, std::string>;  // method, path

std::string read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

/// Every `add("METHOD", "/path", ...)` in the daemon's app sources.
std::set<Endpoint> registered_routes() {
    const std::regex add(R"re(\badd\(\s*"(GET|POST|PUT|PATCH|DELETE)",\s*"(/[^"]*)")re");
    std::set<Endpoint> out;
    for (const auto& entry : fs::directory_iterator(fs::path(TOCSIN_SOURCE_DIR) / "daemon/app")) {
        if (entry.path().extension() != ".cpp") {
            continue;
        }
        const auto text = read(entry.path());
        for (std::sregex_iterator it(text.begin(), text.end(), add), end; it != end; ++it) {
            out.emplace((*it)[1], (*it)[2]);
        }
    }
    return out;
}

std::set<Endpoint> documented_operations() {
    const auto doc = YAML::LoadFile(std::string(TOCSIN_SOURCE_DIR) + "/docs/openapi.yaml");
    std::set<Endpoint> out;
    for (const auto& path : doc["paths"]) {
        for (const auto& op : path.second) {
            auto method = op.first.as<std::string>();
            if (method == "parameters" || method == "summary" || method == "description") {
                continue;
            }
            for (auto& c : method) {
                c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            }
            out.emplace(method, path.first.as<std::string>());
        }
    }
    return out;
}

}  // namespace

TEST_CASE("openapi.yaml describes exactly the routes the daemon registers", "[app][openapi]") {
    const auto routes = registered_routes();
    const auto documented = documented_operations();
    REQUIRE(routes.size() >= 10);  // the scan found the route table at all
    for (const auto& [method, path] : routes) {
        INFO("registered but not in docs/openapi.yaml: " << method << " " << path);
        CHECK(documented.count({method, path}) == 1);
    }
    for (const auto& [method, path] : documented) {
        INFO("in docs/openapi.yaml but not registered in daemon/app: " << method << " " << path);
        CHECK(routes.count({method, path}) == 1);
    }
}

TEST_CASE("openapi.yaml is OpenAPI 3.0 and every operation has an id and responses",
          "[app][openapi]") {
    const auto doc = YAML::LoadFile(std::string(TOCSIN_SOURCE_DIR) + "/docs/openapi.yaml");
    CHECK(doc["openapi"].as<std::string>().rfind("3.0.", 0) == 0);
    std::set<std::string> ids;
    for (const auto& path : doc["paths"]) {
        for (const auto& op : path.second) {
            if (op.first.as<std::string>() == "parameters") {
                continue;
            }
            INFO(path.first.as<std::string>() << " " << op.first.as<std::string>());
            REQUIRE(op.second["operationId"]);
            CHECK(ids.insert(op.second["operationId"].as<std::string>()).second);
            CHECK(op.second["responses"].size() > 0);
        }
    }
}
