#include "app/app.hpp"

#include "app/commands.hpp"
#include "app/daemon.hpp"
#include "app/log.hpp"

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
  version                                print the version

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
                           "directory to search");
        auto p = parse(args, opts, false);
        std::vector<std::string> dirs;
        if (p.vars.count("plugin-dir") != 0) {
            dirs = p.vars["plugin-dir"].as<std::vector<std::string>>();
        }
        return command_plugins(p.vars["config"].as<std::string>(), dirs);
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
