#pragma once
// What a MailRelay tells its subscribers (MailRelay::subscribe) and counts:
// one event per step of a message's life, in the order they happen. The
// simulation's metrics, tetherd's log and the tests read them.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/time.h"
#include "host/host.h"
#include "smtp/envelope.h"

namespace tether::node {

struct MailRelayEvent {
  enum class Kind {
    session_opened,     // a client connected (detail: its address)
    session_closed,
    message_accepted,   // committed before the 250 (msgid, envelopes)
    delivery_attempt,   // an envelope leaves for delivery (destination)
    delivered,          // detail: where (the server, or the maildir file in path)
    temporary_failure,  // detail: the error; it stays queued
    permanent_failure,  // detail: the error; a report follows if one may be made
    report_queued,      // a failure or delay report about an envelope was queued
    report_injected,    // a DSN was made and queued to the sender (msgid: the DSN)
    report_dropped,     // a report no rule routes (detail: OpenSMTPD's warn line)
    expired,            // reached `queue ttl`
    removed,            // `remove`
    smtp_paused,
    smtp_resumed,
  };
  Kind kind = Kind::message_accepted;
  Time time;
  WallTime wall;
  smtp::MessageId msgid = 0;
  smtp::EnvelopeId evpid = 0;
  std::vector<smtp::EnvelopeId> envelopes;  // message_accepted
  std::string message_id;  // message_accepted: its Message-ID field's value (empty: none)
  std::string destination;
  std::string detail;
  std::filesystem::path path;  // delivered locally: the file
};
const char* to_string(MailRelayEvent::Kind kind);

struct MailRelayCounters {
  std::uint64_t sessions = 0;
  std::uint64_t messages_accepted = 0;
  std::uint64_t envelopes_accepted = 0;
  std::uint64_t attempts = 0;  // envelopes handed to a delivery
  std::uint64_t delivered = 0;
  std::uint64_t temporary_failures = 0;
  std::uint64_t permanent_failures = 0;
  std::uint64_t reports_queued = 0;
  std::uint64_t reports_injected = 0;
  std::uint64_t reports_dropped = 0;
  std::uint64_t expired = 0;
  std::uint64_t removed = 0;
};

// An event of `kind` now, about envelope `id` (and its message) if not 0.
MailRelayEvent make_relay_event(const Host& host, MailRelayEvent::Kind kind, smtp::EnvelopeId id = 0);

}  // namespace tether::node
