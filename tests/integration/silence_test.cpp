// Silences against the running daemon: made and ended through the real CLI over HTTP, honoured by
// the engine (nothing new is delivered for a hidden alert, its firing goes out once the silence
// ends), refused without the token, and kept across a restart in the real SQLite file.
#include "api_fixture.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>

namespace tocsin::testing {
namespace {
using namespace std::chrono_literals;
namespace json = boost::json;

/// An installation whose policy notifies the log notifier `file`, writing one JSON line per
/// notification.
class LoggedInstallation {
public:
    explicit LoggedInstallation(const std::string& later_steps = "")
        : log_path(out.file("notifications.log")),
          inst("  file: { plugin: log, path: " + log_path + " }\n", "[file]") {
        inst.write_rules("[file]", "", later_steps);
        inst.start();
    }

    /// The notifications written so far.
    std::vector<json::object> lines() const {
        std::vector<json::object> out_lines;
        std::ifstream in(log_path);
        for (std::string line; std::getline(in, line);) {
            out_lines.push_back(json::parse(line).as_object());
        }
        return out_lines;
    }

    /// Every outbox item, in any state.
    json::array outbox() const {
        return parse_body(inst.call("GET", "/api/v1/notifications?limit=1000"))
            .at("notifications")
            .as_array();
    }

    /// The current alerts by their `q` label.
    std::map<std::string, json::object> alerts() const {
        std::map<std::string, json::object> by_q;
        const auto body = parse_body(inst.call("GET", "/api/v1/alerts"));
        for (const auto& a : body.at("alerts").as_array()) {
            by_q[std::string(a.at("labels").at("q").as_string())] = a.as_object();
        }
        return by_q;
    }

    json::array silences(const std::string& query = "") const {
        return parse_body(inst.call("GET", "/api/v1/silences" + query)).at("silences").as_array();
    }

    TempDir out;  // the log notifier's file
    std::string log_path;
    ApiInstallation inst;
};

std::string text(const json::value& v) {
    return std::string(v.as_string());
}

/// The q label of the alert a notification line is about.
std::string q_of(const json::object& line) {
    return text(line.at("alerts").as_array()[0].at("labels").at("q"));
}

}  // namespace

TEST_CASE(
    "a silence made with the CLI hides a matching alert until it is expired, and calls without "
    "the token change nothing",
    "[integration][api][silence]") {
    LoggedInstallation t;
    auto& inst = t.inst;

    const auto added = inst.cli({"silence",
                                 "add",
                                 "q=a",
                                 "--for",
                                 "1h",
                                 "--author",
                                 "tess",
                                 "--comment",
                                 "maintenance of a",
                                 "--json"});
    INFO(added.err);
    REQUIRE(added.exit_code == 0);
    const auto silence = json::parse(added.out).as_object();
    const std::string id = text(silence.at("id"));
    CHECK(id.size() == 32);
    CHECK(silence.at("state") == "active");
    CHECK(silence.at("matchers") == json::array{"q=\"a\""});
    CHECK(silence.at("author") == "tess");

    const auto listed = inst.cli({"silence", "list"});
    CHECK(listed.exit_code == 0);
    CHECK_THAT(listed.out,
               Catch::Contains(id) && Catch::Contains("tess") && Catch::Contains("q=\"a\"") &&
                   Catch::Contains("maintenance of a"));

    inst.push(R"({"kpi":"queue_depth","value":500,"labels":{"q":"a"}},)"
              R"({"kpi":"queue_depth","value":700,"labels":{"q":"b"}})");
    REQUIRE(eventually([&] { return !t.lines().empty(); }, 10s));
    // Both alerts fired in the same step, so its whole outbox is there: only b's firing.
    auto alerts = t.alerts();
    REQUIRE(alerts.size() == 2);
    CHECK(alerts["a"].at("state") == "firing");
    CHECK(alerts["a"].at("silenced_by") == json::value(id));
    CHECK(alerts["b"].at("silenced_by").is_null());
    const auto outbox = t.outbox();
    REQUIRE(outbox.size() == 1);
    CHECK(outbox[0].at("fingerprint") == json::value(alerts["b"].at("id")));
    CHECK(q_of(t.lines()[0]) == "b");

    const auto shown = inst.cli({"alerts"});
    CHECK(shown.exit_code == 0);
    CHECK_THAT(shown.out, Catch::Matches("(.|\n)*silenced +critical +500 .*q=a(.|\n)*"));
    CHECK_THAT(shown.out, Catch::Matches("(.|\n)*firing +critical +700 .*q=b(.|\n)*"));

    // Without the token, or with a wrong one: 401 and nothing changes.
    const std::string fp_b = text(alerts["b"].at("id"));
    for (const std::string token : {"", "wrong-token-of-the-same-size-00"}) {
        INFO("token '" << token << "'");
        CHECK(inst.call("POST",
                        "/api/v1/silences",
                        R"({"matchers":["q=b"],"duration":"1h","author":"eve"})",
                        "application/json",
                        token)
                  .status == 401);
        CHECK(inst.call("DELETE", "/api/v1/silences/" + id, "", "application/json", token).status ==
              401);
        CHECK(inst.call("POST",
                        "/api/v1/alerts/" + fp_b + "/ack",
                        R"({"author":"eve"})",
                        "application/json",
                        token)
                  .status == 401);
    }
    const auto still = t.silences();
    REQUIRE(still.size() == 1);
    CHECK(still[0].at("id") == json::value(id));
    CHECK(still[0].at("state") == "active");
    alerts = t.alerts();
    CHECK(alerts["a"].at("silenced_by") == json::value(id));
    CHECK(alerts["b"].at("ack").is_null());
    CHECK(t.outbox().size() == 1);

    // Expired through the CLI: the firing held back goes out now, and the silence is kept.
    const auto expired = inst.cli({"silence", "expire", id});
    INFO(expired.err);
    CHECK(expired.exit_code == 0);
    CHECK_THAT(expired.out, Catch::Contains("silence " + id + " ended"));
    REQUIRE(eventually([&] { return t.lines().size() >= 2; }, 10s));
    const auto lines = t.lines();
    CHECK(q_of(lines[1]) == "a");
    CHECK(lines[1].at("kind") == "firing");
    CHECK(t.alerts()["a"].at("silenced_by").is_null());

    CHECK_THAT(inst.cli({"silence", "list"}).out, Catch::Contains("no active or pending silences"));
    CHECK(t.silences().empty());
    const auto audit = t.silences("?state=expired");
    REQUIRE(audit.size() == 1);
    CHECK(audit[0].at("id") == json::value(id));
    CHECK(audit[0].at("comment") == "maintenance of a");
    CHECK_THAT(inst.cli({"silence", "list", "--expired"}).out, Catch::Contains(id));
    CHECK(t.silences("?state=all").size() == 1);

    // Ending it again is refused with the API's message; an unknown id is a 404.
    const auto again = inst.cli({"silence", "expire", id});
    CHECK(again.exit_code == 1);
    CHECK_THAT(again.err, Catch::Contains("409") && Catch::Contains("has already ended"));
    CHECK(inst.call("DELETE", "/api/v1/silences/0123456789abcdef").status == 404);
    CHECK(inst.call("GET", "/api/v1/silences/0123456789abcdef").status == 404);
    CHECK(parse_body(inst.call("GET", "/api/v1/silences/" + id)).at("state") == "expired");

    // Silenced after its firing went out, b still resolves to those told.
    const auto hide_b =
        inst.call("POST",
                  "/api/v1/silences",
                  R"({"matchers":["q=b","severity=critical"],"duration":"1h","author":"tess"})");
    REQUIRE(hide_b.status == 201);
    CHECK(t.alerts()["b"].at("silenced_by") == parse_body(hide_b).at("id"));
    inst.push(R"({"kpi":"queue_depth","value":1,"labels":{"q":"b"}})");
    REQUIRE(eventually([&] { return t.lines().size() >= 3; }, 10s));
    CHECK(q_of(t.lines()[2]) == "b");
    CHECK(t.lines()[2].at("kind") == "resolved");
}

TEST_CASE("a silence request the API cannot honour gets a 400 that says why",
          "[integration][api][silence]") {
    LoggedInstallation t;
    auto& inst = t.inst;
    const auto refused = [&](const std::string& body, const std::string& why) {
        const auto answer = inst.call("POST", "/api/v1/silences", body);
        INFO(body << " -> " << answer.body);
        CHECK(answer.status == 400);
        CHECK_THAT(text(parse_body(answer).at("error")), Catch::Contains(why));
    };
    refused(R"({"duration":"1h","author":"a"})", "matchers is required");
    refused(R"({"matchers":[],"duration":"1h","author":"a"})", "at least one matcher");
    refused(R"({"matchers":["q=~\".*\""],"duration":"1h","author":"a"})", "hide everything");
    refused(R"({"matchers":["q=~\"(\""],"duration":"1h","author":"a"})",
            "not a valid regular expression");
    refused(R"({"matchers":["q=a"],"duration":"1h"})", "needs an author");
    refused(R"({"matchers":["q=a"],"author":"a"})", "give ends_at");
    refused(R"({"matchers":["q=a"],"author":"a","duration":"1h","ends_at":"2030-01-01T00:00:00Z"})",
            "not both");
    refused(R"({"matchers":["q=a"],"author":"a","ends_at":"2001-01-01T00:00:00Z"})",
            "ends before it starts");
    refused(R"({"matchers":["q=a"],"author":"a","starts_at":"2000-01-01T00:00:00Z",)"
            R"("ends_at":"2001-01-01T00:00:00Z"})",
            "ended already");
    refused(R"({"matchers":["q=a"],"author":"a","duration":"soon"})", "duration must be");
    refused(R"({"matchers":["q=a"],"author":"a","duration":"1h","starts_at":"today"})", "RFC 3339");
    refused(R"({"matchers":["q=a"],"author":"a","duration":"1h","calendar":"lunch"})",
            "no calendar named 'lunch'");
    refused(R"({"matchers":["q=a"],"author":"a","duration":"1h","until":"x"})",
            "unknown field 'until'");
    refused("[1]", "body must be a JSON object");
    CHECK(inst.call("GET", "/api/v1/silences?state=old").status == 400);
    CHECK(t.silences("?state=all").empty());

    // The CLI prints the API's message and exits 1.
    const auto cli = inst.cli({"silence", "add", "q=~(", "--for", "1h", "--author", "tess"});
    CHECK(cli.exit_code == 1);
    CHECK_THAT(cli.err,
               Catch::Contains("400") && Catch::Contains("not a valid regular expression"));
    CHECK(inst.cli({"silence", "add", "q=a", "--author", "tess"}).exit_code == 2);
}

TEST_CASE(
    "silences survive a restart, and a recurring one hides alerts only while its calendar is in",
    "[integration][api][silence]") {
    LoggedInstallation t(
        "calendars:\n"
        "  always: { include: [{weekdays: [mon, tue, wed, thu, fri, sat, sun]}] }\n"
        "  long_ago: { include: [{dates: [\"2001-01-01\"]}] }\n");
    auto& inst = t.inst;
    const auto add = [&](const std::string& body) {
        const auto answer = inst.call("POST", "/api/v1/silences", body);
        INFO(answer.body);
        REQUIRE(answer.status == 201);
        return text(parse_body(answer).at("id"));
    };
    const auto plain = add(R"({"matchers":["q=c"],"duration":"2h","author":"ana"})");
    const auto recurring =
        add(R"({"matchers":["q=~\"d|e\""],"duration":"2h","author":"ana","calendar":"always"})");
    const auto never = add(
        R"({"matchers":["q=f"],"duration":"2h","author":"ana","comment":"old","calendar":"long_ago"})");
    const auto later = add(
        R"({"matchers":["q=g"],"starts_at":"2099-01-01T00:00:00Z","duration":"2h","author":"ana"})");
    CHECK(parse_body(inst.call("GET", "/api/v1/silences/" + later)).at("state") == "pending");

    // A crash right after: the silences were on disk before the API answered.
    inst.daemon->kill9();
    inst.start();
    CHECK_THAT(inst.daemon->log(), Catch::Contains("and 4 silence(s)"));
    const auto listed = t.silences();
    REQUIRE(listed.size() == 4);
    CHECK(listed[3].at("id") == json::value(later));  // ordered by start
    CHECK(t.silences("?state=pending").size() == 1);
    CHECK(t.silences("?state=active").size() == 3);

    inst.push(R"({"kpi":"queue_depth","value":500,"labels":{"q":"c"}},)"
              R"({"kpi":"queue_depth","value":500,"labels":{"q":"d"}},)"
              R"({"kpi":"queue_depth","value":500,"labels":{"q":"f"}},)"
              R"({"kpi":"queue_depth","value":500,"labels":{"q":"h"}})");
    REQUIRE(eventually([&] { return t.lines().size() >= 2; }, 10s));
    const auto alerts = t.alerts();
    REQUIRE(alerts.size() == 4);
    CHECK(alerts.at("c").at("silenced_by") == json::value(plain));
    CHECK(alerts.at("d").at("silenced_by") == json::value(recurring));
    CHECK(alerts.at("f").at("silenced_by").is_null());  // its calendar is never in
    CHECK(alerts.at("h").at("silenced_by").is_null());
    std::set<std::string> told;
    for (const auto& line : t.lines()) {
        told.insert(q_of(line));
    }
    CHECK(told == std::set<std::string>{"f", "h"});
    CHECK(t.outbox().size() == 2);

    // A reload builds a new engine: it gets the silences too, and nothing new goes out.
    const auto reload = inst.call("POST", "/api/v1/reload", "{}");
    INFO(reload.body);
    REQUIRE(reload.status == 200);
    const auto reloaded = t.alerts();
    CHECK(reloaded.at("c").at("silenced_by") == json::value(plain));
    CHECK(reloaded.at("d").at("silenced_by") == json::value(recurring));
    CHECK(t.outbox().size() == 2);
    CHECK(parse_body(inst.call("GET", "/api/v1/silences/" + never)).at("comment") == "old");
}

}  // namespace tocsin::testing
