#pragma once
// What one step of the WireGuard device produces (sans-IO, docs/ARCHITECTURE.md): the
// datagrams to send, the inner packets to hand to the TUN device, the events
// for the harness and the logs, and Wireshark key-log lines. The caller owns
// an Output, passes it to Device::handle_*, acts on it and clears it.
//
// Refusals are events too (packet_dropped) with a reason code and a static
// text: no string is built per dropped packet, so a flood of junk costs no
// allocation beyond the event itself, and the device keeps a counter per
// reason whether or not the caller looks at events.

#include <array>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/endpoint.h"
#include "core/time.h"
#include "crypto/x25519.h"
#include "tunnel/messages.h"

namespace tether::tunnel {

// Why the device dropped a datagram or an inner packet.
enum class PacketDropReason : std::uint8_t {
  // Outer datagrams, before any cryptography.
  truncated,          // shorter than its message type requires
  oversized,          // longer than its fixed-size type, or than a UDP payload can be
  unknown_type,       // type byte not 1..4
  reserved_not_zero,  // type word with nonzero reserved bytes
  // Handshake messages.
  bad_mac1,             // mac1 did not verify: not meant for us, or junk
  cookie_required,      // under load and no valid mac2: answered with a cookie reply
  ratelimited,          // under load, too many handshakes from this source address
  handshake_failed,     // did not authenticate (static, timestamp, response, low-order key)
  unknown_peer,         // an initiation from a static key that is no peer of ours
  stale_initiation,     // initiation timestamp not newer than the last accepted (a replay)
  initiation_flood,     // initiation less than 20 ms after the previous one from that peer
  unexpected_response,  // a response to no initiation we have outstanding
  bad_cookie_reply,     // a cookie reply that was not expected or did not decrypt
  // Transport messages.
  unknown_index,       // receiver index names no handshake or keypair of ours
  replay,              // counter already seen, or behind the replay window
  bad_authentication,  // the AEAD tag did not verify
  expired_keypair,     // the keypair is REJECT_AFTER_TIME old, or its keys were erased
  // Inner packets, in either direction.
  invalid_inner_packet,  // not a well-formed IPv4/IPv6 packet
  not_allowed_ip,        // decrypted, but its source is not in the sending peer's AllowedIPs
  filtered,              // denied by the inner allow-list (AllowInner)
  no_peer,               // outgoing: no peer's AllowedIPs contain the destination
  no_endpoint,           // outgoing: the peer has no endpoint to send to yet
  queue_full,            // outgoing: staged queue full while handshaking, oldest dropped
  handshake_given_up,    // outgoing: staged, then dropped when the handshake gave up
};
constexpr std::size_t kPacketDropReasonCount = std::size_t(PacketDropReason::handshake_given_up) + 1;

// "bad_mac1", "not_allowed_ip", ...: the enum's name, for counters and tests.
const char* to_string(PacketDropReason reason);
// A sentence for logs: "handshake with invalid mac1".
const char* describe(PacketDropReason reason);
std::ostream& operator<<(std::ostream& os, PacketDropReason reason);
// The device-level reason for a decoder's refusal.
PacketDropReason drop_reason_of(DropReason decoder_reason);

enum class EventKind : std::uint8_t {
  handshake_sent,        // we sent an initiation (`attempt` counts retries of one series from 1)
  handshake_responded,   // we answered a peer's initiation
  handshake_completed,   // a session is confirmed: response received, or first packet on a new keypair
  handshake_given_up,    // no response after REKEY_ATTEMPT_TIME of retries; staged packets dropped
  endpoint_changed,      // roaming: an authenticated packet came from a new outer address
  keepalive_sent,        // an empty transport message went out
  session_expired,       // every key of the peer was erased (540 s after the latest session)
  packet_dropped,        // see `drop`
};
const char* to_string(EventKind kind);
std::ostream& operator<<(std::ostream& os, EventKind kind);

struct Event {
  EventKind kind = EventKind::packet_dropped;
  Time time;
  std::optional<crypto::PublicKey> peer;  // absent when the packet names no peer
  // endpoint_changed: the new endpoint (old_endpoint the previous one, if
  // any); handshake_sent/keepalive_sent: where it went; packet_dropped: the
  // outer source of a dropped datagram.
  std::optional<Endpoint> endpoint;
  std::optional<Endpoint> old_endpoint;
  PacketDropReason drop = PacketDropReason::truncated;  // packet_dropped only
  // packet_dropped: the lower layer's refusal ("bad_static", ...), static text; may be null.
  const char* detail = nullptr;
  int attempt = 0;  // handshake_sent
  // handshake_completed: the peer's current keypair was still usable (keys
  // present, younger than REJECT_AFTER_TIME) when this one replaced it: a
  // rekey of a working session, not a session coming back.
  bool rekey = false;

  // One log line: "12.500000s handshake_sent peer vZmY+Mp5... to 192.0.2.1:51820 attempt 2".
  std::string to_string() const;
};
std::ostream& operator<<(std::ostream& os, const Event& event);

struct Datagram {
  Endpoint to;
  Bytes bytes;
};

struct Output {
  std::vector<Datagram> datagrams;  // to send from the device's UDP socket
  std::vector<Bytes> packets;       // decrypted inner packets for the TUN device
  std::vector<Event> events;
  // Lines for Wireshark's wg.keylog_file (without newlines), when the device
  // was asked for them; the app appends them to the key log file.
  std::vector<std::string> key_log;

  void clear() {
    datagrams.clear();
    packets.clear();
    events.clear();
    key_log.clear();
  }
  bool empty() const { return datagrams.empty() && packets.empty() && events.empty() && key_log.empty(); }
};

// Dropped packets counted by reason, for `tetherctl show tunnel` and tests.
class DropCounters {
 public:
  void count(PacketDropReason reason) { ++counts_[std::size_t(reason)]; }
  std::uint64_t operator[](PacketDropReason reason) const { return counts_[std::size_t(reason)]; }
  std::uint64_t total() const;

 private:
  std::array<std::uint64_t, kPacketDropReasonCount> counts_{};
};

// The short form of a public key in logs and events: the first 8 base64 characters, as `wg` users know them.
std::string short_key(const crypto::PublicKey& key);

}  // namespace tether::tunnel
