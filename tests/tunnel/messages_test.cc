// Wire formats: sizes and field offsets (whitepaper 5.4), round trips, and
// every malformed datagram of issue 3's "Bad input" that can be judged
// without keys: truncated, oversized (fixed-size types), unknown type,
// reserved bytes set. Each must be dropped with its reason and never read
// out of bounds (the ASan fuzz target covers the rest).

#include "tunnel/messages.h"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>

using namespace tether;
using namespace tether::tunnel;

namespace {

template <std::size_t N>
std::array<std::uint8_t, N> pattern(std::uint8_t start) {
  std::array<std::uint8_t, N> a{};
  for (std::size_t i = 0; i < N; ++i) a[i] = std::uint8_t(start + i);
  return a;
}

Initiation sample_initiation() {
  Initiation m;
  m.sender_index = 0x11223344;
  m.ephemeral = pattern<32>(0x10);
  m.encrypted_static = pattern<48>(0x40);
  m.encrypted_timestamp = pattern<28>(0x80);
  m.mac1 = pattern<16>(0xa0);
  m.mac2 = pattern<16>(0xc0);
  return m;
}

Response sample_response() {
  Response m;
  m.sender_index = 0xdeadbeef;
  m.receiver_index = 0x11223344;
  m.ephemeral = pattern<32>(0x20);
  m.encrypted_nothing = pattern<16>(0x60);
  m.mac1 = pattern<16>(0x70);
  m.mac2 = pattern<16>(0x90);
  return m;
}

CookieReply sample_cookie_reply() {
  CookieReply m;
  m.receiver_index = 0x01020304;
  m.nonce = pattern<24>(0x30);
  m.encrypted_cookie = pattern<32>(0x50);
  return m;
}

std::string drop_text(ByteView datagram) {
  auto c = classify_message(datagram);
  return c ? std::string("accepted as ") + to_string(*c) : c.drop().to_string();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(messages)

BOOST_AUTO_TEST_CASE(sizes_match_the_whitepaper) {
  BOOST_TEST(encode(sample_initiation()).size() == 148u);
  BOOST_TEST(encode(sample_response()).size() == 92u);
  BOOST_TEST(encode(sample_cookie_reply()).size() == 64u);
  BOOST_TEST(encode_transport(1, 2, Bytes(16, 0)).size() == 32u);
  BOOST_TEST(kKeepaliveSize == 32u);
}

BOOST_AUTO_TEST_CASE(initiation_layout_and_round_trip) {
  Initiation m = sample_initiation();
  Bytes b = encode(m);
  // Type word 1, then little-endian sender index, then the fields in order.
  BOOST_TEST(to_hex(ByteView(b).subview(0, 8)) == "0100000044332211");
  BOOST_TEST(b[8] == 0x10);    // ephemeral
  BOOST_TEST(b[40] == 0x40);   // encrypted static
  BOOST_TEST(b[88] == 0x80);   // encrypted timestamp
  BOOST_TEST(b[116] == 0xa0);  // mac1
  BOOST_TEST(b[132] == 0xc0);  // mac2
  BOOST_TEST(b[147] == 0xcf);
  auto d = decode_initiation(b);
  BOOST_TEST_REQUIRE(d.ok());
  BOOST_TEST((*d == m));
}

BOOST_AUTO_TEST_CASE(response_layout_and_round_trip) {
  Response m = sample_response();
  Bytes b = encode(m);
  BOOST_TEST(to_hex(ByteView(b).subview(0, 12)) == "02000000efbeadde44332211");
  BOOST_TEST(b[12] == 0x20);  // ephemeral
  BOOST_TEST(b[44] == 0x60);  // encrypted nothing
  BOOST_TEST(b[60] == 0x70);  // mac1
  BOOST_TEST(b[76] == 0x90);  // mac2
  auto d = decode_response(b);
  BOOST_TEST_REQUIRE(d.ok());
  BOOST_TEST((*d == m));
}

BOOST_AUTO_TEST_CASE(cookie_reply_layout_and_round_trip) {
  CookieReply m = sample_cookie_reply();
  Bytes b = encode(m);
  BOOST_TEST(to_hex(ByteView(b).subview(0, 8)) == "0300000004030201");
  BOOST_TEST(b[8] == 0x30);   // nonce
  BOOST_TEST(b[32] == 0x50);  // encrypted cookie
  auto d = decode_cookie_reply(b);
  BOOST_TEST_REQUIRE(d.ok());
  BOOST_TEST((*d == m));
}

// The whole of each message, field by field as whitepaper 5.4.2-5.4.7 lays
// it out (written out here independently of the offset tables).
BOOST_AUTO_TEST_CASE(handshake_messages_match_the_whitepaper_byte_for_byte) {
  BOOST_TEST(to_hex(encode(sample_initiation())) ==
             "0100000044332211101112131415161718191a1b1c1d1e1f2021222324252627"
             "28292a2b2c2d2e2f404142434445464748494a4b4c4d4e4f5051525354555657"
             "58595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f8081828384858687"
             "88898a8b8c8d8e8f909192939495969798999a9ba0a1a2a3a4a5a6a7a8a9aaab"
             "acadaeafc0c1c2c3c4c5c6c7c8c9cacbcccdcecf");
  BOOST_TEST(to_hex(encode(sample_response())) ==
             "02000000efbeadde44332211202122232425262728292a2b2c2d2e2f30313233"
             "3435363738393a3b3c3d3e3f606162636465666768696a6b6c6d6e6f70717273"
             "7475767778797a7b7c7d7e7f909192939495969798999a9b9c9d9e9f");
  BOOST_TEST(to_hex(encode(sample_cookie_reply())) ==
             "0300000004030201303132333435363738393a3b3c3d3e3f4041424344454647"
             "505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f");
}

BOOST_AUTO_TEST_CASE(transport_layout_round_trip_and_keepalive) {
  Bytes payload = hex_bytes("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  Bytes b = encode_transport(0xa1b2c3d4, 0x0102030405060708ull, payload);
  BOOST_TEST(b.size() == 16 + payload.size());
  BOOST_TEST(to_hex(ByteView(b).subview(0, 16)) == "04000000d4c3b2a10807060504030201");
  auto d = decode_transport(b);
  BOOST_TEST_REQUIRE(d.ok());
  BOOST_TEST(d->receiver_index == 0xa1b2c3d4u);
  BOOST_TEST(d->counter == 0x0102030405060708ull);
  BOOST_TEST((d->encrypted_packet == ByteView(payload)));
  BOOST_TEST(d->encrypted_packet.data() == b.data() + 16);  // a view, not a copy
  BOOST_TEST(!d->is_keepalive());

  Bytes keepalive = encode_transport(7, 0, Bytes(16, 0xee));
  BOOST_TEST(keepalive.size() == kKeepaliveSize);
  auto k = decode_transport(keepalive);
  BOOST_TEST_REQUIRE(k.ok());
  BOOST_TEST(k->is_keepalive());

  std::uint8_t header[16];
  write_transport_header(header, 0xa1b2c3d4, 0x0102030405060708ull);
  BOOST_TEST((ByteView(header, 16) == ByteView(b).subview(0, 16)));
}

BOOST_AUTO_TEST_CASE(decode_message_dispatches_on_type) {
  auto i = decode_message(encode(sample_initiation()));
  BOOST_TEST_REQUIRE(i.ok());
  BOOST_TEST(std::holds_alternative<Initiation>(*i));
  auto r = decode_message(encode(sample_response()));
  BOOST_TEST_REQUIRE(r.ok());
  BOOST_TEST(std::holds_alternative<Response>(*r));
  auto c = decode_message(encode(sample_cookie_reply()));
  BOOST_TEST_REQUIRE(c.ok());
  BOOST_TEST(std::holds_alternative<CookieReply>(*c));
  auto t = decode_message(encode_transport(1, 2, Bytes(20, 0)));
  BOOST_TEST_REQUIRE(t.ok());
  BOOST_TEST(std::get<Transport>(*t).counter == 2u);
}

BOOST_AUTO_TEST_CASE(truncated_messages_are_dropped) {
  Bytes init = encode(sample_initiation());
  BOOST_TEST(drop_text(ByteView(init).subview(0, 120)) == "truncated initiation: 120 bytes, expected 148");
  BOOST_TEST(drop_text(ByteView(init).subview(0, 147)) == "truncated initiation: 147 bytes, expected 148");
  BOOST_TEST(drop_text(ByteView(init).subview(0, 4)) == "truncated initiation: 4 bytes, expected 148");
  Bytes resp = encode(sample_response());
  BOOST_TEST(drop_text(ByteView(resp).subview(0, 91)) == "truncated response: 91 bytes, expected 92");
  Bytes cookie = encode(sample_cookie_reply());
  BOOST_TEST(drop_text(ByteView(cookie).subview(0, 63)) == "truncated cookie reply: 63 bytes, expected 64");
  Bytes data = encode_transport(1, 2, Bytes(16, 0));
  BOOST_TEST(drop_text(ByteView(data).subview(0, 31)) == "truncated transport: 31 bytes, expected at least 32");
  BOOST_TEST(drop_text(ByteView(data).subview(0, 16)) == "truncated transport: 16 bytes, expected at least 32");
  BOOST_TEST(drop_text(ByteView(data).subview(0, 3)) == "truncated message: 3 bytes, too short for a type");
  BOOST_TEST(drop_text(ByteView()) == "truncated message: 0 bytes, too short for a type");

  auto d = decode_initiation(ByteView(init).subview(0, 120));
  BOOST_TEST_REQUIRE(!d.ok());
  BOOST_TEST(d.drop().reason == DropReason::truncated);
  BOOST_TEST(d.drop().size == 120u);
  BOOST_TEST(d.drop().expected == 148u);
  BOOST_TEST(!decode_response(ByteView(resp).subview(0, 91)).ok());
  BOOST_TEST(!decode_cookie_reply(ByteView(cookie).subview(0, 63)).ok());
  BOOST_TEST(!decode_transport(ByteView(data).subview(0, 31)).ok());
  BOOST_TEST(!decode_message(ByteView(data).subview(0, 31)).ok());
}

BOOST_AUTO_TEST_CASE(oversized_fixed_size_messages_are_dropped) {
  Bytes init = encode(sample_initiation());
  init.push_back(0);
  BOOST_TEST(drop_text(init) == "oversized initiation: 149 bytes, expected 148");
  BOOST_TEST(decode_initiation(init).drop().reason == DropReason::oversized);
  Bytes resp = encode(sample_response());
  resp.resize(200);
  BOOST_TEST(drop_text(resp) == "oversized response: 200 bytes, expected 92");
  Bytes cookie = encode(sample_cookie_reply());
  cookie.resize(65);
  BOOST_TEST(drop_text(cookie) == "oversized cookie reply: 65 bytes, expected 64");
  // Transport has no upper bound of its own: the UDP datagram is the bound.
  BOOST_TEST(decode_transport(encode_transport(1, 2, Bytes(65000, 0))).ok());
}

BOOST_AUTO_TEST_CASE(unknown_types_are_dropped) {
  for (std::uint8_t type : {0, 5, 7, 255}) {
    Bytes b(148, 0);
    b[0] = type;
    BOOST_TEST_CONTEXT("type " << int(type)) {
      auto c = classify_message(b);
      BOOST_TEST_REQUIRE(!c.ok());
      BOOST_TEST(c.drop().reason == DropReason::unknown_type);
      BOOST_TEST(c.drop().to_string() == "unknown message type " + std::to_string(type));
      BOOST_TEST(!decode_message(b).ok());
    }
  }
  Bytes big = hex_bytes("07000001") ;
  big.resize(40);
  BOOST_TEST(drop_text(big) == "unknown message type word 0x01000007");
}

BOOST_AUTO_TEST_CASE(reserved_bytes_must_be_zero) {
  for (std::size_t i = 1; i <= 3; ++i) {
    Bytes b = encode(sample_initiation());
    b[i] = 0x01;
    BOOST_TEST_CONTEXT("reserved byte " << i) {
      auto c = classify_message(b);
      BOOST_TEST_REQUIRE(!c.ok());
      BOOST_TEST(c.drop().reason == DropReason::reserved_not_zero);
      BOOST_TEST(c.drop().to_string().find("reserved bytes not zero") != std::string::npos);
      BOOST_TEST(!decode_initiation(b).ok());
    }
  }
  Bytes t = encode_transport(1, 2, Bytes(16, 0));
  t[3] = 0x80;
  BOOST_TEST(drop_text(t) == "reserved bytes not zero in message type word 0x80000004");
}

BOOST_AUTO_TEST_CASE(decoders_refuse_other_types) {
  auto d = decode_response(encode(sample_initiation()));
  BOOST_TEST_REQUIRE(!d.ok());
  BOOST_TEST(d.drop().reason == DropReason::wrong_type);
  BOOST_TEST(d.drop().to_string() == "expected response, got initiation");
  BOOST_TEST(!decode_initiation(encode_transport(1, 2, Bytes(132, 0))).ok());  // 148 bytes, type 4
  BOOST_TEST(!decode_transport(encode(sample_initiation())).ok());
  BOOST_TEST(!decode_cookie_reply(encode(sample_response())).ok());
}

BOOST_AUTO_TEST_CASE(mac_spans_cover_the_prefix) {
  Bytes init = encode(sample_initiation());
  auto s = mac_spans(init);
  BOOST_TEST_REQUIRE(s.has_value());
  BOOST_TEST(s->mac1_input.data() == init.data());
  BOOST_TEST(s->mac1_input.size() == 116u);
  BOOST_TEST(s->mac1.data() == init.data() + 116);
  BOOST_TEST(s->mac1.size() == 16u);
  BOOST_TEST(s->mac2_input.size() == 132u);
  BOOST_TEST(s->mac2.data() == init.data() + 132);
  BOOST_TEST((s->mac2 == ByteView(sample_initiation().mac2)));

  Bytes resp = encode(sample_response());
  auto r = mac_layout(resp);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->mac1_offset == 60u);
  BOOST_TEST(r->mac2_offset == 76u);

  BOOST_TEST(!mac_spans(encode(sample_cookie_reply())).has_value());
  BOOST_TEST(!mac_spans(encode_transport(1, 2, Bytes(16, 0))).has_value());
  BOOST_TEST(!mac_spans(ByteView(init).subview(0, 140)).has_value());

  // A sender encodes with zero MACs, then fills them in place.
  Initiation blank = sample_initiation();
  blank.mac1 = {};
  blank.mac2 = {};
  Bytes out = encode(blank);
  auto w = mutable_mac_spans(out);
  BOOST_TEST_REQUIRE(w.has_value());
  std::fill(w->mac1.begin(), w->mac1.end(), 0xa5);
  std::fill(w->mac2.begin(), w->mac2.end(), 0x5a);
  auto back = decode_initiation(out);
  BOOST_TEST_REQUIRE(back.ok());
  BOOST_TEST(back->mac1[0] == 0xa5);
  BOOST_TEST(back->mac2[15] == 0x5a);
  BOOST_TEST((back->ephemeral == sample_initiation().ephemeral));
}

BOOST_AUTO_TEST_CASE(every_prefix_of_every_message_is_judged_safely) {
  // Each prefix (0..size) and each one-byte extension must either decode or
  // drop with a reason. This build has no sanitizer, so reads out of bounds
  // are left to tunnel_message_fuzz, which runs under ASan in scripts/test.
  for (const Bytes& full : {encode(sample_initiation()), encode(sample_response()),
                            encode(sample_cookie_reply()), encode_transport(9, 9, Bytes(40, 1))}) {
    for (std::size_t n = 0; n <= full.size() + 1; ++n) {
      Bytes b(full.begin(), full.begin() + std::ptrdiff_t(std::min(n, full.size())));
      if (n > full.size()) b.push_back(0);
      auto d = decode_message(b);
      if (!d.ok()) BOOST_TEST(!d.drop().to_string().empty());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
