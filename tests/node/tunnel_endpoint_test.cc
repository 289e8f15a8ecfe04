// TunnelEndpoint on the manual clock: two ManualHosts in one ManualWorld,
// a relay with a static address and a home host that dials it by name, as
// in the seed's set-up. Pings go through the tunnel devices' OS side, the
// way a process on each host would send them.

#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "node/os_side_host.h"
#include "node/tunnel_show.h"
#include "node/tunnel_test_nodes.h"
#include "support/manual_host.h"
#include "support/manual_world.h"

using namespace tether;
using namespace tether::node;
using namespace tether::testing;
using tunnel::EventKind;

namespace {

const IpAddress kRelayAddress = *IpAddress::parse("203.0.113.1");
const IpAddress kRelayMovedAddress = *IpAddress::parse("198.51.100.7");
const IpAddress kHomeAddress = *IpAddress::parse("192.0.2.10");
const std::string kRelayName = "relay.example.net";

DnsAnswer a_record(const IpAddress& address) {
  DnsAnswer answer;
  answer.addresses = {address};
  answer.ttl = Duration::seconds(60);
  return answer;
}

// One machine: a ManualHost, the OS side of its tunnel device, and the
// endpoint under test.
struct Machine {
  Machine(ManualWorld& world, const std::string& name, const IpAddress& address, std::uint64_t seed)
      : host(world, options(name, address, seed)), tap(host) {
    os.clock = [this] { return host.now(); };
  }
  ~Machine() { endpoint.reset(); }

  static ManualHostOptions options(const std::string& name, const IpAddress& address, std::uint64_t seed) {
    ManualHostOptions o;
    o.hostname = name;
    o.addresses = {address};
    o.seed = seed;
    return o;
  }

  void start(const std::string& conf, const IpAddress& inner, TunnelEndpointOptions options = {}) {
    endpoint = std::make_unique<TunnelEndpoint>(tap, parse_conf(conf), options);
    endpoint->subscribe([this](const tunnel::Event& e) { events.push_back(e); });
    Result<void> started = endpoint->start();
    BOOST_TEST_REQUIRE(started.ok(), (started.ok() ? "" : started.error().to_string()));
    os.own = inner;
    OsSideHost::Os& side = tap.os(endpoint->interface_name());
    os.inject = [&side](ByteView packet) { side.inject(packet); };
    side.on_packet = [this](ByteView packet) { os.deliver(packet); };
  }

  std::size_t count(EventKind kind) const { return count_events(events, kind); }
  std::vector<Time> times_of(EventKind kind) const {
    std::vector<Time> t;
    for (const auto& e : events)
      if (e.kind == kind) t.push_back(e.time);
    return t;
  }
  bool logged(const std::string& part) const {
    for (const std::string& line : host.log_lines())
      if (contains(line, part)) return true;
    return false;
  }
  std::string log_text() const {
    std::string all;
    for (const std::string& line : host.log_lines()) all += line + "\n";
    return all;
  }
  TunnelPeerStatus peer() const {
    auto status = endpoint->status();
    BOOST_REQUIRE_EQUAL(status.peers.size(), 1u);
    return status.peers.front();
  }

  ManualHost host;
  OsSideHost tap;
  PingingOs os;
  std::unique_ptr<TunnelEndpoint> endpoint;
  std::vector<tunnel::Event> events;
};

struct World {
  World() { world.set_latency(Duration::milliseconds(5)); }

  // The relay at `address`, the home host dialling it by name.
  void start_both(const IpAddress& relay_address = kRelayAddress, TunnelEndpointOptions home_options = {}) {
    relay = std::make_unique<Machine>(world, "relay", relay_address, 1);
    home = std::make_unique<Machine>(world, "home", kHomeAddress, 2);
    home->host.set_dns(kRelayName, DnsRecordType::a, a_record(relay_address));
    relay->start(relay_conf(), kRelayInner);
    home->start(home_conf(kRelayName + ":51820"), kHomeInner, home_options);
  }

  bool run_until(const std::function<bool()>& done, Duration limit) { return world.run_until(done, limit); }

  ManualWorld world;
  std::unique_ptr<Machine> relay;
  std::unique_ptr<Machine> home;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(tunnel_endpoint)

BOOST_AUTO_TEST_CASE(handshake_and_pings_both_ways_through_the_devices) {
  World w;
  w.start_both();
  // wg-quick's routes: each peer's AllowedIPs through the interface.
  BOOST_TEST(w.home->tap.os("wg0").routes.size() == 1u);
  BOOST_TEST(w.home->tap.os("wg0").routes.front() == *IpPrefix::parse("10.8.0.1/32"));
  BOOST_TEST(w.relay->tap.os("wg0").config.mtu == 1420);
  BOOST_TEST(w.relay->tap.os("wg0").config.addresses.front() == *IpPrefix::parse("10.8.0.1/24"));
  BOOST_TEST(w.relay->endpoint->local_endpoint()->port() == 51820);

  // The name resolves, and the home host's keepalive brings the tunnel up
  // without any traffic.
  BOOST_TEST_REQUIRE(w.run_until([&] { return w.home->count(EventKind::handshake_completed) > 0; }, Duration::seconds(2)));
  TunnelPeerStatus to_relay = w.home->peer();
  BOOST_TEST(to_relay.endpoint_is_name);
  BOOST_TEST(to_relay.lookups == 1u);
  BOOST_TEST_REQUIRE(to_relay.stats.endpoint.has_value());
  BOOST_TEST(*to_relay.stats.endpoint == Endpoint(kRelayAddress, 51820));
  BOOST_TEST(w.home->logged("relay.example.net is 203.0.113.1:51820"), w.home->log_text());

  // Home pings the relay's tunnel address: the relay's OS answers.
  w.home->os.ping(kRelayInner);
  BOOST_TEST_REQUIRE(w.run_until([&] { return w.home->os.answered(1); }, Duration::seconds(1)));
  BOOST_TEST(w.relay->os.requests_seen.size() == 1u);
  BOOST_TEST(w.relay->os.requests_seen.front().source == kHomeInner);

  // And the relay pings home, over the endpoint it learnt from home's packets.
  w.relay->os.ping(kHomeInner);
  BOOST_TEST_REQUIRE(w.run_until([&] { return w.relay->os.answered(1); }, Duration::seconds(1)));
  BOOST_TEST(w.home->os.requests_seen.size() == 1u);
  TunnelPeerStatus to_home = w.relay->peer();
  BOOST_TEST(!to_home.configured_endpoint.has_value());
  BOOST_TEST_REQUIRE(to_home.stats.endpoint.has_value());
  BOOST_TEST(to_home.stats.endpoint->address() == kHomeAddress);
  BOOST_TEST(to_home.stats.rx_bytes > 0u);
  BOOST_TEST(to_home.stats.tx_bytes > 0u);
  BOOST_TEST(w.relay->endpoint->status().counters.packets_delivered == 2u);  // request + reply

  // As `wg show` prints it.
  w.world.run_for(Duration::seconds(3));
  std::string shown = format_wg_show(w.home->endpoint->status());
  BOOST_TEST(contains(shown, "interface: wg0\n  public key: " + home_identity().public_b64 + "\n  private key: (hidden)\n"),
             shown);
  BOOST_TEST(contains(shown, "peer: " + relay_identity().public_b64 + "\n  endpoint: 203.0.113.1:51820\n"
                             "  allowed ips: 10.8.0.1/32\n  latest handshake: 3 seconds ago\n  transfer: "),
             shown);
  BOOST_TEST(contains(shown, "  persistent keepalive: every 25 seconds\n"), shown);
}

BOOST_AUTO_TEST_CASE(packets_that_leave_the_deadline_alone_do_not_rearm_the_timer) {
  World w;
  w.start_both();
  BOOST_TEST_REQUIRE(w.run_until([&] { return w.home->count(EventKind::handshake_completed) > 0; }, Duration::seconds(2)));
  w.home->os.ping(kRelayInner);
  BOOST_TEST_REQUIRE(w.run_until([&] { return w.home->os.answered(1); }, Duration::seconds(1)));
  // A burst of 50 pings: 100 packets through each endpoint. The timers move
  // only at the turn of the flow (the first packet each way starts the
  // keepalive or rekey timer, the rest find it pending), so the Host's timer
  // is armed a few times, not once per packet.
  const std::uint64_t relay_arms = w.relay->host.timer_arms(), home_arms = w.home->host.timer_arms();
  for (int i = 0; i < 50; ++i) w.home->os.ping(kRelayInner);
  BOOST_TEST_REQUIRE(w.run_until([&] { return w.home->os.answered(51); }, Duration::seconds(1)));
  BOOST_TEST(w.relay->host.timer_arms() - relay_arms <= 4u, w.relay->host.timer_arms() - relay_arms);
  BOOST_TEST(w.home->host.timer_arms() - home_arms <= 4u, w.home->host.timer_arms() - home_arms);
  // The timers still fire when due: the home's keepalive after 25 s of silence.
  const std::size_t keepalives = w.home->count(EventKind::keepalive_sent);
  w.world.run_for(Duration::seconds(30));
  BOOST_TEST(w.home->count(EventKind::keepalive_sent) > keepalives);
}

BOOST_AUTO_TEST_CASE(persistent_keepalive_every_25_seconds_of_silence) {
  World w;
  w.start_both();
  BOOST_TEST_REQUIRE(w.run_until([&] { return w.home->count(EventKind::handshake_completed) > 0; }, Duration::seconds(2)));
  const Time up = w.world.now();
  const std::uint64_t relay_rx_before = w.relay->peer().stats.rx_bytes;
  w.world.run_for(Duration::seconds(110));  // before the 120 s rekey

  std::vector<Time> keepalives = w.home->times_of(EventKind::keepalive_sent);
  // One confirming the new session at once, then one per 25 s of silence.
  BOOST_TEST_REQUIRE(keepalives.size() == 5u);
  BOOST_TEST((keepalives[0] - up) < Duration::milliseconds(1));
  for (std::size_t i = 1; i < keepalives.size(); ++i)
    BOOST_TEST((keepalives[i] - keepalives[i - 1]) == Duration::seconds(25), format_duration(keepalives[i] - keepalives[i - 1]));
  // The relay receives them (32-byte transport messages) and sends none back.
  BOOST_TEST(w.relay->peer().stats.rx_bytes > relay_rx_before);
  BOOST_TEST(w.relay->count(EventKind::keepalive_sent) == 0u);

}

BOOST_AUTO_TEST_CASE(traffic_resets_the_persistent_keepalive) {
  World w;
  w.start_both();
  BOOST_TEST_REQUIRE(w.run_until([&] { return w.home->times_of(EventKind::keepalive_sent).size() == 2; }, Duration::seconds(30)));
  // 10 s after the first periodic keepalive, home pings the relay.
  w.world.run_for(Duration::seconds(10));
  w.home->os.ping(kRelayInner);
  BOOST_TEST_REQUIRE(w.run_until([&] { return w.home->os.answered(1); }, Duration::seconds(1)));
  const Time reply = w.home->os.reply_times.front();
  BOOST_TEST_REQUIRE(w.run_until([&] { return w.home->times_of(EventKind::keepalive_sent).size() == 4; }, Duration::seconds(40)));
  auto keepalives = w.home->times_of(EventKind::keepalive_sent);
  // The reply is data with nothing to answer: a passive keepalive 10 s
  // later; the persistent one then waits 25 s of silence after that.
  BOOST_TEST((keepalives[2] - reply) == Duration::seconds(10), format_duration(keepalives[2] - reply));
  BOOST_TEST((keepalives[3] - keepalives[2]) == Duration::seconds(25), format_duration(keepalives[3] - keepalives[2]));
}

BOOST_AUTO_TEST_CASE(a_name_that_does_not_resolve_yet_is_retried_not_fatal) {
  World w;
  w.relay = std::make_unique<Machine>(w.world, "relay", kRelayAddress, 1);
  w.home = std::make_unique<Machine>(w.world, "home", kHomeAddress, 2);
  w.relay->start(relay_conf(), kRelayInner);
  w.home->host.set_dns(kRelayName, DnsRecordType::a, Error(ErrorCode::dns_temporary, "SERVFAIL"));
  w.home->start(home_conf(kRelayName + ":51820"), kHomeInner);

  w.world.run_for(Duration::seconds(1));
  BOOST_TEST(w.home->endpoint->running());
  BOOST_TEST(w.home->logged("cannot resolve relay.example.net: "), w.home->log_text());
  BOOST_TEST(w.home->logged("retrying in 5s"), w.home->log_text());
  TunnelPeerStatus peer = w.home->peer();
  BOOST_TEST(!peer.stats.endpoint.has_value());
  BOOST_TEST(!peer.last_lookup_error.empty());
  // Shown as wg shows a peer without an endpoint, keepalive as configured.
  std::string shown = format_wg_show(w.home->endpoint->status());
  BOOST_TEST(!contains(shown, "endpoint:"), shown);
  BOOST_TEST(contains(shown, "persistent keepalive: every 25 seconds"), shown);

  // A ping meanwhile finds no endpoint and is dropped, counted.
  w.home->os.ping(kRelayInner);
  w.world.run_for(Duration::seconds(1));
  BOOST_TEST(w.home->endpoint->status().drops[tunnel::PacketDropReason::no_endpoint] >= 1u);

  // The next retry (5 s, then 10 s) finds the fixed name; the keepalive then
  // brings the tunnel up at once.
  w.world.run_for(Duration::seconds(4));
  BOOST_TEST(w.home->peer().lookups == 2u);  // the 5 s retry, still failing
  w.home->host.set_dns(kRelayName, DnsRecordType::a, a_record(kRelayAddress));
  BOOST_TEST_REQUIRE(w.run_until([&] { return w.home->count(EventKind::handshake_completed) > 0; }, Duration::seconds(11)));
  BOOST_TEST(w.home->peer().lookups == 3u);
  BOOST_TEST(w.home->peer().last_lookup_error.empty());
}

BOOST_AUTO_TEST_CASE(re_resolves_after_unanswered_handshakes_when_the_relay_moves) {
  World w;
  w.start_both();
  // Home pings the relay every second, like a monitoring job.
  std::unique_ptr<Timer> pinger;
  std::function<void()> tick = [&] {
    w.home->os.ping(kRelayInner);
    pinger->arm_at(w.world.now() + Duration::seconds(1));
  };
  pinger = w.home->tap.create_timer([&] { tick(); });
  pinger->arm_at(w.world.now() + Duration::milliseconds(100));
  w.world.run_for(Duration::seconds(10));
  const std::size_t before = w.home->os.replies.size();
  BOOST_TEST(before >= 9u);

  // The relay's address changes: it comes back elsewhere (same keys, same
  // config) and its DNS record follows; home still has the old address.
  w.relay.reset();
  w.relay = std::make_unique<Machine>(w.world, "relay", kRelayMovedAddress, 3);
  w.relay->start(relay_conf(), kRelayInner);
  w.home->host.set_dns(kRelayName, DnsRecordType::a, a_record(kRelayMovedAddress));
  const Time moved = w.world.now();

  BOOST_TEST_REQUIRE(w.run_until([&] { return !w.relay->os.requests_seen.empty(); }, Duration::seconds(90)),
                     w.home->log_text());
  const Duration recovery = w.world.now() - moved;
  BOOST_TEST_MESSAGE("recovered " << format_duration(recovery) << " after the move");
  // 15 s of unanswered data start a handshake; after 3 unanswered
  // initiations (5 s apart, plus jitter) the name is looked up again, and the
  // next initiation reaches the relay at its new address.
  BOOST_TEST(recovery > Duration::seconds(30), format_duration(recovery));
  BOOST_TEST(recovery < Duration::seconds(40), format_duration(recovery));
  BOOST_TEST(w.home->logged("resolving relay.example.net (3 handshakes unanswered)"), w.home->log_text());
  BOOST_TEST(w.home->logged("relay.example.net is 198.51.100.7:51820 (was 203.0.113.1:51820)"), w.home->log_text());
  BOOST_TEST(w.home->peer().lookups == 2u);
  BOOST_TEST(*w.home->peer().stats.endpoint == Endpoint(kRelayMovedAddress, 51820));
  // Sending to the vanished address failed; said once, not per packet.
  std::size_t unreachable_warnings = 0;
  for (const std::string& line : w.home->host.log_lines())
    if (contains(line, "warning") && contains(line, "no route to 203.0.113.1:51820")) ++unreachable_warnings;
  BOOST_TEST(unreachable_warnings == 1u, w.home->log_text());

  // Pings flow again.
  const std::size_t replies = w.home->os.replies.size();
  w.world.run_for(Duration::seconds(5));
  BOOST_TEST(w.home->os.replies.size() >= replies + 4);
  pinger.reset();
}

BOOST_AUTO_TEST_CASE(given_up_handshake_re_resolves_even_when_counting_is_off) {
  World w;
  TunnelEndpointOptions options;
  options.reresolve_after_attempts = 0;  // only on give-up
  // No relay at all: home's initiations go unanswered until REKEY_ATTEMPT_TIME.
  w.home = std::make_unique<Machine>(w.world, "home", kHomeAddress, 2);
  w.home->host.set_dns(kRelayName, DnsRecordType::a, a_record(kRelayAddress));
  w.home->start(home_conf(kRelayName + ":51820"), kHomeInner, options);
  w.world.run_for(Duration::seconds(80));
  BOOST_TEST(w.home->peer().lookups == 1u);
  BOOST_TEST_REQUIRE(w.run_until([&] { return w.home->count(EventKind::handshake_given_up) > 0; }, Duration::seconds(30)));
  w.world.run_for(Duration::milliseconds(100));
  BOOST_TEST(w.home->peer().lookups == 2u);
  BOOST_TEST(w.home->logged("(handshake given up)"), w.home->log_text());
}

BOOST_AUTO_TEST_CASE(address_literal_endpoints_are_never_looked_up) {
  World w;
  w.relay = std::make_unique<Machine>(w.world, "relay", kRelayAddress, 1);
  w.home = std::make_unique<Machine>(w.world, "home", kHomeAddress, 2);
  w.relay->start(relay_conf(), kRelayInner);
  w.home->start(home_conf("203.0.113.1:51820"), kHomeInner);
  BOOST_TEST_REQUIRE(w.run_until([&] { return w.home->count(EventKind::handshake_completed) > 0; }, Duration::seconds(1)));
  BOOST_TEST(!w.home->peer().endpoint_is_name);
  BOOST_TEST(w.home->peer().lookups == 0u);
  BOOST_TEST(!w.home->endpoint->reresolve(relay_identity().public_key));
}

BOOST_AUTO_TEST_CASE(key_log_lines_go_to_a_private_file) {
  World w;
  TunnelEndpointOptions options;
  options.key_log_file = "keys/wg0.keylog";  // under the storage root
  w.start_both(kRelayAddress, options);
  BOOST_TEST_REQUIRE(w.run_until([&] { return w.home->count(EventKind::handshake_completed) > 0; }, Duration::seconds(2)));
  const auto path = w.home->host.storage_root() / "keys/wg0.keylog";
  struct stat st {};
  BOOST_TEST_REQUIRE(::stat(path.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  BOOST_TEST(contains(text.str(), "LOCAL_STATIC_PRIVATE_KEY = " + home_identity().private_b64 + "\n"), text.str());
  BOOST_TEST(contains(text.str(), "REMOTE_STATIC_PUBLIC_KEY = " + relay_identity().public_b64 + "\n"), text.str());
  BOOST_TEST(contains(text.str(), "LOCAL_EPHEMERAL_PRIVATE_KEY = "), text.str());
}

BOOST_AUTO_TEST_CASE(start_failures_undo_everything_and_name_the_step) {
  ManualWorld world;
  Machine m(world, "relay", kRelayAddress, 1);
  // No private key (the parser refuses such a file; a config built in code may lack it).
  tunnel::TunnelConfig keyless_config = parse_conf(relay_conf());
  keyless_config.interface.private_key.reset();
  TunnelEndpoint keyless(m.tap, keyless_config);
  auto r = keyless.start();
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(contains(r.error().message, "wg0: [Interface] has no PrivateKey"), r.error().message);

  // The port is taken by another endpoint.
  TunnelEndpoint first(m.tap, parse_conf(relay_conf()));
  BOOST_TEST_REQUIRE(first.start().ok());
  TunnelEndpointOptions other;
  other.interface_name = "wg1";
  TunnelEndpoint second(m.tap, parse_conf(relay_conf()), other);
  r = second.start();
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code == ErrorCode::address_in_use);
  BOOST_TEST(contains(r.error().message, "wg1: cannot bind UDP port 51820"), r.error().message);
  BOOST_TEST(!second.running());
  BOOST_TEST(!m.tap.has_device("wg1"));

  // A default route is not added (it would capture the tunnel's own packets).
  first.stop();
  BOOST_TEST(!m.tap.os("wg0").open);
  auto conf = relay_conf();
  conf.replace(conf.find("10.8.0.2/32"), 11, "0.0.0.0/0, 10.9.0.0/16");
  TunnelEndpoint wide(m.tap, parse_conf(conf));
  BOOST_TEST_REQUIRE(wide.start().ok());
  BOOST_TEST(m.tap.os("wg0").routes.size() == 1u);
  BOOST_TEST(m.tap.os("wg0").routes.front() == *IpPrefix::parse("10.9.0.0/16"));
  BOOST_TEST(m.logged("AllowedIPs 0.0.0.0/0: no default route added"));
}

BOOST_AUTO_TEST_CASE(a_subscriber_may_destroy_the_endpoint) {
  World w;
  w.start_both();
  Machine& home = *w.home;
  home.endpoint->subscribe([&](const tunnel::Event& e) {
    if (e.kind == EventKind::handshake_completed) home.endpoint.reset();
  });
  BOOST_TEST_REQUIRE(w.run_until([&] { return !home.endpoint; }, Duration::seconds(2)));
  BOOST_TEST(!home.tap.os("wg0").open);
  w.world.run_for(Duration::seconds(30));  // nothing left to fire
}

BOOST_AUTO_TEST_CASE(wg_show_layout) {
  BOOST_TEST(format_wg_duration(1) == "1 second");
  BOOST_TEST(format_wg_duration(65) == "1 minute, 5 seconds");
  BOOST_TEST(format_wg_duration(7200) == "2 hours");
  BOOST_TEST(format_wg_duration(366 * 86400 + 1) == "1 year, 1 day, 1 second");
  BOOST_TEST(format_wg_bytes(0) == "0 B");
  BOOST_TEST(format_wg_bytes(1023) == "1023 B");
  BOOST_TEST(format_wg_bytes(1024) == "1.00 KiB");
  BOOST_TEST(format_wg_bytes(1536) == "1.50 KiB");
  BOOST_TEST(format_wg_bytes(5ull << 20) == "5.00 MiB");
  BOOST_TEST(format_wg_bytes(3ull << 40) == "3.00 TiB");
  const WallTime now = WallTime::from_unix_seconds(1'767'225'700);
  BOOST_TEST(format_wg_ago(now, now + Duration::milliseconds(300)) == "Now");
  BOOST_TEST(format_wg_ago(WallTime::from_unix_seconds(1'767'225'600), now) == "1 minute, 40 seconds ago");

  TunnelStatus status;
  status.interface_name = "wg0";
  status.public_key = home_identity().public_key;
  status.listen_port = 51820;
  status.wall_now = now;
  TunnelPeerStatus quiet, busy;
  quiet.stats.public_key = relay_identity().public_key;
  quiet.stats.allowed_ips = {*IpPrefix::parse("10.8.0.1/32")};
  busy.stats.public_key = home_identity().public_key;
  busy.stats.has_preshared_key = true;
  busy.stats.endpoint = *Endpoint::parse("[2001:db8::1]:51820");
  busy.stats.allowed_ips = {*IpPrefix::parse("10.8.0.2/32"), *IpPrefix::parse("fd00::2/128")};
  busy.stats.latest_handshake = now + -Duration::seconds(5);
  busy.stats.rx_bytes = 1240;
  busy.stats.tx_bytes = 3096;
  busy.stats.persistent_keepalive = 25;
  status.peers = {quiet, busy};
  // The peer with a handshake comes first, as wg sorts them.
  const std::string expected = "interface: wg0\n"
                               "  public key: " + home_identity().public_b64 + "\n"
                               "  private key: (hidden)\n"
                               "  listening port: 51820\n"
                               "\n"
                               "peer: " + home_identity().public_b64 + "\n"
                               "  preshared key: (hidden)\n"
                               "  endpoint: [2001:db8::1]:51820\n"
                               "  allowed ips: 10.8.0.2/32, fd00::2/128\n"
                               "  latest handshake: 5 seconds ago\n"
                               "  transfer: 1.21 KiB received, 3.02 KiB sent\n"
                               "  persistent keepalive: every 25 seconds\n"
                               "\n"
                               "peer: " + relay_identity().public_b64 + "\n"
                               "  allowed ips: 10.8.0.1/32\n";
  BOOST_TEST(format_wg_show(status) == expected);
}

BOOST_AUTO_TEST_CASE(wg_show_lists_the_drop_counters) {
  // Issue 14, hole 9: the device counts what it drops, by reason; `show
  // tunnel` says so under the interface, one stable line, nothing when
  // nothing was dropped (as wg leaves out an empty transfer line).
  TunnelStatus status;
  status.interface_name = "wg0";
  status.public_key = home_identity().public_key;
  status.listen_port = 51820;
  const std::string interface = "interface: wg0\n"
                                "  public key: " + home_identity().public_b64 + "\n"
                                "  private key: (hidden)\n"
                                "  listening port: 51820\n";
  BOOST_TEST(format_wg_show(status) == interface);
  status.drops.count(tunnel::PacketDropReason::replay);
  for (int i = 0; i < 3; ++i) status.drops.count(tunnel::PacketDropReason::unknown_type);
  BOOST_TEST(format_wg_show(status) == interface + "  dropped packets: 4 (unknown_type 3, replay 1)\n");
}

// ---- reconfigure: an edited wg0.conf, `wg syncconf` ----

BOOST_AUTO_TEST_CASE(reconfigure_turns_keepalive_on_and_keeps_the_session) {
  World w;
  w.relay = std::make_unique<Machine>(w.world, "relay", kRelayAddress, 1);
  w.home = std::make_unique<Machine>(w.world, "home", kHomeAddress, 2);
  w.relay->start(relay_conf(), kRelayInner);
  w.home->start(home_conf("203.0.113.1:51820", 0), kHomeInner);
  w.home->os.ping(kRelayInner);  // no keepalive: traffic brings the tunnel up
  BOOST_TEST_REQUIRE(w.run_until([&] { return w.home->os.answered(1); }, Duration::seconds(2)));
  w.world.run_for(Duration::seconds(60));
  BOOST_TEST(w.home->count(EventKind::keepalive_sent) <= 1u);  // the passive one after the reply
  const std::size_t keepalives = w.home->count(EventKind::keepalive_sent);
  BOOST_TEST_REQUIRE(w.home->count(EventKind::handshake_completed) == 1u);

  auto r = w.home->endpoint->reconfigure(parse_conf(home_conf("203.0.113.1:51820", 25)));
  BOOST_TEST_REQUIRE(r.ok(), (r.ok() ? "" : r.error().to_string()));
  BOOST_TEST(w.home->logged("reconfigured: 0 added, 0 removed, 1 changed"), w.home->log_text());
  BOOST_TEST(w.home->peer().stats.persistent_keepalive == 25u);
  w.world.run_for(Duration::seconds(51));
  // Switched on, it is due at once, then every 25 s of silence; on the
  // same session: no new handshake, the ping still answered.
  auto sent = w.home->times_of(EventKind::keepalive_sent);
  BOOST_TEST_REQUIRE(sent.size() == keepalives + 3);
  BOOST_TEST(sent[keepalives + 1] - sent[keepalives] == Duration::seconds(25));
  BOOST_TEST(w.home->count(EventKind::handshake_completed) == 1u);
  w.home->os.ping(kRelayInner);
  BOOST_TEST_REQUIRE(w.run_until([&] { return w.home->os.answered(2); }, Duration::seconds(1)));
  BOOST_TEST(w.home->count(EventKind::handshake_completed) == 1u);

  // And off again.
  BOOST_TEST_REQUIRE(w.home->endpoint->reconfigure(parse_conf(home_conf("203.0.113.1:51820", 0))).ok());
  BOOST_TEST(w.home->peer().stats.persistent_keepalive == 0u);
  w.world.run_for(Duration::seconds(11));  // the passive keepalive answering the ping's reply
  const std::size_t after_off = w.home->count(EventKind::keepalive_sent);
  w.world.run_for(Duration::seconds(60));
  BOOST_TEST(w.home->count(EventKind::keepalive_sent) == after_off);
}

BOOST_AUTO_TEST_CASE(reconfigure_adds_and_removes_peers_and_moves_allowed_ips) {
  World w;
  w.start_both();
  BOOST_TEST_REQUIRE(w.run_until([&] { return w.relay->count(EventKind::handshake_completed) > 0; }, Duration::seconds(2)));
  const Endpoint roamed = *w.relay->peer().stats.endpoint;

  // The relay's file now has the home with a /24 and a second peer.
  const WgIdentity third = wg_identity(0x77);
  std::string edited = relay_conf();
  edited.replace(edited.find("AllowedIPs = 10.8.0.2/32"), 24, "AllowedIPs = 10.8.0.2/32, 10.9.0.0/24");
  edited += "\n[Peer]\nPublicKey = " + third.public_b64 + "\nAllowedIPs = 10.8.0.3/32\n";
  auto r = w.relay->endpoint->reconfigure(parse_conf(edited));
  BOOST_TEST_REQUIRE(r.ok(), (r.ok() ? "" : r.error().to_string()));
  BOOST_TEST(w.relay->logged("reconfigured: 1 added, 0 removed, 1 changed"), w.relay->log_text());
  auto status = w.relay->endpoint->status();
  BOOST_TEST_REQUIRE(status.peers.size() == 2u);
  BOOST_TEST(status.peers[0].stats.allowed_ips.size() == 2u);
  // The session and the endpoint learnt from the home's packets stay.
  BOOST_TEST((status.peers[0].stats.endpoint == std::optional<Endpoint>(roamed)));
  BOOST_TEST(status.peers[1].stats.public_key == third.public_key);
  const auto& routes = w.relay->tap.os("wg0").routes;
  BOOST_TEST((std::find(routes.begin(), routes.end(), *IpPrefix::parse("10.9.0.0/24")) != routes.end()));
  BOOST_TEST((std::find(routes.begin(), routes.end(), *IpPrefix::parse("10.8.0.3/32")) != routes.end()));
  w.relay->os.ping(kHomeInner);
  BOOST_TEST_REQUIRE(w.run_until([&] { return w.relay->os.answered(1); }, Duration::seconds(1)));
  BOOST_TEST(w.relay->count(EventKind::handshake_completed) == 1u);

  // The home dropped from the file: its packets find no peer any more.
  std::string only_third = relay_conf();
  only_third.erase(only_third.find("\n[Peer]"));
  only_third += "\n[Peer]\nPublicKey = " + third.public_b64 + "\nAllowedIPs = 10.8.0.3/32\n";
  BOOST_TEST_REQUIRE(w.relay->endpoint->reconfigure(parse_conf(only_third)).ok());
  BOOST_TEST(w.relay->logged("reconfigured: 0 added, 1 removed, 0 changed"), w.relay->log_text());
  BOOST_TEST(w.relay->endpoint->status().peers.size() == 1u);
  w.relay->os.ping(kHomeInner);
  w.world.run_for(Duration::seconds(1));
  BOOST_TEST(!w.relay->os.answered(2));
}

BOOST_AUTO_TEST_CASE(reconfigure_with_a_new_interface_restarts_and_a_stopped_endpoint_takes_the_file) {
  World w;
  w.start_both();
  BOOST_TEST_REQUIRE(w.run_until([&] { return w.relay->count(EventKind::handshake_completed) > 0; }, Duration::seconds(2)));
  // A new MTU cannot change under wg syncconf: wg-quick down and up.
  auto r = w.relay->endpoint->reconfigure(parse_conf(relay_conf("MTU = 1380\n")));
  BOOST_TEST_REQUIRE(r.ok(), (r.ok() ? "" : r.error().to_string()));
  BOOST_TEST(w.relay->logged("[Interface] changed: restarting the interface"), w.relay->log_text());
  BOOST_TEST(w.relay->tap.os("wg0").config.mtu == 1380);
  BOOST_TEST(!w.relay->peer().stats.latest_handshake.has_value());  // sessions start over
  // The relay drops the home's keepalives (it knows no session); the home
  // hands shake again when its session is due for a rekey (120 s).
  BOOST_TEST_REQUIRE(w.run_until([&] { return w.relay->count(EventKind::handshake_completed) > 1; }, Duration::seconds(150)));

  // A file without a PrivateKey is refused and the running one stays.
  tunnel::TunnelConfig keyless = parse_conf(relay_conf());
  keyless.interface.private_key.reset();
  BOOST_TEST(!w.relay->endpoint->reconfigure(keyless).ok());
  BOOST_TEST(w.relay->endpoint->running());
  BOOST_TEST(w.relay->tap.os("wg0").config.mtu == 1380);

  w.relay->endpoint->stop();
  BOOST_TEST_REQUIRE(w.relay->endpoint->reconfigure(parse_conf(relay_conf())).ok());
  BOOST_TEST(!w.relay->endpoint->running());
  BOOST_TEST_REQUIRE(w.relay->endpoint->start().ok());
  BOOST_TEST(w.relay->tap.os("wg0").config.mtu == 1420);
}

BOOST_AUTO_TEST_SUITE_END()
