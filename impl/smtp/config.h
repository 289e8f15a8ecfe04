#pragma once
// The relay's configuration: what an smtpd.conf(5) file says, checked and
// with its table files loaded. Names of tables, pkis, cas, filters and
// actions are kept as written and resolved through the find_* helpers; the
// parser has already checked that every one of them exists.
//
// Defaults are OpenSMTPD's (6.x/7.x), so that a config means here what it
// meant there. Where tether differs, the field says so.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/endpoint.h"
#include "core/time.h"
#include "smtp/config_error.h"
#include "smtp/relay_profile.h"
#include "smtp/relay_url.h"
#include "smtp/table.h"

namespace tether::smtp {

// A use of a table: `<name>`, or an inline table written in place, which the
// parser names "inline:FILE:LINE:N" and adds to Config::tables.
struct TableRef {
  std::string name;
  SourceLocation where;
};

// `pki NAME cert PATH` / `pki NAME key PATH` (usually two lines).
struct Pki {
  std::string name;  // lower-cased, as OpenSMTPD stores it
  std::string cert_path;
  std::string key_path;
  std::string dhe;   // "", "none", "auto" or "legacy"
  SourceLocation where;
};

// `ca NAME cert PATH`: trust anchors for verifying peers.
struct CertificateAuthority {
  std::string name;
  std::string cert_path;
  SourceLocation where;
};

// ---- listen on ----

struct Listener {
  enum class Tls {
    none,
    starttls,          // `tls`: offered
    starttls_require,  // `tls-require`: no MAIL before STARTTLS
    smtps,             // `smtps`: TLS from the first byte
  };
  enum class Auth { none, required, optional };

  bool socket = false;     // `listen on socket`: the local submission socket
  // `listen on X`: an interface ("lo0", "vio0"), an interface group
  // ("egress"), a host name, or an address (then `address` is set).
  std::string interface;
  std::optional<IpAddress> address;
  std::optional<IpAddress::Family> family;  // inet4 / inet6
  std::uint16_t port = 25;                  // 465 for smtps unless given
  bool port_given = false;
  Tls tls = Tls::none;
  bool verify = false;                      // `tls-require verify` / `smtps verify`: client certificates
  // tether: `pki` without a tls option means `tls` (STARTTLS offered).
  // OpenSMTPD refuses that combination ("pki requires tls/smtps"), but the
  // relay VM's config in the seeds relies on it to present its certificate.
  bool tls_implied_by_pki = false;
  std::vector<std::string> pki;             // names; the first is the default
  std::string ca;
  std::string hostname;                     // for the banner and Received:
  std::optional<TableRef> hostnames;        // address -> name
  bool mask_src = false;                    // hide the client in Received:
  bool no_dsn = false;                      // do not offer DSN
  bool received_auth = false;
  bool proxy_v2 = false;
  Auth auth = Auth::none;
  // credentials: user -> crypt(3) hash. Without one, OpenSMTPD asks the
  // system (PAM/bsd_auth); tether has no such backend, so its session needs one.
  std::optional<TableRef> auth_table;
  std::string filter;                       // a filter or chain name
  std::string tag;
  std::optional<TableRef> senders;          // user -> allowed MAIL FROM addresses
  bool masquerade = false;
  std::string ciphers;
  std::string protocols;
  SourceLocation where;
};

// ---- filter ----

enum class FilterPhase { connect, helo, ehlo, auth, mail_from, rcpt_to, data, commit };

struct FilterCheck {
  enum class Kind {
    rdns,        // the client has reverse DNS
    fcrdns,      // ... forward-confirmed
    rdns_table,  // its reverse name is in the table (domain match)
    rdns_regex,
    src_table,   // its address is in the table
    src_regex,
    helo_table,
    helo_regex,
    auth,        // the session authenticated
    auth_table,
    auth_regex,
    mail_from_table,
    mail_from_regex,
    rcpt_to_table,
    rcpt_to_regex,
  };
  Kind kind = Kind::rdns;
  bool negated = false;               // `!rdns`: the filter fires when the check fails
  std::optional<TableRef> table;
};

struct Filter {
  enum class Type { builtin, chain };
  enum class Decision { disconnect, reject, rewrite, report, junk, bypass };

  std::string name;
  Type type = Type::builtin;
  // builtin: `filter NAME phase PHASE match CHECK DECISION ["message"]`
  FilterPhase phase = FilterPhase::connect;
  FilterCheck check;
  Decision decision = Decision::reject;
  std::string message;                // "550 no residential connections"
  // chain: `filter NAME chain { a, b, ... }`
  std::vector<std::string> chain;
  SourceLocation where;
};

// ---- action ----

struct LocalDelivery {
  enum class Method { mbox, maildir, lmtp, forward_only, expand_only };
  Method method = Method::mbox;
  std::string path;          // maildir path (may use %{user.directory}); lmtp destination
  bool junk = false;         // maildir junk: spam to the Junk folder
  bool lmtp_rcpt_to = false; // lmtp DEST rcpt-to: deliver as the recipient address
  std::optional<TableRef> alias;     // aliases(5) mapping
  std::optional<TableRef> virtual_;  // virtual mapping ("@example.org" = "user")
  std::optional<TableRef> userbase;  // user -> uid:gid:home; default: the system's
  std::string user;                  // deliver as this user
};

// An action's `relay` settings (smtpd.conf(5) "action NAME relay ..."): where
// and how its mail leaves. One outbound attempt with them is
// node::OutboundDelivery.
struct RelaySettings {
  // `host URL` or `host <table of URLs>`; unset = deliver by MX lookup.
  std::optional<TableRef> host;
  std::vector<RelayUrl> hosts;       // host's URLs, parsed (from the table when host names one)
  std::optional<TableRef> domain;    // `domain <t>`: destination domain -> URL
  bool backup = false;               // `backup`: only MXs preferred to ourselves
  std::string backup_mx;             // `backup mx NAME`: our own MX name
  std::string helo;
  std::optional<TableRef> helo_src;  // source address -> helo name
  std::optional<TableRef> src;       // source addresses to bind, picked among
  std::string pki;                   // client certificate
  std::string ca;
  bool tls_required = false;         // `tls`
  bool tls_verify = false;           // `tls` verifies unless `tls no-verify`
  std::optional<TableRef> auth;      // secrets: label -> user:password
  std::string mail_from;             // rewrite the envelope sender
  bool srs = false;
  std::string filter;                // smtp-out filter or chain
  std::string ciphers;
  std::string protocols;
};

struct Action {
  enum class Type { local, relay };
  std::string name;
  Type type = Type::local;
  LocalDelivery local;
  RelaySettings relay;
  std::optional<Duration> ttl;       // overrides `queue ttl` for this action
  SourceLocation where;
};

// ---- match ----

// A condition on one property of the envelope: `[!]helo <t>`, `[!]mail-from
// regex "..."`, ... Absent conditions always hold.
struct MatchCondition {
  bool present = false;
  bool negated = false;
  bool regex = false;
  std::optional<TableRef> table;  // `auth` may have none: "any authenticated user"
};

struct MatchRule {
  enum class From { local, any, socket, src, rdns };
  enum class For { local, any, domain };

  // `from ...`, defaulting to `from local` as in OpenSMTPD. `from auth` and
  // `from mail-from` are `from any` plus that condition.
  From from = From::local;
  bool from_negated = false;
  bool from_regex = false;
  std::optional<TableRef> from_table;  // src, rdns <t>
  // `for ...`, defaulting to `for local`. `for rcpt-to` is `for any` plus
  // the rcpt-to condition.
  For for_ = For::local;
  bool for_negated = false;
  bool for_regex = false;
  std::optional<TableRef> for_table;   // domain <t>

  MatchCondition tag;
  MatchCondition helo;
  MatchCondition auth;
  MatchCondition mail_from;
  MatchCondition rcpt_to;
  // `[!]tls`: the session is (not) encrypted. OpenSMTPD parses this but its
  // ruleset always answers "temporary failure"; tether evaluates it.
  std::optional<bool> tls;

  bool reject = false;     // `reject` instead of `action NAME`
  std::string action;
  SourceLocation where;
};

// ---- global settings ----

// `queue retry` is a knob of the relay profile (RelayKnobs::retry).
struct QueueSettings {
  Duration ttl = Duration::days(4);
};

struct SmtpSettings {
  std::uint64_t max_message_size = 35 * 1024 * 1024;
  std::uint32_t max_mails_per_session = 100;
  std::uint32_t max_rcpt_per_transaction = 1000;
  std::string ciphers;
  char subaddress_delimiter = '+';
};

struct SrsSettings {
  std::string key;
  std::string backup_key;
  Duration ttl = Duration::days(30);
};

struct Config {
  std::vector<Table> tables;  // declared ones and inline ones, in file order
  std::vector<Pki> pkis;
  std::vector<CertificateAuthority> cas;
  std::vector<Listener> listeners;  // `listen on socket` included if written
  std::vector<Filter> filters;
  std::vector<Action> actions;
  std::vector<MatchRule> rules;     // in order: the first match wins

  QueueSettings queue;
  // `bounce warn-interval`: send a delay warning after each of these (at most 4).
  std::vector<Duration> bounce_warn_intervals{Duration::hours(4)};
  SmtpSettings smtp;
  // `profile NAME` and the knobs written on their own (`mta max-deferred`,
  // ...): the behaviour is knobs.resolve(); see relay_profile.h.
  RelayKnobs knobs;
  SrsSettings srs;

  const Table* find_table(const std::string& name) const;
  const Table* find_table(const TableRef& ref) const { return find_table(ref.name); }
  const Pki* find_pki(const std::string& name) const;
  const CertificateAuthority* find_ca(const std::string& name) const;
  const Filter* find_filter(const std::string& name) const;
  const Action* find_action(const std::string& name) const;
  Table* find_table(const std::string& name);
};

}  // namespace tether::smtp
