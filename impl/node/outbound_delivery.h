#pragma once
// One outbound delivery attempt of the relay (OpenSMTPD's mta): a message
// and some of its recipients, all bound for one destination through one
// `relay` action, handed to the first server that takes them.
//
//   1. Where to: the action's `host` URLs in order, a `domain <t>` entry for
//      the recipient domain, or else the domain's MX records (relay_mx.h,
//      which also applies `relay backup`).
//   2. Addresses: each host's A records, then AAAA; address literals as
//      they are. A DNS failure of one exchanger skips it; of the domain's MX
//      lookup fails the attempt (NXDOMAIN permanently, the rest temporarily).
//   3. Route penalties (route_penalty.h, OpenSMTPD's 15 s * p^2): a server
//      that failed recently is tried after every server that did not. It is
//      never skipped outright: when every route of a destination is
//      penalised, the scheduler's retry policy (`queue retry`, the user's
//      choice for an intermittent tunnel) decides when to try, not the
//      penalty. OpenSMTPD waits out the penalty instead.
//   4. Each server in turn: TCP connect (TcpConnectOptions: `src` address,
//      the app's connect timeout) and a ClientSession (EHLO, STARTTLS by the
//      URL's scheme or the action's `tls`, AUTH from `auth <secrets>` and
//      the URL's label, MAIL/RCPT/DATA). A failure of the session as a
//      whole (refused connection, 421 greeting, TLS or AUTH failure, lost
//      connection) penalises that route and falls through to the next
//      server, no sooner than the profile's route delay after the failed
//      one was started (OpenSMTPD's conndelay_relay, 2 s; Postfix and
//      tether: at once); once a server has answered for a recipient
//      (delivered, or refused it by itself), the attempt ends with its
//      results. An opportunistic STARTTLS that fails is retried once in
//      clear on the same server, as OpenSMTPD does, unless credentials are
//      involved. The connect timeout and the session's timeouts are the
//      relay profile's where it sets them (relay_mta.cc).
//
// The outcome has one result per recipient. Everything runs on the Host's
// loop; the outcome is reported from the loop, never from start(). A
// recipient the server took is also announced the moment its 250 arrives
// (OutboundDeliveryContext::on_accepted), before the QUIT is even sent, so
// the relay can record the delivery before anything else happens (issue 14,
// hole 4; OpenSMTPD's mta_session.c reports IMSG_MTA_DELIVERY_OK from its
// end-of-message reply, not from the session's end).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/time.h"
#include "crypto/tls.h"
#include "host/deadline_timer.h"
#include "host/host.h"
#include "smtp/client_session.h"
#include "smtp/config.h"
#include "smtp/envelope.h"
#include "smtp/route_penalty.h"

namespace tether::node {

struct RelayAttempt {
  std::string destination;  // the scheduler's: the relay host, or the recipient domain
  std::string domain;       // the recipients' domain, for MX and `domain <t>` lookups
  const smtp::Action* action = nullptr;
  smtp::ClientTransaction transaction;
  std::vector<smtp::EnvelopeId> envelopes;  // one per transaction recipient, same order
};

struct RelayAttemptOutcome {
  std::vector<smtp::RecipientResult> results;  // one per envelope
  std::string route;                           // the server that answered last: "mx.example.org [192.0.2.10]:25"
  std::vector<IpAddress> addresses;            // every address the destination resolved to
  std::vector<std::string> routes;             // every server (route penalty key) it could use
  int servers_tried = 0;
  // A server spoke for the recipients (took the transaction), as opposed to
  // every server failing before it (scheduler.h's DeferralCause).
  bool transaction = false;
};

// What every attempt shares; owned by the relay.
struct OutboundDeliveryContext {
  Host* host = nullptr;
  const smtp::Config* config = nullptr;
  smtp::RoutePenalties* penalties = nullptr;
  Logger log;
  std::string hostname;                    // EHLO name when the action gives none; own MX name for backup
  std::optional<Duration> connect_timeout; // per server
  smtp::ClientTimeouts timeouts;
  // The least time between starting one server and starting the next
  // (RelayBehaviour::route_delay).
  Duration route_delay = Duration::zero();
  // The action's client TLS context (its `pki`, `ca`, `tls [no-verify]`).
  std::shared_ptr<const crypto::TlsContext> tls_context;
  // Round-robin position among an action's `src` addresses.
  std::size_t* source_cursor = nullptr;
  // Called on the loop, from inside the delivery, once per envelope whose
  // recipient the server took (250), as soon as the reply is read; the
  // outcome reports it again at the end. It must not destroy the delivery.
  std::function<void(smtp::EnvelopeId)> on_accepted;
};

class OutboundDelivery {
 public:
  // Called from the loop; the owner may destroy the delivery inside it.
  using Done = std::function<void(OutboundDelivery& delivery, RelayAttemptOutcome outcome)>;

  OutboundDelivery(OutboundDeliveryContext context, RelayAttempt attempt, Done done);
  // Cancels: no callback runs afterwards.
  ~OutboundDelivery();
  OutboundDelivery(const OutboundDelivery&) = delete;
  OutboundDelivery& operator=(const OutboundDelivery&) = delete;

  void start();
  const RelayAttempt& attempt() const { return attempt_; }

 private:
  struct Hop {
    std::string name;  // host name, or the address literal without brackets
    std::uint16_t port = 25;
    smtp::ClientTls tls = smtp::ClientTls::opportunistic;
    std::string auth_label;
    std::optional<IpAddress> literal;
    std::vector<IpAddress> addresses;
  };
  struct Target {
    std::size_t hop = 0;
    Endpoint endpoint;
    std::string route;  // penalty key and log name
  };

  void plan_hops();
  void on_mx(Result<DnsAnswer> answer);
  void resolve_next_hop();
  void on_hop_address(DnsRecordType type, Result<DnsAnswer> answer);
  void order_targets();
  void try_next_target();
  void connect(smtp::ClientTls tls);
  void on_connected(Result<void> result);
  void on_data(ByteView data);
  void on_closed(const Error& reason);
  void on_timer();
  void pump();
  void announce_accepted();
  void session_over();
  void server_failed(const std::string& why, bool from_session = false);
  void fail_all(smtp::DeliveryStatus status, const std::string& why);
  void finish();

  std::optional<smtp::ClientCredentials> credentials_for(const Hop& hop, std::string& error) const;
  std::optional<IpAddress> source_for(const IpAddress& remote);
  std::string helo_for(const std::optional<IpAddress>& source) const;

  OutboundDeliveryContext context_;
  RelayAttempt attempt_;
  Done done_;
  RelayAttemptOutcome outcome_;

  std::vector<Hop> hops_;
  std::size_t resolving_ = 0;  // hop being resolved
  std::string lookup_errors_;
  bool lookup_temporary_ = false;
  std::vector<Target> targets_;
  std::size_t next_target_ = 0;
  const Target* current_ = nullptr;
  bool clear_retry_done_ = false;
  Time current_started_;            // when try_next_target() began current_
  bool waiting_for_route_ = false;  // timer_ is the route delay, not a session's

  std::unique_ptr<DnsLookup> lookup_;
  std::unique_ptr<TcpStream> stream_;
  std::unique_ptr<DeadlineTimer> timer_;
  std::optional<smtp::ClientSession> session_;
  smtp::ClientTls session_tls_ = smtp::ClientTls::opportunistic;
  bool connected_ = false;
  std::string last_error_;
  bool finished_ = false;
  std::vector<bool> announced_;  // per envelope: on_accepted was called
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tether::node
