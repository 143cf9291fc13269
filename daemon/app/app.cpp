#include "app/app.hpp"

#include "app/client_commands.hpp"
#include "app/commands.hpp"
#include "app/daemon.hpp"
#include "app/log.hpp"
#include "app/plugin_check.hpp"

#include <boost/program_options.hpp>

#include <iostream>
#include <string>
#include <vector>

namespace tocsin::app {
namespace po = boost::program_options;
namespace {

constexpr const char* kDefaultConfig = "/etc/tocsin/tocsin.yaml";

constexpr const char* kUsage = R"(usage: tocsin <command> [options]

commands:
  run      [-c FILE] [--log-level L]     run the daemon in the foreground
  check    [-c FILE] [--format json]     validate config, rules and plugin configs; exit 1 on any error
  test     FILE...                       run rule test files on a virtual clock
  plugins  [-c FILE] [--plugin-dir DIR]  list plugins, their versions, kinds and config keys
  plugins  --check LIB.so --config FILE   try one plugin alone: check its config, run one collect or send
  status   [-c FILE] [--json]            the running daemon's health, sources and outbox
  alerts   [-c FILE] [--json] [--state S] pending and firing alerts of the running daemon
  reload   [-c FILE]                     make the running daemon reload (prints why if refused)
  ack      ID [--comment TEXT] [--for DURATION] [--author NAME]
                                         acknowledge a firing alert: its escalation stops
  silence  add MATCHER... (--for DURATION | --until TIME) [--from TIME] [--author NAME]
                 [--comment TEXT] [--calendar NAME]
                                         hide matching alerts (team=growth, severity=~"warning|critical")
  silence  list [--all | --expired] [--json]
                                         silences not yet ended (--all: with the expired ones)
  silence  expire ID                     end a silence now (it stays listed under --expired)
  notifications [-c FILE] [--state S] [--json] [--retry ID]
                                         the outbox; --retry puts a dead letter back in the queue
  notify   --test NOTIFIER [-c FILE]     send a test message through a notifier; print the answer
  version                                print the version

Clients of the running daemon find it through the config's api: block (or --url URL); calls
that change state need the token of api.token_file (or TOCSIN_API_TOKEN).

FILE defaults to /etc/tocsin/tocsin.yaml. See docs/ for guides.
)";

struct Parsed {
    po::variables_map vars;
    std::vector<std::string> positional;
};

/// Parses the options after the command name; unknown options are errors.
Parsed parse(const std::vector<std::string>& args,
             const po::options_description& options,
             bool allow_positional) {
    po::options_description all;
    all.add(options);
    all.add_options()("positional", po::value<std::vector<std::string>>(), "");
    po::positional_options_description pos;
    if (allow_positional) {
        pos.add("positional", -1);
    }
    Parsed parsed;
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), parsed.vars);
    po::notify(parsed.vars);
    if (parsed.vars.count("positional") != 0) {
        parsed.positional = parsed.vars["positional"].as<std::vector<std::string>>();
    }
    return parsed;
}

/// `tocsin silence add|list|expire ...`.
int dispatch_silence(const std::vector<std::string>& args,
                     const po::options_description& config_opt) {
    po::options_description opts;
    opts.add(config_opt);
    opts.add_options()("url", po::value<std::string>()->default_value(""), "API base URL")(
        "json", po::bool_switch(), "print the API's JSON")(
        "for", po::value<std::string>()->default_value(""), "how long the silence lasts")(
        "until", po::value<std::string>()->default_value(""), "when it ends (RFC 3339)")(
        "from", po::value<std::string>()->default_value(""), "when it starts (RFC 3339)")(
        "author", po::value<std::string>(), "who asks for it (default: $USER)")(
        "comment", po::value<std::string>()->default_value(""), "why")(
        "calendar", po::value<std::string>()->default_value(""), "only while this calendar is in")(
        "all", po::bool_switch(), "list expired silences too")(
        "expired", po::bool_switch(), "list only expired silences");
    auto p = parse(args, opts, true);
    log::init("error", false);
    ClientOptions client{p.vars["config"].as<std::string>(),
                         p.vars["url"].as<std::string>(),
                         p.vars["json"].as<bool>()};
    const std::string sub = p.positional.empty() ? "" : p.positional[0];
    const std::vector<std::string> rest(p.positional.begin() + (p.positional.empty() ? 0 : 1),
                                        p.positional.end());
    const auto text = [&](const char* key) { return p.vars[key].as<std::string>(); };
    if (sub == "add") {
        SilenceArgs s;
        s.matchers = rest;
        s.duration = text("for");
        s.until = text("until");
        s.from = text("from");
        s.comment = text("comment");
        s.calendar = text("calendar");
        if (s.matchers.empty()) {
            std::cerr << "tocsin silence add: name at least one matcher, e.g. team=growth\n";
            return 2;
        }
        if (s.duration.empty() == s.until.empty()) {
            std::cerr << "tocsin silence add: give --for DURATION or --until TIME (one of them)\n";
            return 2;
        }
        const char* user = std::getenv("USER");  // NOLINT(concurrency-mt-unsafe)
        s.author = p.vars.count("author") != 0 ? p.vars["author"].as<std::string>()
                                               : (user != nullptr ? user : "cli");
        return command_silence_add(client, s);
    }
    if (sub == "list") {
        if (!rest.empty()) {
            std::cerr << "tocsin silence list: takes no arguments; use --all or --expired\n";
            return 2;
        }
        const bool all = p.vars["all"].as<bool>();
        const bool expired = p.vars["expired"].as<bool>();
        return command_silence_list(client, all ? "all" : expired ? "expired" : "");
    }
    if (sub == "expire") {
        if (rest.size() != 1) {
            std::cerr << "tocsin silence expire: name one silence id (see tocsin silence list)\n";
            return 2;
        }
        return command_silence_expire(client, rest[0]);
    }
    std::cerr << "tocsin silence: use add, list or expire\n";
    return 2;
}

int dispatch(const std::string& command, const std::vector<std::string>& args) {
    po::options_description config_opt("options");
    config_opt.add_options()(
        "config,c", po::value<std::string>()->default_value(kDefaultConfig), "config file");

    if (command == "run") {
        po::options_description opts;
        opts.add(config_opt);
        opts.add_options()("log-level",
                           po::value<std::string>()->default_value("info"),
                           "debug|info|warning|error");
        auto p = parse(args, opts, false);
        // Under systemd (NOTIFY_SOCKET or JOURNAL_STREAM set) journald stamps the time itself.
        const bool systemd =
            std::getenv("JOURNAL_STREAM") != nullptr;  // NOLINT(concurrency-mt-unsafe)
        log::init(p.vars["log-level"].as<std::string>(), systemd);
        return run_daemon(RunOptions{p.vars["config"].as<std::string>()});
    }
    if (command == "check") {
        po::options_description opts;
        opts.add(config_opt);
        opts.add_options()("format", po::value<std::string>()->default_value("text"), "text|json");
        auto p = parse(args, opts, false);
        log::init("error", false);
        return command_check(p.vars["config"].as<std::string>(),
                             p.vars["format"].as<std::string>() == "json");
    }
    if (command == "test") {
        po::options_description opts;
        auto p = parse(args, opts, true);
        if (p.positional.empty()) {
            std::cerr << "tocsin test: name at least one test file\n";
            return 2;
        }
        return command_test(p.positional);
    }
    if (command == "plugins") {
        po::options_description opts;
        opts.add(config_opt);
        opts.add_options()("plugin-dir",
                           po::value<std::vector<std::string>>()->composing(),
                           "directory to search")(
            "check", po::value<std::string>(), "plugin module to try alone, with --config FILE");
        auto p = parse(args, opts, false);
        if (p.vars.count("check") != 0) {
            if (p.vars["config"].defaulted()) {
                std::cerr << "tocsin plugins --check: name the config with --config FILE\n";
                return 2;
            }
            return command_plugin_check(p.vars["check"].as<std::string>(),
                                        p.vars["config"].as<std::string>(),
                                        std::cout,
                                        std::cerr);
        }
        std::vector<std::string> dirs;
        if (p.vars.count("plugin-dir") != 0) {
            dirs = p.vars["plugin-dir"].as<std::vector<std::string>>();
        }
        return command_plugins(p.vars["config"].as<std::string>(), dirs);
    }
    if (command == "status" || command == "alerts" || command == "reload" ||
        command == "notifications" || command == "ack") {
        po::options_description opts;
        opts.add(config_opt);
        opts.add_options()("url", po::value<std::string>()->default_value(""), "API base URL")(
            "json", po::bool_switch(), "print the API's JSON")(
            "state", po::value<std::string>()->default_value(""), "filter by state")(
            "retry", po::value<std::string>()->default_value(""), "notification id to retry")(
            "comment", po::value<std::string>()->default_value(""), "why, what is being done")(
            "for", po::value<std::string>()->default_value(""), "the acknowledgement runs out")(
            "author", po::value<std::string>(), "who acknowledges (default: $USER)");
        auto p = parse(args, opts, command == "ack");
        log::init("error", false);
        ClientOptions client{p.vars["config"].as<std::string>(),
                             p.vars["url"].as<std::string>(),
                             p.vars["json"].as<bool>()};
        const auto state = p.vars["state"].as<std::string>();
        if (command == "status") {
            return command_status(client);
        }
        if (command == "alerts") {
            return command_alerts(client, state);
        }
        if (command == "reload") {
            return command_reload(client);
        }
        if (command == "ack") {
            if (p.positional.size() != 1) {
                std::cerr << "tocsin ack: name one alert id (see tocsin alerts)\n";
                return 2;
            }
            const char* user = std::getenv("USER");  // NOLINT(concurrency-mt-unsafe)
            const std::string author = p.vars.count("author") != 0
                                           ? p.vars["author"].as<std::string>()
                                           : (user != nullptr ? user : "cli");
            return command_ack(client,
                               p.positional[0],
                               author,
                               p.vars["comment"].as<std::string>(),
                               p.vars["for"].as<std::string>());
        }
        return command_notifications(client, state, p.vars["retry"].as<std::string>());
    }
    if (command == "silence") {
        return dispatch_silence(args, config_opt);
    }
    if (command == "notify") {
        po::options_description opts;
        opts.add(config_opt);
        opts.add_options()(
            "test", po::value<std::string>(), "notifier to send a test message through");
        auto p = parse(args, opts, false);
        if (p.vars.count("test") == 0) {
            std::cerr << "tocsin notify: use --test NOTIFIER\n";
            return 2;
        }
        log::init("error", false);
        return command_notify_test(p.vars["config"].as<std::string>(),
                                   p.vars["test"].as<std::string>());
    }
    if (command == "version" || command == "--version") {
        std::cout << "tocsin " << TOCSIN_VERSION << "\n";
        return 0;
    }
    if (command == "help" || command == "--help" || command == "-h") {
        std::cout << kUsage;
        return 0;
    }
    std::cerr << "tocsin: unknown command '" << command << "'\n" << kUsage;
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << kUsage;
        return 2;
    }
    const std::vector<std::string> args(argv + 2, argv + argc);
    try {
        return dispatch(argv[1], args);
    } catch (const po::error& e) {
        std::cerr << "tocsin " << argv[1] << ": " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "tocsin: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace tocsin::app
