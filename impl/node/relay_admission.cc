// MailRelay's door: which accepted connections become sessions
// (smtp/connection_admission.h has the rules and their sources). A refused
// one gets a 421 and is closed; refusals are not sessions, so a flood that
// is being turned away cannot itself fill the server, and when even the
// refusals in flight reach max_inbound_sessions, further connections are
// closed without a word.

#include <algorithm>

#include "node/mail_relay.h"
#include "node/relay_inbound_session.h"

namespace tether::node {

smtp::AdmissionLimits MailRelay::admission_limits() const {
  const smtp::RelayBehaviour behaviour = config_->knobs.resolve();
  smtp::AdmissionLimits limits;
  limits.max_sessions = options_.max_inbound_sessions;
  limits.per_client = behaviour.client_connection_limit;
  limits.per_client_rate = behaviour.client_connection_rate;
  limits.listeners = std::max<std::size_t>(config_->listeners.size(), 1);
  return limits;
}

std::size_t MailRelay::listener_index(const RelayListener& listener) const {
  const smtp::Listener* line = &listener.config();
  for (std::size_t i = 0; i < config_->listeners.size(); ++i)
    if (&config_->listeners[i] == line) return i;
  return 0;  // a socket handed over by a reload, for a line that moved
}

std::string MailRelay::admit(const RelayListener& listener, const Endpoint& remote, const std::string& hostname) {
  const smtp::Admission verdict = admission_.admit(listener_index(listener), remote.address(), host_.now());
  switch (verdict) {
    case smtp::Admission::admitted:
      return "";
    case smtp::Admission::client_busy:
    case smtp::Admission::client_too_fast:
      // One line per refusal, stable for fail2ban-style matching.
      log_.warning("connection refused: " + std::string(smtp::to_string(verdict)) + ": " +
                   remote.address().to_string() + " (" +
                   std::to_string(admission_.sessions_of(remote.address())) + " sessions) on " +
                   listener.config().where.to_string());
      // Postfix's smtpd.c wording for both of its anvil limits.
      return "421 4.7.0 " + hostname + " Error: too many connections from " + remote.address().to_string() + "\r\n";
    case smtp::Admission::server_full:
    case smtp::Admission::listener_full:
      break;
  }
  log_.warning("too many sessions (" + std::to_string(admission_.sessions()) + ", " + smtp::to_string(verdict) +
               "): turning away " + remote.to_string() + " on " + listener.config().where.to_string());
  return "421 4.3.2 " + hostname + " Too many connections, try again later\r\n";
}

void MailRelay::refuse(std::unique_ptr<TcpStream> stream, const std::string& refusal) {
  ++clt_connect_;
  if (refusing_ >= options_.max_inbound_sessions) {
    ++clt_disconnect_;
    stream->close();  // a flood of floods: not even a 421
    return;
  }
  ++refusing_;
  auto session = std::make_unique<RelayInboundSession>(
      host_, std::move(stream), refusal, log_.child("smtp"),
      [this](RelayInboundSession& s) {
        ++clt_disconnect_;
        --refusing_;
        inbound_.erase(&s);
      },
      Duration::seconds(5));
  RelayInboundSession* raw = session.get();
  inbound_.emplace(raw, std::move(session));
  raw->start();
}

}  // namespace tether::node
