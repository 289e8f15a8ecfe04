#pragma once
// The relay host URLs of `action ... relay host URL` (OpenSMTPD's
// text_to_relayhost()):
//   smtp://host[:port]          STARTTLS when offered (opportunistic), port 25
//   smtp+tls://[label@]host     STARTTLS required, port 25
//   smtp+notls://host           never TLS
//   smtps://[label@]host        TLS from the first byte, port 465
//   lmtp://host:port            LMTP, a port is required
//   host                        no scheme: smtp://
// host is a domain name or an address literal in brackets ("[192.0.2.1]",
// "[IPv6:2001:db8::1]"). The label names the entry of the action's
// `auth <table>` (secrets format) to authenticate with; only TLS schemes may
// carry one, so a password never crosses the wire in clear.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace tether::smtp {

struct RelayUrl {
  enum class Tls { opportunistic, starttls, none, smtps };

  Tls tls = Tls::opportunistic;
  bool lmtp = false;
  std::string auth_label;  // "" = no authentication
  std::string host;        // "smtp.example.com" or "[192.0.2.1]"
  std::uint16_t port = 25;

  // The canonical form, e.g. "smtp+tls://mailuser@smtp.example.com:25".
  std::string to_string() const;
};

Result<RelayUrl> parse_relay_url(std::string_view text);

// A domain name as mail needs it: labels of letters, digits, '-' and '_'
// separated by dots, or an address literal in brackets. OpenSMTPD's
// valid_domainpart().
bool is_valid_domain(std::string_view name);

}  // namespace tether::smtp
