// The client session's opening, after the greeting: EHLO (or HELO) and what
// the server offers, STARTTLS under the session's TLS policy, and AUTH
// before the first MAIL (OpenSMTPD's mta_session.c, from MTA_EHLO to
// MTA_AUTH).

#include "smtp/client_session.h"

#include "core/ascii.h"
#include "core/base64.h"

namespace tether::smtp {

void ClientSession::on_ehlo_reply(const ServerReply& reply, Time now) {
  extensions_ = ServerExtensions{};
  extensions_.esmtp = true;
  for (std::size_t i = 1; i < reply.lines.size(); ++i) {
    std::string line = ascii_upper(reply.lines[i]);
    std::string keyword = line.substr(0, line.find_first_of(" ="));
    std::string params = keyword.size() < line.size() ? line.substr(keyword.size() + 1) : std::string();
    if (keyword == "STARTTLS") {
      extensions_.starttls = true;
    } else if (keyword == "SIZE") {
      std::uint64_t limit = 0;
      bool valid = params.size() <= 19;
      for (char c : params) {
        if (!std::isdigit(static_cast<unsigned char>(c))) valid = false;
        limit = limit * 10 + std::uint64_t(c - '0');
      }
      // A limit we cannot read is no limit: the server still refuses what
      // is too big, with a 552 we treat as it says.
      extensions_.size = true;
      extensions_.size_limit = valid ? limit : 0;
    } else if (keyword == "AUTH") {
      extensions_.auth = true;
      std::size_t pos = 0;
      while (pos < params.size()) {
        std::size_t end = params.find(' ', pos);
        if (end == std::string::npos) end = params.size();
        std::string mech = params.substr(pos, end - pos);
        if (mech == "PLAIN") extensions_.auth_plain = true;
        if (mech == "LOGIN") extensions_.auth_login = true;
        pos = end + 1;
      }
    } else if (keyword == "8BITMIME") {
      extensions_.eight_bit_mime = true;
    } else if (keyword == "DSN") {
      extensions_.dsn = true;
    } else if (keyword == "PIPELINING") {
      extensions_.pipelining = true;
    } else if (keyword == "ENHANCEDSTATUSCODES") {
      extensions_.enhanced_status_codes = true;
    }
  }
  if (state_ == State::tls_ehlo) return start_auth_or_mail(now);
  after_hello(now);
}

void ClientSession::after_hello(Time now) {
  if (tls_) return start_auth_or_mail(now);  // smtps
  switch (options_.tls) {
    case ClientTls::none:
      return start_auth_or_mail(now);
    case ClientTls::opportunistic:
      if (!extensions_.starttls) return start_auth_or_mail(now);
      return send_command("STARTTLS", State::starttls, options_.timeouts.command, now);
    case ClientTls::required_starttls:
      if (!extensions_.starttls) {
        error_ = "TLS required but the server does not offer STARTTLS";
        return fail_remaining(DeliveryStatus::temporary, error_, true, now);
      }
      return send_command("STARTTLS", State::starttls, options_.timeouts.command, now);
    case ClientTls::implicit:
      break;  // tls_ exists from the start
  }
  start_auth_or_mail(now);
}

void ClientSession::on_tls_ready(Time now) {
  // smtps: the greeting is next, its timer already runs.
  if (state_ != State::tls_ehlo) return;
  send_command("EHLO " + options_.helo, State::tls_ehlo, options_.timeouts.command, now);
}

void ClientSession::start_auth_or_mail(Time now) {
  if (!options_.credentials) return start_mail(now);
  auto refuse = [&](const std::string& why) {
    error_ = why;
    fail_remaining(DeliveryStatus::temporary, why, true, now);
  };
  if (!tls_active()) return refuse("refusing to AUTH over a connection without TLS");
  if (!extensions_.auth) return refuse("the server does not offer AUTH");
  const ClientCredentials& c = *options_.credentials;
  if (extensions_.auth_plain) {
    std::string plain;
    plain += '\0';
    plain += c.user;
    plain += '\0';
    plain += c.password;
    return send_command("AUTH PLAIN " + base64_encode(plain), State::auth_plain, options_.timeouts.command, now);
  }
  if (extensions_.auth_login) return send_command("AUTH LOGIN", State::auth_login, options_.timeouts.command, now);
  refuse("the server offers AUTH but neither PLAIN nor LOGIN");
}

}  // namespace tether::smtp
