#include "sim/world/pcap_checksums.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "support/ipv4_icmp.h"

namespace tether::testing {
namespace {

constexpr std::uint32_t kDltPpp = 9, kDltRaw = 101, kDltIpv4 = 228;

std::uint32_t le32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
}
std::uint16_t be16(const std::uint8_t* p) { return std::uint16_t(p[0] << 8 | p[1]); }

// The transport checksum over the pseudo-header and the segment; zero when
// the stored checksum is right.
std::uint16_t transport_sum(const std::uint8_t* ip, std::size_t header_length, std::size_t total) {
  Bytes buffer;
  buffer.insert(buffer.end(), ip + 12, ip + 20);  // source, destination
  buffer.push_back(0);
  buffer.push_back(ip[9]);
  const std::size_t length = total - header_length;
  buffer.push_back(std::uint8_t(length >> 8));
  buffer.push_back(std::uint8_t(length));
  buffer.insert(buffer.end(), ip + header_length, ip + total);
  return internet_checksum(buffer);
}

}  // namespace

PcapChecksumReport check_pcap_checksums(const std::filesystem::path& file) {
  PcapChecksumReport report;
  std::ifstream in(file, std::ios::binary);
  const Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.size() < 24 || le32(data.data()) != 0xa1b2c3d4) {
    report.problems.push_back(file.string() + ": not a little-endian classic pcap file");
    return report;
  }
  const std::uint32_t link_type = le32(data.data() + 20);
  std::size_t offset = 24;
  while (offset + 16 <= data.size()) {
    const std::uint32_t captured = le32(data.data() + offset + 8);
    const std::size_t start = offset + 16;
    offset = start + captured;
    if (offset > data.size()) {
      report.problems.push_back("truncated record");
      break;
    }
    ++report.packets;
    const std::string name = "packet " + std::to_string(report.packets);
    const std::uint8_t* frame = data.data() + start;
    std::size_t length = captured;
    if (link_type == kDltPpp) {
      if (length >= 4 && frame[0] == 0xff && frame[1] == 0x03) {
        frame += 2;
        length -= 2;
      }
      if (length < 2 || be16(frame) != 0x0021) continue;  // not IPv4
      frame += 2;
      length -= 2;
    } else if (link_type != kDltRaw && link_type != kDltIpv4) {
      report.problems.push_back(name + ": link type " + std::to_string(link_type) + " not understood");
      continue;
    }
    if (length < 20 || (frame[0] >> 4) != 4) continue;
    ++report.ipv4;
    const std::size_t header_length = std::size_t(frame[0] & 0x0f) * 4;
    const std::size_t total = be16(frame + 2);
    if (header_length < 20 || total < header_length || total > length) {
      report.problems.push_back(name + ": bad IPv4 lengths");
      continue;
    }
    const IpAddress source = IpAddress::v4_bytes(frame + 12), destination = IpAddress::v4_bytes(frame + 16);
    ++report.sources[source];
    ++report.destinations[destination];
    const std::string who = name + " " + source.to_string() + " > " + destination.to_string();
    if (internet_checksum(ByteView(frame, header_length)) != 0) report.problems.push_back(who + ": bad IPv4 checksum");
    const bool first_fragment = (be16(frame + 6) & 0x1fff) == 0;
    if (!first_fragment) continue;
    switch (frame[9]) {
      case 17:
        ++report.udp;
        if (total - header_length < 8) {
          report.problems.push_back(who + ": short UDP header");
        } else if (be16(frame + header_length + 4) != total - header_length) {
          // What the NAT's rewrite once got wrong (ns-3.37's UdpHeader wrote
          // it 8 bytes short): tshark then reads the datagram as truncated.
          report.problems.push_back(who + ": UDP length " + std::to_string(be16(frame + header_length + 4)) +
                                    " in a " + std::to_string(total - header_length) + "-byte datagram");
        } else if (be16(frame + header_length + 6) == 0) {
          report.problems.push_back(who + ": UDP checksum absent");
        } else if (transport_sum(frame, header_length, total) != 0) {
          report.problems.push_back(who + ": bad UDP checksum");
        }
        break;
      case 6:
        ++report.tcp;
        if (transport_sum(frame, header_length, total) != 0) report.problems.push_back(who + ": bad TCP checksum");
        break;
      case 1:
        ++report.icmp;
        if (internet_checksum(ByteView(frame + header_length, total - header_length)) != 0)
          report.problems.push_back(who + ": bad ICMP checksum");
        break;
      default:
        break;
    }
  }
  return report;
}

namespace {

int count_lines(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return -1;
  int lines = -1;
  if (std::fscanf(pipe, "%d", &lines) != 1) lines = -1;
  pclose(pipe);
  return lines;
}

}  // namespace

std::optional<TsharkVerdict> tshark_checksums(const std::filesystem::path& file) {
  if (std::system("command -v tshark >/dev/null 2>&1") != 0) return std::nullopt;
  const std::string read = "tshark -n -r '" + file.string() + "'";
  TsharkVerdict verdict;
  verdict.packets = count_lines(read + " 2>/dev/null | wc -l");
  // Checksum validation is off by default in Wireshark; with it on, the
  // display filter lists the packets it flags.
  verdict.bad = count_lines(
      read +
      " -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE"
      " -Y 'ip.checksum.status == \"Bad\" || udp.checksum.status == \"Bad\" || tcp.checksum.status == \"Bad\""
      " || icmp.checksum.status == \"Bad\"' 2>/dev/null | wc -l");
  return verdict;
}

}  // namespace tether::testing
