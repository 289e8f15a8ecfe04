// libFuzzer target for the WireGuard dissector (issue 11, "Bad input"): a
// real session between two impl/tunnel devices, with their key log, is
// made once; each input is then a sequence of datagrams handed to a fresh
// dissector that has that key log and 51820 as a named port: raw bytes,
// and the session's real datagrams in any order, with bytes flipped.
// Nothing may crash or read out of bounds (ASan); every datagram on the
// port must give exactly one event or one problem; and whatever decrypts
// must be one of the inner packets that were really sent, since a forged
// or flipped message must never authenticate.
//
// Input format, repeated: one opcode byte, then its operands.
//   op % 3 == 0: raw datagram: a length byte, that many bytes
//   op % 3 == 1: real datagram #byte with a position byte XORed by a value byte
//   op % 3 == 2: real datagram #byte, unchanged (replays, reorders)

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <set>
#include <vector>

#include "pcap/wireguard_dissector.h"
#include "tunnel/device.h"
#include "tunnel/protocol_constants.h"
#include "tunnel/scripted_random.h"

using namespace tether;
using namespace tether::pcap;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

crypto::PrivateKey key_from(std::uint8_t fill) {
  crypto::PrivateKey k{};
  k.fill(fill);
  return crypto::clamp_private_key(k);
}

Bytes ipv4(const char* src, const char* dst, std::size_t payload) {
  Bytes p(20 + payload, 0x5c);
  std::fill(p.begin(), p.begin() + 20, std::uint8_t(0));
  p[0] = 0x45;
  store_be16(&p[2], std::uint16_t(p.size()));
  p[9] = 17;
  auto s = *IpAddress::parse(src);
  auto d = *IpAddress::parse(dst);
  std::copy(s.bytes(), s.bytes() + 4, &p[12]);
  std::copy(d.bytes(), d.bytes() + 4, &p[16]);
  return p;
}

struct Sent {
  Endpoint from, to;
  Bytes bytes;
};

// The session, made once: A initiates, both send a packet, A a keepalive.
struct Session {
  std::vector<Sent> real;
  std::set<Bytes> inner;  // every inner packet either TUN received
  std::shared_ptr<const WireGuardKeyLog> keys;

  Session() {
    tunnel::DeviceOptions options;
    options.key_log = true;
    tunnel::testing::ScriptedRandom random_a{1}, random_b{2};  // deterministic: same session every run
    tunnel::Device a{key_from(0x11), random_a, options};
    tunnel::Device b{key_from(0x22), random_b, options};
    const Endpoint at_a = *Endpoint::parse("192.0.2.1:51820");
    const Endpoint at_b = *Endpoint::parse("198.51.100.2:51820");
    Time now = Time::from_ns(std::int64_t(1000) * 1000'000'000);
    auto wall = [&] { return WallTime::from_unix_seconds(1'700'000'000) + (now - Time::zero()); };
    tunnel::PeerConfig to_b{b.public_key(), std::nullopt, at_b, {*IpPrefix::parse("10.0.0.1/32")}, 0};
    tunnel::PeerConfig to_a{a.public_key(), std::nullopt, std::nullopt, {*IpPrefix::parse("10.0.0.2/32")}, 0};
    require(a.add_peer(to_b, now).ok());
    require(b.add_peer(to_a, now).ok());
    std::string key_log;

    tunnel::Output oa, ob;
    auto exchange = [&] {
      for (int round = 0; round < 8 && (!oa.datagrams.empty() || !ob.datagrams.empty()); ++round) {
        tunnel::Output next_a, next_b;
        for (auto* out : {&oa, &ob}) {
          for (const auto& l : out->key_log) key_log += l + "\n";
          for (const auto& p : out->packets) inner.insert(p);
        }
        for (const auto& d : oa.datagrams) {
          real.push_back({at_a, d.to, d.bytes});
          b.handle_datagram(at_a, d.bytes, now, wall(), next_b);
        }
        for (const auto& d : ob.datagrams) {
          real.push_back({at_b, d.to, d.bytes});
          a.handle_datagram(at_b, d.bytes, now, wall(), next_a);
        }
        for (auto* out : {&next_a, &next_b})
          for (const auto& p : out->packets) inner.insert(p);
        oa = std::move(next_a);
        ob = std::move(next_b);
      }
    };
    a.handle_tun_packet(ipv4("10.0.0.2", "10.0.0.1", 30), now, wall(), oa);
    exchange();
    b.handle_tun_packet(ipv4("10.0.0.1", "10.0.0.2", 7), now, wall(), ob);
    exchange();
    now = now + tunnel::kKeepaliveTimeout + Duration::seconds(1);
    a.handle_deadline(now, wall(), oa);
    b.handle_deadline(now, wall(), ob);
    exchange();
    require(inner.size() == 2 && real.size() >= 4);
    keys = std::make_shared<WireGuardKeyLog>(WireGuardKeyLog::parse(key_log, "fuzz.keys"));
    require(keys->problems().empty());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Session session;
  WireGuardDissectorOptions options;
  options.ports = {51820};
  WireGuardDissector dissector(options, session.keys);
  dissector.on_inner_packet([&](const WireGuardInnerPacket& p) {
    require(session.inner.count(Bytes(p.packet.begin(), p.packet.end())) == 1);
  });

  std::size_t i = 0;
  auto byte = [&]() -> std::uint8_t { return i < size ? data[i++] : 0; };
  std::vector<TimelineEvent> events;
  std::uint64_t number = 0;
  while (i < size) {
    const std::uint8_t op = byte();
    Datagram d;
    Bytes bytes;
    const Sent& real = session.real[byte() % session.real.size()];
    d.source = real.from;
    d.destination = real.to;
    switch (op % 3) {
      case 0: {
        const std::size_t n = byte();
        for (std::size_t k = 0; k < n && i < size; ++k) bytes.push_back(byte());
        break;
      }
      case 1: {
        bytes = real.bytes;
        const std::size_t at = byte() % bytes.size();
        bytes[at] ^= byte();
        break;
      }
      default: bytes = real.bytes;
    }
    d.payload = bytes;
    d.origin.capture_name = "fuzz.pcap";
    d.origin.packet_number = ++number;
    const std::size_t events_before = events.size(), problems_before = dissector.problems().size();
    require(dissector.dissect(d, events));
    const std::size_t new_events = events.size() - events_before;
    require(new_events + (dissector.problems().size() - problems_before) == 1);
    if (new_events == 1) {
      require(events.back().protocol == "wg");
      require(events.back().wg_type && *events.back().wg_type >= 1 && *events.back().wg_type <= 4);
    } else {
      require(dissector.problems().back().to_string().rfind("fuzz.pcap: packet ", 0) == 0);
    }
  }
  return 0;
}
