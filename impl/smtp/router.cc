#include "smtp/router.h"

#include <algorithm>

namespace tether::smtp {

namespace {

// OpenSMTPD's MATCH_RESULT: a negated condition inverts a definite answer.
int match_result(int r, bool negated) {
  if (r < 0) return -1;
  return negated ? !r : r;
}

// How OpenSMTPD prints a source address for table lookups (ss_to_text).
std::string source_key(const std::optional<IpAddress>& source) {
  if (!source) return "local";
  if (source->is_v4()) return source->to_string();
  return "[" + source->to_string() + "]";
}

const char kInvalidRecipient[] = "550 Invalid recipient";
const char kTemporaryFailure[] = "451 Temporary failure";

}  // namespace

RouteRequest RouteRequest::local(std::string mail_from, std::string rcpt_to) {
  RouteRequest r;
  r.mail_from = std::move(mail_from);
  r.rcpt_to = std::move(rcpt_to);
  return r;
}

RouteRequest RouteRequest::remote(IpAddress source, std::string mail_from, std::string rcpt_to) {
  RouteRequest r = local(std::move(mail_from), std::move(rcpt_to));
  r.source = source;
  return r;
}

Router::Router(std::shared_ptr<const Config> config, LocalIdentity local)
    : config_(std::move(config)), local_(std::move(local)) {
  local_names_.name = "<localnames>";
  auto add = [&](std::string name) {
    if (!name.empty()) local_names_.entries.push_back({std::move(name), "", 0});
  };
  add("localhost");
  add(local_.hostname);
  for (const std::string& n : local_.names) add(n);
  for (const IpAddress& a : local_.addresses) {
    add(a.to_string());
    add("[" + a.to_string() + "]");
    if (a.is_v6()) add("[IPv6:" + a.to_string() + "]");
  }
  for (const Table& t : config_->tables) tables_.emplace(t.name, &t);
}

const Table* Router::table(const std::optional<TableRef>& ref) const {
  if (!ref) return nullptr;
  auto it = tables_.find(ref->name);
  return it == tables_.end() ? nullptr : it->second;
}

bool Router::is_local_address(const IpAddress& address) const {
  if (address.is_loopback()) return true;
  return std::find(local_.addresses.begin(), local_.addresses.end(), address) != local_.addresses.end();
}

int Router::match_from(const MatchRule& rule, const RouteRequest& request) const {
  using From = MatchRule::From;
  switch (rule.from) {
    case From::any:
      return match_result(1, rule.from_negated);
    case From::local:
      return match_result(!request.source || is_local_address(*request.source), rule.from_negated);
    case From::socket:
      // As OpenSMTPD: a non-local source fails `from socket` and passes
      // `!from socket` without going through the negation.
      if (!request.source) return match_result(1, rule.from_negated);
      return rule.from_negated ? 1 : 0;
    case From::src: {
      const Table* t = table(rule.from_table);
      if (!t) return -1;
      bool hit = rule.from_regex ? t->match_regex(source_key(request.source)) != nullptr
                                 : t->match_source(request.source) != nullptr;
      return match_result(hit, rule.from_negated);
    }
    case From::rdns: {
      bool has_rdns = !request.rdns.empty();
      if (!rule.from_table) return match_result(has_rdns, rule.from_negated);
      if (!has_rdns) return 0;  // sic: not negated in OpenSMTPD either
      const Table* t = table(rule.from_table);
      if (!t) return -1;
      bool hit = rule.from_regex ? t->match_regex(request.rdns) != nullptr : t->match_domain(request.rdns) != nullptr;
      return match_result(hit, rule.from_negated);
    }
  }
  return -1;
}

int Router::match_for(const MatchRule& rule, const RouteRequest& request) const {
  using For = MatchRule::For;
  std::string domain = split_mail_address(request.rcpt_to).domain;
  switch (rule.for_) {
    case For::any:
      return match_result(hostname_match(domain, "*"), rule.for_negated);
    case For::local:
      return match_result(local_names_.match_domain(domain) != nullptr, rule.for_negated);
    case For::domain: {
      const Table* t = table(rule.for_table);
      if (!t) return -1;
      bool hit = rule.for_regex ? t->match_regex(domain) != nullptr : t->match_domain(domain) != nullptr;
      return match_result(hit, rule.for_negated);
    }
  }
  return -1;
}

int Router::match_condition(const MatchCondition& cond, const std::string& key, bool mail_address) const {
  if (!cond.present) return 1;
  const Table* t = table(cond.table);
  if (!t) return -1;
  bool hit;
  if (cond.regex) hit = t->match_regex(key) != nullptr;
  else if (mail_address) hit = t->match_mail_address(key, config_->smtp.subaddress_delimiter) != nullptr;
  else hit = t->match_domain(key) != nullptr;
  return match_result(hit, cond.negated);
}

int Router::match_auth(const MatchRule& rule, const RouteRequest& request) const {
  const MatchCondition& cond = rule.auth;
  if (!cond.present) return 1;
  int r;
  if (!request.authenticated) {
    r = 0;
  } else if (cond.table) {
    const Table* t = table(cond.table);
    if (!t) return -1;
    if (cond.regex) r = t->match_regex(request.auth_user) != nullptr;
    else if (request.auth_user.find('@') != std::string::npos)
      r = t->match_mail_address(request.auth_user, config_->smtp.subaddress_delimiter) != nullptr;
    else r = t->find(request.auth_user) != nullptr;
  } else {
    r = 1;
  }
  return match_result(r, cond.negated);
}

int Router::match_tag(const MatchRule& rule, const RouteRequest& request) const {
  if (!rule.tag.present) return 1;
  const Table* t = table(rule.tag.table);
  if (!t) return -1;
  // Tags are exact strings, not domains or addresses.
  bool hit = rule.tag.regex ? t->match_regex(request.tag) != nullptr : t->find(request.tag) != nullptr;
  return match_result(hit, rule.tag.negated);
}

int Router::matches(const MatchRule& rule, const RouteRequest& request) const {
  // In OpenSMTPD's order; the first check that fails or cannot tell decides.
  int r;
  if ((r = match_tag(rule, request)) != 1) return r;
  if ((r = match_from(rule, request)) != 1) return r;
  if ((r = match_for(rule, request)) != 1) return r;
  if ((r = match_condition(rule.helo, request.helo, false)) != 1) return r;
  if ((r = match_auth(rule, request)) != 1) return r;
  if (rule.tls && request.tls != *rule.tls) return 0;
  if ((r = match_condition(rule.mail_from, request.mail_from, true)) != 1) return r;
  return match_condition(rule.rcpt_to, request.rcpt_to, true);
}

RouteDecision Router::route(const RouteRequest& request) const {
  RouteDecision d;
  for (const MatchRule& rule : config_->rules) {
    int m = matches(rule, request);
    if (m == 0) continue;
    if (m < 0) {
      d.outcome = RouteDecision::Outcome::tempfail;
      d.rule = &rule;
      d.reply = kTemporaryFailure;
      return d;
    }
    d.rule = &rule;
    if (rule.reject) {
      d.outcome = RouteDecision::Outcome::reject;
      d.reply = kInvalidRecipient;
      return d;
    }
    d.action = config_->find_action(rule.action);
    if (!d.action) {
      d.outcome = RouteDecision::Outcome::tempfail;
      d.reply = kTemporaryFailure;
      return d;
    }
    d.outcome = RouteDecision::Outcome::deliver;
    return d;
  }
  d.outcome = RouteDecision::Outcome::reject;
  d.reply = kInvalidRecipient;
  return d;
}

}  // namespace tether::smtp
