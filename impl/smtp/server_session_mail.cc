// The mail transaction of the server session: MAIL, RCPT (each recipient
// through the app's router), DATA, the end of data (limits, loop detection,
// the Received: field) and the app's commit that the DATA reply waits for.

#include <algorithm>

#include "smtp/received_header.h"
#include "smtp/server_session.h"
#include "smtp/session_filter.h"

namespace tether::smtp {

// MAIL and RCPT refuse their argument alike: what did not parse gets the
// parser's reply, and ESMTP parameters after a plain HELO get 555 (RFC 5321
// 4.1.1.11: parameters are an extension EHLO must have announced).
bool ServerSession::refused_arguments(const Reply& parse_error, const ParsedPath& path) {
  if (parse_error.code != 0) {
    refuse(parse_error);
    return true;
  }
  if (!esmtp_ && !path.rest.empty()) {
    refuse(Reply{555, "5.5.4", "Parameters need EHLO"});
    return true;
  }
  return false;
}

void ServerSession::cmd_mail(const CommandLine& cmd) {
  if (!helo_done_) {
    refuse(Reply{503, "5.5.1", "Send HELO/EHLO first"});
    return;
  }
  if (tx_.active) {
    refuse(Reply{503, "5.5.1", "Sender already specified"});
    return;
  }
  if (options_.listener.tls == Listener::Tls::starttls_require && !tls_active_) {
    refuse(Reply{530, "5.7.0", "Must issue a STARTTLS command first"});
    return;
  }
  if (options_.listener.auth == Listener::Auth::required && auth_user_.empty()) {
    refuse(Reply{530, "5.7.0", "Authentication required"});
    return;
  }
  if (messages_ >= options_.limits.max_messages) {
    refuse(Reply{452, "4.5.3", "Too many messages for this session"});
    return;
  }
  ParameterSupport support;
  support.dsn = dsn_offered();
  support.max_size = options_.limits.max_message_size;
  ParsedMail parsed = parse_mail_command(cmd.argument, support);
  if (refused_arguments(parsed.error, parsed.command.path)) return;
  if (!filter(FilterPhase::mail_from, parsed.command.path.address)) return;
  tx_.active = true;
  tx_.mail = parsed.command;
  tx_.mail.path.rest = {};  // points into the command line, which is gone after this
  tx_.mail_from = parsed.command.path.address;
  reply(Reply{250, "2.1.0", "Ok"});
}

void ServerSession::cmd_rcpt(const CommandLine& cmd) {
  if (!tx_.active) {
    refuse(Reply{503, "5.5.1", "Need MAIL before RCPT"});
    return;
  }
  ParameterSupport support;
  support.dsn = dsn_offered();
  ParsedRcpt parsed = parse_rcpt_command(cmd.argument, support, options_.hostname);
  if (refused_arguments(parsed.error, parsed.command.path)) return;
  if (tx_.recipients.size() >= options_.limits.max_recipients) {
    refuse(Reply{452, "4.5.3", "Too many recipients"});
    return;
  }
  const std::string& address = parsed.command.path.address;
  if (!filter(FilterPhase::rcpt_to, tx_.mail_from, address)) return;
  if (!hooks_.route) {
    refuse(Reply{451, "4.3.0", "No router"});
    return;
  }
  RouteRequest request;
  request.source = options_.remote.address();
  request.rdns = options_.rdns;
  request.authenticated = !auth_user_.empty();
  request.auth_user = auth_user_;
  request.tls = tls_active_;
  request.helo = helo_;
  request.tag = options_.listener.tag;
  request.mail_from = tx_.mail_from;
  request.rcpt_to = address;
  RouteDecision decision = hooks_.route(request);
  switch (decision.outcome) {
    case RouteDecision::Outcome::deliver: {
      bool duplicate = std::any_of(tx_.recipients.begin(), tx_.recipients.end(),
                                   [&](const AcceptedRecipient& r) { return r.address == address; });
      if (!duplicate) {
        AcceptedRecipient r;
        r.address = address;
        r.action = decision.action_name();
        r.notify = parsed.command.notify;
        r.orcpt = parsed.command.orcpt;
        tx_.recipients.push_back(std::move(r));
      }
      reply(Reply{250, "2.1.5", "Recipient ok"});
      return;
    }
    case RouteDecision::Outcome::reject:
      refuse(reply_from_text(decision.reply, 550, "5.0.0"));
      return;
    case RouteDecision::Outcome::tempfail:
      refuse(reply_from_text(decision.reply, 451, "4.0.0"));
      return;
  }
}

void ServerSession::cmd_data(const CommandLine& cmd, Time now) {
  if (!tx_.active) {
    refuse(Reply{503, "5.5.1", "Need MAIL before DATA"});
    return;
  }
  if (tx_.recipients.empty()) {
    refuse(Reply{503, "5.5.1", "No valid recipients"});
    return;
  }
  if (!cmd.argument.empty()) {
    refuse(Reply{501, "5.5.4", "DATA takes no parameters"});
    return;
  }
  if (!filter(FilterPhase::data, tx_.mail_from)) return;
  tx_.id = hooks_.new_message_id ? hooks_.new_message_id() : std::to_string(messages_ + 1);
  reply(Reply{354, "", "End data with <CR><LF>.<CR><LF>"});
  DataLimits limits;
  limits.max_text_line = options_.limits.max_text_line;
  limits.max_line = options_.limits.max_line;
  limits.max_size = options_.limits.max_message_size;
  data_.emplace(limits);
  state_ = State::data;
  data_started_ = now;
  data_deadline_.start(now, options_.timeouts.data_idle, options_.timeouts.min_data_rate);
}

void ServerSession::end_of_data() {
  DataReader& d = *data_;
  state_ = State::command;
  ++messages_;
  Reply refusal;
  if (d.too_big()) {
    refusal = Reply{552, "5.3.4", "Message too big"};
  } else if (d.line_too_long()) {
    refusal = Reply{500, "5.6.0", "Line too long: the message has a line over " +
                                      std::to_string(options_.limits.max_text_line) + " octets"};
  } else if (d.bare_cr_or_lf()) {
    refusal = Reply{550, "5.6.0", "Message refused: bare CR or LF (lines must end with CRLF)"};
  } else if (d.nul()) {
    refusal = Reply{550, "5.6.0", "Message refused: NUL octet in message"};
  } else if (d.received_headers() > options_.limits.max_received_headers) {
    refusal = Reply{554, "5.4.6", "Too many hops (" + std::to_string(d.received_headers()) +
                                      " Received: headers): loop detected"};
  }
  if (refusal.code != 0) {
    options_.logger.info("message from " + options_.remote.to_string() + " refused: " + refusal.text);
    data_.reset();
    reset_transaction();
    refuse(refusal);
    return;
  }
  if (!filter(FilterPhase::commit, tx_.mail_from)) {
    data_.reset();
    reset_transaction();
    return;
  }
  MessageToCommit m;
  SessionEnvelope& e = m.envelope;
  e.id = tx_.id;
  e.mail_from = tx_.mail_from;
  e.recipients = tx_.recipients;
  e.body = tx_.mail.body;
  e.ret = tx_.mail.ret;
  e.envid = tx_.mail.envid;
  e.declared_size = tx_.mail.size;
  e.helo = helo_;
  e.esmtp = esmtp_;
  e.tls = tls_active_;
  e.auth_user = auth_user_;
  e.remote = options_.remote;
  e.local = options_.local;
  e.rdns = options_.rdns;
  e.hostname = options_.hostname;
  e.tag = options_.listener.tag;
  e.received = hooks_.wall_clock ? hooks_.wall_clock() : WallTime();

  ReceivedInfo info;
  info.helo = helo_;
  info.rdns = options_.rdns;
  info.source = options_.remote.address();
  info.mask_source = options_.listener.mask_src;
  info.hostname = options_.hostname;
  info.esmtp = esmtp_;
  info.tls = tls_active_;
  info.authenticated = !auth_user_.empty();
  if (tls_active_) {
    info.tls_version = tls_->protocol_version();
    info.tls_cipher = tls_->cipher_name();
    info.tls_bits = tls_->cipher_bits();
    info.tls_peer_verified = tls_->peer_verified();
  }
  info.id = tx_.id;
  if (tx_.recipients.size() == 1) info.single_recipient = tx_.recipients.front().address;
  info.when = e.received;
  std::string header = junk_ ? "X-Spam: Yes\r\n" : "";
  header += format_received_header(info);
  Bytes body = d.take_content();
  m.content.reserve(header.size() + body.size());
  append(m.content, ByteView(header));
  append(m.content, body);
  data_.reset();
  ready_ = std::move(m);
  state_ = State::committing;
}

std::optional<MessageToCommit> ServerSession::take_message() {
  std::optional<MessageToCommit> m = std::move(ready_);
  ready_.reset();
  return m;
}

void ServerSession::finish_commit(const Reply& r, Time now) {
  if (state_ != State::committing) return;
  ready_.reset();
  reset_transaction();
  state_ = State::command;
  last_command_ = now;
  if (r.positive()) reply(r);
  else refuse(r);
  if (state_ == State::closed) return;
  if (input_while_held_ || !input_.empty()) {
    reply(Reply{500, "5.5.1", "Pipelining not supported"});
    close("input before the DATA reply (pipelining)");
  }
}

void ServerSession::complete_message(std::string_view queue_id, Time now) {
  options_.logger.info("message " + std::string(queue_id) + " from " + options_.remote.to_string() + " accepted");
  finish_commit(Reply{250, "2.0.0", std::string(queue_id) + " Message accepted for delivery"}, now);
}

void ServerSession::fail_message(std::string_view reason, Time now) {
  finish_commit(Reply{451, "4.3.0", reason.empty() ? std::string("Temporary failure") : std::string(reason)}, now);
}

void ServerSession::reset_transaction() {
  tx_ = Transaction();
  // A junk verdict from a connect or HELO filter stays for the session;
  // one from MAIL/RCPT would be cleared here, but those are not applied.
}

}  // namespace tether::smtp
