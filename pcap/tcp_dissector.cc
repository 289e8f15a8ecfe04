#include "pcap/tcp_dissector.h"

#include "core/time.h"

namespace tether::pcap {

namespace {

bool smtp_port(std::uint16_t port) { return port == 25 || port == 587 || port == 465; }

// Without the SYN, which end is the server: the one on a mail port, else the
// lower port (ephemeral ports are high on every system).
bool source_is_client_without_syn(const Segment& s) {
  if (smtp_port(s.destination.port()) != smtp_port(s.source.port())) return smtp_port(s.destination.port());
  return s.source.port() > s.destination.port();
}

}  // namespace

std::string tcp_flags_text(const Segment& s) {
  std::string f;
  if (s.fin) f += 'F';
  if (s.syn) f += 'S';
  if (s.rst) f += 'R';
  if (s.psh) f += 'P';
  if (s.ack_flag) f += '.';
  return f.empty() ? "none" : f;
}

struct TcpDissector::Connection {
  StreamContext context;
  std::unique_ptr<StreamDissector> app;
  TcpReassembly stream[2];  // [0] client to server, [1] server to client
  TcpReassembly::Sink sink[2];
  std::uint32_t client_isn = 0, server_isn = 0;
  int syns = 0;
  bool syn_acked = false;  // a SYN-ACK came
  bool synack_seen = false;
  std::optional<Origin> first_syn, last_syn;
  std::optional<std::uint32_t> fin_seq[2];
  bool reset = false;
  bool unanswered_reported = false;
  bool closed() const { return reset || (fin_seq[0] && fin_seq[1]); }
};

TcpDissector::TcpDissector(DissectorOutput& out, StreamDissectorFactory factory)
    : out_(out), factory_(std::move(factory)) {}

TcpDissector::~TcpDissector() = default;

TcpDissector::Connection* TcpDissector::find_or_create(const Segment& s) {
  Key key = s.source < s.destination ? Key{s.source, s.destination} : Key{s.destination, s.source};
  auto it = connections_.find(key);
  bool new_syn = s.syn && !s.ack_flag;
  if (it != connections_.end()) {
    Connection& c = *it->second;
    // The same ports again: a new connection if the old one closed, or if
    // this SYN starts another sequence space.
    bool another = new_syn && (c.closed() || (c.syns > 0 && s.seq != c.client_isn) || c.syns == 0);
    if (!another) return &c;
    end(c);
    connections_.erase(it);
  }
  if (connections_.size() >= kMaxConnections) {
    for (auto i = connections_.begin(); i != connections_.end();) {
      if (i->second->closed()) {
        end(*i->second);
        i = connections_.erase(i);
      } else {
        ++i;
      }
    }
    if (connections_.size() >= kMaxConnections) {
      if (!overflow_reported_)
        out_.problem(s.origin, "tcp: more than " + std::to_string(kMaxConnections) +
                                   " open connections; new ones are not followed");
      overflow_reported_ = true;
      return nullptr;
    }
  }
  auto c = std::make_unique<Connection>();
  bool source_is_client = new_syn ? true : (s.syn && s.ack_flag) ? false : source_is_client_without_syn(s);
  c->context.client = source_is_client ? s.source : s.destination;
  c->context.server = source_is_client ? s.destination : s.source;
  if (factory_) c->app = factory_(c->context);
  for (int d = 0; d < 2; ++d) {
    Connection* raw = c.get();
    bool from_client = d == 0;
    c->sink[d].data = [this, raw, from_client](ByteView bytes, const Origin& origin) {
      if (raw->app) raw->app->data(from_client, bytes, origin, out_);
    };
    c->sink[d].gap = [this, raw, from_client](std::uint64_t missing, const Origin& origin) {
      const Endpoint& from = from_client ? raw->context.client : raw->context.server;
      out_.problem(origin, "tcp: " + std::to_string(missing) + " bytes from " + from.to_string() +
                               " missing from the capture (a hole in the stream)");
      if (raw->app) raw->app->gap(from_client, missing, origin, out_);
    };
  }
  Connection* raw = c.get();
  connections_.emplace(key, std::move(c));
  return raw;
}

void TcpDissector::segment(const Segment& s) {
  Connection* c = find_or_create(s);
  if (!c) return;
  const bool from_client = s.source == c->context.client;
  const int d = from_client ? 0 : 1;
  auto event = [&](const char* kind, std::string detail) {
    TimelineEvent& e = out_.add(s.origin, endpoint_text(s.source), endpoint_text(s.destination), "tcp", kind,
                                std::move(detail));
    e.tcp_flags = tcp_flags_text(s);
  };

  if (s.syn && !s.ack_flag) {
    bool again = c->syns > 0 && s.seq == c->client_isn;
    c->client_isn = s.seq;
    ++c->syns;
    if (!c->first_syn) c->first_syn = s.origin;
    c->last_syn = s.origin;
    if (!c->stream[0].started()) c->stream[0].start(s.seq + 1);
    event("syn", again ? "retransmission (SYN " + std::to_string(c->syns) + ")" : std::string());
  } else if (s.syn) {
    bool again = c->synack_seen && s.seq == c->server_isn;
    c->synack_seen = true;
    c->syn_acked = true;
    c->server_isn = s.seq;
    if (!c->stream[1].started()) c->stream[1].start(s.seq + 1);
    event("syn-ack", again ? "retransmission" : std::string());
  }

  // The peer has what this segment acknowledges, captured or not: a hole
  // it covers is given up first, before this segment's own bytes are read.
  if (s.ack_flag && c->stream[1 - d].started()) c->stream[1 - d].acknowledged(s.ack, c->sink[1 - d]);

  if (s.payload_cut > 0)
    out_.problem(s.origin, "tcp: " + s.source.to_string() + " -> " + s.destination.to_string() +
                               " segment cut by the capture: " + std::to_string(s.payload_cut) + " of " +
                               std::to_string(s.payload.size() + s.payload_cut) + " payload bytes not captured");
  if (!s.payload.empty()) {
    TcpReassembly::Verdict v = c->stream[d].add(s.seq, s.payload, s.origin, c->sink[d]);
    if (v == TcpReassembly::Verdict::retransmission) {
      std::uint32_t isn = from_client ? c->client_isn : c->server_isn;
      event("retransmission", "seq " + std::to_string(s.seq - isn) + " len " + std::to_string(s.payload.size()));
    } else if (v == TcpReassembly::Verdict::absurd) {
      out_.problem(s.origin, "tcp: " + s.source.to_string() + " -> " + s.destination.to_string() + " seq " +
                                 std::to_string(s.seq) + " is more than " +
                                 std::to_string(TcpReassembly::kMaxJump) + " bytes from the expected " +
                                 std::to_string(c->stream[d].next_seq()) + "; segment ignored");
    }
  }
  if (s.payload_cut > 0) {
    if (!c->stream[d].started()) c->stream[d].start(s.seq);
    c->stream[d].cut(s.seq + static_cast<std::uint32_t>(s.payload.size()), s.payload_cut, s.origin, c->sink[d]);
  }

  if (s.fin) {
    std::uint32_t fin_at = s.seq + static_cast<std::uint32_t>(s.payload.size()) + s.payload_cut;
    bool again = c->fin_seq[d] && *c->fin_seq[d] == fin_at;
    c->fin_seq[d] = fin_at;
    event("fin", again ? "retransmission" : std::string());
  }
  if (s.rst) {
    event("rst", std::string());
    if (!c->syn_acked && c->syns > 0 && !from_client) report_unanswered(*c, s.origin, "answered by RST");
    c->reset = true;
  }
}

void TcpDissector::report_unanswered(Connection& c, const Origin& at, const char* how) {
  if (c.unanswered_reported || !c.first_syn || !c.last_syn) return;
  c.unanswered_reported = true;
  std::string detail = std::to_string(c.syns) + (c.syns == 1 ? " SYN" : " SYNs") + " over " +
                       format_duration(c.last_syn->at - c.first_syn->at) + ", " + how;
  TimelineEvent& e = out_.add(at, c.context.client.to_string(), c.context.server.to_string(), "tcp", "unanswered",
                              std::move(detail));
  e.tcp_flags = "S";
}

void TcpDissector::end(Connection& c) {
  if (!c.syn_acked && c.syns > 0) report_unanswered(c, *c.last_syn, "no SYN-ACK");
  for (int d = 0; d < 2; ++d) c.stream[d].finish(c.sink[d]);
}

void TcpDissector::finish() {
  for (auto& [key, c] : connections_) end(*c);
  connections_.clear();
}

}  // namespace tether::pcap
