#include "smtp/config_check.h"

#include <set>
#include <string>
#include <utility>

namespace tether::smtp {

namespace {

// What a table is looked up for, and so what its entries must look like.
enum class Use {
  any_keys,          // domains, mail addresses, tags, helo names, user names
  source_networks,   // from src, filter src: addresses, networks or "local"
  source_addresses,  // relay src: addresses to bind
  regex,
  alias,             // aliases(5)/virtual mapping
  credentials,       // listen auth: user -> crypt(3) hash
  secrets,           // relay auth: label -> user:password
  relay_hosts,       // relay host <t>: URLs
  relay_domains,     // relay domain <t>: domain -> URL
  mapping,           // hostnames, helo-src, senders, userbase
};

class Checker {
 public:
  Checker(Config& config, std::vector<ConfigError>& errors, const std::set<std::string>& broken)
      : c_(config), errors_(errors), broken_(broken) {}

  void run(const SourceLocation& end_of_file);

 private:
  void error(const SourceLocation& where, std::string message) { errors_.push_back({where, std::move(message)}); }
  Table* table(const TableRef& ref, Use use, const std::string& what);
  void table(const std::optional<TableRef>& ref, Use use, const std::string& what) {
    if (ref) table(*ref, use, what);
  }
  void validate(Table& t, const TableRef& ref, Use use, const std::string& what);
  SourceLocation entry_location(const Table& t, const TableEntry& e) const {
    return {t.is_file() ? t.path : t.where.file, e.line};
  }
  void pki(const std::string& name, const SourceLocation& where);
  void ca(const std::string& name, const SourceLocation& where);
  void filter(const std::string& name, const SourceLocation& where);
  void listeners();
  void filters();
  void actions();
  void rules();

  Config& c_;
  std::vector<ConfigError>& errors_;
  const std::set<std::string>& broken_;
  std::set<std::pair<std::string, Use>> validated_;
  std::set<std::string> reported_pkis_;
};

Table* Checker::table(const TableRef& ref, Use use, const std::string& what) {
  Table* t = c_.find_table(ref.name);
  if (!t) {
    if (broken_.count("table:" + ref.name)) return nullptr;
    error(ref.where, "table '" + ref.name + "' is not defined (used by " + what + ")");
    return nullptr;
  }
  if (validated_.insert({t->name, use}).second) validate(*t, ref, use, what);
  return t;
}

void Checker::validate(Table& t, const TableRef& ref, Use use, const std::string& what) {
  auto need_mapping = [&](const char* example) {
    if (t.kind == TableKind::mapping) return true;
    error(ref.where, t.describe() + " is a list, but " + what + " needs a mapping (" + example + ")");
    return false;
  };
  switch (use) {
    case Use::any_keys:
      break;
    case Use::source_networks:
      for (const TableEntry& e : t.entries) {
        if (e.key == "local" || e.key == "LOCAL") continue;
        auto p = parse_network_address(e.key);
        if (!p) error(entry_location(t, e), p.error().message + " in " + t.describe() + " (used by " + what + ")");
      }
      break;
    case Use::source_addresses:
      for (const TableEntry& e : t.entries) {
        std::string k = e.key;
        if (k.size() > 2 && k.front() == '[' && k.back() == ']') k = k.substr(1, k.size() - 2);
        if (!IpAddress::parse(k))
          error(entry_location(t, e), "'" + e.key + "' is not an IP address, in " + t.describe() + " (used by " + what + ")");
      }
      break;
    case Use::regex: {
      bool all_compile = true;
      for (const TableEntry& e : t.entries) {
        auto re = PosixRegex::compile(e.key);
        if (!re) {
          error(entry_location(t, e), re.error().message + " in " + t.describe());
          all_compile = false;
        }
      }
      if (all_compile) (void)t.compile_regexes();
      break;
    }
    case Use::alias:
      need_mapping("name: address, ...");
      break;
    case Use::credentials:
      if (need_mapping("user $2b$... from 'smtpctl encrypt'")) {
        for (const TableEntry& e : t.entries)
          if (e.value.empty() || e.value.front() != '$')
            error(entry_location(t, e), "credentials for '" + e.key +
                                            "' are not a crypt(3) hash such as 'smtpctl encrypt' prints, in " +
                                            t.describe());
      }
      break;
    case Use::secrets:
      if (need_mapping("label user:password")) {
        for (const TableEntry& e : t.entries)
          if (auto s = parse_relay_credentials(e.value); !s)
            error(entry_location(t, e), "secret '" + e.key + "': " + s.error().message + ", in " + t.describe());
      }
      break;
    case Use::relay_hosts:
      if (t.kind == TableKind::mapping) {
        error(ref.where, t.describe() + " is a mapping, but " + what + " needs a list of relay URLs");
        break;
      }
      if (!t.in_place)  // in-place URLs were parsed with the action
        for (const TableEntry& e : t.entries)
          if (auto u = parse_relay_url(e.key); !u) error(entry_location(t, e), u.error().message);
      break;
    case Use::relay_domains:
      if (need_mapping("domain = relay URL")) {
        for (const TableEntry& e : t.entries)
          if (auto u = parse_relay_url(e.value); !u) error(entry_location(t, e), u.error().message);
      }
      break;
    case Use::mapping:
      need_mapping("key value");
      break;
  }
}

void Checker::pki(const std::string& name, const SourceLocation& where) {
  if (name.empty()) return;
  const Pki* p = c_.find_pki(name);
  if (!p) {
    error(where, "pki '" + name + "' is not defined");
    return;
  }
  if (broken_.count("pki:" + p->name)) return;
  if (!reported_pkis_.insert(p->name).second) return;
  if (p->cert_path.empty()) error(p->where, "pki '" + p->name + "' has no cert (pki " + p->name + " cert \"/path\")");
  if (p->key_path.empty()) error(p->where, "pki '" + p->name + "' has no key (pki " + p->name + " key \"/path\")");
}

void Checker::ca(const std::string& name, const SourceLocation& where) {
  if (!name.empty() && !c_.find_ca(name)) error(where, "ca '" + name + "' is not defined");
}

void Checker::filter(const std::string& name, const SourceLocation& where) {
  if (!name.empty() && !c_.find_filter(name) && !broken_.count("filter:" + name))
    error(where, "filter '" + name + "' is not defined");
}

void Checker::listeners() {
  for (const Listener& l : c_.listeners) {
    for (const std::string& p : l.pki) pki(p, l.where);
    ca(l.ca, l.where);
    filter(l.filter, l.where);
    table(l.auth_table, Use::credentials, "listen ... auth");
    table(l.hostnames, Use::mapping, "listen ... hostnames");
    table(l.senders, Use::mapping, "listen ... senders");
  }
}

void Checker::filters() {
  for (const Filter& f : c_.filters) {
    if (f.type == Filter::Type::chain) {
      std::set<std::string> seen;
      for (const std::string& member : f.chain) {
        const Filter* m = c_.find_filter(member);
        if (!m) {
          if (!broken_.count("filter:" + member))
            error(f.where, "filter '" + member + "' in chain '" + f.name + "' is not defined");
        }
        else if (m->type == Filter::Type::chain) error(f.where, "filter chain '" + member + "' cannot be part of another chain");
        if (!seen.insert(member).second) error(f.where, "filter '" + member + "' appears twice in chain '" + f.name + "'");
      }
      continue;
    }
    if (!f.check.table) continue;
    using K = FilterCheck::Kind;
    Use use = Use::any_keys;
    switch (f.check.kind) {
      case K::rdns_regex: case K::src_regex: case K::helo_regex: case K::auth_regex:
      case K::mail_from_regex: case K::rcpt_to_regex:
        use = Use::regex;
        break;
      case K::src_table:
        use = Use::source_networks;
        break;
      default:
        break;
    }
    table(*f.check.table, use, "filter '" + f.name + "'");
  }
}

void Checker::actions() {
  for (Action& a : c_.actions) {
    const std::string what = "action '" + a.name + "'";
    if (a.type == Action::Type::local) {
      table(a.local.alias, Use::alias, what + " alias");
      table(a.local.virtual_, Use::alias, what + " virtual");
      table(a.local.userbase, Use::mapping, what + " userbase");
      continue;
    }
    RelaySettings& r = a.relay;
    Table* hosts = r.host ? table(*r.host, Use::relay_hosts, what + " host") : nullptr;
    if (hosts && !hosts->in_place) {
      // `host <table>`: give the model the parsed URLs as for `host URL`.
      r.hosts.clear();
      for (const TableEntry& e : hosts->entries)
        if (auto url = parse_relay_url(e.key)) r.hosts.push_back(*url);
    }
    table(r.domain, Use::relay_domains, what + " domain");
    table(r.helo_src, Use::mapping, what + " helo-src");
    table(r.src, Use::source_addresses, what + " src");
    Table* secrets = r.auth ? table(*r.auth, Use::secrets, what + " auth") : nullptr;
    pki(r.pki, a.where);
    ca(r.ca, a.where);
    filter(r.filter, a.where);
    // An auth label in a host URL names the entry of the auth table to use.
    if (hosts) {
      for (const TableEntry& e : hosts->entries) {
        auto url = parse_relay_url(e.key);
        if (!url || url->auth_label.empty()) continue;
        if (!r.auth)
          error(a.where, what + ": host " + e.key + " has the auth label '" + url->auth_label +
                             "' but the action has no 'auth <table>'");
        else if (secrets && secrets->kind == TableKind::mapping && !secrets->find(url->auth_label))
          error(a.where, what + ": auth label '" + url->auth_label + "' is not in " + secrets->describe());
      }
    }
  }
}

void Checker::rules() {
  for (const MatchRule& m : c_.rules) {
    if (!m.reject && !c_.find_action(m.action) && !broken_.count("action:" + m.action))
      error(m.where, "action '" + m.action + "' used but never defined");
    if (m.from_table) table(*m.from_table, m.from_regex ? Use::regex : m.from == MatchRule::From::src ? Use::source_networks : Use::any_keys, "match from");
    if (m.for_table) table(*m.for_table, m.for_regex ? Use::regex : Use::any_keys, "match for");
    const std::pair<const MatchCondition*, const char*> conditions[] = {
        {&m.tag, "match tag"}, {&m.helo, "match helo"}, {&m.auth, "match auth"},
        {&m.mail_from, "match mail-from"}, {&m.rcpt_to, "match rcpt-to"}};
    for (const auto& [cond, what] : conditions)
      if (cond->present && cond->table) table(*cond->table, cond->regex ? Use::regex : Use::any_keys, what);
  }
}

void Checker::run(const SourceLocation& end_of_file) {
  listeners();
  filters();
  actions();
  rules();
  // Every pki is checked for completeness, used or not: a half-declared pki
  // is a mistake the user wants to hear about.
  for (const Pki& p : c_.pkis) pki(p.name, p.where);
  if (c_.rules.empty()) error(end_of_file, "no match rules: this config would accept no mail");
}

}  // namespace

std::vector<ConfigError> check_config(Config& config, const SourceLocation& end_of_file,
                                      const std::set<std::string>& broken) {
  std::vector<ConfigError> errors;
  Checker(config, errors, broken).run(end_of_file);
  return errors;
}

}  // namespace tether::smtp
