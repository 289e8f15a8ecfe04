#include "tunnel/cookie.h"

#include <algorithm>
#include <ostream>
#include <string_view>

#include "crypto/aead.h"
#include "crypto/constant_time.h"
#include "tunnel/protocol_constants.h"

namespace tether::tunnel {
namespace {

constexpr std::string_view kMac1Label = "mac1----";
constexpr std::string_view kCookieLabel = "cookie--";

// Both MAC'd handshake messages carry the sender's index at offset 4; a
// cookie reply goes back to that index.
std::uint32_t sender_index_of(ByteView handshake_datagram) { return load_le32(handshake_datagram.data() + 4); }

}  // namespace

const char* to_string(CookieChecker::Verdict verdict) {
  switch (verdict) {
    case CookieChecker::Verdict::malformed: return "malformed";
    case CookieChecker::Verdict::bad_mac1: return "bad_mac1";
    case CookieChecker::Verdict::cookie_required: return "cookie_required";
    case CookieChecker::Verdict::accepted: return "accepted";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, CookieChecker::Verdict verdict) { return os << to_string(verdict); }

const char* to_string(CookieConsumer::Consumed consumed) {
  switch (consumed) {
    case CookieConsumer::Consumed::stored: return "stored";
    case CookieConsumer::Consumed::unexpected: return "unexpected";
    case CookieConsumer::Consumed::forged: return "forged";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, CookieConsumer::Consumed consumed) { return os << to_string(consumed); }

crypto::Blake2sHash mac1_key(const crypto::PublicKey& receiver_static) {
  return crypto::blake2s_256(ByteView(kMac1Label), receiver_static);
}

crypto::Blake2sHash cookie_key(const crypto::PublicKey& responder_static) {
  return crypto::blake2s_256(ByteView(kCookieLabel), responder_static);
}

CookieChecker::CookieChecker(const crypto::PublicKey& local_static_public)
    : mac1_key_(mac1_key(local_static_public)), cookie_key_(cookie_key(local_static_public)) {}

CookieChecker::~CookieChecker() { crypto::secure_wipe(MutableByteView(secret_)); }

crypto::Blake2sMac CookieChecker::make_cookie(const Endpoint& source, Time now, RandomSource& random) {
  // Lazily, as Linux does: a secret nobody asked for needs no timer.
  if (!secret_born_ || now - *secret_born_ >= kCookieSecretMaxAge) {
    random.fill(MutableByteView(secret_));
    secret_born_ = now;
  }
  // The address bytes in network order, then the port big-endian, as Linux
  // hashes them straight from the IP and UDP headers. Only this responder
  // ever recomputes its cookies, so the layout is ours to choose.
  std::array<std::uint8_t, 18> who{};
  const std::size_t n = source.address().size();
  std::copy(source.address().bytes(), source.address().bytes() + n, who.begin());
  store_be16(who.data() + n, source.port());
  return crypto::blake2s_mac(secret_, ByteView(who.data(), n + 2));
}

CookieChecker::Outcome CookieChecker::check(ByteView datagram, const Endpoint& source, bool under_load, Time now,
                                            RandomSource& random) {
  Outcome out;
  auto type = classify_message(datagram);
  auto spans = mac_spans(datagram);
  if (!type || !spans) return out;  // malformed

  const crypto::Blake2sMac mac1 = crypto::blake2s_mac(mac1_key_, spans->mac1_input);
  if (!crypto::constant_time_equal(mac1, spans->mac1)) {
    out.verdict = Verdict::bad_mac1;
    return out;
  }
  if (!under_load) {
    out.verdict = Verdict::accepted;
    out.message = VerifiedHandshake(datagram, *type, false);
    return out;
  }

  crypto::Blake2sMac cookie = make_cookie(source, now, random);
  const crypto::Blake2sMac mac2 = crypto::blake2s_mac(cookie, spans->mac2_input);
  if (crypto::constant_time_equal(mac2, spans->mac2)) {
    crypto::secure_wipe(MutableByteView(cookie));
    out.verdict = Verdict::accepted;
    out.message = VerifiedHandshake(datagram, *type, true);
    return out;
  }

  CookieReply reply;
  reply.receiver_index = sender_index_of(datagram);
  random.fill(MutableByteView(reply.nonce));
  const Bytes sealed = crypto::xchacha20_poly1305_seal(cookie_key_, reply.nonce, spans->mac1, cookie);
  std::copy(sealed.begin(), sealed.end(), reply.encrypted_cookie.begin());
  crypto::secure_wipe(MutableByteView(cookie));
  out.verdict = Verdict::cookie_required;
  out.cookie_reply = encode(reply);
  return out;
}

CookieConsumer::CookieConsumer(const crypto::PublicKey& remote_static)
    : mac1_key_(mac1_key(remote_static)), cookie_key_(cookie_key(remote_static)) {}

CookieConsumer::~CookieConsumer() { crypto::secure_wipe(MutableByteView(cookie_)); }

bool CookieConsumer::has_cookie(Time now) const {
  return cookie_received_ && now - *cookie_received_ < kCookieMaxAge;
}

bool CookieConsumer::add_macs(MutableByteView handshake_datagram, Time now) {
  auto spans = mutable_mac_spans(handshake_datagram);
  if (!spans) return false;
  const crypto::Blake2sMac mac1 = crypto::blake2s_mac(mac1_key_, spans->mac1_input);
  std::copy(mac1.begin(), mac1.end(), spans->mac1.begin());
  std::copy(mac1.begin(), mac1.end(), last_mac1_.begin());
  have_sent_mac1_ = true;
  if (has_cookie(now)) {
    const crypto::Blake2sMac mac2 = crypto::blake2s_mac(cookie_, spans->mac2_input);
    std::copy(mac2.begin(), mac2.end(), spans->mac2.begin());
  } else {
    std::fill(spans->mac2.begin(), spans->mac2.end(), std::uint8_t(0));
  }
  return true;
}

CookieConsumer::Consumed CookieConsumer::consume(const CookieReply& reply, Time now) {
  if (!have_sent_mac1_) return Consumed::unexpected;
  auto opened = crypto::xchacha20_poly1305_open(cookie_key_, reply.nonce, last_mac1_, reply.encrypted_cookie);
  if (!opened || opened->size() != cookie_.size()) return Consumed::forged;
  std::copy(opened->begin(), opened->end(), cookie_.begin());
  crypto::secure_wipe(MutableByteView(*opened));
  cookie_received_ = now;
  // One cookie per message sent: a second reply to the same mac1 (a replay)
  // is refused.
  have_sent_mac1_ = false;
  return Consumed::stored;
}

}  // namespace tether::tunnel
