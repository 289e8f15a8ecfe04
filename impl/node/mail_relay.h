#pragma once
// MailRelay: an smtpd.conf-configured mail server as a node application,
// written only against the Host interface, so the same object runs in
// tetherd (PosixHost), in the ns-3 world (Ns3Host) and in the manual-clock
// tests (ManualHost). It plays whichever role its config gives it in the
// seeds: the relay VM (namorar), the home router (carinho), the workstation
// (mimando), the backup MX (mx2).
//
//   listeners   `listen on` lines (relay_listener.h), each accepted
//               connection a RelayInboundSession: the client's reverse DNS
//               (PTR, then forward-confirmed; relay_rdns.h), then a
//               ServerSession with the Router, the listener's credentials,
//               filters and TLS;
//               messages committed to the QueueStore (fsynced) before 250;
//               the commit's file work runs off the loop (Host::run_blocking),
//               so many sessions' fsyncs overlap and the disk commits them
//               together;
//   queue       QueueStore under storage_root()/queue; recovered at start,
//               every envelope back in the Scheduler: nothing accepted is lost;
//   scheduler   one Timer at Scheduler::next_deadline(); due envelopes go to
//               local delivery (relay_local_delivery.h, off the loop, a
//               bounded number at once) or to OutboundDelivery (outbound_delivery.h, one
//               transaction per message and destination); outcomes go back to
//               the Scheduler and, durably, to the envelope files;
//   reports     failures and delay warnings become DSNs (bounce.h), injected
//               as new mail from <> and routed like local mail; a report that
//               no rule routes is dropped with OpenSMTPD's log line (the
//               seeds' relay relies on that);
//   control     pause/resume smtp (meanwhile every new connection is answered
//               "421 4.3.2 ... Service paused" and closed, so a sender moves on
//               to its next MX at once; the sockets stay bound, so resuming
//               cannot fail), pause/resume mta/mda, schedule, remove, and the
//               data for show queue and monitor (relay_control.h).
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
#include "core/time.h"
#include "crypto/tls.h"
#include "host/host.h"
#include "node/outbound_delivery.h"
#include "node/relay_listener.h"
#include "smtp/alias_expansion.h"
#include "smtp/client_session.h"
#include "smtp/config.h"
#include "smtp/queue_listing.h"
#include "smtp/queue_store.h"
#include "smtp/route_penalty.h"
#include "smtp/router.h"
#include "smtp/scheduler.h"
#include "smtp/server_session.h"
#include "smtp/user_database.h"

namespace tether::node {

class RelayInboundSession;

struct MailRelayOptions {
  // The queue's directory; relative paths are under the host's storage root.
  std::filesystem::path queue_dir = "queue";
  // Prepended to the files the config names (pki cert/key, ca): the same
  // root the config loader was given (rooted_file_loader). Empty: as written.
  std::filesystem::path config_root;
  // Addresses of the names `listen on` may use (see relay_listener.h).
  InterfaceAddresses interface_addresses;
  // Domains that are `for local` besides the host name and localhost.
  std::vector<std::string> local_names;
  // How long a client's reverse DNS (PTR lookup and forward confirmation
  // together) may hold up its MAIL (the greeting never waits). Past it the
  // client has no name, or an unconfirmed one, as after a failed lookup
  // (relay_rdns.h).
  Duration rdns_timeout = Duration::seconds(5);
  // Users for local delivery. Null: StorageUserDatabase (every user's home
  // is storage_root()/home/<name>), the simulated world's default; tetherd
  // passes the system's (getpwnam).
  std::shared_ptr<const smtp::UserDatabase> users;
  // mbox actions write SPOOL/<user>; empty: storage_root()/mail.
  std::filesystem::path mbox_spool;
  // Local deliveries give what they create to the recipient's uid/gid (see
  // LocalDeliveryContext): tetherd running as root with system users.
  bool give_files_to_recipient = false;
  // Give up connecting to a server after this long (TcpConnectOptions);
  // unset: the stack's own limit.
  std::optional<Duration> connect_timeout;
  smtp::ServerTimeouts server_timeouts;
  smtp::ClientTimeouts client_timeouts;
  std::size_t max_inbound_sessions = 1000;  // beyond it, new connections get a 421
  std::size_t max_outbound_sessions = 100;  // relay transactions at once; more wait their turn
  // Local deliveries running at once, each off the loop (Host::run_blocking):
  // enough for their fsyncs to share journal commits. mbox deliveries run
  // one at a time (their fcntl lock does not exclude threads of one process).
  std::size_t local_deliveries_in_flight = 16;
  // Off only for benchmarks that measure what durability costs.
  bool queue_sync = true;
  Duration close_linger = Duration::seconds(10);
};

struct MailRelayEvent {
  enum class Kind {
    session_opened,     // a client connected (detail: its address)
    session_closed,
    message_accepted,   // committed before the 250 (msgid, envelopes)
    delivery_attempt,   // an envelope leaves for delivery (destination)
    delivered,          // detail: where (the server, or the maildir file in path)
    temporary_failure,  // detail: the error; it stays queued
    permanent_failure,  // detail: the error; a report follows if one may be made
    report_queued,      // a failure or delay report about an envelope was queued
    report_injected,    // a DSN was made and queued to the sender (msgid: the DSN)
    report_dropped,     // a report no rule routes (detail: OpenSMTPD's warn line)
    expired,            // reached `queue ttl`
    removed,            // `remove`
    smtp_paused,
    smtp_resumed,
  };
  Kind kind = Kind::message_accepted;
  Time time;
  WallTime wall;
  smtp::MessageId msgid = 0;
  smtp::EnvelopeId evpid = 0;
  std::vector<smtp::EnvelopeId> envelopes;  // message_accepted
  std::string destination;
  std::string detail;
  std::filesystem::path path;  // delivered locally: the file
};
const char* to_string(MailRelayEvent::Kind kind);

struct MailRelayCounters {
  std::uint64_t sessions = 0;
  std::uint64_t messages_accepted = 0;
  std::uint64_t envelopes_accepted = 0;
  std::uint64_t attempts = 0;  // envelopes handed to a delivery
  std::uint64_t delivered = 0;
  std::uint64_t temporary_failures = 0;
  std::uint64_t permanent_failures = 0;
  std::uint64_t reports_queued = 0;
  std::uint64_t reports_injected = 0;
  std::uint64_t reports_dropped = 0;
  std::uint64_t expired = 0;
  std::uint64_t removed = 0;
};

class MailRelay {
 public:
  using EventHandler = std::function<void(const MailRelayEvent&)>;
  using SubscriptionId = std::uint64_t;

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
  bool running() const { return store_ != nullptr; }
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
  const smtp::QueueStore* queue() const { return store_.get(); }
  const smtp::Scheduler& scheduler() const { return scheduler_; }
  // `monitor`'s sample: the scheduler's envelope and delivery counters
  // with the client columns filled in.
  smtp::MonitorDigest monitor_digest() const;
  const MailRelayCounters& counters() const { return counters_; }
  // One entry per open listening socket.
  std::vector<Endpoint> listening_endpoints() const;
  std::size_t inbound_sessions() const { return inbound_.size(); }
  std::size_t outbound_sessions() const { return outbound_.size(); }
  // The addresses last resolved for a destination's servers.
  std::vector<IpAddress> destination_addresses(const std::string& destination) const;
  Time now() const { return host_.now(); }

 private:
  // A relay transaction waiting for a free outbound slot.
  struct PendingRelay {
    RelayAttempt attempt;
  };

  // Config-derived state: the router, the scheduler's settings, no TLS contexts yet.
  void adopt(std::shared_ptr<const smtp::Config> config);
  Result<void> restart_with(std::shared_ptr<const smtp::Config> config);
  void on_reload_timer();
  Result<void> load_tls();
  Result<std::shared_ptr<const crypto::TlsContext>> server_context(const smtp::Listener& listener);
  Result<std::shared_ptr<const crypto::TlsContext>> client_context(const smtp::Action& action);
  std::string rooted(const std::string& path) const;
  Result<void> open_queue();
  Result<void> create_listeners();
  Result<void> open_listeners();

  // inbound
  void on_accept(RelayListener& listener, std::unique_ptr<TcpStream> stream);
  void commit(smtp::IncomingMessage message, const smtp::MessageToCommit& content,
              std::function<void(Result<smtp::MessageId>)> done);
  void accepted(const smtp::CommitJob& job, WallTime wall, const std::string& remote);
  smtp::Envelope envelope_for(const smtp::MessageToCommit& content, const smtp::AcceptedRecipient& rcpt,
                              WallTime now) const;
  std::string destination_for(const smtp::Action& action, const std::string& rcpt) const;

  // scheduler loop
  void rearm();
  void on_scheduler_timer();
  void run_due();
  void run_local_tasks();
  void start_relays();
  // False if it must wait for a delivery in flight (an mbox one).
  bool deliver_local(smtp::EnvelopeId id);
  struct LocalDeliveryJob;
  void on_local_delivery_done(const LocalDeliveryJob& job);
  void kick_local_tasks();
  void expand_envelope(const smtp::Envelope& envelope, const std::vector<smtp::AliasTarget>& targets);
  void start_relay(PendingRelay pending);
  void on_relay_done(OutboundDelivery* delivery, RelayAttemptOutcome outcome);
  void inject_reports(std::vector<smtp::EnvelopeId> ids);
  void on_expired(const smtp::SchedulerTask& task);

  // outcomes
  void delivered(smtp::EnvelopeId id, const std::string& detail, const std::filesystem::path& path = {});
  void temporary_failure(smtp::EnvelopeId id, const std::string& error);
  void permanent_failure(smtp::EnvelopeId id, const std::string& error);
  void queue_failure_report(const smtp::Envelope& envelope, const std::string& error, const std::string& status);
  // Out of the queue's index now, its files off the loop.
  void forget_envelope(smtp::EnvelopeId id, const char* why);

  void emit(MailRelayEvent event);
  MailRelayEvent event(MailRelayEvent::Kind kind, smtp::EnvelopeId id = 0) const;

  Host& host_;
  std::shared_ptr<const smtp::Config> config_;
  MailRelayOptions options_;
  Logger log_;
  smtp::Router router_;
  smtp::Scheduler scheduler_;
  smtp::RoutePenalties penalties_;
  std::shared_ptr<const smtp::UserDatabase> users_;
  std::unique_ptr<smtp::QueueStore> store_;
  std::unique_ptr<Timer> timer_;
  std::map<std::string, std::shared_ptr<const crypto::TlsContext>> server_tls_;  // by pki name
  std::map<std::string, std::shared_ptr<const crypto::TlsContext>> client_tls_;  // by action name
  std::vector<std::unique_ptr<RelayListener>> listeners_;
  bool smtp_paused_ = false;
  std::map<RelayInboundSession*, std::unique_ptr<RelayInboundSession>> inbound_;
  std::map<OutboundDelivery*, std::unique_ptr<OutboundDelivery>> outbound_;
  std::deque<smtp::EnvelopeId> local_queue_;
  bool local_posted_ = false;
  std::size_t local_in_flight_ = 0;
  bool mbox_in_flight_ = false;
  // Commits and removals whose files are being written off the loop: a
  // reload waits for them too, or the new queue's recovery could miss a
  // message renamed into queue/ after its scan, or reload an envelope whose
  // files are being removed (a second delivery).
  std::size_t queue_writes_in_flight_ = 0;
  // A reload waiting for the local deliveries and queue writes in flight.
  std::shared_ptr<const smtp::Config> pending_config_;
  // During a reload: the old config's listeners, whose sockets the new
  // ones take where the endpoint stays (RelayListener::take_socket_of).
  std::vector<std::unique_ptr<RelayListener>> handed_over_;
  std::unique_ptr<Timer> reload_timer_;
  // Reset when the queue closes (stop, destruction): a job's `done` that
  // finds it expired leaves its outcome to the next recovery.
  std::shared_ptr<bool> queue_open_;
  std::deque<PendingRelay> relay_queue_;
  std::map<std::string, std::vector<IpAddress>> destination_addresses_;
  std::map<std::string, std::vector<std::string>> destination_routes_;
  std::size_t source_cursor_ = 0;
  std::uint64_t clt_connect_ = 0;
  std::uint64_t clt_disconnect_ = 0;
  MailRelayCounters counters_;
  std::map<SubscriptionId, EventHandler> subscribers_;
  SubscriptionId next_subscription_ = 1;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tether::node
