// Cryptokey routing. The first cases are those of Linux's
// drivers/net/wireguard/selftest/allowedips.c (its inserts, lookups and
// expected owners, re-expressed with peer ids); then tether's own edge
// cases, and a seeded random cross-check against a linear scan, which is
// what the Linux suite's "horrible" reference table does.

#include "tunnel/allowed_ips.h"
#include "tunnel/print_optional.h"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>

using tether::IpAddress;
using tether::IpPrefix;
using tether::tunnel::AllowedIps;
using tether::tunnel::PeerId;

namespace {

IpAddress ip(const std::string& text) {
  auto a = IpAddress::parse(text);
  BOOST_REQUIRE_MESSAGE(a.ok(), text);
  return *a;
}
IpPrefix pfx(const std::string& text) {
  auto p = IpPrefix::parse(text);
  BOOST_REQUIRE_MESSAGE(p.ok(), text);
  return *p;
}
// Linux's ip6(a, b, c, d) helper: four big-endian 32-bit words.
IpAddress ip6(std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t d) {
  std::uint8_t bytes[16];
  std::uint32_t words[4] = {a, b, c, d};
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) bytes[i * 4 + j] = std::uint8_t(words[i] >> (24 - 8 * j));
  return IpAddress::v6_bytes(bytes);
}
IpPrefix pfx6(std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t d, int len) {
  return IpPrefix(ip6(a, b, c, d), len);
}

std::optional<PeerId> none() { return std::nullopt; }

enum : PeerId { A = 1, B, C, D, E, F, G, H };

}  // namespace


BOOST_AUTO_TEST_SUITE(allowed_ips)

BOOST_AUTO_TEST_CASE(linux_selftest_lookups) {
  AllowedIps t;
  t.insert(pfx("192.168.4.0/24"), A);
  t.insert(pfx("192.168.4.4/32"), B);
  t.insert(pfx("192.168.0.0/16"), C);
  t.insert(pfx("192.95.5.64/27"), D);
  t.insert(pfx("192.95.5.65/27"), C);  // same prefix once masked: moves to C
  t.insert(pfx6(0x26075300, 0x60006b00, 0, 0xc05f0543, 128), D);
  t.insert(pfx6(0x26075300, 0x60006b00, 0, 0, 64), C);
  t.insert(pfx("0.0.0.0/0"), E);
  t.insert(pfx("::/0"), E);
  t.insert(pfx("::/0"), F);  // moves to F
  t.insert(pfx6(0x24046800, 0, 0, 0, 32), G);
  t.insert(pfx6(0x24046800, 0x40040800, 0xdeadbeef, 0xdeadbeef, 64), H);  // host bits masked
  t.insert(pfx6(0x24046800, 0x40040800, 0xdeadbeef, 0xdeadbeef, 128), A);
  t.insert(pfx6(0x24446800, 0x40e40800, 0xdeaebeef, 0xdefbeef, 128), C);
  t.insert(pfx6(0x24446800, 0xf0e40800, 0xeeaebeef, 0, 98), B);
  t.insert(pfx("64.15.112.0/20"), G);
  t.insert(pfx("64.15.123.211/25"), H);  // host bits masked
  t.insert(pfx("10.0.0.0/25"), A);
  t.insert(pfx("10.0.0.128/25"), B);
  t.insert(pfx("10.1.0.0/30"), A);
  t.insert(pfx("10.1.0.4/30"), B);
  t.insert(pfx("10.1.0.8/29"), C);
  t.insert(pfx("10.1.0.16/29"), D);

  BOOST_TEST(t.lookup(ip("192.168.4.20")) == A);
  BOOST_TEST(t.lookup(ip("192.168.4.0")) == A);
  BOOST_TEST(t.lookup(ip("192.168.4.4")) == B);
  BOOST_TEST(t.lookup(ip("192.168.200.182")) == C);
  BOOST_TEST(t.lookup(ip("192.95.5.68")) == C);
  BOOST_TEST(t.lookup(ip("192.95.5.96")) == E);
  BOOST_TEST(t.lookup(ip6(0x26075300, 0x60006b00, 0, 0xc05f0543)) == D);
  BOOST_TEST(t.lookup(ip6(0x26075300, 0x60006b00, 0, 0xc02e01ee)) == C);
  BOOST_TEST(t.lookup(ip6(0x26075300, 0x60006b01, 0, 0)) == F);
  BOOST_TEST(t.lookup(ip6(0x24046800, 0x40040806, 0, 0x1006)) == G);
  BOOST_TEST(t.lookup(ip6(0x24046800, 0x40040806, 0x1234, 0x5678)) == G);
  BOOST_TEST(t.lookup(ip6(0x240467ff, 0x40040806, 0x1234, 0x5678)) == F);
  BOOST_TEST(t.lookup(ip6(0x24046801, 0x40040806, 0x1234, 0x5678)) == F);
  BOOST_TEST(t.lookup(ip6(0x24046800, 0x40040800, 0x1234, 0x5678)) == H);
  BOOST_TEST(t.lookup(ip6(0x24046800, 0x40040800, 0, 0)) == H);
  BOOST_TEST(t.lookup(ip6(0x24046800, 0x40040800, 0x10101010, 0x10101010)) == H);
  BOOST_TEST(t.lookup(ip6(0x24046800, 0x40040800, 0xdeadbeef, 0xdeadbeef)) == A);
  BOOST_TEST(t.lookup(ip("64.15.116.26")) == G);
  BOOST_TEST(t.lookup(ip("64.15.127.3")) == G);
  BOOST_TEST(t.lookup(ip("64.15.123.1")) == G);
  BOOST_TEST(t.lookup(ip("64.15.123.128")) == H);
  BOOST_TEST(t.lookup(ip("64.15.123.129")) == H);
  BOOST_TEST(t.lookup(ip("10.0.0.52")) == A);
  BOOST_TEST(t.lookup(ip("10.0.0.220")) == B);
  BOOST_TEST(t.lookup(ip("10.1.0.2")) == A);
  BOOST_TEST(t.lookup(ip("10.1.0.6")) == B);
  BOOST_TEST(t.lookup(ip("10.1.0.10")) == C);
  BOOST_TEST(t.lookup(ip("10.1.0.20")) == D);

  // Host routes spread over the whole space, then removed with their peer.
  for (const char* a : {"1.0.0.0", "64.0.0.0", "128.0.0.0", "192.0.0.0", "255.0.0.0"}) t.insert(pfx(a), A);
  t.remove_peer(A);
  for (const char* a : {"1.0.0.0", "64.0.0.0", "128.0.0.0", "192.0.0.0", "255.0.0.0"})
    BOOST_TEST(t.lookup(ip(a)) != A);
}

BOOST_AUTO_TEST_CASE(linux_selftest_nested_removal) {
  AllowedIps t;
  t.insert(pfx("192.168.0.0/16"), A);
  t.insert(pfx("192.168.0.0/24"), A);
  t.remove_peer(A);
  BOOST_TEST(t.lookup(ip("192.168.0.1")) == none());
  BOOST_TEST(t.empty());
}

BOOST_AUTO_TEST_CASE(linux_selftest_deep_v6_host_routes) {
  // 128 host routes that each differ from all-ones in one bit: the deepest
  // trie Linux's selftest builds.
  AllowedIps t;
  for (int i = 0; i < 128; ++i) {
    std::uint8_t b[16];
    std::fill(b, b + 16, 0xff);
    b[i / 8] &= std::uint8_t(~(0x80 >> (i % 8)));
    t.insert(IpPrefix(IpAddress::v6_bytes(b), 128), A);
  }
  BOOST_TEST(t.size() == 128u);
  std::uint8_t ones[16];
  std::fill(ones, ones + 16, 0xff);
  BOOST_TEST(t.lookup(IpAddress::v6_bytes(ones)) == none());
  t.remove_peer(A);
  BOOST_TEST(t.empty());
}

BOOST_AUTO_TEST_CASE(linux_selftest_entries_are_masked) {
  AllowedIps t;
  t.insert(pfx("192.95.5.93/27"), A);
  t.insert(pfx6(0x26075300, 0x60006b00, 0, 0xc05f0543, 128), A);
  t.insert(pfx("10.1.0.20/29"), A);
  t.insert(pfx6(0x26075300, 0x6d8a6bf8, 0xdab1f1df, 0xc05f1523, 83), A);
  t.insert(pfx6(0x26075300, 0x6d8a6bf8, 0xdab1f1df, 0xc05f1523, 21), A);
  auto entries = t.entries_of(A);
  BOOST_TEST_REQUIRE(entries.size() == 5u);
  // IPv4 first, each family in address order, shorter before longer.
  BOOST_TEST(entries[0] == pfx("10.1.0.16/29"));
  BOOST_TEST(entries[1] == pfx("192.95.5.64/27"));
  BOOST_TEST(entries[2] == pfx6(0x26075000, 0, 0, 0, 21));
  BOOST_TEST(entries[3] == pfx6(0x26075300, 0x60006b00, 0, 0xc05f0543, 128));
  BOOST_TEST(entries[4] == pfx6(0x26075300, 0x6d8a6bf8, 0xdab1e000, 0, 83));
}

BOOST_AUTO_TEST_CASE(default_routes_and_host_routes) {
  AllowedIps t;
  BOOST_TEST(t.lookup(ip("10.0.0.1")) == none());
  t.insert(pfx("0.0.0.0/0"), A);
  t.insert(pfx("10.0.0.1/32"), B);
  t.insert(pfx("::/0"), C);
  t.insert(pfx("2001:db8::1/128"), D);
  BOOST_TEST(t.lookup(ip("10.0.0.1")) == B);
  BOOST_TEST(t.lookup(ip("10.0.0.2")) == A);
  BOOST_TEST(t.lookup(ip("255.255.255.255")) == A);
  BOOST_TEST(t.lookup(ip("2001:db8::1")) == D);
  BOOST_TEST(t.lookup(ip("2001:db8::2")) == C);
  BOOST_TEST(t.lookup(ip("::")) == C);
  BOOST_TEST(t.size() == 4u);
}

BOOST_AUTO_TEST_CASE(families_are_isolated) {
  // ::/0 must not catch IPv4, nor 0.0.0.0/0 IPv6; and an IPv4 prefix must not
  // match the IPv6 address with the same leading bytes (or an IPv4-mapped one).
  AllowedIps t;
  t.insert(pfx("::/0"), A);
  t.insert(pfx("10.0.0.0/8"), B);
  BOOST_TEST(t.lookup(ip("10.1.2.3")) == B);
  BOOST_TEST(t.lookup(ip("11.0.0.1")) == none());
  BOOST_TEST(t.lookup(ip("a00::1")) == A);  // 0x0a00... as IPv6
  BOOST_TEST(t.lookup(ip("::ffff:10.1.2.3")) == A);
  AllowedIps u;
  u.insert(pfx("0.0.0.0/0"), A);
  BOOST_TEST(u.lookup(ip("2001:db8::1")) == none());
}

BOOST_AUTO_TEST_CASE(seed_tunnel_routes) {
  // namorar routes its tunnel peer carinho (2001:db8:c1da::1) and carinho's
  // LAN (2001:db8:6969::/48) into the tunnel; everything else stays outside.
  AllowedIps t;
  t.insert(pfx("2001:db8:c1da::1/128"), A);
  t.insert(pfx("2001:db8:6969::/48"), A);
  BOOST_TEST(t.lookup(ip("2001:db8:c1da::1")) == A);
  BOOST_TEST(t.lookup(ip("2001:db8:6969::2")) == A);
  BOOST_TEST(t.lookup(ip("2001:db8:c1da::2")) == none());
  BOOST_TEST(t.lookup(ip("2001:db8:1234:1234::6969")) == none());
}

BOOST_AUTO_TEST_CASE(insert_moves_prefix_between_peers) {
  AllowedIps t;
  t.insert(pfx("10.0.0.0/24"), A);
  t.insert(pfx("10.0.0.7/24"), B);  // the same /24 once masked
  BOOST_TEST(t.size() == 1u);
  BOOST_TEST(t.lookup(ip("10.0.0.9")) == B);
  BOOST_TEST(t.entries_of(A).empty());
  BOOST_TEST(t.entries_of(B).size() == 1u);
  BOOST_TEST(t.entries_of(B)[0] == pfx("10.0.0.0/24"));
}

BOOST_AUTO_TEST_CASE(remove_exact_prefix_only) {
  AllowedIps t;
  t.insert(pfx("10.0.0.0/8"), A);
  t.insert(pfx("10.1.0.0/16"), B);
  t.insert(pfx("10.1.2.0/24"), C);
  BOOST_TEST(!t.remove(pfx("10.1.0.0/17")));  // not present
  BOOST_TEST(t.remove(pfx("10.1.9.9/16")));   // masked to 10.1.0.0/16
  BOOST_TEST(!t.remove(pfx("10.1.0.0/16")));  // already gone
  BOOST_TEST(t.size() == 2u);
  BOOST_TEST(t.lookup(ip("10.1.9.9")) == A);
  BOOST_TEST(t.lookup(ip("10.1.2.9")) == C);
  BOOST_TEST(t.remove(pfx("10.0.0.0/8")));
  BOOST_TEST(t.lookup(ip("10.1.9.9")) == none());
  BOOST_TEST(t.lookup(ip("10.1.2.9")) == C);
  t.insert(pfx("0.0.0.0/0"), D);
  BOOST_TEST(t.remove(pfx("0.0.0.0/0")));
  BOOST_TEST(t.lookup(ip("1.2.3.4")) == none());
}

BOOST_AUTO_TEST_CASE(remove_peer_leaves_others) {
  AllowedIps t;
  t.insert(pfx("10.0.0.0/8"), A);
  t.insert(pfx("10.1.0.0/16"), B);
  t.insert(pfx("10.1.2.0/24"), A);
  t.insert(pfx("2001:db8::/32"), A);
  t.insert(pfx("2001:db8:1::/48"), B);
  t.remove_peer(A);
  BOOST_TEST(t.size() == 2u);
  BOOST_TEST(t.lookup(ip("10.1.2.3")) == B);
  BOOST_TEST(t.lookup(ip("10.2.0.1")) == none());
  BOOST_TEST(t.lookup(ip("2001:db8:1::1")) == B);
  BOOST_TEST(t.lookup(ip("2001:db8:2::1")) == none());
  BOOST_TEST(t.entries_of(A).empty());
  t.remove_peer(B);
  BOOST_TEST(t.empty());
  BOOST_TEST(t.entries().empty());
}

namespace {

// The reference: every entry in a map, lookup by scanning all of them.
class LinearTable {
 public:
  void insert(const IpPrefix& p, PeerId peer) { entries_[key(p.network())] = peer; }
  bool remove(const IpPrefix& p) { return entries_.erase(key(p.network())) > 0; }
  void remove_peer(PeerId peer) {
    for (auto it = entries_.begin(); it != entries_.end();)
      it = it->second == peer ? entries_.erase(it) : std::next(it);
  }
  std::optional<PeerId> lookup(const IpAddress& a) const {
    int best_len = -1;
    std::optional<PeerId> best;
    for (auto& [k, peer] : entries_) {
      IpPrefix p(std::get<0>(k), std::get<1>(k));
      if (p.contains(a) && p.length() > best_len) {
        best_len = p.length();
        best = peer;
      }
    }
    return best;
  }
  std::size_t size() const { return entries_.size(); }

 private:
  using Key = std::tuple<IpAddress, int>;
  static Key key(const IpPrefix& p) { return {p.address(), p.length()}; }
  std::map<Key, PeerId> entries_;
};

IpAddress random_address(std::mt19937_64& rng, bool v4) {
  std::uint8_t b[16];
  for (auto& x : b) x = std::uint8_t(rng());
  return v4 ? IpAddress::v4_bytes(b) : IpAddress::v6_bytes(b);
}

// An address sharing a random number of leading bits with `base`, so that
// prefixes cluster and nest the way real tables do (Linux's "mutated" routes).
IpAddress mutate(std::mt19937_64& rng, const IpAddress& base) {
  std::uint8_t b[16];
  std::copy(base.bytes(), base.bytes() + base.size(), b);
  int bits = int(base.size() * 8);
  int keep = int(rng() % std::uint64_t(bits));
  for (int i = keep; i < bits; ++i)
    if (rng() & 1) b[i / 8] ^= std::uint8_t(0x80 >> (i % 8));
  return base.is_v4() ? IpAddress::v4_bytes(b) : IpAddress::v6_bytes(b);
}

}  // namespace

BOOST_AUTO_TEST_CASE(random_cross_check_against_linear_scan) {
  std::mt19937_64 rng(20240607);
  constexpr PeerId kPeers = 32;
  AllowedIps t;
  LinearTable ref;
  std::vector<IpPrefix> inserted;
  for (int i = 0; i < 400; ++i) {
    bool v4 = rng() & 1;
    IpAddress base = random_address(rng, v4);
    int max = v4 ? 32 : 128;
    for (int j = 0; j < 8; ++j) {
      IpAddress a = j == 0 ? base : mutate(rng, base);
      IpPrefix p(a, int(rng() % std::uint64_t(max + 1)));
      PeerId peer = PeerId(rng() % kPeers);
      t.insert(p, peer);
      ref.insert(p, peer);
      inserted.push_back(p);
    }
  }
  BOOST_TEST(t.size() == ref.size());

  auto compare = [&](const char* stage) {
    std::mt19937_64 q(7);
    for (int i = 0; i < 4000; ++i) {
      IpAddress a = i % 2 ? random_address(q, i % 4 == 1)
                          : mutate(q, inserted[std::size_t(q() % inserted.size())].address());
      auto got = t.lookup(a);
      auto want = ref.lookup(a);
      if (got != want) {
        BOOST_ERROR(stage << ": lookup " << a << " gave " << (got ? std::to_string(*got) : "none")
                          << ", linear scan " << (want ? std::to_string(*want) : "none"));
        return;
      }
    }
    BOOST_TEST(t.size() == ref.size());
  };
  compare("after inserts");

  for (std::size_t i = 0; i < inserted.size(); i += 5) BOOST_TEST(t.remove(inserted[i]) == ref.remove(inserted[i]));
  compare("after single removals");

  for (PeerId peer = 0; peer < kPeers; ++peer) {
    t.remove_peer(peer);
    ref.remove_peer(peer);
    if (peer % 8 == 7) compare("after peer removals");
  }
  BOOST_TEST(t.empty());
}

BOOST_AUTO_TEST_SUITE_END()
