#pragma once
// Real WireGuard traffic for the dissector's tests, made by the project's
// own tunnel core: two impl/tunnel Devices back to back in memory
// (tests/tunnel/device_pair.h), with their key logs on. Everything either
// side sent is the "capture", in the order it was sent, as the capture
// layer would hand it over (pcap::Datagram, packet numbers from 1).

#include <algorithm>
#include <string>
#include <vector>

#include "pcap/packet.h"
#include "tunnel/device_pair.h"

namespace tether::pcap::testing {

using tunnel::testing::DevicePair;
using tunnel::testing::PairOptions;
using tunnel::testing::Side;

struct CapturedDatagram {
  Time time;
  Endpoint from, to;
  Bytes bytes;
};

struct TrafficOptions {
  int lost_initiations = 0;             // A's first initiations lost on the way (retries follow)
  std::optional<crypto::Key32> psk;
  std::uint16_t keepalive_a = 4;        // A's PersistentKeepalive
  int pings = 5;                        // echo requests each way, after the handshake
  // How long the keepalives run after the pings; past 120 s, A (the
  // initiator) rekeys: a second handshake between the same peers.
  Duration keepalives_for = Duration::seconds(15);
};

struct Traffic {
  std::vector<CapturedDatagram> packets;
  std::vector<Bytes> a_to_b_inner;  // what B's TUN received from A, in order
  std::vector<Bytes> b_to_a_inner;
  std::vector<std::string> a_key_log, b_key_log;
  Endpoint a, b;
  WallTime wall0;
  Time t0;

  std::vector<Datagram> datagrams(const std::string& capture_name = "memory") const {
    std::vector<Datagram> out;
    for (std::size_t i = 0; i < packets.size(); ++i) {
      Datagram d;
      d.origin.capture = 0;
      d.origin.capture_name = capture_name;
      d.origin.packet_number = i + 1;
      d.origin.at = wall0 + (packets[i].time - t0);
      d.source = packets[i].from;
      d.destination = packets[i].to;
      d.payload = packets[i].bytes;
      out.push_back(d);
    }
    return out;
  }
};

inline Traffic make_traffic(const TrafficOptions& options = {}) {
  PairOptions pair_options;
  pair_options.device_a.key_log = true;
  pair_options.device_b.key_log = true;
  pair_options.keepalive_a = options.keepalive_a;
  pair_options.psk = options.psk;
  DevicePair pair(pair_options);
  int lost = 0;
  pair.lose = [&](const Side& from, const tunnel::Datagram& d) {
    if (&from != &pair.a || d.bytes.at(0) != 1 || lost >= options.lost_initiations) return false;
    ++lost;
    return true;
  };
  // The first packet waits for the handshake, retried every ~5 s while lost.
  pair.tun(pair.a, tunnel::testing::echo_request(DevicePair::a4(), DevicePair::b4(), 1, 56));
  pair.run_for(Duration::seconds(6 * options.lost_initiations + 1));
  for (int i = 0; i < options.pings; ++i) {
    // Sizes that need padding and ones that do not.
    pair.tun(pair.a, tunnel::testing::echo_request(DevicePair::a4(), DevicePair::b4(), std::uint16_t(2 + i),
                                                   std::size_t(13 * i + 3)));
    pair.run_for(Duration::milliseconds(300));
    pair.tun(pair.b, tunnel::testing::echo_request(DevicePair::b4(), DevicePair::a4(), std::uint16_t(100 + i),
                                                   std::size_t(40 + 16 * i)));
    pair.run_for(Duration::seconds(1));
  }
  pair.run_for(options.keepalives_for);

  Traffic t;
  t.a = pair.a.address;
  t.b = pair.b.address;
  t.wall0 = pair.wall0;
  t.t0 = pair.t0;
  for (const auto& s : pair.a.sent) t.packets.push_back(CapturedDatagram{s.time, pair.a.address, s.to, s.bytes});
  for (const auto& s : pair.b.sent) t.packets.push_back(CapturedDatagram{s.time, pair.b.address, s.to, s.bytes});
  std::stable_sort(t.packets.begin(), t.packets.end(),
                   [](const CapturedDatagram& x, const CapturedDatagram& y) { return x.time < y.time; });
  t.a_to_b_inner = pair.b.delivered;
  t.b_to_a_inner = pair.a.delivered;
  t.a_key_log = pair.a.key_log;
  t.b_key_log = pair.b.key_log;
  return t;
}

inline std::string joined_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace tether::pcap::testing
