// tether-pcap timeline|infer|compare: captures (and text traces, and
// simulation results) as a user tuning a tunnel and a relay reads them.
// Exit status: see commands.h.

#include <CLI/CLI.hpp>

#include "cli/command_line.h"
#include "pcap/tool/commands.h"

int main(int argc, char** argv) {
  using namespace tether::pcap_tool;
  CLI::App app("Reads captures: a timeline of protocol events, settings inferred from them, and the "
               "comparison of two.",
               "tether-pcap");
  tether::cli::set_synopsis(app, {"tether-pcap timeline FILE... [--keylog F] [--wg-port P] [--format csv|json]",
                                 "tether-pcap infer FILE... [--inside ADDRESS] [--format text|json] [--as-set --scenario F | --host A=NAME]",
                                 "tether-pcap compare A B [--tolerance [KINDS:]MEASURE=VALUE]... [--format text|json]"});
  app.require_subcommand(1);
  const std::vector<std::pair<CLI::App*, CommandRunner>> commands = [&] {
    std::vector<std::pair<CLI::App*, CommandRunner>> out;
    auto add = [&](CommandRunner run) { out.emplace_back(app.get_subcommands({}).back(), std::move(run)); };
    add(add_timeline_command(app));
    add(add_infer_command(app));
    add(add_compare_command(app));
    return out;
  }();
  if (auto exit_code = tether::cli::parse_or_exit(app, argc, argv, kUsageExit)) return *exit_code;
  for (const auto& [command, run] : commands)
    if (command->parsed()) return run();
  return kUsageExit;
}
