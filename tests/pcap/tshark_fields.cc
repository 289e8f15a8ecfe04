#include "pcap/tshark_fields.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "support/preconditions.h"
#include "support/run_process.h"

namespace tether::pcap::testing {
namespace {

using tether::testing::ProcessResult;
using tether::testing::run_process;

ProcessResult run_tshark(const std::string& pcap, const std::vector<std::string>& arguments) {
  std::vector<std::string> argv{"tshark", "-n", "-r", pcap};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  ProcessResult r = run_process(argv, "", Duration::seconds(60));
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.describe());
  return r;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t at; (at = text.find(separator, start)) != std::string::npos; start = at + 1)
    parts.push_back(text.substr(start, at - start));
  parts.push_back(text.substr(start));
  return parts;
}

std::string first(const std::string& cell) {
  return cell.substr(0, cell.find(','));
}

std::string optional_number(const std::optional<std::uint64_t>& v) {
  return v ? std::to_string(*v) : "";
}

// tshark prints a BASE_HEX field as 0x...; compare numbers, not spellings.
std::string as_number(const std::string& cell) {
  if (cell.empty()) return "";
  return std::to_string(std::stoull(cell, nullptr, 0));
}

// "198.18.0.1:51820" or "[2001:db8::1]:51820" from the outer headers'
// fields. A decrypted inner packet's addresses come after the outer ones,
// in the same field when both are IPv4 or both IPv6, so which family is
// outside is read from frame.protocols ("eth:ethertype:ipv6:udp:wg:ip:...").
std::string endpoint(const std::string& protocols, const std::string& v4, const std::string& v6,
                     const std::string& port) {
  const std::string layers = ":" + protocols + ":";
  const std::size_t at_v4 = layers.find(":ip:"), at_v6 = layers.find(":ipv6:");
  if (at_v4 < at_v6) return first(v4) + ":" + first(port);
  return "[" + first(v6) + "]:" + first(port);
}

std::string joined(const std::vector<std::string>& values) {
  std::string s;
  for (const std::string& v : values) s += (s.empty() ? "" : ",") + v;
  return s;
}

// The bytes of one line of `tshark -x`: "0010  c0 00 02 02 08 00 ...   ascii".
// The hex columns are the 47 characters after the offset and two spaces;
// the ASCII column after them may itself look like hex, so it is not read.
void append_hex_line(const std::string& line, Bytes& out) {
  std::istringstream hex(line.size() > 6 ? line.substr(6, 47) : std::string());
  for (std::string byte; hex >> byte;)
    out.push_back(static_cast<std::uint8_t>(std::stoul(byte, nullptr, 16)));
}

}  // namespace

boost::test_tools::assertion_result needs_tshark(boost::unit_test::test_unit_id) {
  return tether::testing::skip_unless(tether::testing::program_exists("tshark"),
                                      "tshark (Debian package tshark) is not installed");
}

std::vector<std::vector<std::string>> tshark_rows(const std::string& pcap,
                                                  const std::vector<std::string>& options,
                                                  const std::vector<std::string>& fields) {
  std::vector<std::string> arguments = options;
  for (const char* a : {"-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"})
    arguments.push_back(a);
  for (const auto& f : fields) {
    arguments.push_back("-e");
    arguments.push_back(f);
  }
  ProcessResult r = run_tshark(pcap, arguments);
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> row = split(line, '\t');
    row.resize(fields.size());
    rows.push_back(row);
  }
  return rows;
}

std::size_t expect_wireguard_rows_equal(const std::string& pcap, const std::vector<std::string>& options,
                                        const std::vector<TimelineEvent>& events) {
  std::vector<const TimelineEvent*> mine;
  for (const TimelineEvent& e : events)
    if (e.protocol == "wg" && e.layer.empty()) mine.push_back(&e);
  // The timeline is in time order, tshark's rows in the file's; a capture's
  // timestamps need not grow with its records (packets stamped on two CPUs).
  std::stable_sort(mine.begin(), mine.end(), [](const TimelineEvent* a, const TimelineEvent* b) {
    return a->packet_number < b->packet_number;
  });
  std::vector<std::vector<std::string>> rows;
  for (auto& row : tshark_rows(
           pcap, options,
           {"frame.number", "wg.type", "wg.sender", "wg.receiver", "wg.counter", "wg.stream", "wg.keepalive",
            "ip.src", "ipv6.src", "udp.srcport", "ip.dst", "ipv6.dst", "udp.dstport", "frame.protocols"}))
    if (!row[1].empty()) rows.push_back(std::move(row));
  BOOST_TEST_REQUIRE(rows.size() == mine.size(), pcap);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    const TimelineEvent& e = *mine[i];
    BOOST_TEST_CONTEXT(pcap << " frame " << row[0] << " (" << e.kind << ")") {
      BOOST_TEST(row[0] == std::to_string(e.packet_number));
      BOOST_TEST(row[1] == std::to_string(e.wg_type.value_or(0)));
      BOOST_TEST(as_number(row[2]) == optional_number(e.wg_sender));
      BOOST_TEST(as_number(row[3]) == optional_number(e.wg_receiver));
      BOOST_TEST(row[4] == optional_number(e.wg_counter));
      BOOST_TEST(row[5] == optional_number(e.wg_session));
      // An expert item in tshark: present (its text) only on keepalives.
      BOOST_TEST(!row[6].empty() == e.wg_keepalive.value_or(false), "wg.keepalive '" << row[6] << "'");
      BOOST_TEST(endpoint(row[13], row[7], row[8], row[9]) == e.source);
      BOOST_TEST(endpoint(row[13], row[10], row[11], row[12]) == e.destination);
    }
  }
  return rows.size();
}

std::map<std::uint64_t, Bytes> tshark_decrypted_packets(const std::string& pcap, const std::string& key_log) {
  // `tshark -x` dumps each frame's data sources, frames apart by an empty
  // line; a frame with more than one source (the frame, then what a
  // dissector made: "Decrypted Packet (84 bytes):", "Reassembled TCP ...")
  // names each before its lines.
  ProcessResult r = run_tshark(pcap, {"-o", "wg.keylog_file:" + key_log, "-x"});
  std::map<std::uint64_t, Bytes> packets;
  std::uint64_t frame = 1;
  bool in_decrypted = false, frame_had_lines = false;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) {
      if (frame_had_lines) ++frame;
      frame_had_lines = in_decrypted = false;
      continue;
    }
    frame_had_lines = true;
    if (!std::isxdigit(static_cast<unsigned char>(line[0])) || line.find(" bytes):") != std::string::npos) {
      in_decrypted = line.rfind("Decrypted Packet (", 0) == 0;
      if (in_decrypted) packets[frame];
      continue;
    }
    if (in_decrypted) append_hex_line(line, packets[frame]);
  }
  return packets;
}

FrameText smtp_frames_from_tshark(const std::string& pcap) {
  FrameText frames;
  for (auto& col : tshark_rows(pcap, {},
                               {"frame.number", "smtp.req.command", "smtp.response.code",
                                "tls.record.content_type", "tls.record.opaque_type"})) {
    // TLS 1.3 hides the type of encrypted records: tshark reports them as
    // tls.record.opaque_type, after the plaintext ones of the same frame.
    if (!col[4].empty()) col[3] += (col[3].empty() ? "" : ",") + col[4];
    // One code per reply line: collapse a multi-line reply's repeats.
    std::vector<std::string> codes;
    for (const std::string& c : split(col[2], ','))
      if (!c.empty() && (codes.empty() || codes.back() != c)) codes.push_back(c);
    if (col[1].empty() && codes.empty() && col[3].empty()) continue;
    frames[std::stoull(col[0])] = col[1] + " | " + joined(codes) + " | " + col[3];
  }
  return frames;
}

FrameText smtp_frames_from_events(const std::vector<TimelineEvent>& events) {
  std::map<std::uint64_t, std::vector<std::string>> command, code, tls;
  static const std::map<std::string, std::string> kTypes{{"tls-change-cipher-spec", "20"},
                                                         {"tls-alert", "21"},
                                                         {"tls-handshake", "22"},
                                                         {"tls-application-data", "23"}};
  for (const TimelineEvent& e : events) {
    if (e.protocol != "smtp") continue;
    // Wireshark's smtp.req.command holds a command's first 4 characters
    // ("STAR" for STARTTLS); the timeline keeps the whole verb.
    if (e.kind == "command") command[e.packet_number].push_back(e.smtp_verb.substr(0, 4));
    if (e.kind == "reply" || e.kind == "greeting")
      code[e.packet_number].push_back(std::to_string(*e.smtp_code));
    if (kTypes.count(e.kind)) tls[e.packet_number].push_back(kTypes.at(e.kind));
  }
  FrameText frames;
  for (const auto* m : {&command, &code, &tls})
    for (const auto& [n, v] : *m) frames[n];
  for (auto& [n, text] : frames) text = joined(command[n]) + " | " + joined(code[n]) + " | " + joined(tls[n]);
  return frames;
}

std::string show(const FrameText& frames) {
  std::string s;
  for (const auto& [n, text] : frames) s += "frame " + std::to_string(n) + ": " + text + "\n";
  return s;
}

}  // namespace tether::pcap::testing
