#pragma once
// The server side of one SMTP connection (OpenSMTPD's smtp_session), sans-IO:
// bytes in, bytes out, a deadline, and requests to the app. It reads no
// clock, opens no socket and draws no randomness; what it needs from the
// world (routing, credentials, message ids, the wall clock) comes through
// ServerHooks.
//
//   ServerSession s(options, hooks, now);   // the greeting is in take_output()
//   on_data(b):   s.feed(b, now); write(s.take_output());
//                 if (auto m = s.take_message()) queue.commit(*m) ... later
//                 s.complete_message(id, now) or s.fail_message(why, now)
//   timer:        s.on_deadline(now) at s.next_deadline()
//   s.closed():   write what take_output() still has, then close the stream
//   rdns_pending: s.set_client_rdns(name, confirmed, now) once the app knows
//
// Policies (see also data_reader.h for the end of data and bare CR/LF, and
// address.h for the open-relay forms):
//
// * No PIPELINING (RFC 2920), as OpenSMTPD: it is not advertised, and input
//   left over after a command line, or after the end-of-data line, is
//   answered "500 5.5.1 Pipelining not supported" and the session closes.
//   A client that waits for each reply (which RFC 5321 requires without
//   PIPELINING) never has bytes left over, so the only senders this stops are
//   the ones that do not wait: SMTP smuggling writes a fake end of data
//   followed by a second transaction in one go, and STARTTLS command
//   injection (CVE-2011-0411) writes plaintext commands behind STARTTLS for
//   the server to run as if they had come over TLS. After the end-of-data
//   line the message is dropped, not committed; after STARTTLS, TLS is not
//   started. Bytes that arrive while the app commits a message were sent
//   before the client could see the reply: the 250 (or 451) is sent, then
//   the 500, and the session closes.
// * Commands must end in CRLF: a bare LF or CR (or a NUL) in a command line
//   is refused with 500 5.5.2, as Postfix's smtpd_forbid_bare_newline does.
// * Line limits: a command line longer than its RFC 5321 limit (see
//   max_command_line()) gets 500 5.5.2 "Line too long" and is ignored; any
//   line, command or text, reaching 65535 octets without its end gets the
//   same reply and the session closes (OpenSMTPD's bound).
// * Timeouts (RFC 5321 4.5.3.2): `command` while waiting for a command, an
//   AUTH answer or the TLS handshake; only a complete line restarts it, so a
//   command trickled a byte at a time cannot hold the session. In DATA,
//   `data_idle` between two reads, and `data_total` from the 354 to the end
//   of data, so a slowloris sending a byte every few seconds is cut off at
//   `data_total` although it is never idle. With `min_data_rate`, `data_idle`
//   is a budget that waiting spends and bytes earn back (data_deadline.h,
//   Postfix's smtpd_min_data_rate): a byte a second is cut off after about
//   `data_idle`, not `data_total`. No deadline runs while the app
//   commits a message. On expiry: "421 4.4.2 <host> Timeout" and close.
// * AUTH PLAIN and LOGIN only after STARTTLS (538 5.7.11 before), only when
//   the listener has `auth`; with `auth` (not `auth-optional`) MAIL needs it
//   (530 5.7.0). Unknown users are checked against a dummy hash so that the
//   answer takes as long as for a known one. `max_auth_failures` 535s close
//   the session.
// * `tls-require`: MAIL before STARTTLS gets 530 5.7.0.
// * More than `max_errors` 4xx/5xx replies to commands, or `max_junk_commands`
//   NOOP/RSET/VRFY/EXPN/HELP/EHLO/HELO, close with 421 4.7.0 (Postfix's
//   smtpd_hard_error_limit and smtpd_junk_command_limit), so a session cannot
//   be kept open forever with commands that cost us and do nothing.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/endpoint.h"
#include "core/logger.h"
#include "core/time.h"
#include "crypto/tls.h"
#include "smtp/command_parser.h"
#include "smtp/config.h"
#include "smtp/data_deadline.h"
#include "smtp/data_reader.h"
#include "smtp/reply.h"
#include "smtp/router.h"
#include "smtp/session_filter.h"

namespace tether::smtp {

struct ServerTimeouts {
  Duration command = Duration::minutes(5);     // RFC 5321 4.5.3.2.7
  Duration data_idle = Duration::minutes(10);  // between two reads of message text
  Duration data_total = Duration::minutes(30); // from 354 to the end of data
  // Bytes per second a client must keep up in DATA, 0: none (data_deadline.h).
  // tether's; a relay sets its profile's (RelayBehaviour::min_data_rate).
  std::uint32_t min_data_rate = kPostfixMinDataRate;
};

struct ServerLimits {
  std::uint64_t max_message_size = 35 * 1024 * 1024;  // `smtp max-message-size`; SIZE; 552 5.3.4
  std::size_t max_recipients = 100;     // per transaction (RFC 5321 4.5.3.1.8 minimum); 452 4.5.3
  std::size_t max_messages = 100;       // per session (`smtp limit max-mails`); 452 4.5.3
  int max_received_headers = 100;       // more in a message: 554 5.4.6, a loop
  std::size_t max_text_line = 1000;     // RFC 5321 4.5.3.1.6
  std::size_t max_line = 65535;         // any line: fatal
  int max_auth_failures = 3;
  int max_errors = 20;
  int max_junk_commands = 100;
};

struct ServerSessionOptions {
  Endpoint local;
  Endpoint remote;
  std::string rdns;      // the client's reverse name, "" if none (the app resolves it)
  bool fcrdns = false;   // ... and it resolves back to the client's address
  // The app is still looking the reverse name up. The session greets at once
  // rather than make every client wait for a slow reverse zone (OpenSMTPD
  // resolves before its 220; with a resolver that never answers, clients
  // never see one). EHLO, STARTTLS, AUTH and the like are answered
  // meanwhile, but MAIL waits for set_client_rdns() (state awaiting_rdns):
  // the connect filters, `match from rdns` and the Received: field all need
  // the name, and nothing is accepted before MAIL. The connect filters run
  // when the name comes; a refusal then answers the MAIL that waited (or
  // the next MAIL), as it would have answered the connection.
  bool rdns_pending = false;
  // bcrypt costs tens of milliseconds of CPU by design, which on the app's
  // single event loop would stall every other session for each AUTH try. With
  // this set, the session hands the check out (take_password_check(); state
  // auth_checking, reading nothing) and the app answers with
  // complete_password_check() once it has run crypto::verify_password
  // elsewhere. Off: the session checks at once.
  bool defer_password_checks = false;
  std::string hostname;  // ours: greeting, EHLO, Received:, 421s
  Listener listener;     // tls, auth, mask-src, no-dsn, filter, tag
  // For the listener's filters and their tables; may be null (no filters).
  std::shared_ptr<const Config> config;
  // The listener's pki as a server context; null: no STARTTLS (nor smtps).
  std::shared_ptr<const crypto::TlsContext> tls;
  ServerLimits limits;
  ServerTimeouts timeouts;
  Logger logger;
};

struct ServerHooks {
  // Each RCPT TO: the app answers with Router::route(request).
  std::function<RouteDecision(const RouteRequest&)> route;
  // AUTH: the user's crypt(3) hash from the listener's credentials table.
  std::function<std::optional<std::string>(const std::string& user)> credentials;
  // DATA: the id the message will be queued under (Received: "id", the 250).
  std::function<std::string()> new_message_id;
  // For the Received: date.
  std::function<WallTime()> wall_clock;
};

// An AUTH password for the app to check (options.defer_password_checks):
// crypto::verify_password(password, hash). For an unknown user the hash is a
// dummy one, so that the answer takes as long as for a known user.
struct PasswordCheck {
  std::string password;
  std::string hash;
};

struct AcceptedRecipient {
  std::string address;   // as given in RCPT TO ("postmaster@<hostname>" for <postmaster>)
  std::string action;    // the router's action name
  unsigned notify = 0;   // kNotify* bits; 0: not given
  std::string orcpt;     // "rfc822;..." (xtext) or ""
};

struct SessionEnvelope {
  std::string id;                  // from ServerHooks::new_message_id
  std::string mail_from;           // "" is the null sender <>
  std::vector<AcceptedRecipient> recipients;
  BodyType body = BodyType::unspecified;
  DsnReturn ret = DsnReturn::unspecified;
  std::string envid;               // xtext
  std::optional<std::uint64_t> declared_size;
  std::string helo;
  bool esmtp = false;
  bool tls = false;
  std::string auth_user;           // "" unless authenticated
  Endpoint remote;
  Endpoint local;
  std::string rdns;
  std::string hostname;
  std::string tag;                 // the listener's
  WallTime received;               // the Received: date
};

// What the app must commit to the queue before the client hears 250.
struct MessageToCommit {
  SessionEnvelope envelope;
  // The message as received (dot-unstuffed, CRLF line endings), with our
  // Received: field (and "X-Spam: Yes" if a filter said junk) on top.
  Bytes content;
};

class ServerSession {
 public:
  enum class State {
    command,            // waiting for a command (before or after EHLO)
    greeting_refused,   // a connect filter rejected: only QUIT is left
    auth_plain,         // waiting for the PLAIN response
    auth_login_user,
    auth_login_password,
    tls_handshake,
    data,               // reading message text
    committing,         // the app has the message; the DATA reply waits for it
    awaiting_rdns,      // MAIL waits for set_client_rdns() (options.rdns_pending)
    auth_checking,      // AUTH waits for complete_password_check()
    closed,
  };

  ServerSession(ServerSessionOptions options, ServerHooks hooks, Time now);
  ~ServerSession();
  ServerSession(const ServerSession&) = delete;
  ServerSession& operator=(const ServerSession&) = delete;

  // Bytes from the client (ciphertext once STARTTLS ran). Ignored once closed().
  void feed(ByteView bytes, Time now);
  // Call when now >= next_deadline(); does nothing before it.
  void on_deadline(Time now);
  Time next_deadline() const;

  Bytes take_output();
  bool has_output() const;

  // The message to commit, once per end of data that was accepted.
  std::optional<MessageToCommit> take_message();
  // The app's answer for it: committed (fsynced) under queue_id, or not.
  void complete_message(std::string_view queue_id, Time now);
  void fail_message(std::string_view reason, Time now);

  // The reverse name the app found (with options.rdns_pending): `name` ""
  // for none, `confirmed` if it resolves back to the client. Runs the
  // connect filters, then the MAIL that waited for it, if any. Only the
  // first call counts.
  void set_client_rdns(std::string name, bool confirmed, Time now);

  // With options.defer_password_checks: the check to run, once per AUTH
  // answer, and what crypto::verify_password said of it.
  std::optional<PasswordCheck> take_password_check();
  void complete_password_check(const Result<bool>& verified, Time now);
  bool rdns_known() const { return !rdns_pending_; }

  // No more input is read; write the remaining output and close.
  bool closed() const { return state_ == State::closed; }
  const std::string& close_reason() const { return close_reason_; }
  State state() const { return state_; }
  bool tls_active() const { return tls_active_; }
  bool authenticated() const { return !auth_user_.empty(); }
  const std::string& auth_user() const { return auth_user_; }
  const std::string& helo() const { return helo_; }
  std::size_t messages() const { return messages_; }

 private:
  struct Transaction {
    bool active = false;
    MailCommand mail;
    std::string mail_from;
    std::vector<AcceptedRecipient> recipients;
    std::string id;
  };

  void greet();
  // Runs the connect filters; true if they refused (the reply is sent, and
  // the session is closed or left waiting for QUIT).
  bool refused_by_connect_filters();
  // Sends the refusal refused_by_connect_filters() found, then closes
  // (disconnect) or leaves only QUIT (reject).
  void apply_connect_refusal();
  void normalise_rdns();
  void receive_plaintext(ByteView bytes, Time now);
  void process(Time now);
  void handle_line(std::string_view line, bool crlf, Time now);
  void handle_command(std::string_view line, Time now);
  void handle_auth_response(std::string_view line);
  void cmd_helo(const CommandLine& cmd, bool ehlo);
  void cmd_starttls(const CommandLine& cmd, Time now);
  void cmd_auth(const CommandLine& cmd);
  void cmd_mail(const CommandLine& cmd);
  void cmd_rcpt(const CommandLine& cmd);
  // Refuses a MAIL or RCPT argument that did not parse or carries parameters
  // without EHLO; true if it did.
  bool refused_arguments(const Reply& parse_error, const ParsedPath& path);
  void cmd_data(const CommandLine& cmd, Time now);
  void end_of_data();
  void finish_commit(const Reply& reply, Time now);
  void check_password(const std::string& authzid, const std::string& user, const std::string& password);
  void finish_password_check(const Result<bool>& verified);
  void tls_established(Time now);
  void reset_transaction();
  bool filter(FilterPhase phase, const std::string& mail_from = {}, const std::string& rcpt_to = {});

  void send(std::string_view text);
  void reply(const Reply& r);
  void refuse(const Reply& r);  // a 4xx/5xx to a command: counted against max_errors
  void close(std::string reason);
  bool dsn_offered() const { return !options_.listener.no_dsn; }
  bool tls_offered() const { return options_.tls != nullptr && !tls_; }
  bool auth_configured() const { return options_.listener.auth != Listener::Auth::none; }

  ServerSessionOptions options_;
  ServerHooks hooks_;
  State state_ = State::command;
  std::string close_reason_;

  Bytes input_;         // plaintext not yet used
  Bytes output_;        // plaintext replies before TLS
  std::optional<crypto::TlsSession> tls_;
  bool tls_active_ = false;
  bool discarding_ = false;       // inside a command line that is too long
  std::size_t discarded_ = 0;
  // Bytes that came while a command's reply waited for the app (a commit,
  // the reverse name): the client did not wait for the reply.
  bool input_while_held_ = false;
  bool rdns_pending_ = false;
  std::string held_mail_line_;    // the MAIL that waits for the reverse name
  std::optional<FilterVerdict> connect_refusal_;  // found, not yet sent
  std::optional<PasswordCheck> password_check_;   // staged for the app
  std::string checking_user_;                      // whose password is being checked
  bool checking_user_ok_ = false;                  // ... and whether they exist (and may act as authzid)

  bool helo_done_ = false;
  bool esmtp_ = false;
  std::string helo_;
  std::string auth_user_;
  std::string login_user_;        // AUTH LOGIN between its two answers
  int auth_failures_ = 0;
  int errors_ = 0;
  int junk_commands_ = 0;
  bool refused_at_connect_ = false;
  bool junk_ = false;             // a filter said junk (session or transaction)
  std::size_t messages_ = 0;

  Transaction tx_;
  std::optional<DataReader> data_;
  std::optional<MessageToCommit> ready_;

  Time last_command_;             // start of the command timeout
  Time data_started_;
  DataDeadline data_deadline_;  // data_idle, or what the minimum rate leaves
};

const char* to_string(ServerSession::State state);

}  // namespace tether::smtp
