#pragma once
// "RCPT TO:<Postmaster>" without a domain (RFC 5321 4.5.1: it MUST be
// accepted, as postmaster at any domain the server serves must be).
//
// OpenSMTPD completes a recipient without a domain with the listener's
// name (smtp_session.c, smtp_mailaddr(): "no domain part, local user") and
// lets the ruleset decide, so a relay whose rules serve only its mail
// domain (`match ... for domain "example.org"`) on a host called "vm"
// answers 550. Postfix never refuses it: smtpd_check.c, smtpd_check_rcpt()
// returns before any restriction for a bare "postmaster", and cleanup
// rewrites it to postmaster@$myorigin. tether takes the RFC's side, as
// Postfix does, but keeps routing through the rules, as OpenSMTPD does: the
// host's name first (OpenSMTPD's completion), then postmaster at each domain
// the rules deliver for by name, in the config's order; the first one the
// rules deliver wins. Only when none does is it refused, with the host
// name's answer.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/config.h"
#include "smtp/router.h"

namespace tether::smtp {

// The domains to complete a bare <postmaster> with, in the order to try:
// `hostname`, then the literal entries of the tables in `for domain` rules
// that deliver (not `reject`, not negated, not regex; no wildcard entries),
// each once. `config` may be null: the host name only.
std::vector<std::string> postmaster_domains(const Config* config, std::string_view hostname);

struct PostmasterRoute {
  std::string address;     // "Postmaster@example.org": the local part as written
  RouteDecision decision;  // the first delivering one, or the host name's
};

// Routes `request` (whose rcpt_to is ignored) for `local_part` at each of
// postmaster_domains() in turn.
PostmasterRoute route_bare_postmaster(std::string_view local_part, RouteRequest request, const Config* config,
                                      std::string_view hostname,
                                      const std::function<RouteDecision(const RouteRequest&)>& route);

}  // namespace tether::smtp
