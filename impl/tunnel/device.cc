#include "tunnel/device.h"

#include "tunnel/inner_packet.h"
#include "tunnel/messages.h"

namespace tether::tunnel {
namespace {

PacketDropReason drop_reason_of(HandshakeError error) {
  switch (error) {
    case HandshakeError::unknown_peer: return PacketDropReason::unknown_peer;
    case HandshakeError::replayed_timestamp: return PacketDropReason::stale_initiation;
    case HandshakeError::flood: return PacketDropReason::initiation_flood;
    case HandshakeError::wrong_state:
    case HandshakeError::unknown_index: return PacketDropReason::unexpected_response;
    case HandshakeError::malformed:
    case HandshakeError::low_order_key:
    case HandshakeError::bad_static:
    case HandshakeError::bad_timestamp:
    case HandshakeError::bad_response: return PacketDropReason::handshake_failed;
  }
  return PacketDropReason::handshake_failed;
}

PacketDropReason drop_reason_of(TransportError error) {
  switch (error) {
    case TransportError::unknown_index: return PacketDropReason::unknown_index;
    case TransportError::replayed:
    case TransportError::counter_exhausted: return PacketDropReason::replay;
    case TransportError::bad_authentication: return PacketDropReason::bad_authentication;
    case TransportError::expired:
    case TransportError::no_keypair: return PacketDropReason::expired_keypair;
  }
  return PacketDropReason::bad_authentication;
}

}  // namespace

Device::Device(const crypto::PrivateKey& private_key, RandomSource& random, DeviceOptions options)
    : identity_(std::make_shared<LocalIdentity>(private_key)),
      random_(random),
      options_(std::move(options)),
      cookies_(identity_->public_key()),
      load_(options_.under_load_threshold) {}

Device::~Device() = default;

PeerStep Device::step(Time now, WallTime wall, Output& out) {
  return PeerStep{now,          wall,         random_,          indices_,
                  out,          drops_,       *identity_,       options_.mtu,
                  options_.max_staged_packets, options_.key_log, options_.drop_events, options_.timer_profile};
}

Peer* Device::find(const crypto::PublicKey& key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : find(it->second);
}

Peer* Device::find(PeerId id) const {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second.get();
}

// --- configuration ---

Result<void> Device::add_peer(const PeerConfig& config, Time now) {
  if (config.public_key == identity_->public_key())
    return Error(ErrorCode::invalid_argument, "peer " + short_key(config.public_key) + " is this device's own key");
  if (has_peer(config.public_key))
    return Error(ErrorCode::invalid_argument, "peer " + short_key(config.public_key) + " is already configured");
  const PeerId id = next_id_++;
  peers_.emplace(id, std::make_unique<Peer>(id, config, identity_, now));
  by_key_.emplace(config.public_key, id);
  for (const IpPrefix& prefix : config.allowed_ips) allowed_ips_.insert(prefix, id);
  return {};
}

bool Device::remove_peer(const crypto::PublicKey& key) {
  Peer* peer = find(key);
  if (!peer) return false;
  const PeerId id = peer->id();
  peer->release_indices(indices_);
  allowed_ips_.remove_peer(id);
  by_key_.erase(key);
  peers_.erase(id);
  return true;
}

bool Device::set_peer_endpoint(const crypto::PublicKey& key, const Endpoint& endpoint) {
  Peer* peer = find(key);
  if (!peer) return false;
  peer->set_endpoint(endpoint);
  return true;
}

bool Device::set_persistent_keepalive(const crypto::PublicKey& key, std::uint16_t seconds, Time now) {
  Peer* peer = find(key);
  if (!peer) return false;
  peer->set_persistent_keepalive(seconds, now);
  return true;
}

bool Device::set_allowed_ips(const crypto::PublicKey& key, const std::vector<IpPrefix>& prefixes) {
  Peer* peer = find(key);
  if (!peer) return false;
  allowed_ips_.remove_peer(peer->id());
  for (const IpPrefix& prefix : prefixes) allowed_ips_.insert(prefix, peer->id());
  return true;
}

// --- outgoing ---

void Device::handle_tun_packet(ByteView ip_packet, Time now, WallTime wall, Output& out) {
  PeerStep s = step(now, wall, out);
  auto parsed = parse_inner_packet(ip_packet);
  if (!parsed) {
    s.drop(PacketDropReason::invalid_inner_packet, std::nullopt, to_string(parsed.error()));
    return;
  }
  auto id = allowed_ips_.lookup(parsed->destination);
  Peer* peer = id ? find(*id) : nullptr;
  if (!peer) {
    s.drop(PacketDropReason::no_peer, std::nullopt);
    return;
  }
  if (!options_.inner_filter.allows(*parsed, ip_packet, InnerDirection::outbound)) {
    s.drop(PacketDropReason::filtered, peer->public_key());
    return;
  }
  if (!peer->endpoint()) {
    s.drop(PacketDropReason::no_endpoint, peer->public_key());
    return;
  }
  peer->stage(ip_packet.subview(0, parsed->length), s);
  peer->send_staged(s);
}

// --- incoming ---

void Device::handle_datagram(const Endpoint& from, ByteView datagram, Time now, WallTime wall, Output& out) {
  PeerStep s = step(now, wall, out);
  if (datagram.size() > kMaxDatagramSize) {
    s.drop(PacketDropReason::oversized, std::nullopt, nullptr, from);
    return;
  }
  auto type = classify_message(datagram);
  if (!type) {
    s.drop(drop_reason_of(type.drop().reason), std::nullopt, nullptr, from);
    return;
  }
  switch (*type) {
    case MessageType::initiation:
    case MessageType::response: handle_handshake(from, datagram, *type, s); return;
    case MessageType::cookie_reply: handle_cookie_reply(from, datagram, s); return;
    case MessageType::transport: handle_transport(from, datagram, s); return;
  }
}

void Device::handle_handshake(const Endpoint& from, ByteView datagram, MessageType type, PeerStep& s) {
  const bool under_load = load_.note_handshake(s.now);
  CookieChecker::Outcome checked = cookies_.check(datagram, from, under_load, s.now, random_);
  switch (checked.verdict) {
    case CookieChecker::Verdict::malformed:
      s.drop(PacketDropReason::truncated, std::nullopt, nullptr, from);
      return;
    case CookieChecker::Verdict::bad_mac1:
      s.drop(PacketDropReason::bad_mac1, std::nullopt, nullptr, from);
      return;
    case CookieChecker::Verdict::cookie_required:
      // Answered at the source address, whoever it claims to be: that is the
      // point (only the real owner of the address can use the cookie).
      ++counters_.cookie_replies_sent;
      s.out.datagrams.push_back(Datagram{from, std::move(checked.cookie_reply)});
      s.drop(PacketDropReason::cookie_required, std::nullopt, nullptr, from);
      return;
    case CookieChecker::Verdict::accepted:
      break;
  }
  const VerifiedHandshake& message = *checked.message;
  // Under load a valid cookie proves the address, so limiting per address
  // is meaningful (Linux does it inside its cookie check).
  if (message.mac2_valid() && !ratelimiter_.allow(from.address(), s.now)) {
    s.drop(PacketDropReason::ratelimited, std::nullopt, nullptr, from);
    return;
  }

  if (type == MessageType::initiation) {
    ++counters_.handshakes_processed;
    Peer* found = nullptr;
    auto consumed = consume_initiation(*identity_, message, s.now, [&](const crypto::PublicKey& key) -> Handshake* {
      found = find(key);
      return found ? &found->handshake() : nullptr;
    });
    if (!consumed) {
      std::optional<crypto::PublicKey> who;
      if (found) who = found->public_key();
      s.drop(drop_reason_of(consumed.error()), who, to_string(consumed.error()), from);
      return;
    }
    found->respond(from, datagram.size(), s);
    return;
  }

  auto response = decode_response(datagram);
  auto entry = response ? indices_.find(response->receiver_index) : std::nullopt;
  Peer* peer = entry && entry->kind == IndexTable::Kind::handshake ? find(entry->peer) : nullptr;
  if (!peer) {
    s.drop(PacketDropReason::unknown_index, std::nullopt, nullptr, from);
    return;
  }
  ++counters_.handshakes_processed;
  auto consumed = peer->consume_response(message, from, s);
  if (!consumed) s.drop(drop_reason_of(consumed.error()), peer->public_key(), to_string(consumed.error()), from);
}

void Device::handle_cookie_reply(const Endpoint& from, ByteView datagram, PeerStep& s) {
  auto reply = decode_cookie_reply(datagram);
  auto entry = reply ? indices_.find(reply->receiver_index) : std::nullopt;
  Peer* peer = entry ? find(entry->peer) : nullptr;
  if (!peer) {
    s.drop(PacketDropReason::unknown_index, std::nullopt, nullptr, from);
    return;
  }
  // Only the cookie changes: never the endpoint, never the timers. The
  // retransmit timer resends the initiation, now with mac2.
  auto consumed = peer->handshake().cookie().consume(*reply, s.now);
  if (consumed != CookieConsumer::Consumed::stored)
    s.drop(PacketDropReason::bad_cookie_reply, peer->public_key(), to_string(consumed), from);
}

void Device::handle_transport(const Endpoint& from, ByteView datagram, PeerStep& s) {
  auto message = decode_transport(datagram);
  auto entry = message ? indices_.find(message->receiver_index) : std::nullopt;
  Peer* peer = entry && entry->kind == IndexTable::Kind::keypair ? find(entry->peer) : nullptr;
  if (!peer) {
    s.drop(PacketDropReason::unknown_index, std::nullopt, nullptr, from);
    return;
  }
  auto received = peer->receive_transport(*message, from, datagram.size(), plaintext_, s);
  if (!received) {
    s.drop(drop_reason_of(received.error()), peer->public_key(), to_string(received.error()), from);
    return;
  }
  if (received->keepalive) return;

  // Authenticated, so the sender is the peer; what it sends must still be
  // an IP packet from an address it owns.
  ByteView padded(plaintext_.data(), received->length);
  auto parsed = parse_inner_packet(padded);
  if (!parsed) {
    s.drop(PacketDropReason::invalid_inner_packet, peer->public_key(), to_string(parsed.error()), from);
    return;
  }
  auto owner = allowed_ips_.lookup(parsed->source);
  if (!owner || *owner != peer->id()) {
    s.drop(PacketDropReason::not_allowed_ip, peer->public_key(), nullptr, from);
    return;
  }
  ByteView packet = padded.subview(0, parsed->length);
  if (!options_.inner_filter.allows(*parsed, packet, InnerDirection::inbound)) {
    s.drop(PacketDropReason::filtered, peer->public_key(), nullptr, from);
    return;
  }
  s.out.packets.push_back(packet.to_bytes());
  ++counters_.packets_delivered;
  peer->count_received(datagram.size());
}

// --- time ---

void Device::handle_deadline(Time now, WallTime wall, Output& out) {
  PeerStep s = step(now, wall, out);
  for (auto& [id, peer] : peers_)
    if (peer->next_deadline() <= now) peer->on_deadline(s);
}

Time Device::next_deadline() const {
  Time earliest = Time::never();
  for (const auto& [id, peer] : peers_) {
    const Time t = peer->next_deadline();
    if (t < earliest) earliest = t;
  }
  return earliest;
}

// --- inspection ---

std::vector<PeerStats> Device::peer_stats(Time now) const {
  std::vector<PeerStats> all;
  for (const auto& [id, peer] : peers_) {
    all.push_back(peer->stats(now));
    all.back().allowed_ips = allowed_ips_.entries_of(id);
  }
  return all;
}

std::optional<PeerStats> Device::peer_stats(const crypto::PublicKey& key, Time now) const {
  Peer* peer = find(key);
  if (!peer) return std::nullopt;
  PeerStats stats = peer->stats(now);
  stats.allowed_ips = allowed_ips_.entries_of(peer->id());
  return stats;
}

}  // namespace tether::tunnel
