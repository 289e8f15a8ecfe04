// Wireshark as the independent judge of the wire format: tshark captures
// on the relay's veth while tetherd and wireguard-go shake hands, ping and
// keep alive; its WireGuard dissector must see tetherd's initiation or
// response, transport data and a keepalive (a transport message of 32
// bytes), and, given the key log tetherd wrote (--key-log), decrypt the
// inner ICMP. Once with tetherd initiating, once responding: the key log
// covers both halves.

#include <signal.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <set>
#include <sstream>

#include "interop/interop_lab.h"

using namespace tether;
using namespace tether::testing;
using namespace tether::testing::interop;

namespace {

// One captured WireGuard message: outer source, wg.type, UDP length.
struct Message {
  std::string source;
  int type = 0;
  int udp_length = 0;
};

std::vector<Message> wireguard_messages(const std::string& pcap) {
  ProcessResult r = run_process({"tshark", "-r", pcap, "-Y", "wg", "-T", "fields", "-E", "separator=/t", "-e",
                                 "ip.src", "-e", "wg.type", "-e", "udp.length"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.describe());
  std::vector<Message> messages;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    Message m;
    std::string type, length;
    std::getline(fields, m.source, '\t');
    std::getline(fields, type, '\t');
    std::getline(fields, length, '\t');
    m.type = std::atoi(type.c_str());
    m.udp_length = std::atoi(length.c_str());
    messages.push_back(m);
  }
  return messages;
}

// Each `icmp.type` tshark finds, one per line (8 request, 0 reply).
std::string icmp_types(const std::string& pcap, const std::vector<std::string>& options) {
  std::vector<std::string> argv{"tshark", "-r", pcap};
  argv.insert(argv.end(), options.begin(), options.end());
  for (const char* a : {"-Y", "icmp", "-T", "fields", "-e", "icmp.type"}) argv.push_back(a);
  ProcessResult r = run_process(argv);
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.describe());
  return r.out;
}

void capture_and_decode(bool tetherd_initiates) {
  TestDirectory dir{"tether-interop-tshark"};
  KeyPair tether_keys = KeyPair::generate(), wg_keys = KeyPair::generate();
  const auto world = home_and_relay(false);
  const std::string home = world->namespace_of("home"), relay = world->namespace_of("relay");
  const std::string pcap = (dir / "relay.pcap").string();
  const std::string keys = (dir / "keys.log").string();

  std::unique_ptr<ChildProcess> capture = start_capture(relay, "vr", pcap);

  // clang-format off
  WireguardGo wg(relay, dir);
  wg.configure("[Interface]\n"
               "PrivateKey = " + wg_keys.private_key + "\n"
               "ListenPort = 51820\n"
               "\n[Peer]\n"
               "PublicKey = " + tether_keys.public_key + "\n"
               "AllowedIPs = 192.0.2.1/32\n" +
               (tetherd_initiates ? "" : "Endpoint = 198.18.0.1:51820\n"),
               {"192.0.2.2/24"});
  // A keepalive every second of silence, so the capture holds one soon.
  Tetherd tetherd(home, dir, "tthome",
                  "[Interface]\n"
                  "PrivateKey = " + tether_keys.private_key + "\n"
                  "ListenPort = 51820\n"
                  "Address = 192.0.2.1/24\n"
                  "\n[Peer]\n"
                  "PublicKey = " + wg_keys.public_key + "\n"
                  "AllowedIPs = 192.0.2.2/32\n"
                  "PersistentKeepalive = 1\n" +
                  (tetherd_initiates ? "Endpoint = 198.18.0.2:51820\n" : ""),
                  {"--key-log", keys});
  // clang-format on

  ProcessResult pinged = tetherd_initiates ? ping(home, "192.0.2.2") : ping(relay, "192.0.2.1");
  BOOST_TEST_REQUIRE(pinged.exit_code == 0, pinged.describe() + tetherd.log() + wg.log());
  ::usleep(2'500'000);  // a keepalive or two
  stop_capture(*capture);

  std::set<int> from_tetherd, from_wg;
  int keepalives = 0, data = 0;
  for (const Message& m : wireguard_messages(pcap)) {
    if (m.source == "198.18.0.1") {
      from_tetherd.insert(m.type);
      if (m.type == 4 && m.udp_length == 8 + 32) ++keepalives;
      if (m.type == 4 && m.udp_length > 8 + 32) ++data;
    } else if (m.source == "198.18.0.2") {
      from_wg.insert(m.type);
    }
  }
  const int tetherd_handshake = tetherd_initiates ? 1 : 2, wg_handshake = tetherd_initiates ? 2 : 1;
  BOOST_TEST(from_tetherd.count(tetherd_handshake) == 1u);
  BOOST_TEST(from_tetherd.count(4) == 1u);
  BOOST_TEST(from_wg.count(wg_handshake) == 1u);
  BOOST_TEST(from_wg.count(4) == 1u);
  BOOST_TEST(data >= 3);
  BOOST_TEST(keepalives >= 1);

  // Encrypted, the capture shows no ICMP; with tetherd's key log it does.
  BOOST_TEST(icmp_types(pcap, {}).empty());
  const std::string decrypted = icmp_types(pcap, {"-o", "wg.keylog_file:" + keys});
  BOOST_TEST(contains(decrypted, "8\n"), decrypted);
  BOOST_TEST(contains(decrypted, "0\n"), decrypted);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tshark_interop, *boost::unit_test::precondition(needs_wireguard_go_and_tshark))

BOOST_AUTO_TEST_CASE(tshark_decodes_and_decrypts_when_tetherd_initiates) {
  capture_and_decode(true);
}

BOOST_AUTO_TEST_CASE(tshark_decodes_and_decrypts_when_tetherd_responds) {
  capture_and_decode(false);
}

BOOST_AUTO_TEST_SUITE_END()
