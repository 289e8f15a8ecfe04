#include "node/mail_relay_events.h"

namespace tether::node {

const char* to_string(MailRelayEvent::Kind kind) {
  using K = MailRelayEvent::Kind;
  switch (kind) {
    case K::session_opened: return "session_opened";
    case K::session_closed: return "session_closed";
    case K::message_accepted: return "message_accepted";
    case K::delivery_attempt: return "delivery_attempt";
    case K::delivered: return "delivered";
    case K::temporary_failure: return "temporary_failure";
    case K::permanent_failure: return "permanent_failure";
    case K::report_queued: return "report_queued";
    case K::report_injected: return "report_injected";
    case K::report_dropped: return "report_dropped";
    case K::expired: return "expired";
    case K::removed: return "removed";
    case K::smtp_paused: return "smtp_paused";
    case K::smtp_resumed: return "smtp_resumed";
  }
  return "?";
}

MailRelayEvent make_relay_event(const Host& host, MailRelayEvent::Kind kind, smtp::EnvelopeId id) {
  MailRelayEvent e;
  e.kind = kind;
  e.time = host.now();
  e.wall = host.wall_now();
  e.evpid = id;
  e.msgid = smtp::message_of(id);
  return e;
}

}  // namespace tether::node
