// cli/: usage errors in words that name the option, --help, and the
// scenario-run options tether-sim shares with the commands to come.

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command_line.h"
#include "cli/scenario_run_options.h"

using namespace tether::cli;

namespace {

using Kind = ParseOutcome::Kind;

struct Example {
  CLI::App app{"An example command.", "example"};
  std::string file;
  bool flag = false;
  Example() {
    set_synopsis(app, {"example --file FILE [-f]", "example --help"});
    app.add_option("--file", file, "a file")->type_name("FILE");
    app.add_flag("-f", flag, "a flag");
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(command_line)

BOOST_AUTO_TEST_CASE(errors_name_the_option) {
  {
    Example e;
    ParseOutcome o = parse_arguments(e.app, {"--file"});
    BOOST_TEST((o.kind == Kind::usage_error));
    BOOST_TEST(o.error == "--file needs a value");
  }
  {
    Example e;
    ParseOutcome o = parse_arguments(e.app, {"--frob", "--file", "x"});
    BOOST_TEST((o.kind == Kind::usage_error));
    BOOST_TEST(o.error == "unknown option '--frob'");
  }
  {
    Example e;
    ParseOutcome o = parse_arguments(e.app, {"stray"});
    BOOST_TEST((o.kind == Kind::usage_error));
    BOOST_TEST(o.error == "unexpected argument 'stray'");
  }
}

BOOST_AUTO_TEST_CASE(values_in_both_spellings) {
  Example e;
  ParseOutcome o = parse_arguments(e.app, {"--file=a=b", "-f"});
  BOOST_TEST((o.kind == Kind::run));
  BOOST_TEST(e.file == "a=b");
  BOOST_TEST(e.flag);
}

BOOST_AUTO_TEST_CASE(help_starts_with_the_synopsis) {
  Example e;
  ParseOutcome o = parse_arguments(e.app, {"--help"});
  BOOST_TEST((o.kind == Kind::help));
  const std::string help = help_text(e.app);
  BOOST_TEST(
      help.rfind("usage: example --file FILE [-f]\n       example --help\n\nAn example command.\n", 0) == 0,
      help);
  BOOST_TEST(help.find("--file FILE") != std::string::npos, help);
}

BOOST_AUTO_TEST_CASE(scenario_run_options_keep_their_order) {
  CLI::App app("runs a scenario", "runner");
  ScenarioRunArguments arguments;
  add_scenario_run_options(app, arguments);
  ParseOutcome o = parse_arguments(
      app, {"--set", "a.b=1", "s.yaml", "--seed", "7", "--set=seed=9", "--out", "dir", "--pcap"});
  BOOST_TEST_REQUIRE((o.kind == Kind::run), o.error);
  BOOST_TEST(arguments.scenario_file == "s.yaml");
  BOOST_TEST((arguments.overrides == std::vector<std::string>{"a.b=1", "seed=7", "seed=9"}));
  BOOST_TEST(arguments.out_dir == "dir");
  BOOST_TEST(arguments.pcap);
}

BOOST_AUTO_TEST_CASE(a_scenario_file_is_required) {
  CLI::App app("runs a scenario", "runner");
  ScenarioRunArguments arguments;
  add_scenario_run_options(app, arguments);
  ParseOutcome o = parse_arguments(app, {"--pcap"});
  BOOST_TEST((o.kind == Kind::usage_error));
  BOOST_TEST(o.error.find("SCENARIO.yaml") != std::string::npos, o.error);
  ScenarioRunArguments more;
  CLI::App again("runs a scenario", "runner");
  add_scenario_run_options(again, more);
  BOOST_TEST((parse_arguments(again, {"a.yaml", "b.yaml"}).kind == Kind::usage_error));
}

BOOST_AUTO_TEST_SUITE_END()
