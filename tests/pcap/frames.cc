#include "pcap/frames.h"

namespace tether::pcap::testing {
namespace {

void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put32(Bytes& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 16));
  put16(b, static_cast<std::uint16_t>(v));
}
void add_bytes(Bytes& b, ByteView v) { b.insert(b.end(), v.begin(), v.end()); }

}  // namespace

IpAddress v4(const char* text) { return IpAddress::parse(text).value(); }
IpAddress v6(const char* text) { return IpAddress::parse(text).value(); }

Bytes udp(std::uint16_t source_port, std::uint16_t destination_port, ByteView payload) {
  Bytes b;
  put16(b, source_port);
  put16(b, destination_port);
  put16(b, static_cast<std::uint16_t>(8 + payload.size()));
  put16(b, 0);
  add_bytes(b, payload);
  return b;
}

Bytes tcp(std::uint16_t source_port, std::uint16_t destination_port, std::uint32_t seq, std::uint32_t ack,
          std::uint8_t flags, std::uint16_t window, ByteView payload, std::size_t option_bytes) {
  Bytes b;
  put16(b, source_port);
  put16(b, destination_port);
  put32(b, seq);
  put32(b, ack);
  b.push_back(static_cast<std::uint8_t>(((20 + option_bytes) / 4) << 4));
  b.push_back(flags);
  put16(b, window);
  put16(b, 0);  // checksum
  put16(b, 0);  // urgent pointer
  for (std::size_t i = 0; i < option_bytes; ++i) b.push_back(1);  // NOPs
  add_bytes(b, payload);
  return b;
}

Bytes tcp(const Segment& s) {
  const auto flags = static_cast<std::uint8_t>((s.fin ? 0x01 : 0) | (s.syn ? 0x02 : 0) | (s.rst ? 0x04 : 0) |
                                               (s.psh ? 0x08 : 0) | (s.ack_flag ? 0x10 : 0));
  return tcp(s.source.port(), s.destination.port(), s.seq, s.ack, flags, s.window, s.payload);
}

Bytes icmp(std::uint8_t type, std::uint8_t code, ByteView body) {
  Bytes b{type, code, 0, 0, 0, 0, 0, 0};
  add_bytes(b, body);
  return b;
}

Bytes ipv4(const IpAddress& source, const IpAddress& destination, std::uint8_t protocol, ByteView payload,
           std::uint16_t id, std::uint16_t flags_offset) {
  Bytes b;
  b.push_back(0x45);
  b.push_back(0);
  put16(b, static_cast<std::uint16_t>(20 + payload.size()));
  put16(b, id);
  put16(b, flags_offset);
  b.push_back(64);
  b.push_back(protocol);
  put16(b, 0);
  add_bytes(b, ByteView(source.bytes(), 4));
  add_bytes(b, ByteView(destination.bytes(), 4));
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < 20; i += 2) sum += static_cast<std::uint32_t>(b[i] << 8 | b[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  b[10] = static_cast<std::uint8_t>(~sum >> 8);
  b[11] = static_cast<std::uint8_t>(~sum);
  add_bytes(b, payload);
  return b;
}

Bytes ipv6(const IpAddress& source, const IpAddress& destination, std::uint8_t next_header, ByteView payload) {
  Bytes b{0x60, 0, 0, 0};
  put16(b, static_cast<std::uint16_t>(payload.size()));
  b.push_back(next_header);
  b.push_back(64);
  add_bytes(b, ByteView(source.bytes(), 16));
  add_bytes(b, ByteView(destination.bytes(), 16));
  add_bytes(b, payload);
  return b;
}

std::vector<Bytes> ipv4_fragments(const IpAddress& source, const IpAddress& destination, std::uint8_t protocol,
                                  ByteView payload, std::uint16_t id, std::size_t size) {
  std::vector<Bytes> out;
  for (std::size_t at = 0; at < payload.size(); at += size) {
    bool more = at + size < payload.size();
    auto field = static_cast<std::uint16_t>((more ? 0x2000 : 0) | (at / 8));
    out.push_back(ipv4(source, destination, protocol, payload.subview(at, size), id, field));
  }
  return out;
}

std::vector<Bytes> ipv6_fragments(const IpAddress& source, const IpAddress& destination, ByteView fragmentable,
                                  std::uint8_t first_header, std::uint32_t id, std::size_t size) {
  std::vector<Bytes> out;
  for (std::size_t at = 0; at < fragmentable.size(); at += size) {
    bool more = at + size < fragmentable.size();
    Bytes header{first_header, 0};
    put16(header, static_cast<std::uint16_t>(at | (more ? 1 : 0)));
    put32(header, id);
    add_bytes(header, fragmentable.subview(at, size));
    out.push_back(ipv6(source, destination, 44, header));
  }
  return out;
}

Bytes ethernet(ByteView ip, std::vector<std::uint16_t> vlan_tpids) {
  Bytes b{0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2};
  std::uint16_t type = (ip[0] >> 4) == 6 ? 0x86dd : 0x0800;
  for (std::size_t i = 0; i < vlan_tpids.size(); ++i) {
    put16(b, vlan_tpids[i]);
    put16(b, static_cast<std::uint16_t>(100 + i));  // the VLAN id
  }
  put16(b, type);
  add_bytes(b, ip);
  return b;
}

Bytes linux_sll(ByteView ip) {
  Bytes b;
  put16(b, 0);  // sent to us
  put16(b, 1);  // ARPHRD_ETHER
  put16(b, 6);
  for (int i = 0; i < 8; ++i) b.push_back(i < 6 ? 0x02 : 0);
  put16(b, (ip[0] >> 4) == 6 ? 0x86dd : 0x0800);
  add_bytes(b, ip);
  return b;
}

Bytes linux_sll2(ByteView ip) {
  Bytes b;
  put16(b, (ip[0] >> 4) == 6 ? 0x86dd : 0x0800);
  put16(b, 0);
  put32(b, 2);  // interface index
  put16(b, 1);  // ARPHRD_ETHER
  b.push_back(4);  // outgoing
  b.push_back(6);
  for (int i = 0; i < 8; ++i) b.push_back(i < 6 ? 0x02 : 0);
  add_bytes(b, ip);
  return b;
}

Bytes ppp(ByteView ip, bool hdlc_framing) {
  Bytes b;
  if (hdlc_framing) b = {0xff, 0x03};
  put16(b, (ip[0] >> 4) == 6 ? 0x0057 : 0x0021);
  add_bytes(b, ip);
  return b;
}

Bytes bsd_null(ByteView ip, std::uint32_t family, bool network_order) {
  Bytes b;
  if (network_order) {
    put32(b, family);
  } else {  // the little-endian host's order
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(family >> (8 * i)));
  }
  add_bytes(b, ip);
  return b;
}

std::string Seen::errors_text() const {
  std::string text;
  for (const DecodeError& e : errors) text += e.to_string() + "\n";
  return text;
}

void CollectingVisitor::on_datagram(const Datagram& d) {
  seen.datagrams.push_back(d);
  seen.datagram_payloads.push_back(d.payload.to_bytes());
  seen.datagrams.back().payload = {};
}
void CollectingVisitor::on_segment(const Segment& s) {
  seen.segments.push_back(s);
  seen.segment_payloads.push_back(s.payload.to_bytes());
  seen.segments.back().payload = {};
}
void CollectingVisitor::on_icmp(const IcmpMessage& m) {
  seen.icmp.push_back(m);
  seen.icmp_quoted.push_back(m.quoted.to_bytes());
  seen.icmp.back().quoted = {};
}

}  // namespace tether::pcap::testing
