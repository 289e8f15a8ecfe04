#include "tunnel/output.h"

#include <numeric>
#include <ostream>
#include <sstream>

#include "crypto/base64_key.h"

namespace tether::tunnel {

const char* to_string(PacketDropReason reason) {
  switch (reason) {
    case PacketDropReason::truncated: return "truncated";
    case PacketDropReason::oversized: return "oversized";
    case PacketDropReason::unknown_type: return "unknown_type";
    case PacketDropReason::reserved_not_zero: return "reserved_not_zero";
    case PacketDropReason::bad_mac1: return "bad_mac1";
    case PacketDropReason::cookie_required: return "cookie_required";
    case PacketDropReason::ratelimited: return "ratelimited";
    case PacketDropReason::handshake_failed: return "handshake_failed";
    case PacketDropReason::unknown_peer: return "unknown_peer";
    case PacketDropReason::stale_initiation: return "stale_initiation";
    case PacketDropReason::initiation_flood: return "initiation_flood";
    case PacketDropReason::unexpected_response: return "unexpected_response";
    case PacketDropReason::bad_cookie_reply: return "bad_cookie_reply";
    case PacketDropReason::unknown_index: return "unknown_index";
    case PacketDropReason::replay: return "replay";
    case PacketDropReason::bad_authentication: return "bad_authentication";
    case PacketDropReason::expired_keypair: return "expired_keypair";
    case PacketDropReason::invalid_inner_packet: return "invalid_inner_packet";
    case PacketDropReason::not_allowed_ip: return "not_allowed_ip";
    case PacketDropReason::filtered: return "filtered";
    case PacketDropReason::no_peer: return "no_peer";
    case PacketDropReason::no_endpoint: return "no_endpoint";
    case PacketDropReason::queue_full: return "queue_full";
    case PacketDropReason::handshake_given_up: return "handshake_given_up";
  }
  return "unknown";
}

const char* describe(PacketDropReason reason) {
  switch (reason) {
    case PacketDropReason::truncated: return "datagram shorter than its message type";
    case PacketDropReason::oversized: return "datagram longer than its message type allows";
    case PacketDropReason::unknown_type: return "unknown message type";
    case PacketDropReason::reserved_not_zero: return "reserved bytes of the message type not zero";
    case PacketDropReason::bad_mac1: return "handshake message with invalid mac1";
    case PacketDropReason::cookie_required: return "under load: handshake without valid mac2, cookie reply sent";
    case PacketDropReason::ratelimited: return "under load: too many handshakes from this address";
    case PacketDropReason::handshake_failed: return "handshake message did not authenticate";
    case PacketDropReason::unknown_peer: return "handshake initiation from a key that is no peer";
    case PacketDropReason::stale_initiation: return "initiation timestamp not newer than the last one (replay)";
    case PacketDropReason::initiation_flood: return "initiation less than 20 ms after the previous one";
    case PacketDropReason::unexpected_response: return "handshake response to no outstanding initiation";
    case PacketDropReason::bad_cookie_reply: return "cookie reply not expected or not authentic";
    case PacketDropReason::unknown_index: return "receiver index names no session or handshake";
    case PacketDropReason::replay: return "replayed or out-of-window counter";
    case PacketDropReason::bad_authentication: return "transport packet did not authenticate";
    case PacketDropReason::expired_keypair: return "keypair expired or erased";
    case PacketDropReason::invalid_inner_packet: return "inner packet is not well-formed IPv4 or IPv6";
    case PacketDropReason::not_allowed_ip: return "inner source address not in the peer's AllowedIPs";
    case PacketDropReason::filtered: return "inner packet denied by AllowInner";
    case PacketDropReason::no_peer: return "no peer's AllowedIPs contain the destination";
    case PacketDropReason::no_endpoint: return "peer has no endpoint";
    case PacketDropReason::queue_full: return "staged queue full, oldest packet dropped";
    case PacketDropReason::handshake_given_up: return "handshake gave up, staged packet dropped";
  }
  return "unknown drop reason";
}

std::ostream& operator<<(std::ostream& os, PacketDropReason reason) { return os << to_string(reason); }

PacketDropReason drop_reason_of(DropReason decoder_reason) {
  switch (decoder_reason) {
    case DropReason::truncated: return PacketDropReason::truncated;
    case DropReason::oversized: return PacketDropReason::oversized;
    case DropReason::unknown_type: return PacketDropReason::unknown_type;
    case DropReason::reserved_not_zero: return PacketDropReason::reserved_not_zero;
    case DropReason::wrong_type: return PacketDropReason::unknown_type;
  }
  return PacketDropReason::unknown_type;
}

const char* to_string(EventKind kind) {
  switch (kind) {
    case EventKind::handshake_sent: return "handshake_sent";
    case EventKind::handshake_responded: return "handshake_responded";
    case EventKind::handshake_completed: return "handshake_completed";
    case EventKind::handshake_given_up: return "handshake_given_up";
    case EventKind::endpoint_changed: return "endpoint_changed";
    case EventKind::keepalive_sent: return "keepalive_sent";
    case EventKind::session_expired: return "session_expired";
    case EventKind::packet_dropped: return "packet_dropped";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, EventKind kind) { return os << to_string(kind); }

std::string short_key(const crypto::PublicKey& key) { return crypto::encode_base64_key(key).substr(0, 8); }

std::string Event::to_string() const {
  std::ostringstream os;
  os << time << ' ' << kind;
  if (peer) os << " peer " << short_key(*peer);
  switch (kind) {
    case EventKind::endpoint_changed:
      os << ' ' << (old_endpoint ? old_endpoint->to_string() : std::string("(none)")) << " -> "
         << (endpoint ? endpoint->to_string() : std::string("(none)"));
      break;
    case EventKind::packet_dropped:
      os << ' ' << drop << ": " << describe(drop);
      if (detail) os << " (" << detail << ')';
      if (endpoint) os << " from " << *endpoint;
      break;
    case EventKind::handshake_sent:
      if (endpoint) os << " to " << *endpoint;
      os << " attempt " << attempt;
      break;
    default:
      if (endpoint) os << " to " << *endpoint;
      break;
  }
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Event& event) { return os << event.to_string(); }

std::uint64_t DropCounters::total() const { return std::accumulate(counts_.begin(), counts_.end(), std::uint64_t(0)); }

}  // namespace tether::tunnel
