#pragma once
// The relay's events in its log: one line per MailRelayEvent, logged by
// MailRelay at debug as component "relay.event", in a stable form that a
// reader of tetherd's log (the lab, lab/runner/relay_log_events.h) turns
// back into the event:
//
//   KIND [msgid=HEX8] [evpid=HEX16] [envelopes=HEX16,...] [message-id=V]
//        [destination=V] [path=V] [detail=V]
//
// KIND is to_string(MailRelayEvent::Kind). A field is written only when it
// is set, always in this order. A value V is written bare when it is
// non-empty printable ASCII without space, '"' or '\'; otherwise quoted:
// "...", with \" \\ and \xHH for other bytes. The log's own stamp is the
// event's time. Postfix logs a queued message's Message-ID the same way
// (cleanup(8): "QUEUEID: message-id=<...>"); OpenSMTPD 6.8 logs none.

#include <string>
#include <string_view>

#include "node/mail_relay_events.h"

namespace tether::node {

std::string format_relay_event_line(const MailRelayEvent& event);

// V as the line writes it (exposed for its reader's tests).
std::string quote_relay_log_value(std::string_view value);

}  // namespace tether::node
