#pragma once
// Two WireGuard Devices back to back on a manual clock: A is the home host
// (it knows B's endpoint and initiates), B the relay (it learns A's endpoint
// from A's packets). A tiny event loop moves each side's datagrams to the
// other after a chosen latency, through an optional loss function, and
// advances the clock straight to the next arrival or the earliest
// next_deadline() of either device, so a test of minutes of protocol time
// runs in milliseconds and every timer fires exactly when it says.
//
// A datagram is delivered only if it is addressed to the other side's
// current address (`address`), from the sender's current address: moving
// a side's address is how a test makes it roam; datagrams sent to an old
// address are kept in `lost`. Everything each side emitted (datagrams,
// delivered inner packets, events, key-log lines) is kept for assertions.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tunnel/device.h"
#include "tunnel/handshake_pair.h"  // wg keys
#include "tunnel/inner_packets.h"
#include "tunnel/scripted_random.h"

namespace tether::tunnel::testing {

struct Sent {
  Time time;
  Endpoint to;
  Bytes bytes;
  MessageType type() const { return MessageType(bytes.at(0)); }
};

struct Side {
  Side(std::string side_name, const WgKeyPair& keys, std::string_view outer, std::uint64_t seed,
       const DeviceOptions& options)
      : name(std::move(side_name)),
        random(seed),
        private_key(wg_key(keys.private_key)),
        public_key(wg_key(keys.public_key)),
        address(*Endpoint::parse(outer)),
        device(std::make_unique<Device>(private_key, random, options)) {}

  std::string name;
  ScriptedRandom random;
  crypto::PrivateKey private_key;
  crypto::PublicKey public_key;
  Endpoint address;  // where it receives, and the source of what it sends
  std::unique_ptr<Device> device;
  const Time* clock = nullptr;  // the pair's

  std::vector<Sent> sent;
  std::vector<Bytes> delivered;
  std::vector<Event> events;
  std::vector<std::string> key_log;

  std::vector<Event> events_of(EventKind kind) const {
    std::vector<Event> out;
    std::copy_if(events.begin(), events.end(), std::back_inserter(out), [kind](const Event& e) { return e.kind == kind; });
    return out;
  }
  std::size_t count(EventKind kind) const { return events_of(kind).size(); }
  std::vector<Sent> sent_of(MessageType type) const {
    std::vector<Sent> out;
    std::copy_if(sent.begin(), sent.end(), std::back_inserter(out), [type](const Sent& s) { return s.type() == type; });
    return out;
  }
  std::size_t drops(PacketDropReason reason) const { return device->drops()[reason]; }
  PeerStats stats_of(const Side& other) const { return *device->peer_stats(other.public_key, *clock); }
};

struct PairOptions {
  Duration latency = Duration::milliseconds(10);
  std::uint16_t keepalive_a = 0;  // A's PersistentKeepalive for B
  std::uint16_t keepalive_b = 0;
  std::optional<crypto::Key32> psk;
  bool b_knows_a_endpoint = false;
  DeviceOptions device_a;
  DeviceOptions device_b;
};

class DevicePair {
 public:
  explicit DevicePair(PairOptions options = {})
      : a("A", kKeysA, "192.0.2.1:51820", 1, options.device_a),
        b("B", kKeysB, "198.51.100.2:51820", 2, options.device_b),
        latency(options.latency) {
    a.clock = &now;
    b.clock = &now;
    PeerConfig a_peer_b;
    a_peer_b.public_key = b.public_key;
    a_peer_b.preshared_key = options.psk;
    a_peer_b.endpoint = b.address;
    a_peer_b.allowed_ips = {prefix("10.0.0.1/32"), prefix("fd00::1/128")};
    a_peer_b.persistent_keepalive = options.keepalive_a;
    BOOST_REQUIRE(a.device->add_peer(a_peer_b, now).ok());

    PeerConfig b_peer_a;
    b_peer_a.public_key = a.public_key;
    b_peer_a.preshared_key = options.psk;
    if (options.b_knows_a_endpoint) b_peer_a.endpoint = a.address;
    b_peer_a.allowed_ips = {prefix("10.0.0.2/32"), prefix("fd00::2/128")};
    b_peer_a.persistent_keepalive = options.keepalive_b;
    BOOST_REQUIRE(b.device->add_peer(b_peer_a, now).ok());
  }

  // Inner addresses.
  static IpAddress a4() { return ip("10.0.0.2"); }
  static IpAddress b4() { return ip("10.0.0.1"); }
  static IpAddress a6() { return ip("fd00::2"); }
  static IpAddress b6() { return ip("fd00::1"); }

  Side& other(Side& s) { return &s == &a ? b : a; }

  // The TUN device of `side` produced `packet`.
  void tun(Side& side, ByteView packet) {
    side.device->handle_tun_packet(packet, now, wall(), out_);
    absorb(side);
  }
  // A datagram arrives at `side` now, from anywhere (spoofing, replays).
  void inject(Side& side, const Endpoint& from, ByteView datagram) {
    side.device->handle_datagram(from, datagram, now, wall(), out_);
    absorb(side);
  }

  // Runs the loop until `until`: deliveries and deadlines, in time order.
  void run_until(Time until) {
    for (int guard = 0; guard < 1000000; ++guard) {
      Time next = std::min(a.device->next_deadline(), b.device->next_deadline());
      if (!flights_.empty() && flights_.front().arrive < next) next = flights_.front().arrive;
      if (next > until) break;
      if (next > now) now = next;
      while (!flights_.empty() && flights_.front().arrive <= now) {
        Flight f = std::move(flights_.front());
        flights_.pop_front();
        Side& to = f.to_b ? b : a;
        to.device->handle_datagram(f.from, f.bytes, now, wall(), out_);
        absorb(to);
      }
      for (Side* side : {&a, &b}) {
        if (side->device->next_deadline() <= now) {
          side->device->handle_deadline(now, wall(), out_);
          absorb(*side);
        }
      }
    }
    if (until > now) now = until;
  }
  void run_for(Duration d) { run_until(now + d); }
  // Until nothing is in flight (the deadlines of the sides may remain).
  void settle() { run_for(latency * 4); }

  // A -> B handshake and confirmation, by sending a first packet.
  void establish() {
    tun(a, echo_request(a4(), b4()));
    settle();
    BOOST_REQUIRE_EQUAL(a.count(EventKind::handshake_completed), 1u);
    BOOST_REQUIRE_EQUAL(b.count(EventKind::handshake_completed), 1u);
  }

  WallTime wall() const { return wall0 + (now - t0); }

  const Time t0 = Time::from_ns(std::int64_t(5000) * 1000'000'000);
  const WallTime wall0 = WallTime::from_unix_seconds(1'700'000'000);
  Time now = t0;
  Side a;
  Side b;
  Duration latency;
  // Return true to lose a datagram on the way (from side, datagram).
  std::function<bool(const Side& from, const Datagram& d)> lose;
  std::vector<Sent> lost;  // addressed to where nobody listens now

 private:
  struct Flight {
    Time arrive;
    bool to_b;
    Endpoint from;
    Bytes bytes;
  };

  void absorb(Side& side) {
    for (Datagram& d : out_.datagrams) {
      side.sent.push_back(Sent{now, d.to, d.bytes});
      Side& peer = other(side);
      if (lose && lose(side, d)) continue;
      if (d.to != peer.address) {
        lost.push_back(Sent{now, d.to, d.bytes});
        continue;
      }
      Flight f{now + latency, &peer == &b, side.address, std::move(d.bytes)};
      auto at = std::upper_bound(flights_.begin(), flights_.end(), f.arrive,
                                 [](Time t, const Flight& x) { return t < x.arrive; });
      flights_.insert(at, std::move(f));
    }
    for (Bytes& p : out_.packets) side.delivered.push_back(std::move(p));
    for (Event& e : out_.events) side.events.push_back(e);
    for (std::string& l : out_.key_log) side.key_log.push_back(std::move(l));
    out_.clear();
  }

  Output out_;
  std::deque<Flight> flights_;
};

}  // namespace tether::tunnel::testing
