#pragma once
// The SMTP client side of one delivery attempt (OpenSMTPD's mta_session),
// sans-IO: the caller connects, feeds the server's bytes to receive(), writes
// whatever take_output() returns, arms a timer at next_deadline() and reports
// the end of the connection. TLS (STARTTLS or smtps) runs inside the session
// over crypto::TlsSession, so the bytes in and out are what goes on the wire.
//
//   ClientSession s = ClientSession::create(options, transaction, now).value();
//   on_connected:  write(s.take_output(now))            (smtps: the ClientHello)
//   on_data(b):    s.receive(b, now); write(s.take_output(now))
//   on_drained:    if (s.has_output()) write(s.take_output(now))
//   timer:         s.on_timer(now)
//   on_closed(e):  s.on_connection_lost(e, now)
//   s.finished():  every recipient has its result; s.done(): close the stream
//
// One transaction per session, no PIPELINING: each command waits for its
// reply, and bytes the server sends before it has been asked anything are a
// protocol error (OpenSMTPD's "Remote host sent too much data"); this is also
// what defeats STARTTLS response injection.
//
// Results follow OpenSMTPD (mta.c, mta_session.c): a 5xx reply to MAIL, RCPT, DATA or the
// end of data is permanent for the recipients it concerns; everything else
// that is not a 2xx (4xx, replies that make no sense, timeouts, a lost
// connection, a TLS or AUTH failure) is temporary. Replies that reject the
// session rather than the mail (greeting, EHLO/HELO, STARTTLS, AUTH) are
// temporary even when 5xx: they say something about this server, and the
// next MX or a later try may do better.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "core/time.h"
#include "crypto/tls.h"

namespace tether::smtp {

enum class ClientTls {
  none,               // smtp+notls://: never, even if offered
  opportunistic,      // smtp://: STARTTLS when the server offers it
  required_starttls,  // smtp+tls://: STARTTLS or no delivery
  implicit,           // smtps://: TLS from the first byte
};

const char* to_string(ClientTls tls);

// RFC 5321 4.5.3.2. `command` covers what the RFC leaves open (EHLO/HELO,
// STARTTLS and the TLS handshake, AUTH, QUIT).
struct ClientTimeouts {
  Duration greeting = Duration::minutes(5);
  Duration command = Duration::minutes(5);
  Duration mail = Duration::minutes(5);
  Duration rcpt = Duration::minutes(5);
  Duration data_init = Duration::minutes(2);
  // Between two hand-outs of message data by take_output(): a transport that
  // accepts no more data for this long is stuck.
  Duration data_block = Duration::minutes(3);
  Duration data_termination = Duration::minutes(10);

  // One timeout for every wait (OpenSMTPD's session-wide I/O timeout).
  static ClientTimeouts uniform(Duration timeout) {
    return ClientTimeouts{timeout, timeout, timeout, timeout, timeout, timeout, timeout};
  }
};

struct ClientCredentials {
  std::string user;
  std::string password;
};

struct ClientSessionOptions {
  std::string helo;  // our name in EHLO/HELO
  ClientTls tls = ClientTls::opportunistic;
  // A client context (verification on or off, trust anchors). Required unless
  // tls is none; shared because STARTTLS may come long after create().
  std::shared_ptr<const crypto::TlsContext> tls_context;
  // Sent as SNI, and the name the certificate must match when the context
  // verifies peers.
  std::string server_name;
  // Sent only inside TLS (PLAIN if offered, else LOGIN); a server that offers
  // neither, or a session without TLS, fails the delivery (temporarily)
  // rather than sending the password in clear.
  std::optional<ClientCredentials> credentials;
  ClientTimeouts timeouts;
};

struct ClientRecipient {
  std::string address;  // RCPT TO:<address>
  // DSN (RFC 3461), sent only if the server offers DSN: "SUCCESS,FAILURE",
  // "NEVER", ...; ORCPT as "rfc822;user@example.org".
  std::string dsn_notify;
  std::string dsn_orcpt;
};

struct ClientTransaction {
  std::string mail_from;  // "" = the null sender (bounces)
  std::vector<ClientRecipient> recipients;
  // The message, headers included, with CRLF or LF line ends. On the wire
  // every line end becomes CRLF (a bare CR too, so no receiver can find a
  // line start we did not dot-stuff) and lines starting with '.' are
  // dot-stuffed.
  Bytes message;
  std::string dsn_ret;    // "FULL" / "HDRS" / ""
  std::string dsn_envid;  // xtext
};

enum class DeliveryStatus {
  pending,    // no result yet
  delivered,  // 250 to the end of data
  temporary,  // try again later (or elsewhere)
  permanent,  // bounce
};

const char* to_string(DeliveryStatus status);

struct RecipientResult {
  std::string address;
  DeliveryStatus status = DeliveryStatus::pending;
  // The server's reply ("550 5.1.1 <x@example.org>: no such user"), or, for
  // failures that are not a reply, what went wrong ("timed out waiting for
  // the reply to RCPT TO (5m)"). For delivered recipients, the final 250.
  std::string reply;
};

// What the server said about itself in its (last) EHLO reply.
struct ServerExtensions {
  bool esmtp = false;  // EHLO was accepted (HELO otherwise)
  bool starttls = false;
  bool size = false;
  std::uint64_t size_limit = 0;  // 0 = no fixed limit (RFC 1870)
  bool auth = false;
  bool auth_plain = false;
  bool auth_login = false;
  bool eight_bit_mime = false;
  bool dsn = false;
  bool pipelining = false;  // recorded, not used
  bool enhanced_status_codes = false;
};

// A reply as the client reads it: one code, the text of each line.
struct ServerReply {
  int code = 0;
  std::vector<std::string> lines;  // text after "ddd-" / "ddd ", one per line
  std::string to_string() const;   // "550 5.1.1 no such user" (lines joined by spaces)
};

class ClientSession {
 public:
  // Checks the options and the transaction (addresses and parameters cannot
  // smuggle CR, LF or spaces into commands; at least one recipient) and
  // starts the greeting timer. With implicit TLS the ClientHello is ready in
  // take_output().
  static Result<ClientSession> create(ClientSessionOptions options, ClientTransaction transaction, Time now);

  // Bytes from the server, exactly as received (ciphertext once TLS is on).
  void receive(ByteView bytes, Time now);
  // The connection ended: the server's EOF (code closed) or a failure. Every
  // recipient without a final result gets a temporary failure.
  void on_connection_lost(const Error& reason, Time now);
  // Call at (or after) next_deadline(); a missed reply fails the delivery
  // temporarily.
  void on_timer(Time now);
  Time next_deadline() const { return deadline_; }

  bool has_output() const;
  // Bytes to write. Message data is handed out in blocks of kDataBlockSize,
  // so a caller that takes output only when its transport has drained keeps
  // the memory in flight bounded and lets the data-block timeout see a stuck
  // connection.
  Bytes take_output(Time now);

  // Every recipient has a final result (delivered / temporary / permanent).
  bool finished() const { return finished_; }
  // Nothing more will happen: QUIT was answered, or the session failed. The
  // caller closes the connection once it has written the remaining output.
  bool done() const { return state_ == State::done; }

  const std::vector<RecipientResult>& results() const { return results_; }
  // Why the session as a whole failed ("" if it did not): the text every
  // temporarily failed recipient without a reply of its own carries.
  const std::string& error() const { return error_; }
  // The opportunistic STARTTLS handshake failed: OpenSMTPD's cue to try the
  // same server again without TLS (when no credentials are involved).
  bool opportunistic_tls_failed() const { return opportunistic_tls_failed_; }
  bool tls_active() const { return tls_ && tls_->handshake_done(); }
  bool tls_peer_verified() const { return tls_ && tls_->peer_verified(); }
  std::string tls_description() const;  // "TLSv1.3 TLS_AES_256_GCM_SHA384" or ""
  bool authenticated() const { return authenticated_; }
  const ServerExtensions& extensions() const { return extensions_; }
  const std::string& server_greeting() const { return greeting_; }

  static constexpr std::size_t kMaxReplyLine = 512;  // RFC 5321 4.5.3.1.5, CRLF included
  static constexpr std::size_t kMaxReplyLines = 100;
  static constexpr std::size_t kDataBlockSize = 64 * 1024;

  // The message as it goes on the wire between DATA's 354 and the end,
  // terminator included; for tests and for SIZE=.
  static Bytes encode_data(ByteView message);
  static std::uint64_t encoded_data_size(ByteView message);

 private:
  enum class State {
    greeting,
    ehlo,
    helo,
    starttls,
    tls_ehlo,  // EHLO inside TLS (the handshake runs first)
    auth_plain,
    auth_login,       // sent AUTH LOGIN, waiting for 334 (username)
    auth_login_user,  // sent the username, waiting for 334 (password)
    auth_login_pass,  // sent the password, waiting for 235
    mail,
    rcpt,
    data,
    data_body,  // handing out the message
    data_end,   // waiting for the final reply
    quit,
    done,
  };

  ClientSession(ClientSessionOptions options, ClientTransaction transaction);

  void consume_plaintext(Time now);
  void on_reply(const ServerReply& reply, Time now);
  void on_ehlo_reply(const ServerReply& reply, Time now);
  void after_hello(Time now);
  void start_auth_or_mail(Time now);
  void start_mail(Time now);
  void send_next_rcpt(Time now);
  void on_tls_ready(Time now);

  void send_command(const std::string& line, State next, Duration timeout, Time now);
  void write_plain_or_tls(ByteView bytes);
  // Recipients still pending or accepted get `status` with `reply`; the
  // session then sends QUIT (quit = true) or ends at once.
  void fail_remaining(DeliveryStatus status, const std::string& reply, bool quit, Time now);
  // The session cannot go on (timeout, protocol or TLS error, lost
  // connection): temporary for whoever has no result yet, and no QUIT.
  void fail_session(const std::string& why, Time now);
  const char* waiting_for() const;

  ClientSessionOptions options_;
  ClientTransaction transaction_;
  std::vector<RecipientResult> results_;
  std::vector<bool> accepted_;  // RCPT got a 2xx
  std::size_t next_rcpt_ = 0;
  std::uint64_t wire_size_ = 0;

  State state_ = State::greeting;
  Time deadline_ = Time::never();
  Duration deadline_length_;  // for the timeout message

  Bytes input_;                 // plaintext not yet consumed (at most one reply line)
  std::optional<ServerReply> partial_;  // the lines of a multi-line reply so far
  Bytes output_;                // plaintext (before TLS) for the server
  std::optional<crypto::TlsSession> tls_;
  bool tls_ready_ = false;      // handshake done and acted upon
  // The message hand-out: where the next block starts, and whether that
  // byte begins a line (for dot-stuffing).
  std::size_t data_pos_ = 0;
  bool data_line_start_ = true;
  bool has_8bit_ = false;

  ServerExtensions extensions_;
  std::string greeting_;
  std::string error_;
  bool finished_ = false;
  bool authenticated_ = false;
  bool opportunistic_tls_failed_ = false;
};

}  // namespace tether::smtp
