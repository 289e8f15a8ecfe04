#pragma once
// The built-in filters of smtpd.conf(5) (`filter NAME phase PHASE match
// [!]CHECK DECISION "message"`), run by the server session at each phase
// for the filter or filter chain its listener names:
//
//   filter "no_rdns" phase connect match !rdns disconnect "550 no rDNS"
//   filter incoming chain { "no_dyndns", "no_rdns", "no_fcrdns" }
//
// Checks are made on what the session knows at that phase; the reverse name
// and whether it is forward-confirmed come from the app, which resolves them
// before the session starts. A chain runs its filters in order and stops at
// the first that rejects or disconnects (or bypasses). Decisions:
//   disconnect  the message is the reply, then the session closes
//   reject      the message is the reply, and the command (or, at connect,
//               the session: RFC 5321 3.1 554 greeting) is refused
//   junk        the message gets "X-Spam: Yes"
//   bypass      the rest of the chain is skipped for this phase
//   rewrite, report: OpenSMTPD hands these to filter processes, which tether
//               does not run (the parser refuses `proc` filters); here they
//               do nothing, which proceeds, as a report does in OpenSMTPD.
// As in OpenSMTPD, a message starting with 421 always disconnects.

#include <optional>
#include <string>

#include "core/endpoint.h"
#include "smtp/config.h"

namespace tether::smtp {

// What is known about the session when a phase's filters run.
struct FilterFacts {
  std::optional<IpAddress> source;
  std::string rdns;      // "" when the address has no reverse name
  bool fcrdns = false;   // the reverse name resolves back to the address
  std::string helo;
  bool authenticated = false;
  std::string auth_user;
  std::string mail_from;
  std::string rcpt_to;
};

struct FilterVerdict {
  enum class Kind { proceed, junk, reject, disconnect };
  Kind kind = Kind::proceed;
  std::string message;  // reject / disconnect: the configured reply
  std::string filter;   // which filter decided
};

// Runs the listener's filter (a built-in filter or a chain of them) for one
// phase. An empty name, or a name the config does not have, proceeds.
FilterVerdict run_filters(const Config& config, const std::string& filter_name, FilterPhase phase,
                          const FilterFacts& facts);

}  // namespace tether::smtp
