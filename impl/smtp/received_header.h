#pragma once
// The Received: trace field (RFC 5321 4.4) the server puts on top of every
// message it accepts, in OpenSMTPD's layout:
//
//   Received: from client.example.net (client.example.net [192.0.2.7])
//   	by mx.example.com (tether) with ESMTPSA id 1a2b3c4d
//   	(TLSv1.3:TLS_AES_256_GCM_SHA384:256:NO)
//   	for <user@example.com>;
//   	Tue, 21 Nov 2026 10:42:00 +0000
//
// "with" is SMTP, ESMTP, ESMTPS, ESMTPA or ESMTPSA (RFC 3848); the TLS
// comment is version:cipher:bits:peer-verified; "for" is written only when
// the message has exactly one recipient, so a Bcc list is not disclosed.
// With `mask-src` the whole "from" clause is left out, as OpenSMTPD does:
// what the client called itself and where it connected from stay private.

#include <optional>
#include <string>

#include "core/endpoint.h"
#include "core/time.h"

namespace tether::smtp {

struct ReceivedInfo {
  std::string helo;                 // as the client gave it
  std::string rdns;                 // "" when unknown
  std::optional<IpAddress> source;  // nullopt for local submissions
  bool mask_source = false;
  std::string hostname;             // ours
  bool esmtp = true;
  bool tls = false;
  bool authenticated = false;
  std::string tls_version;          // "TLSv1.3"
  std::string tls_cipher;           // "TLS_AES_256_GCM_SHA384"
  int tls_bits = 0;
  bool tls_peer_verified = false;
  std::string id;                   // the message id
  std::string single_recipient;     // "" when not exactly one
  WallTime when;
};

// The whole field, folded, ending in CRLF.
std::string format_received_header(const ReceivedInfo& info);

// RFC 5322 3.3 date-time in UTC: "Tue, 21 Nov 2026 10:42:00 +0000".
std::string format_rfc5322_date(WallTime when);

}  // namespace tether::smtp
