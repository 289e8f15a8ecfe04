// AUTH (RFC 4954): PLAIN (RFC 4616) and LOGIN, checked against the
// listener's credentials table of crypt(3) hashes. See server_session.h for
// when it is offered and what failures cost.

#include <algorithm>

#include "core/ascii.h"
#include "crypto/bcrypt.h"
#include "smtp/sasl.h"
#include "smtp/server_session.h"

namespace tether::smtp {

namespace {

// What an unknown user's password is checked against, so that "no such
// user" costs the same bcrypt time as "wrong password". The answer is
// thrown away; only the cost (10, as `smtpctl encrypt` makes) matters. The
// hash is of random bytes nobody kept.
constexpr char kDummyHash[] = "$2b$10$.vQSn5VvvGwmZoqWfpTRiuKRSsAIZW/07zgLI/Bbg6XFyJhGMfgfS";

}  // namespace

void ServerSession::cmd_auth(const CommandLine& cmd) {
  if (!auth_configured()) {
    refuse(Reply{503, "5.5.1", "AUTH not available"});
    return;
  }
  if (!helo_done_ || !esmtp_) {
    refuse(Reply{503, "5.5.1", "Send EHLO first"});
    return;
  }
  if (!tls_active_) {
    refuse(Reply{538, "5.7.11", "Encryption required for requested authentication mechanism"});
    return;
  }
  if (!auth_user_.empty()) {
    refuse(Reply{503, "5.5.1", "Already authenticated"});
    return;
  }
  if (tx_.active) {
    refuse(Reply{503, "5.5.1", "AUTH not allowed during a mail transaction"});
    return;
  }
  std::string_view arg = cmd.argument;
  std::size_t sp = arg.find(' ');
  const std::string mechanism = ascii_upper(arg.substr(0, sp));
  std::optional<std::string_view> initial;
  if (sp != std::string_view::npos) initial = arg.substr(sp + 1);
  if (mechanism == "PLAIN") {
    state_ = State::auth_plain;
    if (!initial) {
      send("334 \r\n");
      return;
    }
    handle_auth_response(*initial == "=" ? std::string_view() : *initial);
  } else if (mechanism == "LOGIN") {
    state_ = State::auth_login_user;
    if (!initial) {
      send("334 VXNlcm5hbWU6\r\n");  // "Username:"
      return;
    }
    handle_auth_response(*initial);
  } else {
    refuse(Reply{504, "5.5.4", "Unrecognized authentication mechanism"});
  }
}

void ServerSession::handle_auth_response(std::string_view line) {
  State step = state_;
  state_ = State::command;
  if (line == "*") {
    login_user_.clear();
    refuse(Reply{501, "5.0.0", "Authentication cancelled"});
    return;
  }
  if (line.size() + 2 > kMaxAuthLine) {
    refuse(Reply{500, "5.5.2", "Line too long"});
    return;
  }
  std::optional<std::string> decoded = base64_decode(line);
  if (!decoded) {
    login_user_.clear();
    refuse(Reply{501, "5.5.2", "Invalid base64 data"});
    return;
  }
  switch (step) {
    case State::auth_plain: {
      std::optional<PlainCredentials> c = parse_sasl_plain(*decoded);
      if (!c) {
        refuse(Reply{501, "5.5.2", "Invalid PLAIN response"});
        return;
      }
      check_password(c->authzid, c->authcid, c->password);
      return;
    }
    case State::auth_login_user:
      if (decoded->empty()) {
        refuse(Reply{501, "5.5.2", "Empty user name"});
        return;
      }
      login_user_ = std::move(*decoded);
      state_ = State::auth_login_password;
      send("334 UGFzc3dvcmQ6\r\n");  // "Password:"
      return;
    case State::auth_login_password: {
      std::string user = std::move(login_user_);
      login_user_.clear();
      check_password("", user, *decoded);
      return;
    }
    default:
      return;
  }
}

void ServerSession::check_password(const std::string& authzid, const std::string& user, const std::string& password) {
  if (hooks_.auth_may_try) {
    if (std::optional<Duration> wait = hooks_.auth_may_try()) {
      const std::string client = options_.remote.address().to_string();
      options_.logger.warning("AUTH refused from " + client + ": too many failures, next try in " +
                              std::to_string(wait->whole_seconds() + 1) + " s");
      refuse(Reply{450, "4.7.1", "Too many AUTH failures from " + client + ", try again later"});
      return;
    }
  }
  std::optional<std::string> hash;
  if (hooks_.credentials) hash = hooks_.credentials(user);
  checking_user_ = user;
  checking_user_ok_ = hash.has_value() && (authzid.empty() || authzid == user) &&
                      user.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos;
  PasswordCheck check{password, checking_user_ok_ ? *hash : std::string(kDummyHash)};
  if (options_.defer_password_checks) {
    password_check_ = std::move(check);
    state_ = State::auth_checking;
    return;
  }
  finish_password_check(crypto::verify_password(check.password, check.hash));
}

std::optional<PasswordCheck> ServerSession::take_password_check() {
  std::optional<PasswordCheck> check = std::move(password_check_);
  password_check_.reset();
  return check;
}

void ServerSession::complete_password_check(const Result<bool>& verified, Time now) {
  if (state_ != State::auth_checking) return;
  password_check_.reset();
  state_ = State::command;
  last_command_ = now;
  finish_password_check(verified);
  if (state_ == State::closed) return;
  if (input_while_held_ || !input_.empty()) {
    reply(Reply{500, "5.5.1", "Pipelining not supported"});
    close("input before the AUTH reply (pipelining)");
  }
}

void ServerSession::finish_password_check(const Result<bool>& verified) {
  const std::string user = std::move(checking_user_);
  checking_user_.clear();
  if (!verified.ok())
    options_.logger.warning("AUTH: the credentials entry for '" + sanitize_reply_text(user) + "' is unusable: " + verified.error().message);
  if (checking_user_ok_ && verified.ok() && verified.value()) {
    auth_user_ = user;
    options_.logger.info("AUTH as '" + sanitize_reply_text(user) + "' from " + options_.remote.to_string() + " succeeded");
    if (hooks_.auth_checked) hooks_.auth_checked(true);
    reply(Reply{235, "2.7.0", "Authentication succeeded"});
    filter(FilterPhase::auth);
    return;
  }
  options_.logger.warning("AUTH failed from " + options_.remote.address().to_string() + " port " +
                          std::to_string(options_.remote.port()) + " as '" + sanitize_reply_text(user) + "'");
  if (hooks_.auth_checked) hooks_.auth_checked(false);
  if (++auth_failures_ >= options_.limits.max_auth_failures) {
    reply(Reply{535, "5.7.8", "Authentication credentials invalid"});
    reply(Reply{421, "4.7.0", options_.hostname + " Too many authentication failures, closing connection"});
    close("too many authentication failures");
    return;
  }
  refuse(Reply{535, "5.7.8", "Authentication credentials invalid"});
}

}  // namespace tether::smtp
