#include "smtp/envelope_routing.h"

#include "core/ascii.h"
#include "smtp/table.h"

namespace tether::smtp {

DeliveryType delivery_type_for(const Action& action) {
  return action.type == Action::Type::relay ? DeliveryType::mta : DeliveryType::mda;
}

std::string destination_for(const Action& action, std::string_view rcpt) {
  if (action.type == Action::Type::relay && !action.relay.hosts.empty()) return ascii_lower(action.relay.hosts.front().host);
  return address_domain(rcpt);
}

std::string destination_key(std::string_view destination) { return ascii_lower(destination); }

Envelope envelope_for(const Config& config, const MessageToCommit& content, const AcceptedRecipient& rcpt,
                      WallTime now) {
  const SessionEnvelope& s = content.envelope;
  const Action* action = config.find_action(rcpt.action);
  Envelope e;
  e.type = action ? delivery_type_for(*action) : DeliveryType::mda;
  e.family = s.remote.address().is_v4() ? SourceFamily::inet4 : SourceFamily::inet6;
  e.source = s.remote.address().to_string();
  e.helo = s.helo;
  e.hostname = s.hostname;
  e.sender = s.mail_from;
  e.rcpt = rcpt.address;
  e.dest = rcpt.address;
  e.destination = action ? destination_for(*action, rcpt.address) : address_domain(rcpt.address);
  e.action = rcpt.action;
  e.creation = now;
  e.expire = now + (action && action->ttl ? *action->ttl : config.queue.ttl);
  e.authenticated = !s.auth_user.empty();
  e.dsn_notify = rcpt.notify;
  e.dsn_ret = s.ret;
  e.dsn_envid = s.envid;
  e.dsn_orcpt = rcpt.orcpt;
  return e;
}

void route_envelope(Envelope& envelope, const Action& action, std::string_view rcpt) {
  envelope.type = delivery_type_for(action);
  envelope.action = action.name;
  envelope.destination = destination_for(action, rcpt);
}

Envelope alias_copy(const Envelope& expanded) {
  Envelope e = expanded;
  e.id = 0;
  e.retry = 0;
  e.last_try = WallTime();
  e.last_error.clear();
  return e;
}

Envelope retarget_envelope(const Envelope& expanded, const Action& action, std::string_view target) {
  Envelope e = alias_copy(expanded);
  route_envelope(e, action, target);
  // A local user by its bare name: the mailbox, not the address.
  e.dest = action.type == Action::Type::relay ? std::string(target) : ascii_lower(split_mail_address(target).user);
  return e;
}

}  // namespace tether::smtp
