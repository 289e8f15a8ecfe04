#pragma once
// Two WireGuard handshake cores back to back, no network in between: each
// side's LocalIdentity, CookieChecker, Handshake for the other and Session,
// one scripted RandomSource and one clock (monotonic and wall together).
// Keys were made with `wg genkey | wg pubkey` (wireguard-tools), so these
// tests also pin tether's public-key derivation to wg's.

#include <boost/test/unit_test.hpp>

#include <memory>
#include <optional>
#include <string_view>

#include "core/endpoint.h"
#include "crypto/base64_key.h"
#include "tunnel/cookie.h"
#include "tunnel/handshake.h"
#include "tunnel/session.h"
#include "tunnel/scripted_random.h"

namespace tether::tunnel::testing {

inline crypto::Key32 wg_key(std::string_view base64) {
  auto key = crypto::decode_base64_key(base64);
  BOOST_REQUIRE(key.ok());
  return *key;
}

// `wg genkey` output and what `wg pubkey` printed for it.
struct WgKeyPair {
  std::string_view private_key;
  std::string_view public_key;
};
inline constexpr WgKeyPair kKeysA{"EMPc70uzABs0FMUhebYeX9X5GxI0F5OS5Wp371a3jng=",
                                  "vZmY+Mp56hZyaBH7VjEnxRj6u+zO5lfs+dFG9HRggmY="};
inline constexpr WgKeyPair kKeysB{"wODQs23tu6lLhSB/c4Wj1Bln9QA1tY4yjH5E4TDvelw=",
                                  "Q1dnAJR6SSrtdZkW1fXsHrjlqBPAs+oBy4oFBNay4VI="};
inline constexpr WgKeyPair kKeysC{"eP6VPwCMoZST5pyugAILHrpc1B1SI5XsWnq99cgg1EQ=",
                                  "rj9EDDKY7kzse76vEGB9k1JK1XxAbUaA4PQwSWNrNmQ="};
// `wg genpsk`
inline constexpr std::string_view kPsk = "OWevcICYNAryPDC+ph4kWI2xjpYJaiMRgrQ0gV3Pljc=";

struct Node {
  explicit Node(const WgKeyPair& keys, std::string_view endpoint)
      : identity(std::make_shared<LocalIdentity>(wg_key(keys.private_key))),
        checker(identity->public_key()),
        endpoint(*Endpoint::parse(endpoint)) {}
  std::shared_ptr<const LocalIdentity> identity;
  CookieChecker checker;
  Endpoint endpoint;
};

class HandshakePair {
 public:
  // A initiates to B unless a test says otherwise; each side may have its
  // own idea of the PSK, to test a mismatch.
  explicit HandshakePair(std::optional<crypto::Key32> psk_at_a = std::nullopt,
                         std::optional<crypto::Key32> psk_at_b = std::nullopt)
      : a(kKeysA, "192.0.2.1:51820"),
        b(kKeysB, "198.51.100.2:51820"),
        a_peer_b(a.identity, b.identity->public_key(), psk_at_a),
        b_peer_a(b.identity, a.identity->public_key(), psk_at_b) {}

  void advance(Duration d) {
    now += d;
    wall = wall + d;
  }

  // B's table of peers: only A.
  PeerLookup b_lookup() {
    return [this](const crypto::PublicKey& key) -> Handshake* {
      ++b_lookups;
      return key == a.identity->public_key() ? &b_peer_a : nullptr;
    };
  }
  PeerLookup a_lookup() {
    return [this](const crypto::PublicKey& key) -> Handshake* {
      return key == b.identity->public_key() ? &a_peer_b : nullptr;
    };
  }

  Bytes initiation_from_a(std::uint32_t index = kIndexA) {
    auto m = a_peer_b.create_initiation(index, now, wall, random);
    BOOST_REQUIRE(m.ok());
    return std::move(m).value();
  }

  CookieChecker::Outcome check_at_b(ByteView datagram, bool under_load = false) {
    return b.checker.check(datagram, a.endpoint, under_load, now, random);
  }
  CookieChecker::Outcome check_at_a(ByteView datagram, bool under_load = false) {
    return a.checker.check(datagram, b.endpoint, under_load, now, random);
  }

  // Initiation at B and its response, or the error B gave.
  HandshakeOutcome<Bytes> respond_at_b(ByteView initiation, std::uint32_t index = kIndexB) {
    auto checked = check_at_b(initiation);
    BOOST_REQUIRE(checked.verdict == CookieChecker::Verdict::accepted);
    auto peer = consume_initiation(*b.identity, *checked.message, now, b_lookup());
    if (!peer) return peer.error();
    BOOST_REQUIRE(*peer == &b_peer_a);
    return b_peer_a.create_response(index, now, random);
  }

  HandshakeOutcome<void> response_at_a(ByteView response) {
    auto checked = check_at_a(response);
    BOOST_REQUIRE(checked.verdict == CookieChecker::Verdict::accepted);
    return a_peer_b.consume_response(*checked.message);
  }

  // Both sides derive their keypairs and install them.
  void begin_sessions() {
    auto ka = a_peer_b.begin_session(now);
    BOOST_REQUIRE(ka.ok());
    auto kb = b_peer_a.begin_session(now);
    BOOST_REQUIRE(kb.ok());
    a_session.install(std::move(ka).value(), now);
    b_session.install(std::move(kb).value(), now);
  }

  // A complete handshake A -> B with the given indices.
  void handshake(std::uint32_t index_a = kIndexA, std::uint32_t index_b = kIndexB) {
    Bytes initiation = initiation_from_a(index_a);
    auto response = respond_at_b(initiation, index_b);
    BOOST_REQUIRE(response.ok());
    BOOST_REQUIRE(response_at_a(*response).ok());
    begin_sessions();
  }

  static constexpr std::uint32_t kIndexA = 0xa1a1a1a1;
  static constexpr std::uint32_t kIndexB = 0xb2b2b2b2;

  ScriptedRandom random{42};
  Time now = Time::from_ns(std::int64_t(1000) * 1000'000'000);
  WallTime wall = WallTime::from_unix_seconds(1'700'000'000);
  Node a;
  Node b;
  Handshake a_peer_b;  // A's state for its peer B
  Handshake b_peer_a;
  Session a_session;
  Session b_session;
  int b_lookups = 0;
};

}  // namespace tether::tunnel::testing
