#include "smtp/client_session.h"

#include <algorithm>
#include <cctype>

#include "core/ascii.h"
#include "core/base64.h"
#include "smtp/reply.h"

namespace tether::smtp {

namespace {

// Long enough for any reply a sane server sends as one error line, short
// enough to keep an envelope's errorline readable.
constexpr std::size_t kMaxErrorText = 1000;

// What may go between the brackets of MAIL FROM / RCPT TO, or into a
// parameter, without changing the command: no controls (CR, LF, NUL), no
// spaces, no brackets. Anything else (UTF-8 included) is the server's to judge.
bool is_command_safe(std::string_view s, bool allow_brackets = false) {
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x21 || c == 0x7f) return false;
    if (!allow_brackets && (c == '<' || c == '>')) return false;
  }
  return true;
}

Error bad_argument(std::string what) { return Error(ErrorCode::invalid_argument, std::move(what)); }

// Appends message bytes from `pos` as they go on the wire, until `out` has
// grown by at least `budget` or the message ends; at the end appends the
// terminator and returns true. Every line end (CRLF, bare LF, bare CR)
// becomes CRLF; a '.' starting a line is doubled (RFC 5321 4.5.2).
bool encode_block(ByteView message, std::size_t& pos, bool& line_start, std::size_t budget, Bytes& out) {
  const std::size_t start_size = out.size();
  const std::size_t n = message.size();
  while (pos < n && out.size() - start_size < budget) {
    std::uint8_t c = message[pos];
    if (c == '\r' || c == '\n') {
      pos += (c == '\r' && pos + 1 < n && message[pos + 1] == '\n') ? 2 : 1;
      out.push_back('\r');
      out.push_back('\n');
      line_start = true;
      continue;
    }
    if (line_start && c == '.') out.push_back('.');
    // Copy the rest of the line (or of the budget) in one go.
    std::size_t room = budget - (out.size() - start_size);
    std::size_t limit = room < n - pos ? pos + room : n;
    std::size_t end = pos;
    while (end < limit && message[end] != '\r' && message[end] != '\n') ++end;
    out.insert(out.end(), message.begin() + pos, message.begin() + end);
    pos = end;
    line_start = false;
  }
  if (pos < n) return false;
  if (!line_start) {
    out.push_back('\r');
    out.push_back('\n');
  }
  static constexpr std::uint8_t kTerminator[] = {'.', '\r', '\n'};
  out.insert(out.end(), std::begin(kTerminator), std::end(kTerminator));
  return true;
}

}  // namespace

const char* to_string(ClientTls tls) {
  switch (tls) {
    case ClientTls::none: return "none";
    case ClientTls::opportunistic: return "opportunistic";
    case ClientTls::required_starttls: return "starttls";
    case ClientTls::implicit: return "smtps";
  }
  return "?";
}

const char* to_string(DeliveryStatus status) {
  switch (status) {
    case DeliveryStatus::pending: return "pending";
    case DeliveryStatus::delivered: return "delivered";
    case DeliveryStatus::temporary: return "temporary";
    case DeliveryStatus::permanent: return "permanent";
  }
  return "?";
}

std::string ServerReply::to_string() const {
  std::string out = std::to_string(code);
  for (const std::string& line : lines) {
    if (line.empty()) continue;
    out += ' ';
    out += line;
    if (out.size() > kMaxErrorText) {
      out.resize(kMaxErrorText);
      out += "...";
      break;
    }
  }
  return out;
}

Bytes ClientSession::encode_data(ByteView message) {
  Bytes out;
  std::size_t pos = 0;
  bool line_start = true;
  encode_block(message, pos, line_start, static_cast<std::size_t>(-1), out);
  return out;
}

std::uint64_t ClientSession::encoded_data_size(ByteView message) {
  // The size the server will store (RFC 1870 counts the message, not the
  // stuffing or the terminator): CRLF line ends.
  std::uint64_t size = 0;
  bool line_start = true;
  for (std::size_t i = 0; i < message.size(); ++i) {
    std::uint8_t c = message[i];
    if (c == '\r' && i + 1 < message.size() && message[i + 1] == '\n') ++i;
    if (c == '\r' || c == '\n') {
      size += 2;
      line_start = true;
    } else {
      size += 1;
      line_start = false;
    }
  }
  if (!line_start) size += 2;
  return size;
}

ClientSession::ClientSession(ClientSessionOptions options, ClientTransaction transaction)
    : options_(std::move(options)), transaction_(std::move(transaction)) {}

Result<ClientSession> ClientSession::create(ClientSessionOptions options, ClientTransaction transaction,
                                            Time now) {
  if (options.helo.empty() || !is_command_safe(options.helo, true))
    return bad_argument("invalid HELO name '" + options.helo + "'");
  if (options.tls != ClientTls::none) {
    if (!options.tls_context) return bad_argument("a TLS context is required for TLS " + std::string(to_string(options.tls)));
    if (options.tls_context->role() != crypto::TlsRole::client)
      return bad_argument("the TLS context is not a client context");
  }
  if (options.credentials) {
    const ClientCredentials& c = *options.credentials;
    if (c.user.empty()) return bad_argument("AUTH credentials without a user name");
    if (c.user.find('\0') != std::string::npos || c.password.find('\0') != std::string::npos)
      return bad_argument("AUTH credentials may not contain NUL");
    if (options.tls == ClientTls::none || options.tls == ClientTls::opportunistic)
      return bad_argument("AUTH credentials need TLS (smtp+tls:// or smtps://), not TLS " +
                          std::string(to_string(options.tls)));
  }
  if (!is_command_safe(transaction.mail_from))
    return bad_argument("invalid sender address '" + transaction.mail_from + "'");
  if (transaction.recipients.empty()) return bad_argument("a transaction needs at least one recipient");
  for (const ClientRecipient& r : transaction.recipients) {
    if (r.address.empty() || !is_command_safe(r.address))
      return bad_argument("invalid recipient address '" + r.address + "'");
    if (!is_command_safe(r.dsn_notify) || !is_command_safe(r.dsn_orcpt, true))
      return bad_argument("invalid DSN parameters for '" + r.address + "'");
  }
  if (!is_command_safe(transaction.dsn_ret) || !is_command_safe(transaction.dsn_envid))
    return bad_argument("invalid DSN RET/ENVID parameters");

  ClientSession s(std::move(options), std::move(transaction));
  for (const ClientRecipient& r : s.transaction_.recipients) s.results_.push_back({r.address, DeliveryStatus::pending, {}});
  s.accepted_.assign(s.results_.size(), false);
  s.wire_size_ = encoded_data_size(s.transaction_.message);
  s.has_8bit_ = std::any_of(s.transaction_.message.begin(), s.transaction_.message.end(),
                            [](std::uint8_t c) { return c >= 0x80; });
  s.deadline_length_ = s.options_.timeouts.greeting;
  s.deadline_ = now + s.deadline_length_;
  if (s.options_.tls == ClientTls::implicit) {
    Result<crypto::TlsSession> tls = crypto::TlsSession::create(*s.options_.tls_context, s.options_.server_name);
    if (!tls) return tls.error();
    s.tls_.emplace(std::move(tls).value());
  }
  return s;
}

std::string ClientSession::tls_description() const {
  if (!tls_active()) return {};
  return tls_->protocol_version() + " " + tls_->cipher_name();
}

// ---- input ----

void ClientSession::receive(ByteView bytes, Time now) {
  if (state_ == State::done) return;
  if (!tls_) {
    // Never more than one reply line is kept: consume_plaintext() takes
    // every complete line and fails on a longer one.
    append(input_, bytes);
    consume_plaintext(now);
    return;
  }
  Result<void> fed = tls_->feed_ciphertext(bytes);
  if (!fed) {
    bool handshake = !tls_ready_;
    if (handshake && options_.tls == ClientTls::opportunistic) opportunistic_tls_failed_ = true;
    // The TLS layer's error already says which stage failed ("TLS handshake failed: ...").
    fail_session(tls_->error(), now);
    return;
  }
  if (!tls_ready_ && tls_->handshake_done()) {
    tls_ready_ = true;
    on_tls_ready(now);
  }
  append(input_, tls_->read_plaintext());
  consume_plaintext(now);
  if (state_ != State::done && tls_->state() == crypto::TlsState::closed)
    on_connection_lost(Error(ErrorCode::closed, "the server ended TLS (close_notify)"), now);
}

void ClientSession::consume_plaintext(Time now) {
  while (state_ != State::done) {
    auto newline = std::find(input_.begin(), input_.end(), std::uint8_t('\n'));
    if (newline == input_.end()) {
      if (input_.size() >= kMaxReplyLine)
        fail_session("protocol error: reply line longer than " + std::to_string(kMaxReplyLine) + " bytes", now);
      return;
    }
    std::size_t line_size = std::size_t(newline - input_.begin()) + 1;
    if (line_size > kMaxReplyLine) {
      fail_session("protocol error: reply line longer than " + std::to_string(kMaxReplyLine) + " bytes", now);
      return;
    }
    std::string line(input_.begin(), newline);
    input_.erase(input_.begin(), newline + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();

    std::optional<ReplyLine> parsed = parse_reply_line(line);
    if (!parsed) {
      std::string shown = line.substr(0, 80);
      for (char& c : shown)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
      fail_session("protocol error: malformed reply '" + shown + "' to " + waiting_for(), now);
      return;
    }
    int code = parsed->code;
    bool more = parsed->more;
    if (!partial_) {
      partial_.emplace();
      partial_->code = code;
    } else if (partial_->code != code) {
      fail_session("protocol error: reply lines disagree on the code (" + std::to_string(partial_->code) + " then " +
                       std::to_string(code) + ") in the reply to " + waiting_for(),
                   now);
      return;
    }
    partial_->lines.emplace_back(parsed->text);
    if (more) {
      if (partial_->lines.size() >= kMaxReplyLines) {
        fail_session("protocol error: reply of more than " + std::to_string(kMaxReplyLines) + " lines", now);
        return;
      }
      continue;
    }
    ServerReply reply = std::move(*partial_);
    partial_.reset();
    if (state_ == State::quit) {
      state_ = State::done;
      deadline_ = Time::never();
      if (tls_) tls_->close();
      return;
    }
    // We never pipeline: whatever follows a complete reply was sent before
    // the server could know our next command (or, after STARTTLS, in clear
    // text ahead of the handshake: response injection).
    if (!input_.empty()) {
      fail_session("protocol error: the server sent " + std::to_string(input_.size()) +
                       " bytes after its reply to " + waiting_for() + " unasked",
                   now);
      return;
    }
    on_reply(reply, now);
  }
}

// ---- the dialogue ----

// Long: one case per state of the conversation, as mta_session.c's reply switch.
void ClientSession::on_reply(const ServerReply& reply, Time now) {
  const int cls = reply.code / 100;
  const bool closing = reply.code == 421;  // the server is going away: no QUIT
  // A reply that refuses the session rather than this mail.
  auto refused = [&](const std::string& what) {
    error_ = what + ": " + reply.to_string();
    fail_remaining(DeliveryStatus::temporary, error_, !closing, now);
  };
  // A reply about the mail: 5xx permanent, anything else temporary.
  auto rejected = [&]() {
    fail_remaining(cls == 5 ? DeliveryStatus::permanent : DeliveryStatus::temporary, reply.to_string(), !closing,
                   now);
  };

  switch (state_) {
    case State::greeting:
      greeting_ = reply.lines.empty() ? std::string() : reply.lines.front();
      if (cls != 2) return refused("greeting");
      return send_command("EHLO " + options_.helo, State::ehlo, options_.timeouts.command, now);

    case State::ehlo:
      if (cls == 2) return on_ehlo_reply(reply, now);
      // RFC 5321 3.2: a server that does not know EHLO says so with a 5xx;
      // HELO is then the way in, unless we need an extension.
      if (cls == 5 && !options_.credentials && options_.tls != ClientTls::required_starttls)
        return send_command("HELO " + options_.helo, State::helo, options_.timeouts.command, now);
      return refused("EHLO rejected");

    case State::helo:
      if (cls != 2) return refused("HELO rejected");
      extensions_ = ServerExtensions{};
      return after_hello(now);

    case State::starttls:
      if (cls == 2) {
        Result<crypto::TlsSession> tls = crypto::TlsSession::create(*options_.tls_context, options_.server_name);
        if (!tls) return fail_session("TLS: " + tls.error().message, now);
        tls_.emplace(std::move(tls).value());
        extensions_ = ServerExtensions{};  // RFC 3207 4.2: nothing said in clear counts
        state_ = State::tls_ehlo;  // EHLO goes out once the handshake is done
        deadline_length_ = options_.timeouts.command;
        deadline_ = now + deadline_length_;
        return;
      }
      if (options_.tls == ClientTls::opportunistic && !closing) return start_auth_or_mail(now);
      return refused("STARTTLS rejected");

    case State::tls_ehlo:
      if (cls != 2) return refused("EHLO rejected after STARTTLS");
      return on_ehlo_reply(reply, now);

    case State::auth_plain:
    case State::auth_login_pass:
      if (cls != 2) return refused("AUTH rejected");
      authenticated_ = true;
      return start_mail(now);

    case State::auth_login:
      if (reply.code != 334) return refused("AUTH rejected");
      return send_command(base64_encode(options_.credentials->user), State::auth_login_user, options_.timeouts.command,
                          now);

    case State::auth_login_user:
      if (reply.code != 334) return refused("AUTH rejected");
      return send_command(base64_encode(options_.credentials->password), State::auth_login_pass,
                          options_.timeouts.command, now);

    case State::mail:
      if (cls != 2) return rejected();
      next_rcpt_ = 0;
      return send_next_rcpt(now);

    case State::rcpt: {
      std::size_t i = next_rcpt_++;
      if (cls == 2) {
        accepted_[i] = true;
        results_[i].reply = reply.to_string();
      } else {
        results_[i].status = cls == 5 ? DeliveryStatus::permanent : DeliveryStatus::temporary;
        results_[i].reply = reply.to_string();
        if (closing) return fail_remaining(DeliveryStatus::temporary, reply.to_string(), false, now);
      }
      if (next_rcpt_ < results_.size()) return send_next_rcpt(now);
      if (std::find(accepted_.begin(), accepted_.end(), true) != accepted_.end())
        return send_command("DATA", State::data, options_.timeouts.data_init, now);
      // Every recipient refused: nothing to send.
      return fail_remaining(DeliveryStatus::temporary, "no recipient accepted", true, now);
    }

    case State::data:
      if (cls == 3) {
        state_ = State::data_body;
        data_pos_ = 0;
        data_line_start_ = true;
        deadline_length_ = options_.timeouts.data_block;
        deadline_ = now + deadline_length_;
        return;
      }
      if (cls == 2) return fail_session("protocol error: " + reply.to_string() + " to DATA instead of 354", now);
      return rejected();

    case State::data_body:
      // The server spoke while we were still sending: it gave up on the
      // message (a 2xx here makes no sense). It is out of step with us, so
      // no QUIT: it would read as message data.
      if (cls == 2)
        return fail_session("protocol error: " + reply.to_string() + " before the end of the message", now);
      return fail_remaining(cls == 5 ? DeliveryStatus::permanent : DeliveryStatus::temporary, reply.to_string(),
                            false, now);

    case State::data_end:
      if (cls != 2) return rejected();
      for (std::size_t i = 0; i < results_.size(); ++i) {
        if (results_[i].status != DeliveryStatus::pending) continue;
        results_[i].status = DeliveryStatus::delivered;
        results_[i].reply = reply.to_string();
      }
      // Every recipient has its result now; this only sends QUIT.
      return fail_remaining(DeliveryStatus::temporary, {}, true, now);

    case State::quit:
    case State::done:
      return;
  }
}

void ClientSession::start_mail(Time now) {
  if (extensions_.size && extensions_.size_limit != 0 && wire_size_ > extensions_.size_limit) {
    // RFC 1870 6.1: do not send what the server has said it will refuse.
    return fail_remaining(DeliveryStatus::permanent,
                          "552 5.3.4 message of " + std::to_string(wire_size_) +
                              " bytes exceeds the server's limit of " + std::to_string(extensions_.size_limit),
                          true, now);
  }
  std::string cmd = "MAIL FROM:<" + transaction_.mail_from + ">";
  if (extensions_.size) cmd += " SIZE=" + std::to_string(wire_size_);
  // Without 8BITMIME, 8-bit mail goes as it is, as OpenSMTPD and Postfix do;
  // refusing or downgrading it would lose more mail than it saves.
  if (has_8bit_ && extensions_.eight_bit_mime) cmd += " BODY=8BITMIME";
  if (extensions_.dsn) {
    if (!transaction_.dsn_ret.empty()) cmd += " RET=" + transaction_.dsn_ret;
    if (!transaction_.dsn_envid.empty()) cmd += " ENVID=" + transaction_.dsn_envid;
  }
  send_command(cmd, State::mail, options_.timeouts.mail, now);
}

void ClientSession::send_next_rcpt(Time now) {
  const ClientRecipient& r = transaction_.recipients[next_rcpt_];
  std::string cmd = "RCPT TO:<" + r.address + ">";
  if (extensions_.dsn) {
    if (!r.dsn_notify.empty()) cmd += " NOTIFY=" + r.dsn_notify;
    if (!r.dsn_orcpt.empty()) cmd += " ORCPT=" + r.dsn_orcpt;
  }
  send_command(cmd, State::rcpt, options_.timeouts.rcpt, now);
}

// ---- output ----

void ClientSession::send_command(const std::string& line, State next, Duration timeout, Time now) {
  std::string wire = line + "\r\n";
  write_plain_or_tls(ByteView(std::string_view(wire)));
  state_ = next;
  deadline_length_ = timeout;
  deadline_ = now + timeout;
}

void ClientSession::write_plain_or_tls(ByteView bytes) {
  if (tls_) {
    // Fails only once the session has failed or closed, which the input
    // side has already reported.
    (void)tls_->write_plaintext(bytes);
  } else {
    append(output_, bytes);
  }
}

bool ClientSession::has_output() const {
  return !output_.empty() || (tls_ && tls_->has_ciphertext()) || state_ == State::data_body;
}

Bytes ClientSession::take_output(Time now) {
  if (state_ == State::data_body) {
    Bytes block;
    block.reserve(kDataBlockSize + 8);
    bool end = encode_block(transaction_.message, data_pos_, data_line_start_, kDataBlockSize, block);
    write_plain_or_tls(block);
    if (end) {
      state_ = State::data_end;
      deadline_length_ = options_.timeouts.data_termination;
    }
    deadline_ = now + deadline_length_;
  }
  Bytes out = std::move(output_);
  output_.clear();
  if (tls_) append(out, tls_->take_ciphertext());
  return out;
}

// ---- endings ----

void ClientSession::fail_remaining(DeliveryStatus status, const std::string& reply, bool quit, Time now) {
  for (RecipientResult& r : results_) {
    if (r.status != DeliveryStatus::pending) continue;
    r.status = status;
    r.reply = reply;
  }
  finished_ = true;
  input_.clear();
  partial_.reset();
  if (quit) {
    send_command("QUIT", State::quit, options_.timeouts.command, now);
  } else {
    state_ = State::done;
    deadline_ = Time::never();
  }
}

void ClientSession::on_timer(Time now) {
  if (state_ == State::done || now < deadline_) return;
  if (state_ == State::quit) {
    state_ = State::done;
    deadline_ = Time::never();
    return;
  }
  std::string why = state_ == State::data_body
                        ? "timed out: the connection took no message data for " + format_duration(deadline_length_)
                        : "timed out after " + format_duration(deadline_length_) + " waiting for " + waiting_for();
  fail_session(why, now);
}

void ClientSession::on_connection_lost(const Error& reason, Time now) {
  if (state_ == State::done) return;
  if (state_ == State::quit) {
    state_ = State::done;
    deadline_ = Time::never();
    return;
  }
  std::string why = reason.code == ErrorCode::closed
                        ? "connection closed by the server while waiting for " + std::string(waiting_for())
                        : "connection lost while waiting for " + std::string(waiting_for()) + ": " + reason.to_string();
  fail_session(why, now);
}

void ClientSession::fail_session(const std::string& why, Time now) {
  if (!finished_) error_ = why;
  fail_remaining(DeliveryStatus::temporary, why, false, now);
}

const char* ClientSession::waiting_for() const {
  switch (state_) {
    case State::greeting: return "the greeting";
    case State::ehlo: return "the reply to EHLO";
    case State::helo: return "the reply to HELO";
    case State::starttls: return "the reply to STARTTLS";
    case State::tls_ehlo: return tls_ready_ ? "the reply to EHLO (in TLS)" : "the TLS handshake";
    case State::auth_plain:
    case State::auth_login:
    case State::auth_login_user:
    case State::auth_login_pass: return "the reply to AUTH";
    case State::mail: return "the reply to MAIL FROM";
    case State::rcpt: return "the reply to RCPT TO";
    case State::data: return "the reply to DATA";
    case State::data_body: return "the server to take the message";
    case State::data_end: return "the reply to the end of data";
    case State::quit: return "the reply to QUIT";
    case State::done: return "nothing";
  }
  return "?";
}

}  // namespace tether::smtp
