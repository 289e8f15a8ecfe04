// tether-pcap compare A B [--link GLOB] [--keylog F] [--tolerance [KINDS:]MEASURE=VALUE]...
//   [--tolerance-count V] [--tolerance-ks V] [--tolerance-w1 V] [--tolerance-time V]
//   [--anchor KIND] [--span D] [--format text|json]
// A and B are captures (or text traces) or tether-sim result directories.
// Exit status 0 when every check is within its bound, 1 when one is not, 2
// when an input cannot be read or the command line is wrong.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>

#include "pcap/compare.h"
#include "pcap/compare_report.h"
#include "pcap/tool/commands.h"

namespace tether::pcap_tool {
namespace {

enum class ReportFormat { text, json };

struct Arguments {
  std::string a, b;
  CaptureOptions capture;
  std::vector<std::string> tolerances;
  std::map<std::string, std::string> every_kind;  // measure -> value, from --tolerance-MEASURE
  std::string anchor;
  std::string span;
  ReportFormat format = ReportFormat::text;
};

int fail_usage(const std::string& message) {
  std::fprintf(stderr, "tether-pcap compare: %s\n", message.c_str());
  return kUsageExit;
}

// The options, checked: every tolerance, the span. Errors name the option.
Result<pcap::CompareOptions> compare_options(const Arguments& arguments) {
  pcap::CompareOptions options;
  for (const auto& [measure, value] : arguments.every_kind)
    if (auto added = options.tolerances.add(measure + "=" + value); !added.ok())
      return make_error(ErrorCode::invalid_argument,
                        "--tolerance-" + measure + " " + value + ": " +
                            added.error().message.substr(added.error().message.find(": ") + 2));
  for (const std::string& rule : arguments.tolerances)
    if (auto added = options.tolerances.add(rule); !added.ok()) return added.error();
  options.anchor = arguments.anchor;
  if (!arguments.span.empty()) {
    auto span = parse_duration(arguments.span);
    if (!span.ok() || span->ns() <= 0)
      return make_error(ErrorCode::invalid_argument,
                        "--span '" + arguments.span + "': expected a positive duration such as 90s");
    options.span = *span;
  }
  return options;
}

int run_compare(const Arguments& arguments) {
  auto options = compare_options(arguments);
  if (!options.ok()) return fail_usage(options.error().message);
  auto a = read_inputs({arguments.a}, arguments.capture);
  if (!a.ok()) return fail_usage("A: " + a.error().message);
  auto b = read_inputs({arguments.b}, arguments.capture);
  if (!b.ok()) return fail_usage("B: " + b.error().message);
  print_problems(*a);
  print_problems(*b);
  auto comparison = pcap::compare_timelines(a->events, b->events, *options);
  if (!comparison.ok()) return fail_usage(comparison.error().message);
  const pcap::CompareNames names{arguments.a, arguments.b};
  const std::string report = arguments.format == ReportFormat::json
                                 ? pcap::comparison_json(*comparison, names)
                                 : pcap::comparison_text(*comparison, names);
  if (std::fwrite(report.data(), 1, report.size(), stdout) != report.size() || std::fflush(stdout) != 0)
    return fail_usage("stdout: write failed");
  return comparison->pass() ? 0 : 1;
}

}  // namespace

CommandRunner add_compare_command(CLI::App& app) {
  auto arguments = std::make_shared<Arguments>();
  CLI::App* command = app.add_subcommand(
      "compare",
      "Holds two timelines against each other: event counts per kind, the order of tunnel control "
      "messages, interval distributions (KS, Wasserstein-1) and matched event times. Exit status 0 "
      "within the tolerances, 1 outside them, 2 on bad input.");
  command->add_option("A", arguments->a, "a capture, or a tether-sim result directory (--link)")->required();
  command->add_option("B", arguments->b, "the same")->required();
  add_capture_options(*command, arguments->capture);
  command->add_option(
      "--tolerance", arguments->tolerances,
      "[KINDS:]MEASURE=VALUE (repeatable, later wins): MEASURE count (5 or 5%), ks (0..1), w1 "
      "(1s or 10%), time (1s), or order=exact|prefix|off; KINDS a glob on kind keys such as "
      "'wg.keepalive*'; any value may be off");
  for (const char* measure : {"count", "ks", "w1", "time"}) {
    command->add_option_function<std::string>(
        std::string("--tolerance-") + measure,
        [arguments, measure](const std::string& value) { arguments->every_kind[measure] = value; },
        std::string("the ") + measure + " bound for every kind (as --tolerance " + measure +
            "=VALUE, applied first)");
  }
  command->add_option(
      "--anchor", arguments->anchor,
      "time each side from its first event of this kind (e.g. wg.initiation) instead of its first "
      "event; earlier events are left out");
  command->add_option("--span", arguments->span,
                      "compare only the events less than this long after each anchor (e.g. 90s)");
  command->add_option("--format", arguments->format, "text (default) or json")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, ReportFormat>{{"text", ReportFormat::text}, {"json", ReportFormat::json}}));
  return [arguments]() { return run_compare(*arguments); };
}

}  // namespace tether::pcap_tool
