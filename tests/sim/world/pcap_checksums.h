#pragma once
// Reads a classic pcap file as ns-3 writes it for a point-to-point device
// (DLT_PPP) or an IP trace (DLT_RAW) and checks every IPv4 packet's header
// checksum and its UDP, TCP or ICMP checksum, computed from scratch, and
// each UDP header's length: what a translated packet must pass in tshark.

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/endpoint.h"

namespace tether::testing {

struct PcapChecksumReport {
  std::size_t packets = 0;
  std::size_t ipv4 = 0, udp = 0, tcp = 0, icmp = 0;
  // One line per bad checksum (or unreadable record), naming the packet.
  std::vector<std::string> problems;
  // How many packets each address sent and received.
  std::map<IpAddress, std::size_t> sources, destinations;
};

PcapChecksumReport check_pcap_checksums(const std::filesystem::path& file);

// tshark's verdict, if tshark is installed: how many packets it reads, and
// how many of them it flags for a bad IPv4, UDP, TCP or ICMP checksum.
struct TsharkVerdict {
  int packets = -1;
  int bad = -1;
};
std::optional<TsharkVerdict> tshark_checksums(const std::filesystem::path& file);

}  // namespace tether::testing
