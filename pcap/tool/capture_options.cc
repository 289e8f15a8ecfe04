#include <cstdio>

#include <CLI/CLI.hpp>

#include "pcap/tool/commands.h"

namespace tether::pcap_tool {

void add_capture_options(CLI::App& command, CaptureOptions& options) {
  command.add_option("--keylog", options.keylog,
                     "WireGuard key log (Wireshark's format, as tetherd --wg-key-log writes it): "
                     "decrypts transport messages and dissects their inner packets");
  command.add_option("--wg-port", options.wg_ports,
                     "a UDP port whose every datagram is WireGuard (repeatable); others are "
                     "recognised by shape")
      ->check(CLI::Range(1, 65535));
  command.add_flag("--no-heuristic", options.no_heuristic,
                   "take WireGuard only on the --wg-port ports, not by shape on any port");
}

Result<pcap::TimelineOptions> timeline_options(const CaptureOptions& options) {
  pcap::TimelineOptions out;
  out.sink = options.sink;
  out.wireguard.ports = options.wg_ports;
  out.wireguard.heuristic = !options.no_heuristic;
  if (!options.keylog.empty()) {
    auto keys = pcap::WireGuardKeyLog::read_file(options.keylog);
    if (!keys.ok()) return keys.error();
    out.keys = std::make_shared<const pcap::WireGuardKeyLog>(std::move(*keys));
  }
  return out;
}

void print_problems(const pcap::Timeline& timeline) {
  for (const std::string& p : timeline.problems) std::fprintf(stderr, "tether-pcap: %s\n", p.c_str());
  if (timeline.problems_dropped)
    std::fprintf(stderr, "tether-pcap: ... and %zu more problems not shown\n", timeline.problems_dropped);
}

}  // namespace tether::pcap_tool
