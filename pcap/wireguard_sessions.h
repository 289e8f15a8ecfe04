#pragma once
// WireGuard sessions followed across the packets of a capture, by their
// indexes, as Wireshark's dissector links them (packet-wireguard.c,
// wg_sessions_lookup_initiation and wg_sessions_lookup):
//  - an initiation opens a handshake, named by its sender index;
//  - a response (or a cookie reply) whose receiver index is that sender
//    index, sent back to the initiation's source, answers it; the response's
//    sender index is then the responder's side of the session;
//  - a transport message's receiver index names one side of an answered
//    handshake: the initiator's index means it goes to the initiator.
// Lookups take the most recent match, since indexes are reused over time.
//
// On top of Wireshark's streams, handshakes are grouped by peer pair (the
// unordered pair of the endpoints an initiation went between), so the
// retries of one handshake, each with a new sender index, and the rekeys
// that follow are seen as attempts between the same two peers.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/endpoint.h"
#include "pcap/wireguard_session_keys.h"

namespace tether::pcap {

struct WireGuardSession {
  std::size_t id = 0;        // in order of initiations, from 0 (tshark's wg.stream)
  std::size_t peer_pair = 0; // the pair of endpoints it runs between, from 0
  std::size_t attempt = 0;   // its place among that pair's initiations, from 1
  std::uint32_t initiator_index = 0;
  std::optional<std::uint32_t> responder_index;  // once answered
  Endpoint initiator, responder;                 // latest seen (peers roam)
  std::uint64_t initiation_packet = 0;
  std::optional<std::uint64_t> response_packet;
  bool cookie_replied = false;
  // With a key log: the handshake read so far, and then the transport ciphers.
  std::optional<WireGuardInitiationSecrets> secrets;
  std::unique_ptr<WireGuardTransportCiphers> ciphers;
};

enum class WireGuardDirection : std::uint8_t { initiator_to_responder, responder_to_initiator };
const char* to_string(WireGuardDirection direction);

class WireGuardSessions {
 public:
  WireGuardSession& initiation(std::uint32_t sender, const Endpoint& from, const Endpoint& to,
                               std::uint64_t packet);
  // The handshake a response or cookie reply with this receiver index,
  // sent to `to`, answers; null when none is waiting.
  WireGuardSession* answered_by(std::uint32_t receiver, const Endpoint& to);
  void response(WireGuardSession& session, std::uint32_t sender, const Endpoint& from, std::uint64_t packet);

  struct TransportMatch {
    WireGuardSession* session = nullptr;
    WireGuardDirection direction = WireGuardDirection::initiator_to_responder;
  };
  // The answered session whose side `receiver` names, and the direction;
  // the sender's endpoint is updated (roaming). Null session when none.
  TransportMatch transport(std::uint32_t receiver, const Endpoint& from, const Endpoint& to);

  const std::vector<std::unique_ptr<WireGuardSession>>& all() const { return sessions_; }
  std::size_t peer_pairs() const { return pairs_.size(); }

 private:
  std::vector<std::unique_ptr<WireGuardSession>> sessions_;
  // Index -> the sessions it names (either side), oldest first. Hashed:
  // every transport message looks its index up, and a tree's walk showed in
  // large captures.
  std::unordered_map<std::uint32_t, std::vector<WireGuardSession*>> by_index_;
  // Unordered endpoint pair -> (peer pair id, initiations so far).
  std::map<std::pair<Endpoint, Endpoint>, std::pair<std::size_t, std::size_t>> pairs_;
};

}  // namespace tether::pcap
