#include "tunnel/messages.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ostream>

namespace tether::tunnel {

namespace {

// Field offsets (whitepaper 5.4.2-5.4.7).
namespace initiation_at {
constexpr std::size_t sender = 4, ephemeral = 8, encrypted_static = 40, encrypted_timestamp = 88,
                      mac1 = 116, mac2 = 132;
}
namespace response_at {
constexpr std::size_t sender = 4, receiver = 8, ephemeral = 12, encrypted_nothing = 44, mac1 = 60,
                      mac2 = 76;
}
namespace cookie_reply_at {
constexpr std::size_t receiver = 4, nonce = 8, encrypted_cookie = 32;
}
namespace transport_at {
constexpr std::size_t receiver = 4, counter = 8, packet = 16;
}

static_assert(initiation_at::mac2 + kMacSize == kInitiationSize);
static_assert(response_at::mac2 + kMacSize == kResponseSize);
static_assert(cookie_reply_at::encrypted_cookie + kCookieSize + kAeadTagSize == kCookieReplySize);
static_assert(transport_at::packet == kTransportHeaderSize);

// Each handshake message's fields are listed once, in its Layout below, and
// walked in both directions: a FieldWriter stores them into the encoded
// message, a FieldReader loads them from a datagram, so encode and decode
// cannot disagree on where a field is.
struct FieldWriter {
  std::uint8_t* message;
  void u32(std::size_t at, std::uint32_t value) const { store_le32(message + at, value); }
  template <std::size_t N>
  void bytes(std::size_t at, const std::array<std::uint8_t, N>& value) const {
    std::memcpy(message + at, value.data(), N);
  }
};
struct FieldReader {
  const std::uint8_t* message;
  void u32(std::size_t at, std::uint32_t& value) const { value = load_le32(message + at); }
  template <std::size_t N>
  void bytes(std::size_t at, std::array<std::uint8_t, N>& value) const {
    std::memcpy(value.data(), message + at, N);
  }
};

// Layout<M>::fields(io, m) visits every field after the type word, at its
// offset from the tables above; m is const when encoding.
template <typename MessageStruct>
struct Layout;
template <>
struct Layout<Initiation> {
  static constexpr MessageType type = MessageType::initiation;
  static constexpr std::size_t size = kInitiationSize;
  template <typename Io, typename M>
  static void fields(const Io& io, M& m) {
    io.u32(initiation_at::sender, m.sender_index);
    io.bytes(initiation_at::ephemeral, m.ephemeral);
    io.bytes(initiation_at::encrypted_static, m.encrypted_static);
    io.bytes(initiation_at::encrypted_timestamp, m.encrypted_timestamp);
    io.bytes(initiation_at::mac1, m.mac1);
    io.bytes(initiation_at::mac2, m.mac2);
  }
};
template <>
struct Layout<Response> {
  static constexpr MessageType type = MessageType::response;
  static constexpr std::size_t size = kResponseSize;
  template <typename Io, typename M>
  static void fields(const Io& io, M& m) {
    io.u32(response_at::sender, m.sender_index);
    io.u32(response_at::receiver, m.receiver_index);
    io.bytes(response_at::ephemeral, m.ephemeral);
    io.bytes(response_at::encrypted_nothing, m.encrypted_nothing);
    io.bytes(response_at::mac1, m.mac1);
    io.bytes(response_at::mac2, m.mac2);
  }
};
template <>
struct Layout<CookieReply> {
  static constexpr MessageType type = MessageType::cookie_reply;
  static constexpr std::size_t size = kCookieReplySize;
  template <typename Io, typename M>
  static void fields(const Io& io, M& m) {
    io.u32(cookie_reply_at::receiver, m.receiver_index);
    io.bytes(cookie_reply_at::nonce, m.nonce);
    io.bytes(cookie_reply_at::encrypted_cookie, m.encrypted_cookie);
  }
};

Bytes with_type(MessageType type, std::size_t size) {
  Bytes out(size, 0);
  store_le32(out.data(), std::uint32_t(type));
  return out;
}

MessageDrop size_drop(DropReason reason, MessageType type, std::uint32_t word, std::size_t size,
                      std::size_t expected) {
  MessageDrop d;
  d.reason = reason;
  d.type = type;
  d.type_word = word;
  d.size = size;
  d.expected = expected;
  return d;
}

// Checks that `datagram` is a `want` message of an acceptable size.
std::optional<MessageDrop> check(ByteView datagram, MessageType want) {
  auto c = classify_message(datagram);
  if (!c) return c.drop();
  if (*c != want) {
    MessageDrop d;
    d.reason = DropReason::wrong_type;
    d.type_word = load_le32(datagram.data());
    d.size = datagram.size();
    d.type = *c;
    d.wanted = want;
    return d;
  }
  return std::nullopt;
}

template <typename MessageStruct>
Decoded<MessageStruct> decode_handshake(ByteView datagram) {
  using L = Layout<MessageStruct>;
  if (auto drop = check(datagram, L::type)) return *drop;
  MessageStruct m;
  L::fields(FieldReader{datagram.data()}, m);
  return m;
}

template <typename MessageStruct>
Bytes encode_handshake(const MessageStruct& m) {
  using L = Layout<MessageStruct>;
  Bytes out = with_type(L::type, L::size);
  L::fields(FieldWriter{out.data()}, m);
  return out;
}

}  // namespace

const char* to_string(MessageType type) {
  switch (type) {
    case MessageType::initiation: return "initiation";
    case MessageType::response: return "response";
    case MessageType::cookie_reply: return "cookie reply";
    case MessageType::transport: return "transport";
  }
  return "?";
}

const char* to_string(DropReason reason) {
  switch (reason) {
    case DropReason::truncated: return "truncated";
    case DropReason::oversized: return "oversized";
    case DropReason::unknown_type: return "unknown type";
    case DropReason::reserved_not_zero: return "reserved bytes not zero";
    case DropReason::wrong_type: return "wrong type";
  }
  return "?";
}

std::ostream& operator<<(std::ostream& os, MessageType type) { return os << to_string(type); }
std::ostream& operator<<(std::ostream& os, DropReason reason) { return os << to_string(reason); }

std::string MessageDrop::to_string() const {
  char buf[160];
  switch (reason) {
    case DropReason::truncated:
      if (!type) {
        std::snprintf(buf, sizeof buf, "truncated message: %zu bytes, too short for a type", size);
      } else if (*type == MessageType::transport) {
        std::snprintf(buf, sizeof buf, "truncated transport: %zu bytes, expected at least %zu", size, expected);
      } else {
        std::snprintf(buf, sizeof buf, "truncated %s: %zu bytes, expected %zu", tunnel::to_string(*type), size,
                      expected);
      }
      break;
    case DropReason::oversized:
      std::snprintf(buf, sizeof buf, "oversized %s: %zu bytes, expected %zu",
                    type ? tunnel::to_string(*type) : "message", size, expected);
      break;
    case DropReason::unknown_type:
      if (type_word <= 0xff) {
        std::snprintf(buf, sizeof buf, "unknown message type %u", unsigned(type_word));
      } else {
        std::snprintf(buf, sizeof buf, "unknown message type word 0x%08x", unsigned(type_word));
      }
      break;
    case DropReason::reserved_not_zero:
      std::snprintf(buf, sizeof buf, "reserved bytes not zero in message type word 0x%08x", unsigned(type_word));
      break;
    case DropReason::wrong_type:
      std::snprintf(buf, sizeof buf, "expected %s, got %s", wanted ? tunnel::to_string(*wanted) : "?",
                    type ? tunnel::to_string(*type) : "?");
      break;
  }
  return buf;
}

Decoded<MessageType> classify_message(ByteView datagram) {
  MessageDrop d;
  d.size = datagram.size();
  if (datagram.size() < 4) {
    d.reason = DropReason::truncated;
    d.expected = 4;
    return d;
  }
  const std::uint32_t word = load_le32(datagram.data());
  d.type_word = word;
  const std::uint8_t low = std::uint8_t(word);
  if (low < 1 || low > 4) {
    d.reason = DropReason::unknown_type;
    return d;
  }
  if (word > 0xff) {
    d.reason = DropReason::reserved_not_zero;
    return d;
  }
  const auto type = MessageType(low);
  std::size_t fixed = 0;
  switch (type) {
    case MessageType::initiation: fixed = kInitiationSize; break;
    case MessageType::response: fixed = kResponseSize; break;
    case MessageType::cookie_reply: fixed = kCookieReplySize; break;
    case MessageType::transport:
      if (datagram.size() < kMinTransportSize)
        return size_drop(DropReason::truncated, type, word, datagram.size(), kMinTransportSize);
      return type;
  }
  if (datagram.size() < fixed) return size_drop(DropReason::truncated, type, word, datagram.size(), fixed);
  if (datagram.size() > fixed) return size_drop(DropReason::oversized, type, word, datagram.size(), fixed);
  return type;
}

Decoded<Initiation> decode_initiation(ByteView datagram) {
  return decode_handshake<Initiation>(datagram);
}

Decoded<Response> decode_response(ByteView datagram) {
  return decode_handshake<Response>(datagram);
}

Decoded<CookieReply> decode_cookie_reply(ByteView datagram) {
  return decode_handshake<CookieReply>(datagram);
}

Decoded<Transport> decode_transport(ByteView datagram) {
  if (auto drop = check(datagram, MessageType::transport)) return *drop;
  const std::uint8_t* p = datagram.data();
  Transport m;
  m.receiver_index = load_le32(p + transport_at::receiver);
  m.counter = load_le64(p + transport_at::counter);
  m.encrypted_packet = datagram.subview(transport_at::packet);
  return m;
}

Decoded<Message> decode_message(ByteView datagram) {
  auto type = classify_message(datagram);
  if (!type) return type.drop();
  switch (*type) {
    case MessageType::initiation: return Message(decode_initiation(datagram).value());
    case MessageType::response: return Message(decode_response(datagram).value());
    case MessageType::cookie_reply: return Message(decode_cookie_reply(datagram).value());
    case MessageType::transport: return Message(decode_transport(datagram).value());
  }
  return type.drop();  // unreachable: classify_message only returns the four types
}

Bytes encode(const Initiation& m) {
  return encode_handshake(m);
}

Bytes encode(const Response& m) {
  return encode_handshake(m);
}

Bytes encode(const CookieReply& m) {
  return encode_handshake(m);
}

void write_transport_header(std::uint8_t* out, std::uint32_t receiver_index, std::uint64_t counter) {
  store_le32(out, std::uint32_t(MessageType::transport));
  store_le32(out + transport_at::receiver, receiver_index);
  store_le64(out + transport_at::counter, counter);
}

Bytes encode_transport(std::uint32_t receiver_index, std::uint64_t counter, ByteView encrypted_packet) {
  Bytes out(kTransportHeaderSize + encrypted_packet.size());
  write_transport_header(out.data(), receiver_index, counter);
  std::copy(encrypted_packet.begin(), encrypted_packet.end(), out.begin() + kTransportHeaderSize);
  return out;
}

std::optional<MacLayout> mac_layout(ByteView handshake_message) {
  auto type = classify_message(handshake_message);
  if (!type) return std::nullopt;
  if (*type == MessageType::initiation) return MacLayout{initiation_at::mac1, initiation_at::mac2};
  if (*type == MessageType::response) return MacLayout{response_at::mac1, response_at::mac2};
  return std::nullopt;
}

std::optional<MacSpans> mac_spans(ByteView m) {
  auto layout = mac_layout(m);
  if (!layout) return std::nullopt;
  return MacSpans{m.subview(0, layout->mac1_offset), m.subview(layout->mac1_offset, kMacSize),
                  m.subview(0, layout->mac2_offset), m.subview(layout->mac2_offset, kMacSize)};
}

std::optional<MutableMacSpans> mutable_mac_spans(MutableByteView m) {
  auto layout = mac_layout(m);
  if (!layout) return std::nullopt;
  return MutableMacSpans{ByteView(m.data(), layout->mac1_offset),
                         MutableByteView(m.data() + layout->mac1_offset, kMacSize),
                         ByteView(m.data(), layout->mac2_offset),
                         MutableByteView(m.data() + layout->mac2_offset, kMacSize)};
}

bool Initiation::operator==(const Initiation& o) const {
  return sender_index == o.sender_index && ephemeral == o.ephemeral && encrypted_static == o.encrypted_static &&
         encrypted_timestamp == o.encrypted_timestamp && mac1 == o.mac1 && mac2 == o.mac2;
}
bool Response::operator==(const Response& o) const {
  return sender_index == o.sender_index && receiver_index == o.receiver_index && ephemeral == o.ephemeral &&
         encrypted_nothing == o.encrypted_nothing && mac1 == o.mac1 && mac2 == o.mac2;
}
bool CookieReply::operator==(const CookieReply& o) const {
  return receiver_index == o.receiver_index && nonce == o.nonce && encrypted_cookie == o.encrypted_cookie;
}

}  // namespace tether::tunnel
