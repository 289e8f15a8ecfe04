// Decryption with a key log written by impl/tunnel's key_log (the devices
// emit it for every handshake message they make): either side's log alone
// recovers the session's keys, and the inner packets that come out are
// the very ones the other side's TUN received.

#include <boost/test/unit_test.hpp>

#include "pcap/wireguard_dissector.h"
#include "pcap/wireguard_traffic.h"
#include "tunnel/print_optional.h"

using namespace tether;
using namespace tether::pcap;
using namespace tether::pcap::testing;

namespace {

struct Decrypted {
  std::vector<TimelineEvent> events;
  std::vector<Bytes> initiator_to_responder, responder_to_initiator;
  WireGuardDissector::Counts counts;
  std::vector<WireGuardProblem> problems;
};

Decrypted decrypt(const Traffic& traffic, const std::string& key_log_text, std::uint8_t handshake_reserved = 0) {
  auto keys = std::make_shared<WireGuardKeyLog>(WireGuardKeyLog::parse(key_log_text, "keys.log"));
  WireGuardDissector dissector({}, keys);
  Decrypted out;
  dissector.on_inner_packet([&](const WireGuardInnerPacket& p) {
    BOOST_TEST(p.event.kind == "data");
    BOOST_TEST(p.event.packet_number == p.outer.origin.packet_number);
    auto& list = p.direction == WireGuardDirection::initiator_to_responder ? out.initiator_to_responder
                                                                            : out.responder_to_initiator;
    list.emplace_back(p.packet.begin(), p.packet.end());
  });
  for (Datagram d : traffic.datagrams()) {
    // A middlebox marking the handshakes' reserved bytes (Cloudflare's
    // load balancing, which Wireshark's heuristic allows for).
    Bytes marked(d.payload.begin(), d.payload.end());
    if (handshake_reserved != 0 && (marked[0] == 1 || marked[0] == 2)) {
      marked[3] = handshake_reserved;
      d.payload = marked;
    }
    BOOST_TEST(dissector.dissect(d, out.events));
  }
  out.counts = dissector.counts();
  out.problems = dissector.problems();
  return out;
}

std::size_t transport_count(const Traffic& traffic) {
  std::size_t n = 0;
  for (const auto& p : traffic.packets) n += p.bytes[0] == 4;
  return n;
}

void check_everything_decrypted(const Traffic& traffic, const Decrypted& d) {
  BOOST_TEST(d.counts.sessions_with_keys == 1u);
  BOOST_TEST(d.counts.decryption_failed == 0u);
  BOOST_TEST(d.counts.decrypted == transport_count(traffic));  // keepalives too
  // A initiated: A -> B is initiator -> responder.
  BOOST_TEST_REQUIRE(d.initiator_to_responder.size() == traffic.a_to_b_inner.size());
  for (std::size_t i = 0; i < d.initiator_to_responder.size(); ++i)
    BOOST_TEST(d.initiator_to_responder[i] == traffic.a_to_b_inner[i], "A -> B packet " << i);
  BOOST_TEST_REQUIRE(d.responder_to_initiator.size() == traffic.b_to_a_inner.size());
  for (std::size_t i = 0; i < d.responder_to_initiator.size(); ++i)
    BOOST_TEST(d.responder_to_initiator[i] == traffic.b_to_a_inner[i], "B -> A packet " << i);
  BOOST_TEST(traffic.a_to_b_inner.size() == 6u);  // the first ping and five more
  BOOST_TEST(traffic.b_to_a_inner.size() == 5u);
  for (const auto& e : d.events)
    if (e.kind == "data") BOOST_TEST(e.detail.find("; inner IPv4 10.0.0.") != std::string::npos, e.detail);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wireguard_decryption)

BOOST_AUTO_TEST_CASE(the_initiators_key_log_alone_decrypts_both_directions) {
  const Traffic traffic = make_traffic();
  BOOST_TEST_REQUIRE(!traffic.a_key_log.empty());
  check_everything_decrypted(traffic, decrypt(traffic, joined_lines(traffic.a_key_log)));
}

BOOST_AUTO_TEST_CASE(the_responders_key_log_alone_decrypts_both_directions) {
  const Traffic traffic = make_traffic();
  BOOST_TEST_REQUIRE(!traffic.b_key_log.empty());
  check_everything_decrypted(traffic, decrypt(traffic, joined_lines(traffic.b_key_log)));
}

BOOST_AUTO_TEST_CASE(a_preshared_key_from_the_log_is_used) {
  TrafficOptions options;
  crypto::Key32 psk{};
  psk.fill(0x42);
  options.psk = psk;
  const Traffic traffic = make_traffic(options);
  BOOST_TEST(joined_lines(traffic.b_key_log).find("PRESHARED_KEY = ") != std::string::npos);
  check_everything_decrypted(traffic, decrypt(traffic, joined_lines(traffic.a_key_log)));
  check_everything_decrypted(traffic, decrypt(traffic, joined_lines(traffic.b_key_log)));

  // Without the PSK lines the response does not authenticate: no keys.
  std::string without_psk;
  for (const auto& l : traffic.a_key_log)
    if (l.rfind("PRESHARED_KEY", 0) != 0) without_psk += l + "\n";
  const Decrypted d = decrypt(traffic, without_psk);
  BOOST_TEST(d.counts.sessions_with_keys == 0u);
  BOOST_TEST(d.counts.decrypted == 0u);
  BOOST_TEST(d.initiator_to_responder.empty());
}

BOOST_AUTO_TEST_CASE(retried_handshakes_decrypt_with_the_answered_attempts_keys) {
  TrafficOptions options;
  options.lost_initiations = 2;
  const Traffic traffic = make_traffic(options);
  const Decrypted d = decrypt(traffic, joined_lines(traffic.a_key_log));
  check_everything_decrypted(traffic, d);
}

BOOST_AUTO_TEST_CASE(each_session_of_a_rekey_decrypts_with_its_own_keys) {
  TrafficOptions options;
  options.keepalives_for = Duration::seconds(150);
  const Traffic traffic = make_traffic(options);
  for (const auto* log : {&traffic.a_key_log, &traffic.b_key_log}) {
    const Decrypted d = decrypt(traffic, joined_lines(*log));
    BOOST_TEST(d.counts.sessions_with_keys == 2u);
    BOOST_TEST(d.counts.decryption_failed == 0u);
    BOOST_TEST(d.counts.decrypted == transport_count(traffic));
  }
}

BOOST_AUTO_TEST_CASE(handshakes_with_marked_reserved_bytes_still_decrypt) {
  const Traffic traffic = make_traffic();
  check_everything_decrypted(traffic, decrypt(traffic, joined_lines(traffic.a_key_log), 0x7e));
  check_everything_decrypted(traffic, decrypt(traffic, joined_lines(traffic.b_key_log), 0x7e));
}

BOOST_AUTO_TEST_CASE(keys_of_someone_else_decrypt_nothing_and_say_so) {
  const Traffic traffic = make_traffic();
  const std::string stranger =
      "LOCAL_STATIC_PRIVATE_KEY = GHGdb5EyaL+lTNNXOb2kdwBm1TAxDnvH1+T5MhLpX1c=\n"
      "REMOTE_STATIC_PUBLIC_KEY = 8Ov3eJUuGKMjyl6j0bsyJ9mOR8gsqP8T+HYIqsNBJWE=\n"
      "LOCAL_EPHEMERAL_PRIVATE_KEY = aEJ8AwF5zP+WwUDu3WJDHcF9B17t6ZPmq3SwJ1ugwXU=\n";
  const Decrypted d = decrypt(traffic, stranger);
  BOOST_TEST(d.counts.decrypted == 0u);
  BOOST_TEST(d.counts.sessions_with_keys == 0u);
  BOOST_TEST(d.events.size() == traffic.packets.size());
  BOOST_TEST(d.events.at(0).detail.find("no key opens it") != std::string::npos, d.events.at(0).detail);
}

BOOST_AUTO_TEST_CASE(broken_key_log_lines_are_reported_by_line_and_skipped) {
  const Traffic traffic = make_traffic();
  std::vector<std::string> lines = traffic.a_key_log;
  // Lines 1, 2, 4, 6 and 9 broken; the log's own lines between them.
  lines.insert(lines.begin(), "  PRESHARED_KEY=GHGdb5EyaL+lTNNXOb2kdwBm1TAxDnvH1+T5MhLpX1c=\r");
  lines.insert(lines.begin() + 1, "LOCAL_STATIC_PRIVATE_KEY = not base64!");
  lines.insert(lines.begin() + 3, "garbage without an equals sign");
  lines.insert(lines.begin() + 5, "SOME_OTHER_KEY = GHGdb5EyaL+lTNNXOb2kdwBm1TAxDnvH1+T5MhLpX1c=");
  lines.insert(lines.begin() + 7, "");  // blank: no report
  lines.insert(lines.begin() + 8, "REMOTE_STATIC_PUBLIC_KEY = AAAA");
  const std::string text = joined_lines(lines);
  const WireGuardKeyLog log = WireGuardKeyLog::parse(text, "keys.log");
  const auto& problems = log.problems();
  BOOST_TEST_REQUIRE(problems.size() == 5u);
  BOOST_TEST(problems[0] == "keys.log:1: PRESHARED_KEY with no LOCAL_EPHEMERAL_PRIVATE_KEY before it");
  BOOST_TEST(problems[1].rfind("keys.log:2: LOCAL_STATIC_PRIVATE_KEY: ", 0) == 0, problems[1]);
  BOOST_TEST(problems[2] == "keys.log:4: expected 'TYPE = base64 key', got 'garbage without an equals sign'");
  BOOST_TEST(problems[3] == "keys.log:6: unknown key type 'SOME_OTHER_KEY'");
  BOOST_TEST(problems[4] == "keys.log:9: REMOTE_STATIC_PUBLIC_KEY: key is 4 characters, expected 44");
  // What was good is kept: the traffic still decrypts.
  check_everything_decrypted(traffic, decrypt(traffic, text));
}

BOOST_AUTO_TEST_CASE(a_missing_key_log_file_is_an_error_naming_it) {
  auto r = WireGuardKeyLog::read_file("/nonexistent/keys.log");
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().message.find("/nonexistent/keys.log") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
