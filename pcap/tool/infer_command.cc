// tether-pcap infer FILE... [--keylog F] [--wg-port P] [--inside ADDRESS]
//                          [--format text|json] [--as-set [--host ADDRESS=NAME]... [--scenario FILE]]

#include <cstdio>
#include <map>

#include <CLI/CLI.hpp>

#include "pcap/infer_format.h"
#include "pcap/tool/commands.h"
#include "scenario/scenario_parser.h"

namespace tether::pcap_tool {

namespace {

// Host names by the address a capture shows for them: each host's address,
// and for the home (behind the NAT) every address of the ISP's pools, which
// is what a capture beyond the NAT shows for it.
Result<pcap::HostNames> names_from_scenario(const std::string& path) {
  scenario::ScenarioParse parsed = scenario::load_scenario(path);
  if (!parsed.ok()) return Error(ErrorCode::invalid_argument, "--scenario " + path + ":\n" + parsed.error_text());
  pcap::HostNames names;
  for (const scenario::HostSpec& host : parsed.scenario.hosts) {
    names[host.address.to_string()] = host.name;
    if (host.address6) names[host.address6->to_string()] = host.name;
  }
  if (const scenario::HostSpec* home = parsed.scenario.first_with_role(scenario::HostRole::home)) {
    for (const IpAddress& a : parsed.scenario.isp.pool) names[a.to_string()] = home->name;
    for (const IpAddress& a : parsed.scenario.isp.lte_pool) names[a.to_string()] = home->name;
  }
  return names;
}

}  // namespace

CommandRunner add_infer_command(CLI::App& app) {
  struct Arguments {
    std::vector<std::string> files;
    CaptureOptions capture;
    std::string format = "text";
    bool as_set = false;
    std::vector<std::string> hosts;
    std::string scenario;
    pcap::InferOptions infer;
  };
  auto arguments = std::make_shared<Arguments>();
  CLI::App* command = app.add_subcommand(
      "infer", "Infers a setup's settings from a capture: each side's persistent keepalive, the rekey cadence, "
               "initiation retries and give-up, SMTP retry times per destination, and a bracket on the NAT's UDP "
               "idle timeout; each with its samples and spread, or why the capture cannot tell.");
  command->add_option("FILE", arguments->files, "pcap or pcapng files (- for the standard input)")->required();
  add_capture_options(*command, arguments->capture);
  command->add_option("--inside", arguments->infer.inside,
                      "an address behind the NAT, as the capture shows it (repeatable); default: the side that "
                      "sent each WireGuard pair's first initiation");
  command->add_option("--format", arguments->format, "text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  command->add_flag("--as-set", arguments->as_set,
                    "print the tether-sim --set overrides that make a scenario match the capture");
  command->add_option("--host", arguments->hosts, "ADDRESS=NAME: the scenario host an address stands for (repeatable)");
  command->add_option("--scenario", arguments->scenario,
                      "a scenario file to take host names from (each host's address; the home: the ISP's pool)")
      ->check(CLI::ExistingFile);

  return [arguments]() {
    pcap::HostNames names;
    if (!arguments->scenario.empty()) {
      auto from_scenario = names_from_scenario(arguments->scenario);
      if (!from_scenario.ok()) {
        std::fprintf(stderr, "tether-pcap: %s\n", from_scenario.error().message.c_str());
        return kUsageExit;
      }
      names = std::move(*from_scenario);
    }
    for (const std::string& mapping : arguments->hosts) {
      auto equals = mapping.find('=');
      if (equals == std::string::npos || equals == 0 || equals + 1 == mapping.size()) {
        std::fprintf(stderr, "tether-pcap: --host %s: expected ADDRESS=NAME\n", mapping.c_str());
        return kUsageExit;
      }
      names[mapping.substr(0, equals)] = mapping.substr(equals + 1);
    }
    // The same reading as `timeline`'s: captures, text traces and result directories.
    auto timeline = read_inputs(arguments->files, arguments->capture);
    if (!timeline.ok()) {
      std::fprintf(stderr, "tether-pcap: %s\n", timeline.error().message.c_str());
      return kUsageExit;
    }
    print_problems(*timeline);
    pcap::Inference inference = pcap::infer(*timeline, arguments->infer);
    std::string text = arguments->as_set           ? pcap::infer_as_set(inference, names)
                       : arguments->format == "json" ? pcap::infer_json(inference)
                                                     : pcap::infer_text(inference);
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
      std::fprintf(stderr, "tether-pcap: stdout: write failed\n");
      return 1;
    }
    return 0;
  };
}

}  // namespace tether::pcap_tool
