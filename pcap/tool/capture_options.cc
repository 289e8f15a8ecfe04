#include <cstdio>

#include <CLI/CLI.hpp>

#include "pcap/result_directory.h"
#include "pcap/tool/commands.h"

namespace tether::pcap_tool {

void add_capture_options(CLI::App& command, CaptureOptions& options) {
  command.add_option("--keylog", options.keylog,
                     "WireGuard key log (Wireshark's format, as tetherd --key-log writes it): "
                     "decrypts transport messages and dissects their inner packets");
  command.add_option("--wg-port", options.wg_ports,
                     "a UDP port whose every datagram is WireGuard (repeatable); others are "
                     "recognised by shape")
      ->check(CLI::Range(1, 65535));
  command.add_flag("--no-heuristic", options.no_heuristic,
                   "take WireGuard only on the --wg-port ports, not by shape on any port");
  command.add_option("--date", options.date,
                     "YYYY-MM-DD: the day of a tcpdump text trace's times of day (default 1970-01-01)");
  command.add_option("--link", options.links,
                     "for a result directory (tether-sim --pcap): the links to read, globs on LINK-N such as "
                     "namorar-0 or '*-0' (repeatable; default lan-0, the home host's own link)");
}

namespace {

Result<CivilDate> parse_date(const std::string& text) {
  unsigned year = 0, month = 0, day = 0;
  char end = 0;
  // WallTime's nanoseconds since 1970 in 64 bits reach from 1677 to 2262.
  if (std::sscanf(text.c_str(), "%4u-%2u-%2u%c", &year, &month, &day, &end) != 3 || year < 1678 || year > 2261 ||
      month < 1 || month > 12 || day < 1 || day > 31)
    return Error(ErrorCode::invalid_argument, "--date " + text + ": not a date YYYY-MM-DD");
  return CivilDate{year, month, day};
}

}  // namespace

Result<pcap::TimelineOptions> timeline_options(const CaptureOptions& options) {
  pcap::TimelineOptions out;
  out.sink = options.sink;
  out.wireguard.ports = options.wg_ports;
  out.wireguard.heuristic = !options.no_heuristic;
  if (!options.date.empty()) {
    auto date = parse_date(options.date);
    if (!date.ok()) return date.error();
    out.text_date = *date;
  }
  if (!options.keylog.empty()) {
    auto keys = pcap::WireGuardKeyLog::read_file(options.keylog);
    if (!keys.ok()) return keys.error();
    out.keys = std::make_shared<const pcap::WireGuardKeyLog>(std::move(*keys));
  }
  return out;
}

Result<pcap::Timeline> read_inputs(const std::vector<std::string>& inputs, const CaptureOptions& options) {
  CaptureOptions without_key_log = options;
  without_key_log.keylog.clear();
  auto timeline = timeline_options(without_key_log);
  if (!timeline.ok()) return timeline.error();
  std::vector<std::string> key_logs;
  if (!options.keylog.empty()) key_logs.push_back(options.keylog);
  return pcap::build_timeline_of_inputs(inputs, key_logs, options.links, *timeline);
}

void print_problems(const pcap::Timeline& timeline) {
  for (const std::string& p : timeline.problems) std::fprintf(stderr, "tether-pcap: %s\n", p.c_str());
  if (timeline.problems_dropped)
    std::fprintf(stderr, "tether-pcap: ... and %zu more problems not shown\n", timeline.problems_dropped);
}

}  // namespace tether::pcap_tool
