#include "scenario/metrics.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "scenario/message_headers.h"

namespace tether::scenario {
namespace {

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

void Metrics::on_relay_event(const HostSpec& spec, const node::MailRelayEvent& e, const node::MailRelay* relay) {
  using Kind = node::MailRelayEvent::Kind;
  const std::string& host = spec.name;
  auto record_for = [&](smtp::MessageId msgid) -> MessageRecord* {
    auto it = queued_.find({host, msgid});
    return it == queued_.end() ? nullptr : &messages_[it->second];
  };
  switch (e.kind) {
    case Kind::message_accepted: {
      // The relay names it in the event; read back from its queue otherwise.
      std::string id = e.message_id;
      if (id.empty() && relay && relay->queue()) {
        auto text = relay->queue()->read_message(e.msgid);
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
      if (m && spec.role == HostRole::sender && m->first_attempt == Time::never()) m->first_attempt = e.time;
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

void Metrics::on_tunnel_event(const HostSpec& spec, const tunnel::Event& e) {
  const bool home = spec.role == HostRole::home;
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
      row(e.time, spec.name, "handshake-completed", e.endpoint ? e.endpoint->to_string() : "");
      return;
    case tunnel::EventKind::handshake_given_up:
    case tunnel::EventKind::session_expired:
      row(e.time, spec.name, tunnel::to_string(e.kind));
      return;
    case tunnel::EventKind::endpoint_changed:
      row(e.time, spec.name, "endpoint-changed",
          (e.old_endpoint ? e.old_endpoint->to_string() : "-") + " -> " + (e.endpoint ? e.endpoint->to_string() : "-"));
      return;
    default:
      return;
  }
}

void Metrics::sort_timeline() {
  std::stable_sort(timeline_.begin(), timeline_.end(),
                   [](const TimelineRow& a, const TimelineRow& b) { return a.at < b.at; });
}

void Metrics::on_nat(const NatObservation& e) {
  using Kind = NatObservation::Kind;
  switch (e.kind) {
    case Kind::mapping_created:
      ++nat_mappings;
      if (e.protocol == "udp")
        row(e.at, "gateway", "nat-mapping-created", e.internal.to_string() + " -> " + e.external.to_string());
      return;
    case Kind::mapping_expired:
      ++nat_expiries;
      if (e.protocol == "udp")
        row(e.at, "gateway", "nat-mapping-expired", e.internal.to_string() + " -> " + e.external.to_string());
      return;
    case Kind::mapping_flushed:
      row(e.at, "gateway", "nat-mapping-flushed", e.protocol + " " + e.external.to_string() + " " + e.cause);
      return;
    case Kind::packet_dropped:
      ++nat_drops;
      return;
  }
}

void Metrics::on_world_event(Time at, const std::string& what, const std::string& target, const std::string& detail) {
  row(at, "world", what, target + (detail.empty() ? "" : " " + detail));
}

void Metrics::sample_availability(bool available) {
  ++sampled_;
  if (available) ++available_;
}

void Metrics::finish(Time end, std::vector<RelayTotals> totals) {
  simulated = end - Time::zero();
  relays = std::move(totals);
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

}  // namespace tether::scenario
