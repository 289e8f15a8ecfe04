// --pcap: per-link captures that tshark reads as a user would. It decodes
// WireGuard (initiation, response, transport) on the home's links and, with
// the key log tether-sim writes beside the captures, decrypts the tunnel down
// to the inner SMTP (TCP port 25); on the relay VM's public link it decodes
// SMTP up to STARTTLS and TLS records after it (the relay offers STARTTLS,
// the sender takes it). Same seed, same pcap bytes, TLS included: its
// randomness and clock come from the hosts. Packets are stamped with the
// scenario's wall clock (epoch + simulated time), as tshark then shows them.
// The tshark checks are skipped when tshark is not installed.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "support/run_process.h"
#include "scenario/scenario_parser.h"
#include "sim/scenario_runner.h"
#include "sim/world/pcap_records.h"
#include "support/test_skip.h"

using namespace tether;
using namespace tether::sim;
using namespace tether::scenario;

namespace {

const std::filesystem::path kFile = std::filesystem::path(TETHER_SOURCE_DIR) / "scenarios" / "nat-expiry.yaml";

std::string run_command(const std::string& command) {
  std::string out;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, p)) > 0;) out.append(buffer, n);
    ::pclose(p);
  }
  return out;
}

bool have_tshark() { return std::system("command -v tshark >/dev/null 2>&1") == 0; }

std::set<std::string> lines(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.insert(l);
  return out;
}

struct Runs {
  std::filesystem::path root = std::filesystem::temp_directory_path() / "tether-scenario-pcap";
  Scenario scenario;
  Runs() {
    std::filesystem::remove_all(root);
    // 20 min, 3 messages, keepalive 25 s: handshakes, keepalives and SMTP.
    auto p = load_scenario(kFile, {"duration=20m", "workload.count=3", "workload.start=2m", "workload.interval=5m",
                                   "hosts.carinho.persistent_keepalive=25"});
    BOOST_TEST_REQUIRE(p.ok(), p.error_text());
    scenario = p.scenario;
    for (const char* name : {"a", "b"}) {
      RunOptions options;
      options.out_dir = root / name;
      options.pcap = true;
      auto r = run_scenario(scenario, options);
      BOOST_TEST_REQUIRE(r.ok(), (r.ok() ? "" : r.error().to_string()));
      BOOST_TEST_REQUIRE(r->metrics->delivered() == 3u, r->summary);
    }
  }
  ~Runs() { std::filesystem::remove_all(root); }
  std::filesystem::path pcap(const std::string& name) const { return root / "a" / "pcap" / name; }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(scenario_pcap)

BOOST_AUTO_TEST_CASE(captures_decode_decrypt_and_repeat_byte_for_byte) {
  Runs runs;
  // One capture per link end, the tunnel key logs beside them.
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(runs.root / "a" / "pcap")) {
    const std::filesystem::path twin = runs.root / "b" / "pcap" / entry.path().filename();
    BOOST_TEST_REQUIRE(std::filesystem::exists(twin), twin);
    BOOST_TEST((testing::read_file(entry.path()) == testing::read_file(twin)), entry.path().filename());
    ++files;
  }
  for (const char* f : {"uplink-0.pcap", "uplink-1.pcap", "lan-0.pcap", "namorar-0.pcap", "sender-0.pcap",
                        "carinho-wg-keys.log", "namorar-wg-keys.log"})
    BOOST_TEST(std::filesystem::exists(runs.pcap(f)), f);
  BOOST_TEST(files >= 10u);
  // STARTTLS happened (so the byte comparison above covered TLS sessions).
  const std::string relay_link = testing::read_file(runs.pcap("namorar-0.pcap"));
  BOOST_TEST(relay_link.find("STARTTLS\r\n") != std::string::npos);
  BOOST_TEST(relay_link.find("220 2.0.0 Ready to start TLS") != std::string::npos);
  BOOST_TEST(testing::read_file(runs.pcap("carinho-wg-keys.log")).find("LOCAL_EPHEMERAL_PRIVATE_KEY = ") != std::string::npos);

  if (!have_tshark()) {
    tether::testing::skip("tshark (Debian package tshark) is not installed: the decoding checks did not run");
    return;
  }
  auto wg_types = [](const std::filesystem::path& pcap, const std::string& filter) {
    return lines(run_command("tshark -r '" + pcap.string() + "' -Y 'wg && " + filter + "' -T fields -e wg.type 2>/dev/null"));
  };
  const std::filesystem::path uplink = runs.pcap("uplink-0.pcap"), lan = runs.pcap("lan-0.pcap");
  // The home's side of the tunnel, before the NAT: all three message types.
  const std::set<std::string> from_home = wg_types(lan, "ip.src == 192.168.1.10");
  for (const char* t : {"1", "4"}) BOOST_TEST(from_home.count(t) == 1u, "LAN, from the home: wg.type " << t);
  // The home uplink, from the relay: response and transport.
  const std::set<std::string> to_home = wg_types(uplink, "ip.src == 203.0.113.10");
  for (const char* t : {"2", "4"}) BOOST_TEST(to_home.count(t) == 1u, "uplink, from the relay: wg.type " << t);
  // The home uplink, from the home after the NAT: the NAT's rewrite must
  // leave a datagram tshark still reads as WireGuard.
  const std::set<std::string> via_nat = wg_types(uplink, "ip.src == 198.51.100.0/24");
  BOOST_TEST(via_nat.count("1") == 1u, "uplink, from the home via the NAT: wg.type 1");

  // Encrypted, no SMTP is visible; with the home's key log tshark decrypts
  // the tunnel (it needs a handshake's initiation and response in one
  // capture) down to the inner SMTP.
  const std::string inner_filter = " -Y 'tcp.port == 25' -T fields -e tcp.dstport 2>/dev/null";
  const std::string keys = runs.pcap("carinho-wg-keys.log").string();
  for (const auto& pcap : {lan, uplink}) {
    BOOST_TEST(run_command("tshark -r '" + pcap.string() + "'" + inner_filter).empty(), pcap.filename());
    const std::string decrypted =
        run_command("tshark -r '" + pcap.string() + "' -o 'wg.keylog_file:" + keys + "'" + inner_filter);
    BOOST_TEST(lines(decrypted).count("25") == 1u, pcap.filename() << ": tunnel decrypted to TCP port 25");
  }
  // The key log itself works: the home's initiation decrypts (its static
  // key and timestamp become visible).
  const std::string initiation = run_command("tshark -r '" + lan.string() + "' -o 'wg.keylog_file:" + keys +
                                             "' -Y 'wg.type == 1' -T fields -e wg.static 2>/dev/null");
  BOOST_TEST(initiation.find("i7O7PPjJKaBbd22t5P+r5idlM5UgKd+gpoSpWCS/1h4=") != std::string::npos, initiation);

  // The relay VM's public side: in each of the 3 SMTP sessions, EHLO and
  // STARTTLS in the clear, then a ClientHello right after the 220, then only
  // TLS records: the envelope and the message are never visible.
  const std::string relay = runs.pcap("namorar-0.pcap").string();
  const std::set<std::string> commands = lines(run_command(
      "tshark -r '" + relay + "' -Y smtp.req -T fields -e tcp.stream -e smtp.command_line 2>/dev/null"));
  const std::set<std::string> hellos = lines(run_command(
      "tshark -r '" + relay + "' -Y 'tls.handshake.type == 1' -T fields -e tcp.stream 2>/dev/null"));
  BOOST_TEST(hellos.size() == 3u);
  for (const std::string& stream : hellos) {
    BOOST_TEST(commands.count(stream + "\tEHLO mail.websteading.net\\r\\n") == 1u, "stream " << stream);
    BOOST_TEST(commands.count(stream + "\tSTARTTLS\\r\\n") == 1u, "stream " << stream);
  }
  BOOST_TEST(commands.size() == 6u);  // no MAIL, RCPT, DATA or QUIT in the clear
  // In the first session, the clear SMTP ends with the 220 to STARTTLS, and
  // the ClientHello follows it; application data records come after that.
  auto frames = [&relay](const std::string& filter) {
    std::vector<long> out;
    for (const std::string& l : lines(run_command("tshark -r '" + relay + "' -Y 'tcp.stream == 0 && " + filter +
                                                  "' -T fields -e frame.number 2>/dev/null")))
      out.push_back(std::stol(l));
    std::sort(out.begin(), out.end());
    return out;
  };
  const std::vector<long> clear = frames("smtp"), client_hello = frames("tls.handshake.type == 1"),
                          app_data = frames("tls.app_data");
  BOOST_REQUIRE(!clear.empty());
  BOOST_REQUIRE(client_hello.size() == 1u);
  BOOST_TEST(clear.back() < client_hello.front());
  BOOST_TEST(run_command("tshark -r '" + relay + "' -Y 'frame.number == " + std::to_string(clear.back()) +
                         "' -T fields -e smtp.response 2>/dev/null")
                 .find("220 2.0.0 Ready to start TLS") != std::string::npos);
  BOOST_TEST(app_data.size() >= 6u);  // the envelope, the message and their replies
  BOOST_TEST(app_data.front() > client_hello.front());
}

BOOST_AUTO_TEST_CASE(captures_are_stamped_with_the_scenarios_wall_clock) {
  const std::filesystem::path out = std::filesystem::temp_directory_path() / "tether-scenario-pcap-epoch";
  std::filesystem::remove_all(out);
  // One message at 2 min; an epoch that is not the default 2026-01-01.
  auto p = load_scenario(kFile, {"duration=3m", "workload.count=1", "workload.start=2m",
                                 "epoch=2026-06-15T12:34:56Z"});
  BOOST_TEST_REQUIRE(p.ok(), p.error_text());
  const std::int64_t epoch = 1781526896;  // 2026-06-15T12:34:56Z
  BOOST_TEST_REQUIRE(p.scenario.epoch.unix_seconds() == epoch);
  RunOptions options;
  options.out_dir = out;
  options.pcap = true;
  auto r = run_scenario(p.scenario, options);
  BOOST_TEST_REQUIRE(r.ok(), (r.ok() ? "" : r.error().to_string()));
  BOOST_TEST_REQUIRE(r->metrics->delivered() == 1u, r->summary);

  // The sender's submission link carries nothing before the workload's
  // first connection: its SYN, at simulated 2 min exactly.
  const std::filesystem::path submission = out / "pcap" / "sender-submission-0.pcap";
  auto file = tether::testing::read_pcap(submission);
  BOOST_TEST_REQUIRE(file.ok(), (file.ok() ? "" : file.error().to_string()));
  BOOST_TEST_REQUIRE(!file->records.empty());
  BOOST_TEST(file->records[0].seconds == epoch + 120);
  BOOST_TEST(file->records[0].microseconds == 0u);
  // The home's first handshake leaves in the first second of the run.
  auto lan = tether::testing::read_pcap(out / "pcap" / "lan-0.pcap");
  BOOST_TEST_REQUIRE(lan.ok(), (lan.ok() ? "" : lan.error().to_string()));
  BOOST_TEST_REQUIRE(!lan->records.empty());
  BOOST_TEST(lan->records[0].seconds == epoch);

  if (!have_tshark()) {
    tether::testing::skip("tshark (Debian package tshark) is not installed: its reading of the time was not checked");
  } else {
    const std::string shown = run_command("tshark -r '" + submission.string() +
                                          "' -c 1 -T fields -e frame.time_epoch -e tcp.flags.syn 2>/dev/null");
    BOOST_TEST(shown.rfind(std::to_string(epoch + 120) + ".000000000\t1", 0) == 0u, shown);
  }
  std::filesystem::remove_all(out);
}

BOOST_AUTO_TEST_CASE(a_wall_clock_past_what_pcap_can_stamp_is_an_error) {
  const std::filesystem::path out = std::filesystem::temp_directory_path() / "tether-scenario-pcap-2106";
  // Classic pcap's seconds end at 2106-02-07T06:28:15Z: this run would cross it.
  auto p = load_scenario(kFile, {"duration=1h", "epoch=2106-02-07T06:00:00Z"});
  BOOST_TEST_REQUIRE(p.ok(), p.error_text());
  RunOptions options;
  options.out_dir = out;
  options.pcap = true;
  auto r = run_scenario(p.scenario, options);
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().to_string().find("2106-02-07T06:28:15Z") != std::string::npos, r.error().to_string());
  std::filesystem::remove_all(out);
}

BOOST_AUTO_TEST_SUITE_END()
