#include "sim/metrics.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>

#include "sim/world_builder.h"

namespace tether::sim {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The header section's unfolded fields, in order.
std::vector<std::pair<std::string, std::string>> headers(const std::string& message) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(message);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    if ((line[0] == ' ' || line[0] == '\t') && !out.empty()) {
      out.back().second += " " + line.substr(line.find_first_not_of(" \t"));
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    const auto start = value.find_first_not_of(" \t");
    out.emplace_back(lower(line.substr(0, colon)), start == std::string::npos ? "" : value.substr(start));
  }
  return out;
}

std::string message_id_of(const std::string& message) {
  for (const auto& [name, value] : headers(message))
    if (name == "message-id") return value;
  return "";
}

// "by NAME" of each Received: field, oldest hop first.
std::vector<std::string> hops(const std::string& message) {
  std::vector<std::string> out;
  for (const auto& [name, value] : headers(message)) {
    if (name != "received") continue;
    std::istringstream words(value);
    std::string w, prev;
    while (words >> w) {
      if (prev == "by") {
        out.push_back(w);
        break;
      }
      prev = w;
    }
  }
  std::reverse(out.begin(), out.end());
  return out;
}

Duration percentile(const std::vector<Duration>& sorted, double p) {
  if (sorted.empty()) return Duration::zero();
  // Nearest rank.
  std::size_t rank = std::size_t(std::ceil(p * double(sorted.size())));
  if (rank < 1) rank = 1;
  return sorted[std::min(rank, sorted.size()) - 1];
}

}  // namespace

Metrics::Metrics(const Scenario& scenario) : scenario_(scenario) {}

MessageRecord* Metrics::by_message_id(const std::string& id) {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &messages_[it->second];
}

void Metrics::row(Time at, const std::string& source, const std::string& kind, const std::string& detail) {
  timeline_.push_back({at, source, kind, detail});
}

void Metrics::on_submitted(const Submission& s) {
  std::size_t slot;
  auto it = index_.find(s.message_id);
  if (it == index_.end()) {
    slot = messages_.size();
    MessageRecord m;
    m.index = s.index;
    m.message_id = s.message_id;
    messages_.push_back(m);
    index_[s.message_id] = slot;
  } else {
    slot = it->second;
  }
  MessageRecord& m = messages_[slot];
  m.submitted = s.submitted;
  m.accepted = s.accepted;
  m.submit_error = s.error;
  row(s.finished, "workload", s.accepted ? "submitted" : "submit-failed",
      s.message_id + (s.error.empty() ? "" : " " + s.error));
}

void Metrics::on_relay_event(WorldNode& node, const node::MailRelayEvent& e) {
  using Kind = node::MailRelayEvent::Kind;
  const std::string& host = node.spec->name;
  auto record_for = [&](smtp::MessageId msgid) -> MessageRecord* {
    auto it = queued_.find({host, msgid});
    return it == queued_.end() ? nullptr : &messages_[it->second];
  };
  switch (e.kind) {
    case Kind::message_accepted: {
      std::string id;
      if (node.relay && node.relay->queue()) {
        auto text = node.relay->queue()->read_message(e.msgid);
        if (text.ok()) id = message_id_of(*text);
      }
      if (!id.empty()) {
        // The submission's own record may not exist yet (the 250 comes after the commit).
        if (index_.find(id) == index_.end()) {
          MessageRecord m;
          m.message_id = id;
          m.index = messages_.size();
          index_[id] = messages_.size();
          messages_.push_back(m);
        }
        queued_[{host, e.msgid}] = index_[id];
      }
      row(e.time, host, "accepted", id);
      return;
    }
    case Kind::delivery_attempt: {
      MessageRecord* m = record_for(e.msgid);
      if (m && node.spec->role == HostRole::sender && m->first_attempt == Time::never()) m->first_attempt = e.time;
      row(e.time, host, "attempt", (m ? m->message_id + " " : "") + e.destination);
      return;
    }
    case Kind::delivered: {
      MessageRecord* m = record_for(e.msgid);
      if (!e.path.empty()) {
        std::ifstream in(e.path, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        const std::string id = message_id_of(text.str());
        if (MessageRecord* d = by_message_id(id)) {
          if (d->copies++ == 0) {
            d->delivered = e.time;
            std::string path;
            for (const std::string& h : hops(text.str())) path += (path.empty() ? "" : ">") + h;
            d->path = path;
            for (const HostSpec& spec : scenario_.hosts)
              if (spec.role == HostRole::backup && path.find(spec.hostname) != std::string::npos) d->via_backup = true;
          }
          m = d;
        }
        row(e.time, host, "delivered-maildir", m ? m->message_id : id);
        return;
      }
      row(e.time, host, "relayed", (m ? m->message_id + " " : "") + e.detail);
      return;
    }
    case Kind::temporary_failure: {
      MessageRecord* m = record_for(e.msgid);
      row(e.time, host, "temporary-failure", (m ? m->message_id + " " : "") + e.detail);
      return;
    }
    case Kind::permanent_failure: {
      MessageRecord* m = record_for(e.msgid);
      if (m) m->bounced = true;
      row(e.time, host, "permanent-failure", (m ? m->message_id + " " : "") + e.detail);
      return;
    }
    case Kind::expired:
    case Kind::smtp_paused:
    case Kind::smtp_resumed:
    case Kind::report_injected:
      row(e.time, host, node::to_string(e.kind), e.detail);
      return;
    default:
      return;
  }
}

void Metrics::on_tunnel_event(WorldNode& node, const tunnel::Event& e) {
  const bool home = node.spec->role == HostRole::home;
  switch (e.kind) {
    case tunnel::EventKind::keepalive_sent:
      if (home) {
        ++keepalives;
        // 32 bytes of WireGuard in UDP (8) in IPv4 (20) or IPv6 (40).
        keepalive_ip_bytes += 32 + 8 + (e.endpoint && e.endpoint->address().is_v6() ? 40 : 20);
      }
      return;
    case tunnel::EventKind::handshake_sent:
      if (home) ++handshake_attempts;
      return;
    case tunnel::EventKind::handshake_completed:
      if (home) ++handshakes;
      row(e.time, node.spec->name, "handshake-completed", e.endpoint ? e.endpoint->to_string() : "");
      return;
    case tunnel::EventKind::handshake_given_up:
    case tunnel::EventKind::session_expired:
      row(e.time, node.spec->name, tunnel::to_string(e.kind));
      return;
    case tunnel::EventKind::endpoint_changed:
      row(e.time, node.spec->name, "endpoint-changed",
          (e.old_endpoint ? e.old_endpoint->to_string() : "-") + " -> " + (e.endpoint ? e.endpoint->to_string() : "-"));
      return;
    default:
      return;
  }
}

void Metrics::on_nat_event(const NatEvent& e) {
  switch (e.kind) {
    case NatEventKind::mapping_created:
      ++nat_mappings;
      if (e.protocol == NatProtocol::udp)
        row(e.at, "gateway", "nat-mapping-created", e.internal.to_string() + " -> " + e.external.to_string());
      return;
    case NatEventKind::mapping_expired:
      ++nat_expiries;
      if (e.protocol == NatProtocol::udp)
        row(e.at, "gateway", "nat-mapping-expired", e.internal.to_string() + " -> " + e.external.to_string());
      return;
    case NatEventKind::mapping_flushed:
      row(e.at, "gateway", "nat-mapping-flushed",
          std::string(to_string(e.protocol)) + " " + e.external.to_string() + " " + to_string(e.cause));
      return;
    case NatEventKind::packet_dropped:
      ++nat_drops;
      return;
  }
}

void Metrics::on_world_event(Time at, const std::string& what, const std::string& target, const std::string& detail) {
  row(at, "world", what, target + (detail.empty() ? "" : " " + detail));
}

void Metrics::sample_availability(World& world, Time now, Duration /*step*/) {
  ++sampled_;
  WorldNode* relay = nullptr;
  for (auto& n : world.nodes())
    if (n->spec->role == HostRole::relay && n->tunnel) relay = n.get();
  if (!relay || !relay->tunnel || relay->stopped) return;
  const tunnel::Device* device = relay->tunnel->device();
  if (!device) return;
  // The device's own peer stats: TunnelEndpoint::status() also derives the
  // interface's public key (an X25519 scalar multiplication), which, once a
  // simulated second, was half of a seed-week run's CPU time.
  const std::vector<tunnel::PeerStats> stats = device->peer_stats(relay->host->now());
  if (stats.empty()) return;
  const auto& peer = stats.front();
  if (!peer.has_session || !peer.endpoint) return;
  if (peer.endpoint->address().is_v6()) {
    // No NAT on IPv6: reachable while the address is in the home's current prefix.
    if (IspPrefix* prefix = world.isp_prefix(); prefix && !prefix->prefix().contains(peer.endpoint->address())) return;
  } else if (Nat* nat = world.nat()) {
    const NatMapping* mapping = nat->table().find_external(NatProtocol::udp, *peer.endpoint);
    if (!mapping || mapping->expires_at(nat->config().timeouts) <= now) return;
  }
  ++available_;
}

void Metrics::finish(World& world, Time end) {
  simulated = end - Time::zero();
  relays.clear();
  for (auto& n : world.nodes()) {
    if (n->spec->smtpd.empty()) continue;
    RelayTotals t;
    t.host = n->spec->name;
    t.role = to_string(n->spec->role);
    node::MailRelayCounters c = n->relay_before_stop;
    if (n->relay) {
      const auto& now = n->relay->counters();
      c.messages_accepted += now.messages_accepted;
      c.attempts += now.attempts;
      c.delivered += now.delivered;
      c.temporary_failures += now.temporary_failures;
      c.permanent_failures += now.permanent_failures;
    }
    t.accepted = c.messages_accepted;
    t.attempts = c.attempts;
    t.delivered = c.delivered;
    t.temporary_failures = c.temporary_failures;
    t.permanent_failures = c.permanent_failures;
    relays.push_back(t);
  }
}

std::size_t Metrics::delivered() const {
  return std::size_t(std::count_if(messages_.begin(), messages_.end(), [](const MessageRecord& m) { return m.copies > 0; }));
}
std::size_t Metrics::bounced() const {
  return std::size_t(std::count_if(messages_.begin(), messages_.end(), [](const MessageRecord& m) { return m.bounced; }));
}
std::size_t Metrics::via_backup() const {
  return std::size_t(std::count_if(messages_.begin(), messages_.end(), [](const MessageRecord& m) { return m.via_backup; }));
}
std::size_t Metrics::duplicates() const {
  std::size_t n = 0;
  for (const MessageRecord& m : messages_) n += m.copies > 1 ? m.copies - 1 : 0;
  return n;
}

Duration message_latency(const MessageRecord& m) {
  const Time from = m.first_attempt != Time::never() ? m.first_attempt : m.submitted;
  return m.delivered - from;
}

LatencySummary Metrics::latency() const {
  std::vector<Duration> all;
  for (const MessageRecord& m : messages_)
    if (m.copies > 0) all.push_back(message_latency(m));
  std::sort(all.begin(), all.end());
  LatencySummary s;
  s.count = all.size();
  if (all.empty()) return s;
  s.p50 = percentile(all, 0.50);
  s.p95 = percentile(all, 0.95);
  s.p99 = percentile(all, 0.99);
  s.max = all.back();
  std::int64_t total = 0;
  for (Duration d : all) total += d.ns();
  s.mean = Duration::nanoseconds(total / std::int64_t(all.size()));
  return s;
}

}  // namespace tether::sim
