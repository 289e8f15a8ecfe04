// Cookies against wireguard-go (issue 9: mac2 and cookie replies were only
// ever checked against tether's own code). tetherd is put under load by a
// flood of junk initiations (more than LoadDetector's 128 handshake
// messages a second); wireguard-go's initiation, with a valid mac1 and no
// mac2, gets a cookie reply instead of a response; wireguard-go must accept
// that reply, and its next initiation must carry a mac2 tetherd accepts,
// so that the handshake completes and a ping goes through while the flood
// goes on. tshark, on wireguard-go's side, is the witness.

#include <signal.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "interop/interop_lab.h"

using namespace tether;
using namespace tether::testing;
using namespace tether::testing::interop;

namespace {

boost::test_tools::assertion_result needs_peers_and_python(boost::unit_test::test_unit_id id) {
  boost::test_tools::assertion_result tools = needs_wireguard_go_and_tshark(id);
  if (!tools) return tools;
  boost::test_tools::assertion_result result(program_exists("python3"));
  result.message() << "SKIPPED: not installed: python3 (scripts/packages.txt; scripts/setup installs them)";
  return result;
}

// Up to 2000 initiations a second of 148 bytes, all zero but the type: their
// mac1 is wrong (tetherd drops them after one BLAKE2s), their mac2 is zero,
// and they leave from a port other than wireguard-go's.
const char* const kFlood =
    "import socket, sys, time\n"
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
    "junk = b'\\x01' + bytes(147)\n"
    "end = time.time() + float(sys.argv[1])\n"
    "while time.time() < end:\n"
    "    for _ in range(20):\n"
    "        s.sendto(junk, ('198.18.0.1', 51820))\n"
    "    time.sleep(0.01)\n";

// tshark's fields for the WireGuard messages matching `filter`, one line each.
std::vector<std::string> fields(const std::string& pcap, const std::string& filter, const std::string& field) {
  ProcessResult r = run_process({"tshark", "-r", pcap, "-Y", filter, "-T", "fields", "-e", field});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.describe());
  std::vector<std::string> out;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) out.push_back(line);
  return out;
}

bool all_zero_hex(const std::string& hex) { return hex.find_first_not_of("0:") == std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(cookie_interop, *boost::unit_test::precondition(needs_peers_and_python))

BOOST_AUTO_TEST_CASE(wireguard_go_takes_tetherds_cookie_and_comes_back_with_mac2) {
  TestDirectory dir{"tether-interop-cookie"};
  KeyPair tether_keys = KeyPair::generate(), wg_keys = KeyPair::generate();
  const auto world = home_and_relay(false);
  const std::string home = world->namespace_of("home"), relay = world->namespace_of("relay");
  const std::string pcap = (dir / "relay.pcap").string();

  std::unique_ptr<ChildProcess> capture = start_capture(relay, "vr", pcap);

  // clang-format off
  Tetherd tetherd(home, dir, "tthome",
                  "[Interface]\n"
                  "PrivateKey = " + tether_keys.private_key + "\n"
                  "ListenPort = 51820\n"
                  "Address = 192.0.2.1/24\n"
                  "\n[Peer]\n"
                  "PublicKey = " + wg_keys.public_key + "\n"
                  "AllowedIPs = 192.0.2.2/32\n");
  auto flooding = ChildProcess::spawn({"ip", "netns", "exec", relay, "python3", "-c", kFlood, "30"});
  BOOST_TEST_REQUIRE(flooding.ok());
  std::unique_ptr<ChildProcess> flood = std::move(*flooding);
  ::usleep(1'500'000);  // past one full second of flood: tetherd is under load
  WireguardGo wg(relay, dir);
  wg.configure("[Interface]\n"
               "PrivateKey = " + wg_keys.private_key + "\n"
               "ListenPort = 51820\n"
               "\n[Peer]\n"
               "PublicKey = " + tether_keys.public_key + "\n"
               "AllowedIPs = 192.0.2.1/32\n"
               "Endpoint = 198.18.0.1:51820\n",
               {"192.0.2.2/24"});
  // clang-format on

  // The first initiation gets a cookie; wireguard-go retries after
  // REKEY_TIMEOUT (5 s), with mac2: one reply within 20 s.
  ProcessResult pinged = run_in(relay, {"ping", "-n", "-c", "1", "-w", "20", "192.0.2.1"}, Duration::seconds(30));
  ::usleep(1'000'000);  // tshark writes what it has seen before it stops
  const bool flood_ran_throughout = !flood->exited();
  ::kill(flood->pid(), SIGKILL);
  flood->wait_exit(Duration::seconds(5));
  stop_capture(*capture);
  BOOST_TEST(pinged.exit_code == 0, pinged.describe() + tetherd.log() + wg.log());
  BOOST_TEST(flood_ran_throughout, flood->output());

  // From tetherd to wireguard-go's port: cookie replies, then a response.
  const std::string to_wg = "wg && ip.src == 198.18.0.1 && udp.dstport == 51820";
  BOOST_TEST(fields(pcap, to_wg + " && wg.type == 3", "wg.type").size() >= 1u);
  BOOST_TEST(fields(pcap, to_wg + " && wg.type == 2", "wg.type").size() >= 1u);
  // wireguard-go's initiations: the first without mac2, a later one with.
  const std::vector<std::string> mac2s =
      fields(pcap, "wg.type == 1 && ip.src == 198.18.0.2 && udp.srcport == 51820", "wg.mac2");
  BOOST_TEST_REQUIRE(mac2s.size() >= 2u);
  BOOST_TEST(all_zero_hex(mac2s.front()), mac2s.front());
  BOOST_TEST(!all_zero_hex(mac2s.back()), mac2s.back());
}

BOOST_AUTO_TEST_SUITE_END()
