#pragma once
// TCP segments for the dissector tests, built the way a kernel numbers them:
// the SYN takes one sequence number, each payload byte one, the FIN one;
// every segment after the SYN acknowledges what the peer sent. Payloads are
// copied into the flow, which must outlive its segments. Packets are
// numbered (1-based, as tshark) and stamped 1 ms apart by number(), after
// the test has reordered, dropped or repeated them.

#include <deque>
#include <vector>

#include "core/bytes.h"
#include "pcap/packet.h"

namespace tether::pcap::testing {

class TcpFlow {
 public:
  TcpFlow(Endpoint client, Endpoint server, std::uint32_t client_isn, std::uint32_t server_isn);

  Segment syn();  // the client's SYN (again, for a retransmission)
  Segment syn_ack();
  Segment ack(bool from_client);
  // The bytes, cut at `mss`, each segment PSH+ACK.
  std::vector<Segment> data(bool from_client, ByteView bytes, std::size_t mss = 1448);
  Segment fin(bool from_client);
  Segment rst(bool from_client, bool with_ack = true);

  // The whole connection: handshake, each chunk (from_client, bytes), the
  // client's FIN then the server's.
  template <typename Chunks>
  std::vector<Segment> connection(const Chunks& chunks);

  const Endpoint& client() const { return client_; }
  const Endpoint& server() const { return server_; }

 private:
  Segment base(bool from_client);
  Endpoint client_, server_;
  std::uint32_t isn_[2];
  std::uint32_t next_[2];
  std::deque<Bytes> storage_;
};

// Numbers the packets in vector order and stamps them `step` apart.
void number(std::vector<Segment>& packets, std::string capture_name = "test.pcap",
            Duration step = Duration::milliseconds(1));

template <typename Chunks>
std::vector<Segment> TcpFlow::connection(const Chunks& chunks) {
  std::vector<Segment> out{syn(), syn_ack(), ack(true)};
  for (const auto& chunk : chunks)
    for (Segment& s : data(chunk.from_client, chunk.bytes)) out.push_back(s);
  out.push_back(fin(true));
  out.push_back(fin(false));
  out.push_back(ack(true));
  return out;
}

}  // namespace tether::pcap::testing
