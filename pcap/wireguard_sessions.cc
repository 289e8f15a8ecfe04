#include "pcap/wireguard_sessions.h"

namespace tether::pcap {

const char* to_string(WireGuardDirection direction) {
  return direction == WireGuardDirection::initiator_to_responder ? "initiator->responder" : "responder->initiator";
}

WireGuardSession& WireGuardSessions::initiation(std::uint32_t sender, const Endpoint& from, const Endpoint& to,
                                                std::uint64_t packet) {
  auto session = std::make_unique<WireGuardSession>();
  session->id = sessions_.size();
  session->initiator_index = sender;
  session->initiator = from;
  session->responder = to;
  session->initiation_packet = packet;
  auto key = from < to ? std::make_pair(from, to) : std::make_pair(to, from);
  auto [it, inserted] = pairs_.try_emplace(key, pairs_.size(), 0);
  session->peer_pair = it->second.first;
  session->attempt = ++it->second.second;
  by_index_[sender].push_back(session.get());
  sessions_.push_back(std::move(session));
  return *sessions_.back();
}

WireGuardSession* WireGuardSessions::answered_by(std::uint32_t receiver, const Endpoint& to) {
  auto named = by_index_.find(receiver);
  if (named == by_index_.end()) return nullptr;
  // Newest first; an answer goes back to where the initiation came from.
  for (auto it = named->second.rbegin(); it != named->second.rend(); ++it) {
    WireGuardSession* s = *it;
    if (s->initiator_index == receiver && !s->response_packet && s->initiator == to) return s;
  }
  return nullptr;
}

void WireGuardSessions::response(WireGuardSession& session, std::uint32_t sender, const Endpoint& from,
                                 std::uint64_t packet) {
  session.responder_index = sender;
  session.responder = from;
  session.response_packet = packet;
  by_index_[sender].push_back(&session);
}

WireGuardSessions::TransportMatch WireGuardSessions::transport(std::uint32_t receiver, const Endpoint& from,
                                                               const Endpoint& to) {
  TransportMatch fallback;
  auto named = by_index_.find(receiver);
  if (named == by_index_.end()) return fallback;
  // Newest answered session first; one addressed to the side it names wins
  // over one that only shares the index.
  for (auto it = named->second.rbegin(); it != named->second.rend(); ++it) {
    WireGuardSession* s = *it;
    if (!s->response_packet) continue;
    const bool to_initiator = s->initiator_index == receiver;
    const Endpoint& receiver_endpoint = to_initiator ? s->initiator : s->responder;
    TransportMatch match{s, to_initiator ? WireGuardDirection::responder_to_initiator
                                         : WireGuardDirection::initiator_to_responder};
    if (receiver_endpoint == to) {
      fallback = match;
      break;
    }
    if (!fallback.session) fallback = match;
  }
  if (fallback.session) {
    // The sender may have roamed: its latest endpoint is where it sends from.
    if (fallback.direction == WireGuardDirection::initiator_to_responder)
      fallback.session->initiator = from;
    else
      fallback.session->responder = from;
  }
  return fallback;
}

}  // namespace tether::pcap
