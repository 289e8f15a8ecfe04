#pragma once
// The WireGuard dissector: UDP datagrams as they were on the wire in, one
// timeline event per WireGuard message out (protocol "wg"; kinds
// initiation, response, cookie-reply, keepalive, data), each tied to its
// session (wireguard_sessions.h) and, with a key log, transport messages
// decrypted with the session's keys (wireguard_session_keys.h) and their
// inner IP packet handed on.
//
// Which datagrams are WireGuard, as Wireshark decides
// (epan/dissectors/packet-wireguard.c, dissect_wg_heur and
// wg_is_valid_message_length):
//  - by shape, on any port: the first byte a type 1..4, the length the
//    type's (initiation 148, response 92, cookie reply 64, transport at
//    least 32), and, for cookie replies and transport messages only, the
//    three reserved bytes zero (Cloudflare's implementation puts load-
//    balancing bits in the handshakes' reserved bytes, so Wireshark does
//    not ask it of them). Transport lengths are not required to be
//    multiples of 16: a sender pads to 16 only up to the MTU (Linux
//    calculate_skb_padding, tunnel/keypair.cc transport_padding), so a
//    full-MTU packet may end anywhere;
//  - on the ports the user names (to or from), everything is taken as
//    WireGuard, as Wireshark's "Decode As": what does not have a valid
//    type and length is reported as a problem naming the capture and the
//    packet number, and skipped.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "pcap/key_log_reader.h"
#include "pcap/packet.h"
#include "pcap/timeline_event.h"
#include "pcap/wireguard_sessions.h"

namespace tether::pcap {

struct WireGuardDissectorOptions {
  std::vector<std::uint16_t> ports;  // `--wg-port`: always WireGuard, to or from these
  bool heuristic = true;             // recognise WireGuard by shape on every other port
};

// A datagram on a WireGuard port that is not WireGuard.
struct WireGuardProblem {
  Origin origin;
  std::string message;
  // "FILE: packet N: not WireGuard: unknown message type 9"
  std::string to_string() const;
};

// A transport message's decrypted inner packet (never a keepalive's).
struct WireGuardInnerPacket {
  const Datagram& outer;
  const TimelineEvent& event;
  const WireGuardSession& session;
  WireGuardDirection direction;
  // The inner IP packet, its padding trimmed (the whole plaintext when it
  // does not parse as IP).
  ByteView packet;
};

class WireGuardDissector {
 public:
  explicit WireGuardDissector(WireGuardDissectorOptions options = {},
                              std::shared_ptr<const WireGuardKeyLog> keys = nullptr);
  ~WireGuardDissector();
  WireGuardDissector(const WireGuardDissector&) = delete;
  WireGuardDissector& operator=(const WireGuardDissector&) = delete;

  // Dissects one datagram; datagrams must come in capture order. True when
  // it was WireGuard's (an event appended to `out`) or on a WireGuard port
  // (a problem recorded instead); false leaves it to other dissectors.
  bool dissect(const Datagram& datagram, std::vector<TimelineEvent>& out);

  // Called, during dissect, for each transport message that decrypted and
  // carried a packet. The views live for the call only.
  void on_inner_packet(std::function<void(const WireGuardInnerPacket&)> handler);

  // Events already written out whose memory the dissector's new events may
  // take over (dissector_output.h, new_event); null: none.
  void reuse_events_from(std::vector<TimelineEvent>* recycled) { recycled_ = recycled; }

  const std::vector<WireGuardProblem>& problems() const { return problems_; }
  const WireGuardSessions& sessions() const { return sessions_; }

  struct Counts {
    std::uint64_t messages = 0;
    std::uint64_t decrypted = 0;          // transport messages opened (keepalives included)
    std::uint64_t decryption_failed = 0;  // keys known, but the message did not authenticate
    std::uint64_t sessions_with_keys = 0; // handshakes whose transport keys the key log gave
  };
  const Counts& counts() const { return counts_; }

 private:
  bool on_named_port(const Datagram& datagram) const;
  void dissect_initiation(const Datagram& d, ByteView message, TimelineEvent& e);
  void dissect_response(const Datagram& d, ByteView message, TimelineEvent& e);
  void dissect_cookie_reply(const Datagram& d, ByteView message, TimelineEvent& e);
  void dissect_transport(const Datagram& d, ByteView message, TimelineEvent& e);
  void decrypt(WireGuardSession& session, WireGuardDirection direction, std::uint64_t counter, ByteView encrypted,
               TimelineEvent& e);

  // The inner packet of the transport message being dissected, handed on
  // once its event is in the timeline.
  struct PendingInner {
    const WireGuardSession* session = nullptr;
    WireGuardDirection direction = WireGuardDirection::initiator_to_responder;
    ByteView packet;
  };

  WireGuardDissectorOptions options_;
  std::shared_ptr<const WireGuardKeyLog> keys_;
  WireGuardSessions sessions_;
  std::function<void(const WireGuardInnerPacket&)> inner_handler_;
  std::vector<WireGuardProblem> problems_;
  Counts counts_;
  Bytes plaintext_;  // reused across transport messages
  std::optional<PendingInner> pending_inner_;
  std::vector<TimelineEvent>* recycled_ = nullptr;

  // Texts that every message of a session or an endpoint repeats, kept
  // rather than formatted again per message: an endpoint's (a small table,
  // by a hash of it) and a session's transport detail per direction.
  void append_endpoint(std::string& out, const Endpoint& endpoint);
  const std::string& transport_detail(const WireGuardSession& session, WireGuardDirection direction);
  struct EndpointText {
    Endpoint endpoint;
    std::string text;  // empty: not filled yet
  };
  std::vector<EndpointText> endpoint_texts_;
  std::vector<std::string> transport_details_;  // by session id * 2 + direction
};

}  // namespace tether::pcap
