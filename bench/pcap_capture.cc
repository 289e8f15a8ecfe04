// bench_pcap_capture: writes the large, realistic capture that
// bench/pcap_timeline times `tether-pcap timeline`, tshark and a bare libpcap
// loop on. One Ethernet link in front of a server that is both a WireGuard
// concentrator (UDP 51820) and a mail relay (TCP 25), as a span port would
// see it:
//  - WireGuard peer pairs (a fifth over IPv6): a handshake (initiation,
//    response; now and then an initiation lost and retried 5 s later, or
//    answered by a cookie reply under load) every 120 s of use, then bursts
//    of transport data (full-size packets one way, small ones back, counters
//    counting up per direction) separated by idle gaps, with persistent
//    keepalives (25 s) while idle;
//  - SMTP connections arriving at random (Poisson): the TCP handshake, a
//    real-looking dialogue (greeting, EHLO, MAIL, RCPT, DATA with a body of
//    a few KB cut at the MSS, QUIT, the FINs); some with STARTTLS and TLS
//    records after it, some with a refused recipient, some refused with a
//    RST, some SYNs never answered and retransmitted.
// Messages have WireGuard's exact shapes (tunnel/messages.h's encoders) and
// TCP is numbered as a kernel numbers it (tests/pcap/tcp_flow.h); the
// encrypted parts are random bytes, as nobody holds their keys. The same
// seed gives the same file.
//
//   bench_pcap_capture OUT.pcap [--packets N] [--pairs P] [--smtp-per-second R] [--seed S]

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "pcap/frames.h"
#include "pcap/pcap_writer.h"
#include "pcap/tcp_flow.h"
#include "tunnel/messages.h"

namespace {

using namespace tether;
using pcap::testing::TcpFlow;
constexpr std::int64_t kMs = 1000000, kSecond = 1000 * kMs;
constexpr std::uint8_t kUdp = 17, kTcp = 6;

struct Settings {
  std::string out;
  std::uint64_t packets = 2000000;
  int pairs = 400;
  double smtp_per_second = 12;
  std::uint64_t seed = 1;
};

// What every flow writes with: the file, the random source and a pool of
// random bytes that stands for ciphertext.
struct Output {
  std::unique_ptr<pcap::PcapWriter> writer;
  std::mt19937_64 random;
  Bytes pool;
  std::uint64_t written = 0;
  std::uint64_t by_kind[8] = {};  // see kKindNames

  ByteView noise(std::size_t n) {
    std::size_t at = std::uniform_int_distribution<std::size_t>(0, pool.size() - n)(random);
    return ByteView(pool.data() + at, n);
  }
  double exponential(double mean) { return std::exponential_distribution<double>(1.0 / mean)(random); }
  bool chance(double p) { return std::bernoulli_distribution(p)(random); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(random()); }

  void write(std::int64_t at, const Endpoint& from, const Endpoint& to, std::uint8_t protocol, ByteView l4,
             int kind) {
    const bool v6 = from.address().is_v6();
    Bytes ip = v6 ? pcap::testing::ipv6(from.address(), to.address(), protocol, l4)
                  : pcap::testing::ipv4(from.address(), to.address(), protocol, l4,
                                        static_cast<std::uint16_t>(written));
    writer->write(WallTime::from_unix_ns(at), pcap::testing::ethernet(ip));
    ++written;
    ++by_kind[kind];
  }
};

enum Kind { kInitiation, kResponse, kCookie, kData, kKeepalive, kTcpSegment };
const char* const kKindNames[] = {"wg initiation", "wg response", "wg cookie reply", "wg data",
                                  "wg keepalive",  "tcp/smtp segment"};

class Flow {
 public:
  virtual ~Flow() = default;
  // Writes this flow's packet due at `now` (if any); the time of its next
  // one, or -1 when it is over.
  virtual std::int64_t step(std::int64_t now, Output& out) = 0;
};

// One WireGuard client and the concentrator.
class WireGuardPair : public Flow {
 public:
  WireGuardPair(Endpoint client, Endpoint server, Output& out)
      : client_(client), server_(server), rtt_(static_cast<std::int64_t>((5 + out.exponential(40)) * kMs)) {}

  std::int64_t step(std::int64_t now, Output& out) override {
    switch (state_) {
      case State::initiate: {
        tunnel::Initiation m;
        m.sender_index = client_index_ = out.u32();
        fill(m.ephemeral, out);
        fill(m.encrypted_static, out);
        fill(m.encrypted_timestamp, out);
        fill(m.mac1, out);
        send(now, true, tunnel::encode(m), kInitiation, out);
        last_client_send_ = now;
        if (out.chance(0.03)) return now + 5 * kSecond;  // lost: retried (REKEY_TIMEOUT)
        state_ = out.chance(0.01) ? State::cookie : State::respond;
        return now + rtt_;
      }
      case State::cookie: {
        tunnel::CookieReply m;
        m.receiver_index = client_index_;
        fill(m.nonce, out);
        fill(m.encrypted_cookie, out);
        send(now, false, tunnel::encode(m), kCookie, out);
        state_ = State::initiate;
        return now + rtt_ / 2;
      }
      case State::respond: {
        tunnel::Response m;
        m.sender_index = server_index_ = out.u32();
        m.receiver_index = client_index_;
        fill(m.ephemeral, out);
        fill(m.encrypted_nothing, out);
        fill(m.mac1, out);
        send(now, false, tunnel::encode(m), kResponse, out);
        handshake_at_ = now;
        counter_[0] = counter_[1] = 0;
        start_burst(out);
        return now + rtt_ / 2;
      }
      case State::burst: return burst(now, out);
      case State::idle: return idle(now, out);
    }
    return -1;
  }

 private:
  enum class State { initiate, cookie, respond, burst, idle };

  template <typename Array>
  static void fill(Array& a, Output& out) {
    ByteView n = out.noise(a.size());
    std::memcpy(a.data(), n.data(), a.size());
  }

  void send(std::int64_t now, bool from_client, const Bytes& message, int kind, Output& out) {
    const Endpoint& from = from_client ? client_ : server_;
    const Endpoint& to = from_client ? server_ : client_;
    out.write(now, from, to, kUdp, pcap::testing::udp(from.port(), to.port(), message), kind);
  }

  // Transport data: an inner packet of `inner` bytes, padded to 16 (up to
  // the MTU) and sealed (a 16-byte tag); 0 is a keepalive.
  void transport(std::int64_t now, bool from_client, std::size_t inner, int kind, Output& out) {
    const std::size_t padded = std::min<std::size_t>((inner + 15) / 16 * 16, 1420);
    const std::uint32_t receiver = from_client ? server_index_ : client_index_;
    send(now, from_client, tunnel::encode_transport(receiver, counter_[from_client ? 0 : 1]++, out.noise(padded + 16)),
         kind, out);
  }

  void start_burst(Output& out) {
    state_ = State::burst;
    burst_left_ = 1 + static_cast<int>(out.exponential(400));
  }

  // Bursts take turns: a download, two interactive exchanges (small
  // packets both ways, as a shell or an IMAP session makes), an upload. The
  // bulk ones are full-size packets one way and an acknowledgement-sized
  // one back for every second.
  std::int64_t burst(std::int64_t now, Output& out) {
    const int turn = burst_number_ % 4;
    bool from_client;
    std::size_t inner;
    if (turn == 1 || turn == 2) {
      from_client = out.chance(0.5);
      inner = 40 + out.u32() % 400;
    } else {
      const bool ack = (burst_left_ % 3) == 0;
      from_client = (turn == 3) != ack;
      inner = ack ? 52 : 1420 - out.u32() % 200;
    }
    transport(now, from_client, inner, kData, out);
    if (from_client) last_client_send_ = now;
    if (--burst_left_ > 0) return now + static_cast<std::int64_t>(out.exponential(0.4 * kMs)) + 1;
    ++burst_number_;
    state_ = State::idle;
    idle_until_ = now + static_cast<std::int64_t>(out.exponential(30.0 * kSecond));
    return std::max(now, std::min(idle_until_, last_client_send_ + 25 * kSecond));
  }

  // Persistent keepalives every 25 s of silence until the next burst, which
  // starts with a handshake when the session is 120 s old (REKEY_AFTER_TIME).
  std::int64_t idle(std::int64_t now, Output& out) {
    if (now < idle_until_) {
      transport(now, true, 0, kKeepalive, out);
      last_client_send_ = now;
      return std::min(idle_until_, now + 25 * kSecond);
    }
    if (now - handshake_at_ >= 120 * kSecond) {
      state_ = State::initiate;
      return now;
    }
    start_burst(out);
    return now;
  }

  Endpoint client_, server_;
  std::int64_t rtt_;
  State state_ = State::initiate;
  std::uint32_t client_index_ = 0, server_index_ = 0;
  std::uint64_t counter_[2] = {0, 0};  // client->server, server->client
  std::int64_t handshake_at_ = 0, last_client_send_ = 0, idle_until_ = 0;
  int burst_left_ = 0, burst_number_ = 0;
};

// One SMTP connection to the relay, laid out whole when it starts, then
// written segment by segment.
class SmtpConnection : public Flow {
 public:
  SmtpConnection(Endpoint client, Endpoint server, std::int64_t start, Output& out)
      : flow_(client, server, out.u32(), out.u32()) {
    const std::int64_t rtt = static_cast<std::int64_t>((10 + out.exponential(60)) * kMs);
    std::int64_t t = start;
    auto add = [&](const pcap::Segment& s, std::int64_t after) {
      t += after;
      segments_.push_back(Timed{t, s});
    };
    const double roll = std::uniform_real_distribution<double>(0, 1)(out.random);
    if (roll < 0.04) {  // a SYN nobody answers, retransmitted at 1 s and 3 s
      add(flow_.syn(), 0);
      add(flow_.syn(), kSecond);
      add(flow_.syn(), 2 * kSecond);
      return;
    }
    if (roll < 0.07) {  // refused: RST
      add(flow_.syn(), 0);
      add(flow_.rst(false), rtt / 2);
      return;
    }
    add(flow_.syn(), 0);
    add(flow_.syn_ack(), rtt / 2);
    add(flow_.ack(true), rtt / 2);
    auto say = [&](bool from_client, const std::string& text, std::int64_t after) {
      bool first = true;
      for (const pcap::Segment& s : flow_.data(from_client, ByteView(text))) {
        add(s, first ? after : 0);
        first = false;
      }
    };
    say(false, "220 relay.example.net ESMTP tether\r\n", 2 * kMs);
    say(true, "EHLO mail" + std::to_string(out.u32() % 1000) + ".example.org\r\n", rtt / 2);
    say(false, "250-relay.example.net Hello\r\n250-SIZE 36700160\r\n250-8BITMIME\r\n250-STARTTLS\r\n250 HELP\r\n",
        rtt / 2);
    if (roll < 0.35) {  // STARTTLS, then TLS records: a handshake and encrypted mail
      say(true, "STARTTLS\r\n", rtt / 2);
      say(false, "220 2.0.0 Ready to start TLS\r\n", rtt / 2);
      tls(true, 0x16, 517, rtt / 2, add, out);
      tls(false, 0x16, 3000, rtt / 2, add, out);
      tls(true, 0x17, 80, rtt / 2, add, out);
      for (int i = 0; i < 6; ++i) tls(i % 2 == 0, 0x17, 60 + out.u32() % 4000, rtt / 2, add, out);
    } else {
      say(true, "MAIL FROM:<sender@example.org> SIZE=4242\r\n", rtt / 2);
      say(false, "250 2.0.0 Ok\r\n", rtt / 2);
      say(true, "RCPT TO:<alice@example.com>\r\n", rtt / 2);
      say(false, roll < 0.45 ? "550 5.1.1 <alice@example.com>: Recipient address rejected\r\n" : "250 2.1.5 Ok\r\n",
          rtt / 2);
      if (roll >= 0.45) {
        say(true, "DATA\r\n", rtt / 2);
        say(false, "354 End data with <CR><LF>.<CR><LF>\r\n", rtt / 2);
        std::string body = "Subject: report\r\n\r\n";
        const std::size_t lines = 20 + out.u32() % 150;
        for (std::size_t i = 0; i < lines; ++i) body += "line " + std::to_string(i) + " of the weekly report, as usual\r\n";
        say(true, body + ".\r\n", rtt / 2);
        say(false, "250 2.0.0 Ok: queued as 4F2A1C0B7\r\n", rtt / 2 + 3 * kMs);
      }
      say(true, "QUIT\r\n", rtt / 2);
      say(false, "221 2.0.0 Bye\r\n", rtt / 2);
    }
    add(flow_.fin(true), rtt / 2);
    add(flow_.fin(false), rtt / 2);
    add(flow_.ack(true), rtt / 2);
  }

  std::int64_t step(std::int64_t now, Output& out) override {
    const pcap::Segment& s = segments_[next_].segment;
    out.write(now, s.source, s.destination, kTcp, pcap::testing::tcp(s), kTcpSegment);
    return ++next_ < segments_.size() ? segments_[next_].at : -1;
  }
  std::int64_t first() const { return segments_.front().at; }

 private:
  struct Timed {
    std::int64_t at;
    pcap::Segment segment;
  };

  // One TLS record (RFC 8446 section 5.1: type, legacy version 3.3, length)
  // of random content.
  template <typename Add>
  void tls(bool from_client, std::uint8_t type, std::size_t length, std::int64_t after, Add& add, Output& out) {
    Bytes record{type, 3, 3, static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)};
    ByteView body = out.noise(length);
    record.insert(record.end(), body.begin(), body.end());
    bool first = true;
    for (const pcap::Segment& s : flow_.data(from_client, record)) {
      add(s, first ? after : 0);
      first = false;
    }
  }

  TcpFlow flow_;  // owns the payloads the segments view
  std::vector<Timed> segments_;
  std::size_t next_ = 0;
};

IpAddress v4(std::uint32_t host_order) { return IpAddress::v4(host_order); }
IpAddress v6_client(int n) {
  std::uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1};
  b[14] = static_cast<std::uint8_t>(n >> 8);
  b[15] = static_cast<std::uint8_t>(n);
  return IpAddress::v6_bytes(b);
}

int run(const Settings& settings) {
  Output out;
  out.random.seed(settings.seed);
  out.pool.resize(1 << 16);
  for (auto& b : out.pool) b = static_cast<std::uint8_t>(out.random());
  auto writer = pcap::PcapWriter::create(settings.out, 1 /* DLT_EN10MB */);
  if (!writer.ok()) {
    std::fprintf(stderr, "bench_pcap_capture: %s\n", writer.error().message.c_str());
    return 1;
  }
  out.writer = std::move(*writer);

  // Flows by the time of their next packet; ties in the order they were
  // scheduled, so the file is the same for the same seed.
  std::vector<std::unique_ptr<Flow>> flows;
  using Due = std::tuple<std::int64_t, std::uint64_t, std::size_t>;
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> due;
  std::uint64_t order = 0;
  std::vector<std::size_t> free_slots;
  auto schedule = [&](std::int64_t at, std::size_t flow) { due.emplace(at, order++, flow); };
  auto add_flow = [&](std::unique_ptr<Flow> flow, std::int64_t at) {
    std::size_t slot;
    if (free_slots.empty()) {
      slot = flows.size();
      flows.push_back(std::move(flow));
    } else {
      slot = free_slots.back();
      free_slots.pop_back();
      flows[slot] = std::move(flow);
    }
    schedule(at, slot);
  };

  const std::int64_t t0 = 1795000000 * kSecond;
  const IpAddress server4 = v4(0xc6336401), server6 = v6_client(0);  // 198.51.100.1, 2001:db8:0:1::
  for (int i = 0; i < settings.pairs; ++i) {
    const bool six = i % 5 == 4;
    Endpoint client(six ? v6_client(i + 1) : v4(0x64400000u + static_cast<std::uint32_t>(i) * 7 + 2),
                    static_cast<std::uint16_t>(1024 + out.u32() % 60000));
    Endpoint server(six ? server6 : server4, 51820);
    add_flow(std::make_unique<WireGuardPair>(client, server, out),
             t0 + static_cast<std::int64_t>(out.exponential(20.0 * kSecond)));
  }
  const Endpoint relay(v4(0xcb007119), 25);  // 203.0.113.25
  std::int64_t next_connection = t0;

  while (out.written < settings.packets && !due.empty()) {
    auto [at, ignored, slot] = due.top();
    if (settings.smtp_per_second > 0 && next_connection <= at) {
      Endpoint client(v4(0xc0000200u + out.u32() % 250 + 1), static_cast<std::uint16_t>(32768 + out.u32() % 28000));
      auto connection = std::make_unique<SmtpConnection>(client, relay, next_connection, out);
      const std::int64_t first = connection->first();
      add_flow(std::move(connection), first);
      next_connection += static_cast<std::int64_t>(out.exponential(kSecond / settings.smtp_per_second)) + 1;
      continue;
    }
    due.pop();
    const std::int64_t next = flows[slot]->step(at, out);
    if (next >= 0) {
      schedule(next, slot);
    } else {
      flows[slot].reset();
      free_slots.push_back(slot);
    }
  }
  if (auto closed = out.writer->close(); !closed.ok()) {
    std::fprintf(stderr, "bench_pcap_capture: %s\n", closed.error().message.c_str());
    return 1;
  }
  std::printf("%s: %llu packets", settings.out.c_str(), static_cast<unsigned long long>(out.written));
  for (int k = 0; k <= kTcpSegment; ++k)
    std::printf("%s %llu %s", k ? "," : ":", static_cast<unsigned long long>(out.by_kind[k]), kKindNames[k]);
  std::printf("\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_pcap_capture: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--packets") settings.packets = std::strtoull(value(), nullptr, 10);
    else if (a == "--pairs") settings.pairs = std::atoi(value());
    else if (a == "--smtp-per-second") settings.smtp_per_second = std::atof(value());
    else if (a == "--seed") settings.seed = std::strtoull(value(), nullptr, 10);
    else if (!a.empty() && a[0] != '-' && settings.out.empty()) settings.out = a;
    else {
      std::fprintf(stderr,
                   "usage: bench_pcap_capture OUT.pcap [--packets N] [--pairs P] [--smtp-per-second R] [--seed S]\n");
      return 2;
    }
  }
  if (settings.out.empty() || settings.pairs < 1) {
    std::fprintf(stderr, "usage: bench_pcap_capture OUT.pcap [--packets N] [--pairs P] [--smtp-per-second R] [--seed S]\n");
    return 2;
  }
  return run(settings);
}
