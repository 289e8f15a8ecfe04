#pragma once
// WireGuard's four wire formats (whitepaper section 5.4), encoded and decoded
// without any cryptography: the handshake and session code fills and checks
// the cryptographic fields, this file only says where the bytes are.
//
// Every message starts with a little-endian u32 whose low byte is the type
// and whose top three bytes are reserved zeros. Handshake messages have one
// exact size; a transport message is a 16-byte header followed by the
// AEAD ciphertext of the padded inner packet (at least the 16-byte tag).
//
// Decoding never reads past the input and never throws: anything malformed
// comes back as a MessageDrop naming the reason, for the "packet dropped"
// event and its counter. Like Linux and wireguard-go, handshake messages of
// the wrong size are dropped, not truncated or padded.

#include <array>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "core/bytes.h"

namespace tether::tunnel {

enum class MessageType : std::uint8_t {
  initiation = 1,
  response = 2,
  cookie_reply = 3,
  transport = 4,
};
const char* to_string(MessageType type);
std::ostream& operator<<(std::ostream& os, MessageType type);

constexpr std::size_t kKeySize = 32;       // X25519 public key
constexpr std::size_t kAeadTagSize = 16;   // Poly1305
constexpr std::size_t kMacSize = 16;       // keyed BLAKE2s-128
constexpr std::size_t kTimestampSize = 12; // TAI64N
constexpr std::size_t kCookieSize = 16;
constexpr std::size_t kCookieNonceSize = 24;  // XChaCha20-Poly1305

constexpr std::size_t kInitiationSize = 148;
constexpr std::size_t kResponseSize = 92;
constexpr std::size_t kCookieReplySize = 64;
constexpr std::size_t kTransportHeaderSize = 16;
// A keepalive is a transport message whose plaintext is empty: header + tag.
constexpr std::size_t kKeepaliveSize = kTransportHeaderSize + kAeadTagSize;
constexpr std::size_t kMinTransportSize = kKeepaliveSize;

using PublicKeyBytes = std::array<std::uint8_t, kKeySize>;
using Mac = std::array<std::uint8_t, kMacSize>;

// Handshake initiation (type 1), 148 bytes.
struct Initiation {
  std::uint32_t sender_index = 0;
  PublicKeyBytes ephemeral{};  // unencrypted
  std::array<std::uint8_t, kKeySize + kAeadTagSize> encrypted_static{};           // 48
  std::array<std::uint8_t, kTimestampSize + kAeadTagSize> encrypted_timestamp{};  // 28
  Mac mac1{};
  Mac mac2{};
  bool operator==(const Initiation& o) const;
};

// Handshake response (type 2), 92 bytes.
struct Response {
  std::uint32_t sender_index = 0;
  std::uint32_t receiver_index = 0;
  PublicKeyBytes ephemeral{};
  std::array<std::uint8_t, kAeadTagSize> encrypted_nothing{};  // 16
  Mac mac1{};
  Mac mac2{};
  bool operator==(const Response& o) const;
};

// Cookie reply (type 3), 64 bytes.
struct CookieReply {
  std::uint32_t receiver_index = 0;
  std::array<std::uint8_t, kCookieNonceSize> nonce{};
  std::array<std::uint8_t, kCookieSize + kAeadTagSize> encrypted_cookie{};  // 32
  bool operator==(const CookieReply& o) const;
};

// Transport data (type 4), >= 32 bytes. `encrypted_packet` views the input
// given to decode_transport, so data is never copied before decryption.
struct Transport {
  std::uint32_t receiver_index = 0;
  std::uint64_t counter = 0;
  ByteView encrypted_packet;
  bool is_keepalive() const { return encrypted_packet.size() == kAeadTagSize; }
};

enum class DropReason : std::uint8_t {
  truncated,          // shorter than its type requires
  oversized,          // longer than a fixed-size message
  unknown_type,       // type byte not 1..4
  reserved_not_zero,  // type byte 1..4 but the three reserved bytes are not zero
  wrong_type,         // a decoder for one type was handed another, well-formed type
};
const char* to_string(DropReason reason);
std::ostream& operator<<(std::ostream& os, DropReason reason);

// Why a datagram was dropped. Plain fields rather than a ready-made string,
// so that a flood of junk costs no allocation until someone asks for text.
struct MessageDrop {
  DropReason reason = DropReason::truncated;
  std::uint32_t type_word = 0;      // the first four bytes, when present
  std::size_t size = 0;             // bytes received
  std::size_t expected = 0;         // the exact or minimum size, for size reasons
  std::optional<MessageType> type;  // when the type was recognised
  std::optional<MessageType> wanted;  // for wrong_type: what the decoder reads
  // "truncated initiation: 120 bytes, expected 148", "unknown message type 7",
  // "reserved bytes not zero in message type word 0x00000301",
  // "expected initiation, got transport".
  std::string to_string() const;
};

// A decoded message, or why it was dropped.
template <typename T>
class Decoded {
 public:
  Decoded(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Decoded(MessageDrop drop) : state_(std::in_place_index<1>, drop) {}     // NOLINT
  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const T& value() const { return std::get<0>(state_); }
  const T& operator*() const { return value(); }
  const T* operator->() const { return &value(); }
  const MessageDrop& drop() const { return std::get<1>(state_); }

 private:
  std::variant<T, MessageDrop> state_;
};

// The type of a datagram, after checking the type word and that the size
// fits the type. The dispatcher calls this first, then the matching decoder.
Decoded<MessageType> classify_message(ByteView datagram);

Decoded<Initiation> decode_initiation(ByteView datagram);
Decoded<Response> decode_response(ByteView datagram);
Decoded<CookieReply> decode_cookie_reply(ByteView datagram);
Decoded<Transport> decode_transport(ByteView datagram);

using Message = std::variant<Initiation, Response, CookieReply, Transport>;
// classify_message + the matching decoder.
Decoded<Message> decode_message(ByteView datagram);

Bytes encode(const Initiation& m);
Bytes encode(const Response& m);
Bytes encode(const CookieReply& m);
// Header + ciphertext in one buffer.
Bytes encode_transport(std::uint32_t receiver_index, std::uint64_t counter, ByteView encrypted_packet);
// Writes the 16-byte transport header at `out`, for senders that encrypt in
// place after it.
void write_transport_header(std::uint8_t* out, std::uint32_t receiver_index, std::uint64_t counter);

// Where the MACs of a handshake message are (whitepaper 5.4.4): mac1 covers
// every byte before it, mac2 every byte before it (mac1 included). Only
// initiations and responses carry MACs; anything else, or a datagram of the
// wrong size, gives nullopt.
struct MacLayout {
  std::size_t mac1_offset = 0;
  std::size_t mac2_offset = 0;
};
std::optional<MacLayout> mac_layout(ByteView handshake_message);

struct MacSpans {
  ByteView mac1_input;  // bytes [0, mac1_offset)
  ByteView mac1;
  ByteView mac2_input;  // bytes [0, mac2_offset)
  ByteView mac2;
};
std::optional<MacSpans> mac_spans(ByteView handshake_message);

// The writable MAC fields of an encoded handshake message, so the sender can
// compute mac1 over the encoded prefix and then fill it in, then mac2.
struct MutableMacSpans {
  ByteView mac1_input;
  MutableByteView mac1;
  ByteView mac2_input;
  MutableByteView mac2;
};
std::optional<MutableMacSpans> mutable_mac_spans(MutableByteView handshake_message);

}  // namespace tether::tunnel
