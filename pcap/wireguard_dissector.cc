#include "pcap/wireguard_dissector.h"

#include <algorithm>
#include <cstdio>

#include "pcap/dissector_output.h"
#include "tunnel/inner_packet.h"
#include "tunnel/messages.h"

namespace tether::pcap {
namespace {

using tunnel::MessageType;

const char* kind_of(MessageType type, bool keepalive) {
  switch (type) {
    case MessageType::initiation: return "initiation";
    case MessageType::response: return "response";
    case MessageType::cookie_reply: return "cookie-reply";
    case MessageType::transport: return keepalive ? "keepalive" : "data";
  }
  return "?";
}

// Wireshark's wg_is_valid_message_length: the type byte and the length,
// nothing of the reserved bytes. The reason when not, for the problem.
std::optional<std::string> invalid_shape(ByteView payload) {
  if (payload.size() < 4) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%zu bytes, too short for a message type", payload.size());
    return std::string(buf);
  }
  const std::uint8_t type = payload[0];
  if (type < 1 || type > 4) {
    // impl/tunnel's wording, for the type byte alone (reserved bytes zeroed).
    const std::uint8_t head[4] = {type, 0, 0, 0};
    return tunnel::classify_message(ByteView(head, sizeof head)).drop().to_string();
  }
  std::size_t fixed = 0;
  switch (MessageType(type)) {
    case MessageType::initiation: fixed = tunnel::kInitiationSize; break;
    case MessageType::response: fixed = tunnel::kResponseSize; break;
    case MessageType::cookie_reply: fixed = tunnel::kCookieReplySize; break;
    case MessageType::transport:
      if (payload.size() >= tunnel::kMinTransportSize) return std::nullopt;
      break;
  }
  if (fixed == payload.size()) return std::nullopt;
  char buf[96];
  if (MessageType(type) == MessageType::transport)
    std::snprintf(buf, sizeof buf, "truncated transport: %zu bytes, expected at least %zu", payload.size(),
                  tunnel::kMinTransportSize);
  else
    std::snprintf(buf, sizeof buf, "%s %s: %zu bytes, expected %zu", payload.size() < fixed ? "truncated" : "oversized",
                  tunnel::to_string(MessageType(type)), payload.size(), fixed);
  return std::string(buf);
}

bool reserved_zero(ByteView payload) { return payload[1] == 0 && payload[2] == 0 && payload[3] == 0; }

// The detail texts are built by appending, without snprintf or a
// temporary string per part: every WireGuard message has one.
void append_hex32(std::string& out, std::uint32_t v) {
  static const char kHex[] = "0123456789abcdef";
  char buf[10] = {'0', 'x'};
  for (int i = 9; i >= 2; --i, v >>= 4) buf[i] = kHex[v & 0xf];
  out.append(buf, sizeof buf);
}

// "session 3 peers 1 attempt 2"
void append_session_text(std::string& out, const WireGuardSession& s) {
  out += "session ";
  append_decimal(out, s.id);
  out += " peers ";
  append_decimal(out, s.peer_pair);
  out += " attempt ";
  append_decimal(out, s.attempt);
}

std::string session_text(const WireGuardSession& s) {
  std::string out;
  append_session_text(out, s);
  return out;
}

}  // namespace

std::string WireGuardProblem::to_string() const {
  return origin.capture_name + ": packet " + std::to_string(origin.packet_number) + ": " + message;
}

WireGuardDissector::WireGuardDissector(WireGuardDissectorOptions options, std::shared_ptr<const WireGuardKeyLog> keys)
    : options_(std::move(options)), keys_(std::move(keys)) {}

WireGuardDissector::~WireGuardDissector() = default;

void WireGuardDissector::on_inner_packet(std::function<void(const WireGuardInnerPacket&)> handler) {
  inner_handler_ = std::move(handler);
}

bool WireGuardDissector::on_named_port(const Datagram& d) const {
  return std::any_of(options_.ports.begin(), options_.ports.end(), [&](std::uint16_t port) {
    return d.source.port() == port || d.destination.port() == port;
  });
}

bool WireGuardDissector::dissect(const Datagram& d, std::vector<TimelineEvent>& out) {
  const ByteView payload = d.payload;
  const bool named = on_named_port(d);
  if (!named && !options_.heuristic) return false;
  if (auto invalid = invalid_shape(payload)) {
    if (named) problems_.push_back(WireGuardProblem{d.origin, "not WireGuard: " + *invalid});
    return named;
  }
  const auto type = MessageType(payload[0]);
  // dissect_wg_heur: cookie replies and transport messages need zero
  // reserved bytes to be recognised by shape; on a named port nothing does.
  if (!named && !reserved_zero(payload) &&
      (type == MessageType::cookie_reply || type == MessageType::transport))
    return false;

  // impl/tunnel's decoders read only messages with zero reserved bytes, as
  // WireGuard sends them; a copy with them zeroed serves the rare others
  // (mac1 is computed over zeros there too: Wireshark, wg_mac1_key_probe).
  Bytes zeroed;
  ByteView message = payload;
  if (!reserved_zero(payload)) {
    zeroed.assign(payload.begin(), payload.end());
    std::fill(zeroed.begin() + 1, zeroed.begin() + 4, std::uint8_t(0));
    message = zeroed;
  }

  // Built in place, in a written-out event's memory when there is one:
  // every WireGuard message of a capture is an event.
  TimelineEvent& e = new_event(out, recycled_);
  e.at = d.origin.at;
  e.capture = d.origin.capture;
  e.link.assign(d.origin.capture_name.str());
  e.packet_number = d.origin.packet_number;
  append_endpoint(e.source, d.source);
  append_endpoint(e.destination, d.destination);
  e.protocol.assign("wg");
  e.wg_type = int(type);
  pending_inner_.reset();
  switch (type) {
    case MessageType::initiation: dissect_initiation(d, message, e); break;
    case MessageType::response: dissect_response(d, message, e); break;
    case MessageType::cookie_reply: dissect_cookie_reply(d, message, e); break;
    case MessageType::transport: dissect_transport(d, message, e); break;
  }
  ++counts_.messages;
  if (pending_inner_ && inner_handler_) {
    inner_handler_(WireGuardInnerPacket{d, out.back(), *pending_inner_->session, pending_inner_->direction,
                                        pending_inner_->packet});
  }
  pending_inner_.reset();
  return true;
}

void WireGuardDissector::dissect_initiation(const Datagram& d, ByteView message, TimelineEvent& e) {
  const tunnel::Initiation m = tunnel::decode_initiation(message).value();
  e.kind = kind_of(MessageType::initiation, false);
  e.wg_sender = m.sender_index;
  WireGuardSession& s = sessions_.initiation(m.sender_index, d.source, d.destination, d.origin.packet_number);
  e.wg_session = s.id;
  append_session_text(e.detail, s);
  e.detail += " sender ";
  append_hex32(e.detail, m.sender_index);
  if (keys_) {
    s.secrets = read_initiation(*keys_, message);
    if (!s.secrets) e.detail += "; no key opens it";
  }
}

void WireGuardDissector::dissect_response(const Datagram& d, ByteView message, TimelineEvent& e) {
  const tunnel::Response m = tunnel::decode_response(message).value();
  e.kind = kind_of(MessageType::response, false);
  e.wg_sender = m.sender_index;
  e.wg_receiver = m.receiver_index;
  WireGuardSession* s = sessions_.answered_by(m.receiver_index, d.destination);
  if (!s) {
    e.detail = "answers no initiation seen";
    return;
  }
  sessions_.response(*s, m.sender_index, d.source, d.origin.packet_number);
  e.wg_session = s->id;
  e.detail = session_text(*s) + " answers packet " + std::to_string(s->initiation_packet);
  if (keys_ && s->secrets) {
    s->ciphers = read_response(*keys_, *s->secrets, message);
    if (s->ciphers)
      ++counts_.sessions_with_keys;
    else
      e.detail += "; no key opens it";
  }
}

void WireGuardDissector::dissect_cookie_reply(const Datagram& d, ByteView message, TimelineEvent& e) {
  const tunnel::CookieReply m = tunnel::decode_cookie_reply(message).value();
  e.kind = kind_of(MessageType::cookie_reply, false);
  e.wg_receiver = m.receiver_index;
  // A responder under load answers an initiation with a cookie reply
  // instead of a response (Wireshark links it the same way).
  if (WireGuardSession* s = sessions_.answered_by(m.receiver_index, d.destination)) {
    s->cookie_replied = true;
    e.wg_session = s->id;
    e.detail = session_text(*s) + " cookie for packet " + std::to_string(s->initiation_packet);
  } else {
    e.detail = "answers no initiation seen";
  }
}

void WireGuardDissector::dissect_transport(const Datagram& d, ByteView message, TimelineEvent& e) {
  const tunnel::Transport m = tunnel::decode_transport(message).value();
  const bool keepalive = m.is_keepalive();
  e.kind = kind_of(MessageType::transport, keepalive);
  e.wg_receiver = m.receiver_index;
  e.wg_counter = m.counter;
  e.wg_keepalive = keepalive;
  auto match = sessions_.transport(m.receiver_index, d.source, d.destination);
  if (!match.session) {
    e.detail += "no session seen for receiver ";
    append_hex32(e.detail, m.receiver_index);
    return;
  }
  e.wg_session = match.session->id;
  e.detail += transport_detail(*match.session, match.direction);
  if (match.session->ciphers) decrypt(*match.session, match.direction, m.counter, m.encrypted_packet, e);
}

void WireGuardDissector::append_endpoint(std::string& out, const Endpoint& endpoint) {
  constexpr std::size_t kSlots = 1024;
  if (endpoint_texts_.empty()) endpoint_texts_.resize(kSlots);
  const IpAddress& address = endpoint.address();
  std::uint32_t hash = endpoint.port();
  for (std::size_t i = 0; i < address.size(); ++i) hash = hash * 31 + address.bytes()[i];
  EndpointText& slot = endpoint_texts_[(hash ^ (hash >> 10)) % kSlots];
  if (slot.text.empty() || !(slot.endpoint == endpoint)) {
    slot.endpoint = endpoint;
    slot.text.clear();
    append_endpoint_text(slot.text, endpoint);
  }
  out += slot.text;
}

// "session 3 peers 1 attempt 2 initiator->responder"
const std::string& WireGuardDissector::transport_detail(const WireGuardSession& session,
                                                        WireGuardDirection direction) {
  const std::size_t at = session.id * 2 + (direction == WireGuardDirection::initiator_to_responder ? 0 : 1);
  if (transport_details_.size() <= at) transport_details_.resize(at + 2);
  std::string& text = transport_details_[at];
  if (text.empty()) {
    append_session_text(text, session);
    text += ' ';
    text += to_string(direction);
  }
  return text;
}

void WireGuardDissector::decrypt(WireGuardSession& session, WireGuardDirection direction, std::uint64_t counter,
                                 ByteView encrypted, TimelineEvent& e) {
  crypto::ChaChaPolyCipher& cipher = direction == WireGuardDirection::initiator_to_responder
                                         ? session.ciphers->initiator_to_responder
                                         : session.ciphers->responder_to_initiator;
  plaintext_.resize(encrypted.size() - tunnel::kAeadTagSize);
  if (!cipher.open(counter, ByteView(), encrypted, MutableByteView(plaintext_))) {
    ++counts_.decryption_failed;
    e.detail += "; did not decrypt";
    return;
  }
  ++counts_.decrypted;
  if (plaintext_.empty()) return;  // a keepalive: nothing inside
  ByteView packet = plaintext_;
  auto inner = tunnel::parse_inner_packet(packet);
  if (inner) {
    packet = packet.subview(0, inner->length);
    e.detail += "; inner IPv" + std::to_string(inner->version) + " " + inner->source.to_string() + " > " +
                inner->destination.to_string();
    if (inner->protocol) e.detail += " proto " + std::to_string(*inner->protocol);
    e.detail += " length " + std::to_string(inner->length);
  } else {
    e.detail += "; inner " + std::to_string(packet.size()) + " bytes, not IP (" +
                std::string(tunnel::to_string(inner.error())) + ")";
  }
  pending_inner_ = PendingInner{&session, direction, packet};
}

}  // namespace tether::pcap
