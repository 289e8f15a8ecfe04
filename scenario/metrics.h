#pragma once
// What a run measured. Fed by the world's hooks and the workload as the
// simulation runs; read by results_writer.h.
//
// Messages are matched by their Message-ID header: the workload gives each
// a unique one (workload.h); when the home's MailRelay delivers a file to a
// maildir, the file is read and its Message-ID looked up. Latency is from
// the sender's first delivery attempt (its first delivery_attempt event for
// the message; the submission time if it never made one) to the delivery into the
// final maildir. The path a message took is read from its Received:
// headers ("by NAME"), so mail that went through the backup MX shows it.
// Each relay's accepted messages carry their Message-ID (or it is read back
// from its queue), so the sender's first delivery attempt and any permanent
// failure (a bounce) are tied to the message too.
//
// Tunnel availability is sampled once a second by the world running the
// scenario (in the ns-3 world: available when the relay's tunnel has a valid
// session with its peer AND the home's NAT still holds a live UDP mapping
// for the endpoint the relay would send to; sim/world_metrics.h).
//
// Nothing here knows which world runs: events arrive tagged with the
// scenario host they come from.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/endpoint.h"
#include "core/time.h"
#include "node/mail_relay.h"
#include "scenario/scenario.h"
#include "scenario/workload.h"
#include "tunnel/output.h"

namespace tether::scenario {

struct MessageRecord {
  std::uint64_t index = 0;
  std::string message_id;
  Time submitted;
  Time first_attempt = Time::never();  // by the sender
  bool accepted = false;            // by the sender
  std::string submit_error;
  Time delivered = Time::never();   // into the home's maildir (the first copy)
  std::uint64_t copies = 0;         // deliveries of it (more than one: a duplicate)
  std::string path;                 // hops, "sender>relay>home"
  bool via_backup = false;
  bool bounced = false;
};

struct TimelineRow {
  Time at;
  std::string source;  // host name, "gateway" (NAT), "world", "workload"
  std::string kind;
  std::string detail;
};

struct LatencySummary {
  std::size_t count = 0;
  Duration p50, p95, p99, max, mean;
};

struct RelayTotals {
  std::string host;
  std::string role;
  std::string profile;  // the implementation it stands for (smtp/relay_profile.h)
  std::uint64_t accepted = 0, attempts = 0, delivered = 0, temporary_failures = 0, permanent_failures = 0;
};

// What the NAT did, as the world saw it (the ns-3 NAT model's events; the
// lab's conntrack events).
struct NatObservation {
  enum class Kind : std::uint8_t { mapping_created, mapping_expired, mapping_flushed, packet_dropped };
  Kind kind = Kind::mapping_created;
  Time at;
  std::string protocol;  // "udp", "tcp", "icmp"
  Endpoint internal, external;
  std::string cause;     // mapping_flushed: why
};

class Metrics {
 public:
  explicit Metrics(const Scenario& scenario);

  // An accepted message's Message-ID is the event's (message_id); when that
  // is empty and `relay` (may be null, as in the lab, which reads the events
  // from tetherd's log) is the host's MailRelay, it is read back from its queue.
  void on_relay_event(const HostSpec& host, const node::MailRelayEvent& event, const node::MailRelay* relay);
  void on_tunnel_event(const HostSpec& host, const tunnel::Event& event);
  void on_nat(const NatObservation& observation);
  void on_world_event(Time at, const std::string& what, const std::string& target, const std::string& detail);
  void on_submitted(const Submission& submission);
  void sample_availability(bool available);
  // Puts the timeline in time order (stable: rows of one time keep their
  // order). The simulation's rows arrive in order; the lab's tunnel rows
  // come from tetherd's logs after the run and need it.
  void sort_timeline();
  // At the end: the run's length and the counters the relays kept.
  void finish(Time end, std::vector<RelayTotals> relays);

  const Scenario& scenario() const { return scenario_; }
  const std::vector<MessageRecord>& messages() const { return messages_; }
  const std::vector<TimelineRow>& timeline() const { return timeline_; }

  std::size_t submitted() const { return messages_.size(); }
  std::size_t delivered() const;
  std::size_t bounced() const;
  std::size_t via_backup() const;
  std::size_t duplicates() const;
  LatencySummary latency() const;

  double availability() const { return sampled_ ? double(available_) / double(sampled_) : 0.0; }
  std::uint64_t handshakes = 0;        // completed, on the home's tunnel
  std::uint64_t handshake_attempts = 0;  // initiations sent by the home
  std::uint64_t keepalives = 0;        // sent by the home (the home uplink)
  std::uint64_t keepalive_ip_bytes = 0;  // ... as IP packets (60 B over IPv4, 80 B over IPv6)
  std::uint64_t nat_expiries = 0;
  std::uint64_t nat_mappings = 0;
  std::uint64_t nat_drops = 0;
  std::vector<RelayTotals> relays;     // scenario host order
  Duration simulated;

 private:
  MessageRecord* by_message_id(const std::string& id);
  void row(Time at, const std::string& source, const std::string& kind, const std::string& detail = "");

  const Scenario& scenario_;
  std::vector<MessageRecord> messages_;
  std::map<std::string, std::size_t> index_;  // Message-ID -> messages_ slot
  std::map<std::pair<std::string, std::uint64_t>, std::size_t> queued_;  // (host, queue msgid) -> slot
  std::vector<TimelineRow> timeline_;
  std::uint64_t sampled_ = 0, available_ = 0;
};

}  // namespace tether::scenario

namespace tether::scenario {
// From the sender's first attempt (or the submission) to the maildir.
Duration message_latency(const MessageRecord& m);
}  // namespace tether::scenario
