#pragma once
// One recipient of one queued message, and its file format.
//
// Ids are OpenSMTPD's: a message id is a non-zero 32-bit value printed as 8
// hex digits; an envelope id is the message id in its top 32 bits and a
// random non-zero value below, printed as 16 hex digits. So `schedule ID` and
// `remove ID` tell a message from an envelope by size, as smtpctl does.
//
// On disk an envelope is text, one `key: value` per line, every key always
// written and the version first:
//
//   version: 1
//   evpid: 4b2a1c0e9f31d2a7
//   ...
//
// Values are escaped (\\, \n, \r) so that an error line a remote server sent
// cannot break the format. Parsing is strict: an unknown, repeated or missing
// key, a bad value or a last line without its newline (a torn write) is an
// error that names file:line.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/time.h"
#include "smtp/dsn.h"

namespace tether::smtp {

using MessageId = std::uint32_t;
using EnvelopeId = std::uint64_t;

constexpr MessageId message_of(EnvelopeId id) { return static_cast<MessageId>(id >> 32); }
constexpr EnvelopeId make_envelope_id(MessageId msgid, std::uint32_t low) {
  return (static_cast<EnvelopeId>(msgid) << 32) | low;
}
// An id that names a whole message (what `schedule`/`remove` accept besides evpids).
constexpr bool is_message_id(std::uint64_t id) { return id != 0 && id <= 0xffffffffULL; }

std::string format_message_id(MessageId id);    // "%08x"
std::string format_envelope_id(EnvelopeId id);  // "%016x"
// Hex, 1 to 16 digits; "0" and junk are errors.
Result<std::uint64_t> parse_queue_id(std::string_view text);

// What will carry the envelope to its recipient (OpenSMTPD's D_MDA/D_MTA/D_BOUNCE).
enum class DeliveryType {
  mda,     // local delivery: maildir, mbox
  mta,     // relay to another server
  bounce,  // a report (failure or delay) to the sender, not yet injected
};
const char* to_string(DeliveryType type);
std::optional<DeliveryType> parse_delivery_type(std::string_view text);

// Where the message came from, for the `family` column of `show queue`.
enum class SourceFamily { local, inet4, inet6 };
const char* to_string(SourceFamily family);

// What a bounce-type envelope reports.
enum class ReportKind { failure, delay };
const char* to_string(ReportKind kind);

// RFC 3461 NOTIFY, as bits; none = the parameter was not given.
enum DsnNotify : unsigned {
  dsn_notify_none = 0,
  dsn_notify_never = 1,
  dsn_notify_success = 2,
  dsn_notify_failure = 4,
  dsn_notify_delay = 8,
};

struct Envelope {
  EnvelopeId id = 0;
  DeliveryType type = DeliveryType::mta;
  SourceFamily family = SourceFamily::local;
  std::string source;       // client address as text; "" for local
  std::string helo;         // what the client said in EHLO/HELO
  std::string hostname;     // our name for this mail: Received:, MAILER-DAEMON@
  std::string sender;       // "user@domain"; "" is the null sender <>
  std::string rcpt;         // the recipient as given in RCPT TO
  std::string dest;         // the final recipient after aliases/virtual
  // What the scheduler groups by: the recipient's domain, or the relay host
  // when the action relays through one. "The route came back" names it.
  std::string destination;
  std::string action;       // the config's action name
  WallTime creation;
  WallTime expire;          // creation + the queue (or action) ttl
  std::uint32_t retry = 0;  // failed tries so far
  WallTime last_try;        // zero = never tried
  WallTime last_warning;    // the last delay warning (OpenSMTPD's last-bounce); zero = none
  std::string last_error;   // "421 4.7.0 try again later"; the errorline of show queue
  // state flags
  bool authenticated = false;  // accepted from an authenticated session
  bool internal = false;       // made by this relay itself (reports)
  bool suspended = false;      // `pause envelope`: survives a restart
  // bounce-type envelopes: what is reported
  ReportKind report = ReportKind::failure;
  std::string report_status;   // RFC 3463 code of the failure: "5.1.1", "4.4.7"
  Duration report_delay;       // delay reports: the warn-interval that passed
  // DSN parameters from MAIL/RCPT (RFC 3461)
  unsigned dsn_notify = dsn_notify_none;
  DsnReturn dsn_ret = DsnReturn::unspecified;
  std::string dsn_envid;
  std::string dsn_orcpt;

  MessageId msgid() const { return message_of(id); }
  Duration ttl() const { return expire - creation; }
  bool null_sender() const { return sender.empty(); }

  bool operator==(const Envelope& o) const;
  bool operator!=(const Envelope& o) const { return !(*this == o); }
};

constexpr int kEnvelopeFormatVersion = 1;

std::string serialize_envelope(const Envelope& envelope);
// `file` only names the source in errors ("queue/4b/4b2a1c0e/4b2a...:7: ...").
Result<Envelope> parse_envelope(std::string_view text, const std::string& file);

// The domain of "user@domain" ("" when there is none), lower-cased.
std::string address_domain(std::string_view address);

}  // namespace tether::smtp
