// The TUN device through PosixHost, against the real kernel: the issue's
// acceptance test is `ping` answered by the test through the Host.

#include <sys/stat.h>
#include <stdlib.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <optional>
#include <string>

#include "support/child_process.h"
#include "posix/posix_host_fixture.h"
#include "posix/result_text.h"
#include "support/root_precondition.h"
#include "support/ipv4_icmp.h"
#include "support/unprivileged.h"

namespace tether::testing {
namespace {

using boost::unit_test::precondition;

// What opening a TUN device without CAP_NET_ADMIN answers: empty when it is
// the refusal a user should see, otherwise what is wrong with it.
std::string unprivileged_refusal_problem(Host& host) {
  TunnelDeviceConfig config;
  config.name = "tthnoroot0";
  auto opened = host.open_tunnel(config);
  if (opened.ok()) return "a TUN device opened without privileges";
  const std::string code = to_string(opened.error().code);
  if (code != "permission_denied") return "error code " + code + ": " + opened.error().message;
  if (opened.error().message.find("needs root or CAP_NET_ADMIN") == std::string::npos)
    return "the message does not say what is needed: " + opened.error().message;
  return "";
}

BOOST_AUTO_TEST_SUITE(posix_tun)

BOOST_AUTO_TEST_CASE(kernel_ping_is_answered_through_the_host, *precondition(needs_root) * boost::unit_test::label("root")) {
  PosixHostFixture f;  // a private network namespace, entered by this thread
  TunnelDeviceConfig config;
  config.name = "tthping0";
  config.addresses.push_back(*IpPrefix::parse("198.18.0.1/24"));
  config.addresses.push_back(*IpPrefix::parse("fd00:7e7e::1/64"));
  config.mtu = 1420;
  auto opened = f.host().open_tunnel(config);
  BOOST_REQUIRE_MESSAGE(opened.ok(), result_text(opened));
  auto& device = **opened;
  BOOST_TEST(device.name() == "tthping0");
  BOOST_TEST(device.mtu() == 1420);

  int requests = 0;
  std::string write_error;
  // Other packets (IPv6 router solicitations) are ignored; the echo
  // request is answered with swapped addresses and fresh checksums.
  device.set_packet_handler([&](ByteView packet) {
    auto echo = parse_icmp_echo(packet);
    if (!echo || !echo->is_request) return;
    ++requests;
    auto written = device.write_packet(answer_icmp_echo(*echo));
    if (!written) write_error = written.error().to_string();
  });

  auto spawned = ChildProcess::spawn(
      {"ip", "netns", "exec", f.netns_name(), "ping", "-c", "1", "-W", "2", "198.18.0.2"});
  BOOST_REQUIRE_MESSAGE(spawned.ok(), result_text(spawned));
  auto& ping = **spawned;
  bool exited = false;
  ping.notify_on_exit(f.posix_host().io_context(), [&] { exited = true; });
  BOOST_REQUIRE_MESSAGE(f.run_until([&] { return exited; }, Duration::seconds(10)), "ping did not finish");

  BOOST_TEST(write_error.empty(), write_error);
  BOOST_TEST(requests == 1);
  BOOST_TEST(ping.exit_code().value_or(-1) == 0, ping.output());
  BOOST_TEST(ping.output().find("1 received") != std::string::npos, ping.output());

  // The interface carries what the config asked for.
  auto show = ChildProcess::spawn({"ip", "-n", f.netns_name(), "addr", "show", "dev", "tthping0"});
  BOOST_REQUIRE(show.ok());
  BOOST_REQUIRE((*show)->wait_exit(Duration::seconds(5)));
  const std::string& addr = (*show)->output();
  BOOST_TEST(addr.find("198.18.0.1/24") != std::string::npos, addr);
  BOOST_TEST(addr.find("fd00:7e7e::1/64") != std::string::npos, addr);
  BOOST_TEST(addr.find("mtu 1420") != std::string::npos, addr);
  BOOST_TEST(addr.find(",UP") != std::string::npos, addr);
}

BOOST_AUTO_TEST_CASE(add_route_sends_the_prefix_into_the_device, *precondition(needs_root) * boost::unit_test::label("root")) {
  PosixHostFixture f;
  TunnelDeviceConfig config;
  config.name = "tthroute0";
  config.addresses.push_back(*IpPrefix::parse("10.77.0.1/32"));
  auto opened = f.host().open_tunnel(config);
  BOOST_REQUIRE_MESSAGE(opened.ok(), result_text(opened));
  auto& device = **opened;
  auto v4 = device.add_route(*IpPrefix::parse("10.99.0.0/16"));
  BOOST_REQUIRE_MESSAGE(v4.ok(), result_text(v4));
  auto v6 = device.add_route(*IpPrefix::parse("fd00:99::/48"));
  BOOST_REQUIRE_MESSAGE(v6.ok(), result_text(v6));
  // Adding it again is not an error: wg-quick style config reloads do that.
  BOOST_TEST(device.add_route(*IpPrefix::parse("10.99.0.0/16")).ok());

  // A datagram to the routed prefix comes out of the device.
  bool seen = false;
  device.set_packet_handler([&](ByteView p) {
    if (p.size() >= 20 && (p[0] >> 4) == 4 && p[9] == 17 && p[16] == 10 && p[17] == 99 && p[18] == 3 &&
        p[19] == 4)
      seen = true;
  });
  auto socket = f.host().udp_bind(*Endpoint::parse("0.0.0.0:0"));
  BOOST_REQUIRE(socket.ok());
  auto sent = (*socket)->send_to(*Endpoint::parse("10.99.3.4:9"), ByteView(std::string_view("hello")));
  BOOST_REQUIRE_MESSAGE(sent.ok(), result_text(sent));
  BOOST_TEST(f.run_until([&] { return seen; }, Duration::seconds(5)));
}

BOOST_AUTO_TEST_CASE(device_disappears_when_destroyed, *precondition(needs_root) * boost::unit_test::label("root")) {
  PosixHostFixture f;
  TunnelDeviceConfig config;
  config.name = "tthgone0";
  {
    auto opened = f.host().open_tunnel(config);
    BOOST_REQUIRE_MESSAGE(opened.ok(), result_text(opened));
    // The same name while it exists: the kernel says busy, we say which.
    auto again = f.host().open_tunnel(config);
    BOOST_REQUIRE(!again.ok());
    BOOST_TEST(again.error().message.find("'tthgone0'") != std::string::npos, again.error().message);
  }
  BOOST_TEST(run_command({"ip", "-n", f.netns_name(), "link", "show", "tthgone0"}).ok() == false);
  // And the name is free again.
  auto reopened = f.host().open_tunnel(config);
  BOOST_TEST(reopened.ok());
}

BOOST_AUTO_TEST_CASE(bad_tunnel_configs_are_rejected_with_the_name) {
  PosixHostFixture f;
  TunnelDeviceConfig config;
  config.name = "a-name-longer-than-ifnamsiz";
  auto opened = f.host().open_tunnel(config);
  BOOST_REQUIRE(!opened.ok());
  BOOST_TEST(to_string(opened.error().code) == "invalid_argument");
  BOOST_TEST(opened.error().message.find("'a-name-longer-than-ifnamsiz'") != std::string::npos);
}

// Without privileges the kernel refuses the device; the error must say what
// is missing. As root, the check runs in a child that has become nobody.
BOOST_AUTO_TEST_CASE(tunnel_without_root_says_why) {
  if (!running_as_root()) {
    PosixHostFixture f;
    BOOST_TEST(unprivileged_refusal_problem(f.host()) == "");
    return;
  }
  char dir[] = "/tmp/tether-noroot-XXXXXX";
  BOOST_TEST_REQUIRE(::mkdtemp(dir) != nullptr);
  ::chmod(dir, 0777);
  std::string why;
  const std::optional<std::string> problem = run_as_nobody(
      [&] {
        posix::PosixHostOptions options;
        options.storage_root = std::filesystem::path(dir) / "storage";
        options.log_sink = [](const LogRecord&) {};
        posix::PosixHost host(options);
        return unprivileged_refusal_problem(host);
      },
      &why);
  std::filesystem::remove_all(dir);
  BOOST_TEST_REQUIRE(problem.has_value(), why);
  BOOST_TEST(*problem == "");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::testing
