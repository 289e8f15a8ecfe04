#include "tunnel/peer.h"

#include <utility>

#include "tunnel/key_log.h"
#include "tunnel/messages.h"

namespace tether::tunnel {

Event& PeerStep::emit(EventKind kind, const std::optional<crypto::PublicKey>& peer) {
  Event& e = out.events.emplace_back();
  e.kind = kind;
  e.time = now;
  e.peer = peer;
  return e;
}

void PeerStep::drop(PacketDropReason reason, const std::optional<crypto::PublicKey>& peer, const char* detail,
                    const std::optional<Endpoint>& source) {
  drops.count(reason);
  if (!drop_events) return;
  Event& e = emit(EventKind::packet_dropped, peer);
  e.drop = reason;
  e.detail = detail;
  e.endpoint = source;
}

Peer::Peer(PeerId id, const PeerConfig& config, std::shared_ptr<const LocalIdentity> local, Time now)
    : id_(id),
      public_key_(config.public_key),
      has_psk_(config.preshared_key.has_value()),
      psk_(config.preshared_key),
      endpoint_(config.endpoint),
      handshake_(std::move(local), config.public_key, config.preshared_key) {
  set_persistent_keepalive(config.persistent_keepalive, now);
}

void Peer::set_persistent_keepalive(std::uint16_t seconds, Time now) {
  persistent_keepalive_ = seconds;
  timers_.set_persistent_keepalive(Duration::seconds(seconds), now);
}

// --- outgoing ---

void Peer::stage(ByteView packet, PeerStep& step) {
  staged_.push_back(packet.to_bytes());
  while (staged_.size() > step.max_staged) {
    staged_.pop_front();
    step.drop(PacketDropReason::queue_full, public_key_);
  }
}

void Peer::send_staged(PeerStep& step) {
  if (staged_.empty()) return;
  Keypair* keypair = session_.current();
  // No keypair that can send: keep the packets and handshake. A keypair
  // past REJECT_AFTER_TIME or its message limit counts as none (Linux
  // out_invalid / out_nokey).
  if (keypair == nullptr || !keypair->usable(step.now) || keypair->send_counter() >= kRejectAfterMessages ||
      !endpoint_) {
    send_handshake_initiation(false, step);
    return;
  }
  timers_.any_authenticated_packet_traversal(step.now);
  timers_.any_authenticated_packet_sent();
  bool data_sent = false;
  while (!staged_.empty()) {
    Datagram& d = step.out.datagrams.emplace_back();
    d.to = *endpoint_;
    auto sent = keypair->encrypt(staged_.front(), step.now, d.bytes, step.mtu);
    if (!sent) {
      step.out.datagrams.pop_back();
      send_handshake_initiation(false, step);
      break;
    }
    tx_bytes_ += d.bytes.size();
    if (staged_.front().empty()) {
      ++keepalives_sent_;
      step.emit(EventKind::keepalive_sent, public_key_).endpoint = endpoint_;
    } else {
      data_sent = true;
    }
    staged_.pop_front();
  }
  if (data_sent) timers_.data_sent(step.now, step.random, *step.timer_profile);
  keep_key_fresh_on_send(step);
}

void Peer::send_keepalive(PeerStep& step) {
  if (staged_.empty()) staged_.emplace_back();
  send_staged(step);
}

void Peer::send_handshake_initiation(bool is_retry, PeerStep& step) {
  if (!is_retry) timers_.reset_attempts();
  if (timers_.handshake_recently_sent(step.now)) return;
  if (!endpoint_) {
    // Nowhere to send it: the peer must reach us first (or be given an
    // endpoint). Nothing staged can go out meanwhile.
    purge_staged(PacketDropReason::no_endpoint, step);
    return;
  }
  step.indices.release(handshake_index_);
  handshake_index_ = step.indices.allocate(id_, IndexTable::Kind::handshake, step.random);
  auto initiation = handshake_.create_initiation(handshake_index_, step.now, step.wall, step.random);
  if (!initiation) {
    step.indices.release(handshake_index_);
    handshake_index_ = 0;
    return;
  }
  log_keys(step);
  timers_.any_authenticated_packet_traversal(step.now);
  timers_.any_authenticated_packet_sent();
  ++handshakes_sent_;
  Event& e = step.emit(EventKind::handshake_sent, public_key_);
  e.endpoint = endpoint_;
  e.attempt = timers_.attempts() + 1;
  send_handshake_message(std::move(initiation).value(), step);
  timers_.handshake_initiated(step.now, step.random, *step.timer_profile);
}

void Peer::send_handshake_message(Bytes datagram, PeerStep& step) {
  timers_.handshake_message_sent(step.now);
  tx_bytes_ += datagram.size();
  step.out.datagrams.push_back(Datagram{*endpoint_, std::move(datagram)});
}

void Peer::keep_key_fresh_on_send(PeerStep& step) {
  Keypair* current = session_.current();
  if (current && current->wants_rekey_on_send(step.now)) send_handshake_initiation(false, step);
}

void Peer::keep_key_fresh_on_receive(PeerStep& step) {
  if (timers_.sent_lastminute_handshake()) return;
  Keypair* current = session_.current();
  if (current && current->wants_rekey_on_receive(step.now)) {
    timers_.set_sent_lastminute_handshake();
    send_handshake_initiation(false, step);
  }
}

void Peer::purge_staged(PacketDropReason reason, PeerStep& step) {
  while (!staged_.empty()) {
    const bool keepalive = staged_.front().empty();
    staged_.pop_front();
    if (!keepalive) step.drop(reason, public_key_);
  }
}

void Peer::log_keys(PeerStep& step) {
  if (!step.key_log) return;
  for (std::string& line :
       key_log_lines(step.local.private_key(), public_key_, handshake_.ephemeral_private(), psk_))
    step.out.key_log.push_back(std::move(line));
}

// --- incoming ---

void Peer::update_endpoint(const Endpoint& from, PeerStep& step) {
  if (endpoint_ && *endpoint_ == from) return;
  Event& e = step.emit(EventKind::endpoint_changed, public_key_);
  e.old_endpoint = endpoint_;
  e.endpoint = from;
  endpoint_ = from;
}

bool Peer::has_usable_session(Time now) const {
  const Keypair* current = session_.current();
  return current && current->usable(now);
}

void Peer::begin_session(PeerStep& step) {
  const std::uint32_t index = handshake_index_;
  auto keypair = handshake_.begin_session(step.now);
  handshake_index_ = 0;
  if (!keypair) {
    step.indices.release(index);
    return;
  }
  step.indices.set_kind(index, IndexTable::Kind::keypair);
  for (std::uint32_t retired : session_.install(std::move(keypair).value(), step.now)) step.indices.release(retired);
}

void Peer::respond(const Endpoint& from, std::size_t datagram_size, PeerStep& step) {
  // consume_initiation replaced any handshake of ours in progress.
  step.indices.release(handshake_index_);
  handshake_index_ = 0;
  update_endpoint(from, step);
  rx_bytes_ += datagram_size;

  handshake_index_ = step.indices.allocate(id_, IndexTable::Kind::handshake, step.random);
  auto response = handshake_.create_response(handshake_index_, step.now, step.random);
  if (!response) {
    step.indices.release(handshake_index_);
    handshake_index_ = 0;
    step.drop(PacketDropReason::handshake_failed, public_key_, to_string(response.error()), from);
    return;
  }
  log_keys(step);
  begin_session(step);
  timers_.any_authenticated_packet_traversal(step.now);
  timers_.any_authenticated_packet_sent();
  step.emit(EventKind::handshake_responded, public_key_).endpoint = endpoint_;
  send_handshake_message(std::move(response).value(), step);

  timers_.any_authenticated_packet_received();
  timers_.any_authenticated_packet_traversal(step.now);
}

HandshakeOutcome<void> Peer::consume_response(const VerifiedHandshake& message, const Endpoint& from, PeerStep& step) {
  auto consumed = handshake_.consume_response(message);
  if (!consumed) return consumed;
  update_endpoint(from, step);
  const bool rekey = has_usable_session(step.now);
  begin_session(step);
  timers_.handshake_complete();
  latest_handshake_ = step.wall;
  step.emit(EventKind::handshake_completed, public_key_).rekey = rekey;
  // Staged packets go out now, or a keepalive confirms the session to the
  // responder at once (it sends nothing on a keypair until confirmed).
  send_keepalive(step);

  rx_bytes_ += message.datagram().size();
  timers_.any_authenticated_packet_received();
  timers_.any_authenticated_packet_traversal(step.now);
  return {};
}

TransportOutcome<Session::Received> Peer::receive_transport(const Transport& message, const Endpoint& from,
                                                            std::size_t datagram_size, Bytes& plaintext,
                                                            PeerStep& step) {
  const bool rekey = has_usable_session(step.now);  // before `next` can displace current
  auto received = session_.decrypt(message, step.now, plaintext);
  if (!received) return received;
  update_endpoint(from, step);
  if (received->retired_index) step.indices.release(*received->retired_index);
  if (received->confirmed_next) {
    timers_.handshake_complete();
    latest_handshake_ = step.wall;
    step.emit(EventKind::handshake_completed, public_key_).rekey = rekey;
    // OpenBSD answers the confirmation with a keepalive when nothing is
    // staged; Linux sends only what is staged (timer_profile.h).
    if (step.timer_profile->keepalive_on_confirmation) send_keepalive(step);
    else send_staged(step);
  }
  keep_key_fresh_on_receive(step);
  timers_.any_authenticated_packet_received();
  timers_.any_authenticated_packet_traversal(step.now);
  if (received->keepalive) rx_bytes_ += datagram_size;
  else timers_.data_received(step.now);
  return received;
}

// --- time ---

Time Peer::next_deadline() const {
  const Time timers = timers_.next_deadline();
  const Time zeroing = session_.next_deadline();
  return timers < zeroing ? timers : zeroing;
}

void Peer::zero_key_material(PeerStep& step) {
  const bool had_keys = !session_.empty() || handshake_.state() != Handshake::State::zeroed;
  for (std::uint32_t index : session_.clear()) step.indices.release(index);
  handshake_.clear();
  step.indices.release(handshake_index_);
  handshake_index_ = 0;
  if (had_keys) step.emit(EventKind::session_expired, public_key_);
}

void Peer::on_deadline(PeerStep& step) {
  // Expired timers in deadline order; each is disarmed before it acts and
  // re-arms only into the future, so this ends. The bound is a safety net.
  for (int fired = 0; fired < 32; ++fired) {
    const Time zeroing = session_.next_deadline();
    if (zeroing <= step.now && zeroing <= timers_.next_deadline()) {
      zero_key_material(step);
      continue;
    }
    auto timer = timers_.take_expired(step.now);
    if (!timer) return;
    switch (*timer) {
      case PeerTimers::Timer::retransmit_handshake:
        if (timers_.next_attempt_or_give_up()) {
          step.emit(EventKind::handshake_given_up, public_key_).attempt = timers_.attempts() + 1;
          timers_.handshake_given_up();
          purge_staged(PacketDropReason::handshake_given_up, step);
          // Whatever is left of the attempt goes with the keys, 540 s on.
          session_.arm_zeroing(step.now);
        } else {
          send_handshake_initiation(true, step);
        }
        break;
      case PeerTimers::Timer::send_keepalive:
        send_keepalive(step);
        timers_.after_send_keepalive_expired(step.now);
        break;
      case PeerTimers::Timer::new_handshake:
        send_handshake_initiation(false, step);
        break;
      case PeerTimers::Timer::persistent_keepalive:
        if (persistent_keepalive_ != 0) send_keepalive(step);
        break;
    }
  }
}

void Peer::release_indices(IndexTable& indices) {
  indices.release_peer(id_);
  handshake_index_ = 0;
}

PeerStats Peer::stats(Time now) const {
  PeerStats s;
  s.public_key = public_key_;
  s.has_preshared_key = has_psk_;
  s.endpoint = endpoint_;
  s.latest_handshake = latest_handshake_;
  s.rx_bytes = rx_bytes_;
  s.tx_bytes = tx_bytes_;
  s.persistent_keepalive = persistent_keepalive_;
  s.keepalives_sent = keepalives_sent_;
  s.handshakes_sent = handshakes_sent_;
  s.handshake_attempts = timers_.attempts();
  s.has_session = session_.current() != nullptr && session_.current()->usable(now);
  s.staged_packets = staged_.size();
  return s;
}

}  // namespace tether::tunnel
