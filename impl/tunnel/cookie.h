#pragma once
// WireGuard's defence against handshake floods (whitepaper 5.3, 5.4.4,
// 5.4.7; Linux cookie.c): two MACs on every handshake message.
//
// - mac1 = MAC(HASH("mac1----" || receiver's static public key), message up
//   to mac1). Anyone who knows whom they are talking to can compute it, so
//   it costs an attacker nothing to forge, but it lets the responder drop
//   junk and scans with one BLAKE2s instead of a Curve25519 DH, and keeps a
//   WireGuard port silent to anyone who does not know its public key.
//   It is always checked.
// - mac2 = MAC(cookie, message up to mac2), where the cookie is
//   MAC(secret, source IP || source port) and the secret is the responder's,
//   rotated every 120 s. Only a sender that can receive at its source address
//   can hold a cookie, so under load a responder processes only handshakes
//   whose source address is proven, and answers the others with a cookie
//   reply (XChaCha20-Poly1305 of the cookie under
//   HASH("cookie--" || responder's public key), with the mac1 of the
//   triggering message as associated data, so only its real sender can use
//   it) instead of computing any DH.
//
// Whether the responder is "under load" is the caller's judgement (Linux:
// the handshake queue is 1/8 full), passed in per message.
//
// A cookie reply is unauthenticated as far as the peer's identity goes: it
// changes nothing but the stored cookie. In particular the device must
// never update a peer's endpoint from one (the roaming rule: only authenticated initiations, responses and transport
// packets move an endpoint).

#include <cstdint>
#include <iosfwd>
#include <optional>

#include "core/bytes.h"
#include "core/endpoint.h"
#include "core/time.h"
#include "crypto/blake2s.h"
#include "crypto/x25519.h"
#include "tunnel/messages.h"
#include "tunnel/random_source.h"

namespace tether::tunnel {

// HASH("mac1----" || key): the mac1 key of handshake messages sent *to* the
// owner of `receiver_static`.
crypto::Blake2sHash mac1_key(const crypto::PublicKey& receiver_static);
// HASH("cookie--" || key): the key of cookie replies sent *by* the owner of
// `responder_static`.
crypto::Blake2sHash cookie_key(const crypto::PublicKey& responder_static);

// An initiation or response that passed the cookie checker: mac1 valid and,
// if the responder was under load, mac2 valid too. Only CookieChecker makes
// one, and the handshake consumes only these, so no path reaches a DH
// without the cheap checks first. Views the caller's datagram.
class VerifiedHandshake {
 public:
  ByteView datagram() const { return datagram_; }
  MessageType type() const { return type_; }
  // True when mac2 was checked and valid (only ever checked under load):
  // the source address is proven, so a rate limit per source is meaningful.
  bool mac2_valid() const { return mac2_valid_; }

 private:
  friend class CookieChecker;
  VerifiedHandshake(ByteView datagram, MessageType type, bool mac2_valid)
      : datagram_(datagram), type_(type), mac2_valid_(mac2_valid) {}
  ByteView datagram_;
  MessageType type_;
  bool mac2_valid_;
};

// Responder side, one per device (per local static key).
class CookieChecker {
 public:
  explicit CookieChecker(const crypto::PublicKey& local_static_public);
  ~CookieChecker();
  CookieChecker(const CookieChecker&) = delete;
  CookieChecker& operator=(const CookieChecker&) = delete;

  enum class Verdict : std::uint8_t {
    malformed,        // not an initiation or response of the right size: drop
    bad_mac1,         // drop, silently
    cookie_required,  // under load without a valid mac2: send `cookie_reply` to the source
    accepted,         // go on to the handshake with `message`
  };
  struct Outcome {
    Verdict verdict = Verdict::malformed;
    std::optional<VerifiedHandshake> message;  // when accepted
    Bytes cookie_reply;                        // when cookie_required: 64 bytes
  };

  // `source` is the datagram's outer source address and port. Random bytes
  // are drawn only under load (a new secret at most every 120 s, 24 bytes of
  // nonce per cookie reply).
  Outcome check(ByteView datagram, const Endpoint& source, bool under_load, Time now, RandomSource& random);

 private:
  crypto::Blake2sMac make_cookie(const Endpoint& source, Time now, RandomSource& random);

  crypto::Blake2sHash mac1_key_{};
  crypto::Blake2sHash cookie_key_{};
  std::array<std::uint8_t, 32> secret_{};
  std::optional<Time> secret_born_;
};

const char* to_string(CookieChecker::Verdict verdict);
std::ostream& operator<<(std::ostream& os, CookieChecker::Verdict verdict);

// Initiator side (and a responder's, for its responses), one per peer:
// puts the MACs on outgoing handshake messages and takes cookies from the
// peer's cookie replies.
class CookieConsumer {
 public:
  explicit CookieConsumer(const crypto::PublicKey& remote_static);
  ~CookieConsumer();
  CookieConsumer(const CookieConsumer&) = delete;
  CookieConsumer& operator=(const CookieConsumer&) = delete;

  // Fills mac1, and mac2 from a cookie younger than kCookieMaxAge (zeros
  // otherwise), of an encoded initiation or response; remembers mac1, which
  // a cookie reply to this message must carry as associated data. False,
  // untouched, if the buffer is not an initiation or response.
  bool add_macs(MutableByteView handshake_datagram, Time now);

  enum class Consumed : std::uint8_t {
    stored,      // the cookie will be used for mac2 from now on
    unexpected,  // no handshake message sent since the last cookie: dropped
    forged,      // did not decrypt with our last mac1: dropped
  };
  // The device routes the reply here by its receiver index (one of the
  // peer's handshake or keypair indices). Changes nothing but the cookie.
  Consumed consume(const CookieReply& reply, Time now);

  bool has_cookie(Time now) const;

 private:
  crypto::Blake2sHash mac1_key_{};
  crypto::Blake2sHash cookie_key_{};
  Mac last_mac1_{};
  bool have_sent_mac1_ = false;
  std::array<std::uint8_t, kCookieSize> cookie_{};
  std::optional<Time> cookie_received_;
};

const char* to_string(CookieConsumer::Consumed consumed);
std::ostream& operator<<(std::ostream& os, CookieConsumer::Consumed consumed);

}  // namespace tether::tunnel
