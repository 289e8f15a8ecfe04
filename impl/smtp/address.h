#pragma once
// RFC 5321 paths: the <reverse-path> of MAIL FROM and the <forward-path> of
// RCPT TO, checked strictly, because this is where open-relay tricks live.
// Whether a recipient may be relayed to is the router's decision; the forms
// below are refused before the router is asked, since each one asks some
// server further on to relay again under a name the router never saw:
//
//   <@a.example,@b.example:user@c.example>   source route (RFC 5321 C; the
//                                            RFC says "accept and ignore",
//                                            but nobody legitimate sends one)
//   <user%other.example@example.com>         the "percent hack"
//   <other.example!user@example.com>         a UUCP bang path
//   <user@other.example@example.com>         two domains
//   <"user@other.example"@example.com>       the same, quoted (also '%', '!')
//
// These get 553 5.1.3 (RFC 5321 4.2.2: mailbox name not allowed). Plain
// syntax errors get 501 with 5.1.7 (sender) or 5.1.3 (recipient); the limits
// of RFC 5321 4.5.3.1 (path 256, local-part 64, domain 255 octets) get 501
// "Path too long" as 4.5.3.1.10 suggests. Addresses with octets above 127
// get 553 5.6.7: they need SMTPUTF8 (RFC 6531), which is not offered.
//
// <postmaster> without a domain is accepted as a recipient (RFC 5321 4.5.1)
// and becomes postmaster@<our hostname>, marked domain_implied: the session
// then picks the domain the rules deliver for (postmaster.h).

#include <string>
#include <string_view>

#include "smtp/reply.h"

namespace tether::smtp {

constexpr std::size_t kMaxPathLength = 256;       // "<...>" included
constexpr std::size_t kMaxLocalPartLength = 64;
constexpr std::size_t kMaxDomainLength = 255;

enum class PathKind { reverse, forward };

struct ParsedPath {
  bool ok = false;
  Reply error;                // when !ok
  std::string address;        // "local@domain"; "" for the null sender <>
  std::string local_part;     // as written (quotes kept)
  std::string domain;         // as written: "example.com", "[192.0.2.1]", "[IPv6:2001:db8::1]"
  std::string_view rest;      // what follows '>' (the ESMTP parameters), leading spaces skipped
  bool domain_implied = false;  // <postmaster> without a domain, given `hostname` (postmaster.h)
};

// `text` is what follows "MAIL FROM:" or "RCPT TO:" (spaces before '<' are
// tolerated, as every server does). `hostname` completes <postmaster>.
ParsedPath parse_path(std::string_view text, PathKind kind, std::string_view hostname);

// RFC 5321 Domain (LDH labels) or address-literal ("[192.0.2.1]",
// "[IPv6:2001:db8::1]"); also what EHLO/HELO must name.
bool is_rfc5321_domain(std::string_view domain);
bool is_rfc5321_address_literal(std::string_view literal);

}  // namespace tether::smtp
