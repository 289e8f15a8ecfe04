#pragma once
// Bounces and delay warnings: RFC 3464 delivery status notifications
// (multipart/report; report-type=delivery-status) from MAILER-DAEMON@host,
// sent with the null sender <>.
//
// As in OpenSMTPD, a report is first a queued envelope of type `bounce`
// beside the message it is about (make_report_envelope): a failed envelope
// is turned into one in place, by one atomic rewrite, so a crash can neither
// lose the report nor send it twice; a delay warning is a new envelope of the
// same message. When the scheduler makes a report envelope due, the relay
// builds the DSN (build_report + format_delivery_report) and injects it as a
// new message from <> to the original sender, routed like any local mail.
//
// Reports never loop:
//   - nothing is reported about a report (type bounce) or about mail with
//     the null sender (a DSN someone else sent us): it is dropped and logged;
//   - a report whose injection is refused (no rule sends local mail to the
//     sender, as in the seeds' relay, where "the bounce mails will
//     intentionally fail") is dropped with OpenSMTPD's log line
//     (injection_failure_log), and so is one still not injected when its
//     7 days run out;
//   - the injected DSN has the null sender, so its own failure or expiry is
//     dropped, not bounced.

#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "smtp/envelope.h"

namespace tether::smtp {

// How long a report may wait to be injected (OpenSMTPD's bounce ttl).
constexpr Duration kReportTtl = Duration::days(7);

// Why no failure report may be made about this envelope; "" when one may.
std::string failure_report_refusal(const Envelope& envelope);
// Whether the sender gets delay warnings about this envelope (RFC 3461:
// unless NOTIFY was given without DELAY).
bool delay_report_wanted(const Envelope& envelope);

// The RFC 3463 status of an error: the enhanced code of an SMTP reply
// ("550 5.1.1 unknown" -> "5.1.1"), else the reply's class ("550 x" ->
// "5.0.0"), else from `permanent`.
std::string status_from_error(std::string_view error, bool permanent);

// The bounce-type envelope that carries a report about `about` until it is
// injected. A failure report keeps `about`'s id (it replaces it) and may
// wait kReportTtl; a delay report has id 0, for QueueStore::add_envelope to
// fill, and lives as long as the message it warns about.
Envelope make_report_envelope(const Envelope& about, ReportKind kind, std::string_view error,
                              std::string_view status, WallTime now, Duration delay = Duration::zero());
// The error line of an envelope dropped at `queue ttl`.
std::string expiry_error(const Envelope& expired);
constexpr const char* kExpiryStatus = "5.4.7";  // RFC 3463: delivery time expired

// ---- the DSN message ----

struct DeliveryReport {
  struct Recipient {
    std::string final_recipient;     // "user@domain"
    std::string original_recipient;  // ORCPT as given ("rfc822;user@domain"), or ""
    std::string status;              // "5.1.1"
    std::string error;               // the error line: becomes Diagnostic-Code
    WallTime last_attempt;           // zero = unknown
  };

  ReportKind kind = ReportKind::failure;
  std::string reporting_mta;  // our host name: From MAILER-DAEMON@ it, Reporting-MTA
  std::string to;             // the original sender, who gets the report
  WallTime date;
  std::string envid;          // ENVID, or ""
  MessageId msgid = 0;        // the message reported on (names Message-ID, boundary)
  std::vector<Recipient> recipients;
  Duration delay;             // delay: how long it has been delayed
  WallTime retry_until;       // delay: when we give up
  std::string original;       // the message, or only its header
  bool headers_only = false;
};

// One report about the report envelopes of one message (same kind, same
// sender). `original` is the queued message.
DeliveryReport build_report(const std::vector<Envelope>& reports, std::string_view original, WallTime now);
// The whole message, CRLF line ends, ready to be queued.
std::string format_delivery_report(const DeliveryReport& report);

// The header block of a message, up to (not including) the empty line.
std::string_view message_header(std::string_view message);

// The envelope of the injected DSN: from <>, to the report's sender, never
// itself reported (NOTIFY=NEVER). The caller sets type, action and
// destination from the route it got.
Envelope injected_report_envelope(const Envelope& report, WallTime now, Duration ttl);

// OpenSMTPD's warning when an injection fails, which the seeds quote:
// "warn: PermFail injecting failure report on message 52866920 to
// <sender@other.host.example.com> for 1 envelope: 550 Invalid recipient:
// <sender@other.host.example.com>". A reply without the address gets it
// appended, as OpenSMTPD's SMTP session words its refusal.
std::string injection_failure_log(bool permanent, MessageId msgid, std::string_view to, std::size_t envelopes,
                                  std::string_view reply);

// ---- what the relay says about its reports (logs and event details) ----

// "failure report on message 0a1b2c3d queued to <s@example.org> as 4e5f6a7b"
std::string report_injected_log(ReportKind kind, MessageId about, std::string_view sender, MessageId dsn);
// "about 0a1b2c3d to <s@example.org>": the injected DSN, by the message it reports on.
std::string report_injected_note(MessageId about, std::string_view sender);
// "failure report about <evpid> to <s@example.org>": a failed envelope turned into a report.
std::string failure_report_note(const Envelope& about);
// "delay warning about <evpid>": a delay report queued beside the envelope.
std::string delay_warning_note(EnvelopeId about);

}  // namespace tether::smtp
