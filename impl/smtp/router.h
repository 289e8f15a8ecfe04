#pragma once
// The match rules of a config applied to one recipient of one envelope: the
// first rule whose conditions all hold gives the action (or `reject`); no
// rule matching is a rejection too. This is OpenSMTPD's ruleset_match(), so a
// config routes here as it did there:
//   - `from any` includes local mail (the socket: sendmail(8), bounces, delay
//     warnings), which is why the seeds' bounces fail when no rule sends
//     local mail for other domains anywhere ("550 Invalid recipient");
//   - `from local` is the socket or a connection from one of the host's own
//     addresses (any loopback address included);
//   - `for local` is a recipient domain among the host's local names:
//     "localhost", its host name, names given in LocalIdentity, and its
//     addresses as literals;
//   - `rcpt-to <t>`/`mail-from <t>` compare "user" keys with the local part,
//     "@domain" keys with the domain, "user@domain" keys with both, ignoring
//     a "+tag" in the address; `regex` tables search the whole address;
//   - `[!]tls` is evaluated (OpenSMTPD answers "temporary failure" to it).
// Filters are not the router's business: they run in the SMTP session.

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/endpoint.h"
#include "smtp/config.h"

namespace tether::smtp {

// Who this host is, for `from local` and `for local`.
struct LocalIdentity {
  std::string hostname;               // "namorar.example.com"
  std::vector<std::string> names;     // more domains that count as local
  std::vector<IpAddress> addresses;   // the host's own addresses
};

struct RouteRequest {
  // nullopt: the local socket (or mail the relay made itself).
  std::optional<IpAddress> source;
  std::string rdns;                   // the client's reverse DNS name; "" = none
  bool authenticated = false;
  std::string auth_user;
  bool tls = false;
  std::string helo;
  std::string tag;                    // the listener's tag
  std::string mail_from;              // "user@domain"; "" = the null sender <>
  std::string rcpt_to;                // "user@domain"

  static RouteRequest local(std::string mail_from, std::string rcpt_to);
  static RouteRequest remote(IpAddress source, std::string mail_from, std::string rcpt_to);
};

struct RouteDecision {
  enum class Outcome { deliver, reject, tempfail };

  Outcome outcome = Outcome::reject;
  const Action* action = nullptr;     // deliver: what to do with the recipient
  const MatchRule* rule = nullptr;    // the rule that matched; nullptr if none did
  std::string reply;                  // reject/tempfail: the SMTP reply

  bool delivers() const { return outcome == Outcome::deliver; }
  // The action's name, or "" when not delivered.
  std::string action_name() const { return action ? action->name : std::string(); }
};

class Router {
 public:
  Router(std::shared_ptr<const Config> config, LocalIdentity local);

  RouteDecision route(const RouteRequest& request) const;

  // 1 matches, 0 does not, -1 cannot tell (a table is missing from a config
  // built by hand; the parser never lets that happen).
  int matches(const MatchRule& rule, const RouteRequest& request) const;

  const Config& config() const { return *config_; }

 private:
  const Table* table(const std::optional<TableRef>& ref) const;
  int match_tag(const MatchRule& rule, const RouteRequest& request) const;
  int match_from(const MatchRule& rule, const RouteRequest& request) const;
  int match_for(const MatchRule& rule, const RouteRequest& request) const;
  int match_condition(const MatchCondition& cond, const std::string& key, bool mail_address) const;
  int match_auth(const MatchRule& rule, const RouteRequest& request) const;
  bool is_local_address(const IpAddress& address) const;

  std::shared_ptr<const Config> config_;
  LocalIdentity local_;
  Table local_names_;  // <localnames>, as OpenSMTPD builds it
  std::unordered_map<std::string, const Table*> tables_;
};

}  // namespace tether::smtp
