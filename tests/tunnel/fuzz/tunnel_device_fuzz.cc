// libFuzzer target for the whole device (issue 3, "Bad input"): two devices
// with a session between them, then the input as a sequence of events
// delivered to either side: raw datagrams, real datagrams of this session
// with bytes flipped, inner packets from the TUN side, and clock steps.
// Nothing may crash or read out of bounds (ASan); every datagram that does
// not come from the real peer must be dropped and counted, never
// delivered; and the session must still carry a packet afterwards.
//
// Input format, repeated: one opcode byte, then its operands.
//   op % 4 == 0: datagram to side (op>>2)&1, length byte, that many bytes
//   op % 4 == 1: real datagram #byte with byte positions/values XORed in
//   op % 4 == 2: TUN packet at side (op>>2)&1, length byte, bytes
//   op % 4 == 3: advance the clock by byte * 250 ms

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "tunnel/device.h"
#include "tunnel/scripted_random.h"

using namespace tether;
using namespace tether::tunnel;

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
  Bytes p(20 + payload, 0);
  p[0] = 0x45;
  store_be16(&p[2], std::uint16_t(p.size()));
  p[9] = 17;
  auto s = *IpAddress::parse(src);
  auto d = *IpAddress::parse(dst);
  std::copy(s.bytes(), s.bytes() + 4, &p[12]);
  std::copy(d.bytes(), d.bytes() + 4, &p[16]);
  return p;
}

struct World {
  tunnel::testing::ScriptedRandom random_a{1}, random_b{2};  // deterministic: same session every run
  Device a{key_from(0x11), random_a};
  Device b{key_from(0x22), random_b};
  Endpoint at_a = *Endpoint::parse("192.0.2.1:51820");
  Endpoint at_b = *Endpoint::parse("198.51.100.2:51820");
  Time now = Time::from_ns(std::int64_t(1000) * 1000'000'000);
  WallTime wall() const { return WallTime::from_unix_seconds(1'700'000'000) + (now - Time::zero()); }
  std::vector<Bytes> real;  // every datagram either side sent
  std::size_t delivered = 0;

  World() {
    PeerConfig to_b{b.public_key(), std::nullopt, at_b, {*IpPrefix::parse("10.0.0.1/32")}, 0};
    PeerConfig to_a{a.public_key(), std::nullopt, std::nullopt, {*IpPrefix::parse("10.0.0.2/32")}, 0};
    require(a.add_peer(to_b, now).ok());
    require(b.add_peer(to_a, now).ok());
  }

  // Moves datagrams between the two until quiet.
  void exchange(Output& from_a, Output& from_b) {
    for (int round = 0; round < 8 && (!from_a.datagrams.empty() || !from_b.datagrams.empty()); ++round) {
      Output next_a, next_b;
      for (const Datagram& d : from_a.datagrams) {
        real.push_back(d.bytes);
        if (d.to == at_b) b.handle_datagram(at_a, d.bytes, now, wall(), next_b);
      }
      for (const Datagram& d : from_b.datagrams) {
        real.push_back(d.bytes);
        if (d.to == at_a) a.handle_datagram(at_b, d.bytes, now, wall(), next_a);
      }
      delivered += next_a.packets.size() + next_b.packets.size();
      from_a = std::move(next_a);
      from_b = std::move(next_b);
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  World w;
  Output oa, ob;
  w.a.handle_tun_packet(ipv4("10.0.0.2", "10.0.0.1", 30), w.now, w.wall(), oa);
  w.exchange(oa, ob);
  require(w.delivered == 1);
  w.b.handle_tun_packet(ipv4("10.0.0.1", "10.0.0.2", 10), w.now, w.wall(), ob);
  oa.clear();
  w.exchange(oa, ob);
  require(w.delivered == 2);

  const Endpoint stranger = *Endpoint::parse("203.0.113.9:4444");
  std::size_t i = 0;
  auto byte = [&]() -> std::uint8_t { return i < size ? data[i++] : 0; };
  while (i < size) {
    const std::uint8_t op = byte();
    const bool to_b = (op >> 2) & 1;
    Device& dev = to_b ? w.b : w.a;
    Output out;
    const std::uint64_t drops_before = dev.drops().total();
    switch (op % 4) {
      case 0:
      case 1: {
        Bytes d;
        if (op % 4 == 0) {
          const std::size_t n = byte();
          for (std::size_t k = 0; k < n && i < size; ++k) d.push_back(byte());
        } else {
          d = w.real[byte() % w.real.size()];
          for (int flips = 1 + byte() % 4; flips > 0; --flips) d[byte() % d.size()] ^= std::uint8_t(byte() | 1);
        }
        dev.handle_datagram(stranger, d, w.now, w.wall(), out);
        require(out.packets.empty());
        require(dev.drops().total() == drops_before + 1);
        for (const Event& e : out.events) require(e.kind == EventKind::packet_dropped);
        break;
      }
      case 2: {
        Bytes p;
        const std::size_t n = byte();
        for (std::size_t k = 0; k < n && i < size; ++k) p.push_back(byte());
        dev.handle_tun_packet(p, w.now, w.wall(), out);
        break;
      }
      case 3:
        w.now += Duration::milliseconds(250) * byte();
        w.a.handle_deadline(w.now, w.wall(), out);
        w.b.handle_deadline(w.now, w.wall(), out);
        break;
    }
  }
  // Whatever happened, the two can still talk (a new handshake if needed).
  for (int step = 0; step < 40 && w.delivered < 3; ++step) {
    Output a_out, b_out;
    if (step == 0) w.a.handle_tun_packet(ipv4("10.0.0.2", "10.0.0.1", 5), w.now, w.wall(), a_out);
    w.exchange(a_out, b_out);
    w.now += Duration::seconds(1);
    Output ta, tb;
    w.a.handle_deadline(w.now, w.wall(), ta);
    w.b.handle_deadline(w.now, w.wall(), tb);
    w.exchange(ta, tb);
  }
  require(w.delivered >= 3);
  return 0;
}
