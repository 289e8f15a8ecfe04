#include "pcap/tcp_flow.h"

#include <algorithm>

namespace tether::pcap::testing {

TcpFlow::TcpFlow(Endpoint client, Endpoint server, std::uint32_t client_isn, std::uint32_t server_isn)
    : client_(client), server_(server), isn_{client_isn, server_isn}, next_{client_isn, server_isn} {}

Segment TcpFlow::base(bool from_client) {
  Segment s;
  int d = from_client ? 0 : 1;
  s.source = from_client ? client_ : server_;
  s.destination = from_client ? server_ : client_;
  s.seq = next_[d];
  s.ack = next_[1 - d];
  s.ack_flag = true;
  s.window = 64240;
  return s;
}

Segment TcpFlow::syn() {
  Segment s = base(true);
  s.seq = isn_[0];
  s.ack = 0;
  s.ack_flag = false;
  s.syn = true;
  next_[0] = isn_[0] + 1;
  return s;
}

Segment TcpFlow::syn_ack() {
  Segment s = base(false);
  s.seq = isn_[1];
  s.syn = true;
  next_[1] = isn_[1] + 1;
  return s;
}

Segment TcpFlow::ack(bool from_client) { return base(from_client); }

std::vector<Segment> TcpFlow::data(bool from_client, ByteView bytes, std::size_t mss) {
  std::vector<Segment> out;
  int d = from_client ? 0 : 1;
  for (std::size_t at = 0; at < bytes.size(); at += mss) {
    std::size_t n = std::min(mss, bytes.size() - at);
    const Bytes& kept = storage_.emplace_back(bytes.begin() + at, bytes.begin() + at + n);
    Segment s = base(from_client);
    s.psh = true;
    s.payload = ByteView(kept);
    next_[d] += static_cast<std::uint32_t>(n);
    out.push_back(s);
  }
  return out;
}

Segment TcpFlow::fin(bool from_client) {
  Segment s = base(from_client);
  s.fin = true;
  next_[from_client ? 0 : 1] += 1;
  return s;
}

Segment TcpFlow::rst(bool from_client, bool with_ack) {
  Segment s = base(from_client);
  s.rst = true;
  s.ack_flag = with_ack;
  return s;
}

void number(std::vector<Segment>& packets, std::string capture_name, Duration step) {
  WallTime at = WallTime::from_unix_seconds(1795000000);
  for (std::size_t i = 0; i < packets.size(); ++i) {
    packets[i].origin.capture_name = capture_name;
    packets[i].origin.packet_number = i + 1;
    packets[i].origin.at = at;
    at = at + step;
  }
}

}  // namespace tether::pcap::testing
