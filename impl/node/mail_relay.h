#pragma once
// MailRelay: an smtpd.conf-configured mail server as a node application,
// written only against the Host interface, so the same object runs in
// tetherd (PosixHost), in the ns-3 world (Ns3Host) and in the manual-clock
// tests (ManualHost). It plays whichever role its config gives it in the
// seeds: the relay VM (namorar), the home router (carinho), the workstation
// (mimando), the backup MX (mx2).
//
// MailRelay owns the parts and wires them together; each role is its own
// object and file, after OpenSMTPD's usr.sbin/smtpd/:
//
//   listeners   `listen on` lines (relay_listener.h), each accepted
//               connection admitted by the limits per client address, in
//               all and per listener (relay_admission.cc), then a
//               RelayInboundSession: the client's reverse DNS
//               (PTR, then forward-confirmed; relay_rdns.h), then a
//               ServerSession with the Router, the listener's credentials,
//               filters and TLS (relay_tls.h builds the contexts); messages
//               committed to the queue before 250 (here: on_accept, commit);
//   queue       relay_queue.h (queue.c): the QueueStore under
//               storage_root()/queue, recovered at start, every envelope
//               back in the Scheduler; commits and removals off the loop
//               (Host::run_blocking), counted while in flight;
//   scheduler   one Timer at Scheduler::next_deadline(); due envelopes go to
//               relay_mda.h (mda.c: local delivery off the loop, a bounded
//               number at once) or relay_mta.h (mta.c: one OutboundDelivery
//               per message, destination and action); relay_outcomes.h takes
//               their outcomes back to the Scheduler and, durably, to the
//               envelope files;
//   reports     relay_reports.h (bounce.c): failures and delay warnings
//               become DSNs (smtp/bounce.h), injected as new mail from <>
//               and routed like local mail; a report that no rule routes is
//               dropped with OpenSMTPD's log line (the seeds' relay relies
//               on that); expiry at `queue ttl`;
//   reload      mail_relay_reload.cc: reconfigure() as a restart inside the
//               object (as tunnel_reconfigure.cc is for the tunnel);
//   control     relay_control.cc: pause/resume smtp (meanwhile every new
//               connection is answered "421 4.3.2 ... Service paused" and
//               closed, so a sender moves on to its next MX at once; the
//               sockets stay bound, so resuming cannot fail), pause/resume
//               mta/mda, schedule, remove, and the data for show queue and
//               monitor, with the smtpctl-worded commands over them.
//
// "The route came back": route_up(destination) makes the deferred mail for
// it due now and forgets the penalties of its servers. route_up_within(
// prefixes) does so for every destination whose servers' addresses (as last
// resolved) lie in the prefixes: tetherd calls it with a peer's AllowedIPs
// when the tunnel reports a completed handshake with that peer.
//
// What the Host cannot give, the app's options supply: the addresses of
// interface names in `listen on`.

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/endpoint.h"
#include "core/error.h"
#include "core/subscribers.h"
#include "core/time.h"
#include "crypto/tls.h"
#include "host/deadline_timer.h"
#include "host/host.h"
#include "node/mail_relay_events.h"
#include "node/mail_relay_options.h"
#include "node/relay_context.h"
#include "node/relay_listener.h"
#include "node/relay_mda.h"
#include "node/relay_mta.h"
#include "node/relay_outcomes.h"
#include "node/relay_queue.h"
#include "node/relay_reports.h"
#include "node/relay_tls.h"
#include "smtp/alias_expansion.h"
#include "smtp/client_session.h"
#include "smtp/config.h"
#include "smtp/connection_admission.h"
#include "smtp/queue_listing.h"
#include "smtp/queue_store.h"
#include "smtp/route_penalty.h"
#include "smtp/router.h"
#include "smtp/scheduler.h"
#include "smtp/server_session.h"
#include "smtp/user_database.h"

namespace tether::node {

class RelayInboundSession;

class MailRelay {
 public:
  using EventHandler = Subscribers<MailRelayEvent>::Handler;
  using SubscriptionId = Subscribers<MailRelayEvent>::Id;

  // Nothing happens until start(). `host` must outlive the relay.
  MailRelay(Host& host, std::shared_ptr<const smtp::Config> config, MailRelayOptions options = {});
  ~MailRelay();
  MailRelay(const MailRelay&) = delete;
  MailRelay& operator=(const MailRelay&) = delete;

  // Loads the TLS contexts, opens (and recovers) the queue, schedules what
  // it holds, then listens. On failure everything is undone and the error
  // names the step.
  Result<void> start();
  // Closes listeners and sessions and cancels attempts in flight; queued
  // mail stays in the queue for the next start. Idempotent.
  void stop();
  bool running() const { return queue_.is_open(); }
  // A reloaded smtpd.conf. OpenSMTPD has no reload (a new smtpd.conf takes
  // a restart), so this is a restart inside the object: what is on disk
  // survives (the queue, every accepted message, its retry count and next
  // try), what is in memory does not: open sessions are closed (a client
  // mid-transaction retries; nothing it was told 250 for is lost),
  // attempts in flight are cancelled and rescheduled, route penalties and
  // pause smtp/mta/mda are forgotten. Counters and subscribers stay. When
  // the new config does not start (a pki file missing, a port taken), the
  // old one is started again and the error says why. Not running: the
  // config is replaced for the next start().
  // Local deliveries running off the loop are waited for first (no new
  // ones start meanwhile): one cut off after writing its file would be
  // delivered again after the restart. So are queue commits and removals
  // running off the loop (messages completed meanwhile get a 451 and are
  // retried by their clients). The restart then happens from a timer, and
  // a failure to start is logged rather than returned.
  Result<void> reconfigure(std::shared_ptr<const smtp::Config> config);
  bool reload_pending() const { return pending_config_ != nullptr; }

  // Every event, in order, as it happens. A handler must not stop or
  // destroy the relay from inside the call (post that to the Host).
  SubscriptionId subscribe(EventHandler handler);
  void unsubscribe(SubscriptionId id);

  // ---- control ----
  Result<void> pause_smtp();
  Result<void> resume_smtp();
  bool smtp_paused() const { return smtp_paused_; }
  void pause_delivery(smtp::DeliveryType type);   // mta (relaying) or mda (local)
  void resume_delivery(smtp::DeliveryType type);
  // `schedule ID|all`: due now. Returns how many envelopes.
  std::size_t schedule(std::uint64_t id);
  std::size_t schedule_all();
  // `remove ID|all`: returns how many envelopes were (or, in flight, will be) removed.
  std::size_t remove(std::uint64_t id);
  std::size_t remove_all();

  // ---- the route came back ----
  std::size_t route_up(const std::string& destination);
  std::size_t route_up_within(const std::vector<IpPrefix>& prefixes);

  // ---- inspection ----
  const smtp::Config& config() const { return *config_; }
  const smtp::QueueStore* queue() const { return queue_.get(); }
  const smtp::Scheduler& scheduler() const { return scheduler_; }
  // `monitor`'s sample: the scheduler's envelope and delivery counters
  // with the client columns filled in.
  smtp::MonitorDigest monitor_digest() const;
  const MailRelayCounters& counters() const { return counters_; }
  // One entry per open listening socket.
  std::vector<Endpoint> listening_endpoints() const;
  std::size_t inbound_sessions() const { return inbound_.size(); }
  std::size_t outbound_sessions() const { return mta_.sessions(); }
  // The addresses last resolved for a destination's servers.
  std::vector<IpAddress> destination_addresses(const std::string& destination) const;
  Time now() const { return host_.now(); }

 private:
  // Config-derived state: the router, the scheduler's settings, no TLS contexts yet.
  void adopt(std::shared_ptr<const smtp::Config> config);
  Result<void> restart_with(std::shared_ptr<const smtp::Config> config);
  void on_reload_timer();
  Result<void> open_queue();
  Result<void> create_listeners();
  Result<void> open_listeners();

  // inbound
  void on_accept(RelayListener& listener, std::unique_ptr<TcpStream> stream);
  // relay_admission.cc: "" when the connection may become a session (then
  // counted until release), else the 421 it gets.
  smtp::AdmissionLimits admission_limits() const;
  std::size_t listener_index(const RelayListener& listener) const;
  std::string admit(const RelayListener& listener, const Endpoint& remote, const std::string& hostname);
  void refuse(std::unique_ptr<TcpStream> stream, const std::string& refusal);
  void commit(smtp::IncomingMessage message, const smtp::MessageToCommit& content,
              std::function<void(Result<smtp::MessageId>)> done);
  void accepted(const smtp::CommitJob& job, WallTime wall, const std::string& remote, const std::string& message_id);

  // the scheduler loop: due envelopes to the roles that handle them
  void rearm();
  void on_scheduler_timer();
  void run_due();

  void emit(MailRelayEvent event);
  MailRelayEvent event(MailRelayEvent::Kind kind, smtp::EnvelopeId id = 0) const;

  Host& host_;
  std::shared_ptr<const smtp::Config> config_;
  MailRelayOptions options_;
  Logger log_;
  Logger event_log_;  // "relay.event": one line per event (node/relay_event_log.h)
  smtp::Router router_;
  smtp::Scheduler scheduler_;
  MailRelayCounters counters_;
  Subscribers<MailRelayEvent> subscribers_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  // The roles (OpenSMTPD's queue, mta, mda, bounce), sharing context_.
  RelayQueue queue_;
  RelayTlsContexts tls_;
  RelayContext context_;
  RelayOutcomes outcomes_;
  RelayReports reports_;
  RelayMta mta_;
  RelayMda mda_;

  std::unique_ptr<DeadlineTimer> timer_;  // at the scheduler's next deadline
  std::vector<std::unique_ptr<RelayListener>> listeners_;
  bool smtp_paused_ = false;
  std::map<RelayInboundSession*, std::unique_ptr<RelayInboundSession>> inbound_;
  smtp::ConnectionAdmission admission_;  // the sessions in inbound_ that are not refusals
  std::size_t refusing_ = 0;             // refusals in inbound_, still saying their 421
  std::uint64_t clt_connect_ = 0;
  std::uint64_t clt_disconnect_ = 0;
  // A reload waiting for the local deliveries and queue writes in flight.
  std::shared_ptr<const smtp::Config> pending_config_;
  // During a reload: the old config's listeners, whose sockets the new
  // ones take where the endpoint stays (RelayListener::take_socket_of).
  std::vector<std::unique_ptr<RelayListener>> handed_over_;
  std::unique_ptr<Timer> reload_timer_;
};

}  // namespace tether::node
