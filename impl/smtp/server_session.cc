#include "smtp/server_session.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "smtp/address.h"
#include "smtp/session_filter.h"

namespace tether::smtp {

namespace {

std::string address_for_humans(const IpAddress& a) {
  return a.is_v6() ? "[IPv6:" + a.to_string() + "]" : "[" + a.to_string() + "]";
}

bool has_octet(std::string_view s, char c) { return s.find(c) != std::string_view::npos; }

// A PTR record can hold any octets; a name that is not made of LDH labels
// (underscores tolerated) is treated as no name at all, so that it can never
// reach a Received: field or a log line as anything but a host name.
bool plausible_host_name(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (!(u < 128 && (std::isalnum(u) || c == '-' || c == '.' || c == '_'))) return false;
  }
  return true;
}

}  // namespace

const char* to_string(ServerSession::State state) {
  switch (state) {
    case ServerSession::State::command: return "command";
    case ServerSession::State::greeting_refused: return "greeting-refused";
    case ServerSession::State::auth_plain: return "auth-plain";
    case ServerSession::State::auth_login_user: return "auth-login-user";
    case ServerSession::State::auth_login_password: return "auth-login-password";
    case ServerSession::State::tls_handshake: return "tls-handshake";
    case ServerSession::State::data: return "data";
    case ServerSession::State::committing: return "committing";
    case ServerSession::State::awaiting_rdns: return "awaiting-rdns";
    case ServerSession::State::auth_checking: return "auth-checking";
    case ServerSession::State::closed: return "closed";
  }
  return "?";
}

ServerSession::ServerSession(ServerSessionOptions options, ServerHooks hooks, Time now)
    : options_(std::move(options)), hooks_(std::move(hooks)), last_command_(now) {
  rdns_pending_ = options_.rdns_pending;
  if (rdns_pending_) {
    options_.rdns.clear();
    options_.fcrdns = false;
  }
  normalise_rdns();
  greet();
}

void ServerSession::normalise_rdns() {
  std::string& rdns = options_.rdns;
  if (!rdns.empty() && rdns.back() == '.') rdns.pop_back();
  if (!rdns.empty() && !plausible_host_name(rdns)) {
    options_.logger.warning("ignoring the reverse name of " + options_.remote.to_string() + ": '" +
                            sanitize_reply_text(rdns) + "' is not a host name");
    rdns.clear();
  }
  if (rdns.empty()) options_.fcrdns = false;
}

ServerSession::~ServerSession() = default;

// ---- output ----

void ServerSession::send(std::string_view text) {
  if (tls_) {
    (void)tls_->write_plaintext(ByteView(text));
  } else {
    append(output_, ByteView(text));
  }
}

void ServerSession::reply(const Reply& r) { send(r.line()); }

void ServerSession::refuse(const Reply& r) {
  reply(r);
  if (++errors_ > options_.limits.max_errors && state_ != State::closed) {
    reply(Reply{421, "4.7.0", options_.hostname + " Too many errors, closing connection"});
    close("too many errors");
  }
}

Bytes ServerSession::take_output() {
  Bytes out = std::move(output_);
  output_.clear();
  if (tls_) append(out, tls_->take_ciphertext());
  return out;
}

bool ServerSession::has_output() const { return !output_.empty() || (tls_ && tls_->has_ciphertext()); }

void ServerSession::close(std::string reason) {
  if (state_ == State::closed) return;
  state_ = State::closed;
  close_reason_ = std::move(reason);
  if (tls_ && tls_active_ && tls_->state() == crypto::TlsState::established) tls_->close();
  input_.clear();
  data_.reset();
  options_.logger.info("session with " + options_.remote.to_string() + " closed: " + close_reason_);
}

// ---- connection ----

void ServerSession::greet() {
  if (options_.listener.tls == Listener::Tls::smtps) {
    if (!options_.tls) {
      close("smtps listener without a TLS context");
      return;
    }
    Result<crypto::TlsSession> s = crypto::TlsSession::create(*options_.tls);
    if (!s.ok()) {
      close("TLS: " + s.error().to_string());
      return;
    }
    tls_.emplace(std::move(s).value());
    state_ = State::tls_handshake;  // the greeting below waits in the TLS session for the handshake
  }
  if (!rdns_pending_ && refused_by_connect_filters()) {
    apply_connect_refusal();  // instead of the greeting
    return;
  }
  send("220 " + options_.hostname + " ESMTP tether\r\n");
}

bool ServerSession::refused_by_connect_filters() {
  if (!options_.config) return false;
  FilterFacts facts;
  facts.source = options_.remote.address();
  facts.rdns = options_.rdns;
  facts.fcrdns = options_.fcrdns;
  FilterVerdict v = run_filters(*options_.config, options_.listener.filter, FilterPhase::connect, facts);
  if (v.kind == FilterVerdict::Kind::junk) junk_ = true;
  if (v.kind != FilterVerdict::Kind::disconnect && v.kind != FilterVerdict::Kind::reject) return false;
  options_.logger.info("connect filter '" + v.filter + "' refused " + options_.remote.to_string());
  connect_refusal_ = std::move(v);
  return true;
}

void ServerSession::apply_connect_refusal() {
  if (!connect_refusal_) return;
  const FilterVerdict v = std::move(*connect_refusal_);
  connect_refusal_.reset();
  reply(reply_from_text(v.message, 554, ""));
  if (v.kind == FilterVerdict::Kind::disconnect) {
    close("connect filter " + v.filter);
    return;
  }
  refused_at_connect_ = true;  // RFC 5321 3.1: wait for QUIT, 503 to the rest
  if (state_ != State::tls_handshake) state_ = State::greeting_refused;
}

void ServerSession::set_client_rdns(std::string name, bool confirmed, Time now) {
  if (!rdns_pending_) return;
  rdns_pending_ = false;
  options_.rdns = std::move(name);
  options_.fcrdns = confirmed;
  normalise_rdns();
  if (state_ == State::closed) return;
  const bool refused = refused_by_connect_filters();
  if (state_ != State::awaiting_rdns) return;  // a refusal answers the next line
  std::string held = std::move(held_mail_line_);
  held_mail_line_.clear();
  state_ = State::command;
  last_command_ = now;
  if (refused) {
    apply_connect_refusal();  // the answer to the MAIL that waited
  } else {
    handle_command(held, now);
  }
  if (state_ == State::closed || state_ == State::committing) return;
  if (input_while_held_ || !input_.empty()) {
    reply(Reply{500, "5.5.1", "Pipelining not supported"});
    close("input before the MAIL reply (pipelining)");
  }
}

void ServerSession::tls_established(Time now) {
  tls_active_ = true;
  options_.logger.info("TLS with " + options_.remote.to_string() + ": " + tls_->protocol_version() + " " +
                       tls_->cipher_name());
  // RFC 3207 4.2: forget everything learnt before TLS; EHLO again.
  helo_done_ = false;
  esmtp_ = false;
  helo_.clear();
  reset_transaction();
  state_ = refused_at_connect_ ? State::greeting_refused : State::command;
  last_command_ = now;
}

void ServerSession::feed(ByteView bytes, Time now) {
  if (state_ == State::closed) return;
  if (!tls_) {
    receive_plaintext(bytes, now);
    return;
  }
  Result<void> fed = tls_->feed_ciphertext(bytes);
  if (!fed.ok() || tls_->state() == crypto::TlsState::failed) {
    close("TLS failed: " + (fed.ok() ? tls_->error() : fed.error().to_string()));
    return;
  }
  if (!tls_active_ && tls_->handshake_done()) tls_established(now);
  Bytes plain = tls_->read_plaintext();
  if (!plain.empty()) receive_plaintext(plain, now);
  if (state_ != State::closed && tls_->state() == crypto::TlsState::closed) close("client closed TLS");
}

void ServerSession::receive_plaintext(ByteView bytes, Time now) {
  if (bytes.empty()) return;
  append(input_, bytes);
  if (state_ == State::committing || state_ == State::awaiting_rdns || state_ == State::auth_checking) {
    input_while_held_ = true;  // the client did not wait for the reply
    return;
  }
  process(now);
}

// ---- input ----

// Long: the input loop over every state (greeting, commands, AUTH, DATA) in one
// place, so the order in which buffered input is taken stays visible.
void ServerSession::process(Time now) {
  std::size_t pos = 0;
  const ServerLimits& limits = options_.limits;
  while (pos < input_.size()) {
    if (state_ == State::data) {
      const std::size_t used = data_->consume(ByteView(input_).subview(pos));
      data_deadline_.received(used, now);
      pos += used;
      if (data_->fatal()) {
        reply(Reply{500, "5.5.2", "Line too long"});
        close("line too long in DATA");
        return;
      }
      if (!data_->finished()) continue;
      if (pos < input_.size()) {
        // Bytes after the end of data: a smuggled transaction, or a client
        // pipelining without PIPELINING. The message goes with them.
        reply(Reply{500, "5.5.1", "Pipelining not supported"});
        close("input after end of data (pipelining)");
        return;
      }
      end_of_data();
      break;
    }
    if (state_ != State::command && state_ != State::greeting_refused && state_ != State::auth_plain &&
        state_ != State::auth_login_user && state_ != State::auth_login_password)
      break;  // tls_handshake cannot have plaintext; committing, awaiting_rdns and closed read nothing

    const std::uint8_t* begin = input_.data() + pos;
    const void* lf = std::memchr(begin, '\n', input_.size() - pos);
    if (discarding_) {
      std::size_t n = lf ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(lf) - begin) : input_.size() - pos;
      discarded_ += n;
      if (discarded_ >= limits.max_line) {
        reply(Reply{500, "5.5.2", "Line too long"});
        close("line too long");
        return;
      }
      if (!lf) {
        pos = input_.size();
        break;
      }
      pos += n + 1;
      discarding_ = false;
      last_command_ = now;
      if (pos < input_.size()) {
        reply(Reply{500, "5.5.1", "Pipelining not supported"});
        close("input after a command (pipelining)");
        return;
      }
      if (state_ == State::auth_plain || state_ == State::auth_login_user || state_ == State::auth_login_password)
        state_ = State::command;
      refuse(Reply{500, "5.5.2", "Line too long"});
      continue;
    }
    if (!lf) {
      // No complete line yet. Nothing longer than an AUTH line is ever valid.
      if (input_.size() - pos > kMaxAuthLine) {
        discarding_ = true;
        discarded_ = input_.size() - pos;
        pos = input_.size();
        if (discarded_ >= limits.max_line) {
          reply(Reply{500, "5.5.2", "Line too long"});
          close("line too long");
          return;
        }
      }
      break;
    }
    std::size_t n = static_cast<std::size_t>(static_cast<const std::uint8_t*>(lf) - begin);
    std::string_view line(reinterpret_cast<const char*>(begin), n);
    pos += n + 1;
    bool crlf = !line.empty() && line.back() == '\r';
    if (crlf) line.remove_suffix(1);
    if (pos < input_.size()) {
      reply(Reply{500, "5.5.1", "Pipelining not supported"});
      close("input after a command (pipelining)");
      return;
    }
    std::string copy(line);  // handlers may change input_
    handle_line(copy, crlf, now);
    if (state_ == State::closed) return;
  }
  input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(std::min(pos, input_.size())));
}

void ServerSession::handle_line(std::string_view line, bool crlf, Time now) {
  last_command_ = now;
  if (!crlf || has_octet(line, '\r') || has_octet(line, '\n') || has_octet(line, '\0')) {
    if (state_ == State::auth_plain || state_ == State::auth_login_user || state_ == State::auth_login_password)
      state_ = State::command;
    refuse(Reply{500, "5.5.2", "Command lines must end with CRLF, without bare CR, LF or NUL"});
    return;
  }
  switch (state_) {
    case State::auth_plain:
    case State::auth_login_user:
    case State::auth_login_password:
      handle_auth_response(line);
      return;
    case State::greeting_refused: {
      CommandLine cmd = parse_command_line(line);
      if (cmd.verb == CommandVerb::quit) {
        reply(Reply{221, "2.0.0", options_.hostname + " Bye"});
        close("quit");
      } else {
        refuse(Reply{503, "5.5.1", "Connection refused; only QUIT is accepted"});
      }
      return;
    }
    default:
      handle_command(line, now);
  }
}

void ServerSession::handle_command(std::string_view line, Time now) {
  CommandLine cmd = parse_command_line(line);
  if (line.size() + 2 > max_command_line(cmd.verb, dsn_offered())) {
    refuse(Reply{500, "5.5.2", "Line too long"});
    return;
  }
  switch (cmd.verb) {
    case CommandVerb::helo:
    case CommandVerb::ehlo:
    case CommandVerb::noop:
    case CommandVerb::rset:
    case CommandVerb::vrfy:
    case CommandVerb::expn:
    case CommandVerb::help:
      if (++junk_commands_ > options_.limits.max_junk_commands) {
        reply(Reply{421, "4.7.0", options_.hostname + " Too many commands, closing connection"});
        close("too many commands");
        return;
      }
      break;
    default:
      break;
  }
  switch (cmd.verb) {
    case CommandVerb::helo: cmd_helo(cmd, false); return;
    case CommandVerb::ehlo: cmd_helo(cmd, true); return;
    case CommandVerb::starttls: cmd_starttls(cmd, now); return;
    case CommandVerb::auth: cmd_auth(cmd); return;
    case CommandVerb::mail:
      if (rdns_pending_) {
        held_mail_line_ = std::string(line);
        state_ = State::awaiting_rdns;
        return;
      }
      // The connect filters refused after the greeting: MAIL gets the answer
      // the connection would have had (Postfix's smtpd_delay_reject also
      // answers client restrictions at a later command).
      if (connect_refusal_) {
        apply_connect_refusal();
        return;
      }
      cmd_mail(cmd);
      return;
    case CommandVerb::rcpt: cmd_rcpt(cmd); return;
    case CommandVerb::data: cmd_data(cmd, now); return;
    case CommandVerb::rset:
      if (!cmd.argument.empty()) {
        refuse(Reply{501, "5.5.4", "RSET takes no parameters"});
        return;
      }
      reset_transaction();
      reply(Reply{250, "2.0.0", "Reset state"});
      return;
    case CommandVerb::noop:
      reply(Reply{250, "2.0.0", "Ok"});
      return;
    case CommandVerb::quit:
      reply(Reply{221, "2.0.0", options_.hostname + " Bye"});
      close("quit");
      return;
    case CommandVerb::vrfy:
      // RFC 5321 3.5.3: not disclosing who exists, and not refusing either.
      reply(Reply{252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery"});
      return;
    case CommandVerb::expn:
      refuse(Reply{502, "5.5.1", "EXPN not supported"});
      return;
    case CommandVerb::help:
      reply(Reply{214, "2.0.0", "tether: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS AUTH"});
      return;
    case CommandVerb::unknown:
      refuse(Reply{500, "5.5.1", "Command unrecognized"});
      return;
  }
}

// ---- commands ----

void ServerSession::cmd_helo(const CommandLine& cmd, bool ehlo) {
  if (cmd.argument.empty()) {
    refuse(Reply{501, "5.5.4", std::string(ehlo ? "EHLO" : "HELO") + " requires a domain name"});
    return;
  }
  if (!is_rfc5321_domain(cmd.argument) && !is_rfc5321_address_literal(cmd.argument)) {
    refuse(Reply{501, "5.5.4", "Invalid domain name"});
    return;
  }
  // RFC 5321 4.1.4: EHLO/HELO again is an implicit RSET.
  reset_transaction();
  helo_ = std::string(cmd.argument);
  esmtp_ = ehlo;
  helo_done_ = true;
  if (!filter(ehlo ? FilterPhase::ehlo : FilterPhase::helo)) {
    helo_done_ = false;
    helo_.clear();
    return;
  }
  std::string greeting =
      options_.hostname + " Hello " + helo_ + " " + address_for_humans(options_.remote.address()) + ", pleased to meet you";
  if (!ehlo) {
    reply(Reply{250, "", greeting});
    return;
  }
  std::vector<std::string> lines = {greeting, "8BITMIME", "ENHANCEDSTATUSCODES",
                                    "SIZE " + std::to_string(options_.limits.max_message_size)};
  if (dsn_offered()) lines.push_back("DSN");
  if (tls_offered()) lines.push_back("STARTTLS");
  // OpenSMTPD's rule: AUTH only inside TLS, and not once done.
  if (auth_configured() && tls_active_ && auth_user_.empty()) lines.push_back("AUTH PLAIN LOGIN");
  lines.push_back("HELP");
  send(multiline_reply(250, lines));
}

void ServerSession::cmd_starttls(const CommandLine& cmd, Time now) {
  if (tls_) {
    refuse(Reply{503, "5.5.1", "TLS already active"});
    return;
  }
  if (!options_.tls) {
    refuse(Reply{502, "5.5.1", "STARTTLS not available"});
    return;
  }
  if (!helo_done_) {
    refuse(Reply{503, "5.5.1", "Send EHLO first"});
    return;
  }
  if (!cmd.argument.empty()) {
    refuse(Reply{501, "5.5.4", "STARTTLS takes no parameters"});
    return;
  }
  if (tx_.active) {
    refuse(Reply{503, "5.5.1", "STARTTLS not allowed during a mail transaction"});
    return;
  }
  Result<crypto::TlsSession> s = crypto::TlsSession::create(*options_.tls);
  if (!s.ok()) {
    options_.logger.warning("STARTTLS: " + s.error().to_string());
    refuse(Reply{454, "4.7.0", "TLS not available due to temporary reason"});
    return;
  }
  reply(Reply{220, "2.0.0", "Ready to start TLS"});  // the last plaintext byte we send
  tls_.emplace(std::move(s).value());
  state_ = State::tls_handshake;
  last_command_ = now;
}

bool ServerSession::filter(FilterPhase phase, const std::string& mail_from, const std::string& rcpt_to) {
  if (!options_.config || options_.listener.filter.empty()) return true;
  FilterFacts facts;
  facts.source = options_.remote.address();
  facts.rdns = options_.rdns;
  facts.fcrdns = options_.fcrdns;
  facts.helo = helo_;
  facts.authenticated = !auth_user_.empty();
  facts.auth_user = auth_user_;
  facts.mail_from = mail_from;
  facts.rcpt_to = rcpt_to;
  FilterVerdict v = run_filters(*options_.config, options_.listener.filter, phase, facts);
  switch (v.kind) {
    case FilterVerdict::Kind::proceed:
      return true;
    case FilterVerdict::Kind::junk:
      junk_ = true;
      return true;
    case FilterVerdict::Kind::reject:
      refuse(reply_from_text(v.message, 550, "5.7.1"));
      return false;
    case FilterVerdict::Kind::disconnect:
      reply(reply_from_text(v.message, 421, "4.7.0"));
      close("filter " + v.filter);
      return false;
  }
  return true;
}

// ---- time ----

Time ServerSession::next_deadline() const {
  switch (state_) {
    case State::closed:
    case State::committing:
    case State::awaiting_rdns:  // the app bounds its lookup
    case State::auth_checking:  // the app's check takes bounded CPU
      return Time::never();
    case State::data:
      return std::min(data_deadline_.deadline(), data_started_ + options_.timeouts.data_total);
    default:
      return last_command_ + options_.timeouts.command;
  }
}

void ServerSession::on_deadline(Time now) {
  if (state_ == State::closed || now < next_deadline()) return;
  reply(Reply{421, "4.4.2", options_.hostname + " Timeout, closing connection"});
  close(state_ == State::data ? "timeout in DATA" : "timeout");
}

}  // namespace tether::smtp
