#include "smtp/relay_transaction.h"

namespace tether::smtp {

RelayGroupKey relay_group_key(const Envelope& envelope) {
  return RelayGroupKey{envelope.msgid(), envelope.destination, envelope.action};
}

std::string relay_address(const Envelope& envelope) { return envelope.dest.empty() ? envelope.rcpt : envelope.dest; }

ClientTransaction relay_transaction_for(const Envelope& first, const Action& action) {
  ClientTransaction t;
  t.mail_from = action.relay.mail_from.empty() ? first.sender : action.relay.mail_from;
  t.dsn_ret = dsn_return_text(first.dsn_ret);
  t.dsn_envid = first.dsn_envid;
  return t;
}

ClientRecipient relay_recipient_for(const Envelope& envelope) {
  ClientRecipient r;
  r.address = relay_address(envelope);
  r.dsn_notify = dsn_notify_text(envelope.dsn_notify);
  r.dsn_orcpt = envelope.dsn_orcpt;
  return r;
}

std::string dsn_notify_text(unsigned notify) {
  if (notify & dsn_notify_never) return "NEVER";
  std::string out;
  auto add = [&](unsigned bit, const char* word) {
    if (notify & bit) out += (out.empty() ? "" : ",") + std::string(word);
  };
  add(dsn_notify_success, "SUCCESS");
  add(dsn_notify_failure, "FAILURE");
  add(dsn_notify_delay, "DELAY");
  return out;
}

const char* dsn_return_text(DsnReturn ret) {
  switch (ret) {
    case DsnReturn::full: return "FULL";
    case DsnReturn::headers: return "HDRS";
    case DsnReturn::unspecified: return "";
  }
  return "";
}

}  // namespace tether::smtp
