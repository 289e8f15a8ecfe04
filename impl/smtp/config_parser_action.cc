// `action`: local delivery (maildir, mbox, lmtp, ...) and relaying.

#include "smtp/config_parser_impl.h"

#include <set>

#include "core/ascii.h"

namespace tether::smtp::parsing {

void Parser::action_statement(int line) {
  Token name = expect_value("an action name after 'action'");
  try {
    action_definition(name, line);
  } catch (const SyntaxError&) {
    if (!st_.config.find_action(name.text)) st_.broken.insert("action:" + name.text);
    throw;
  }
}

void Parser::action_definition(const Token& name, int line) {
  Action a;
  a.name = name.text;
  a.where = here(line);
  Token type = peek();
  if (type.kind == TokenKind::word && type.text == "relay") {
    take();
    a.type = Action::Type::relay;
    relay_action(a);
  } else if (type.kind == TokenKind::word &&
             (type.text == "mbox" || type.text == "maildir" || type.text == "lmtp" || type.text == "forward-only" ||
              type.text == "expand-only")) {
    take();
    a.type = Action::Type::local;
    local_action(a, type);
  } else if (type.kind == TokenKind::word && type.text == "mda") {
    fail(type.line, "'mda' runs an external program; tether does not support it (use maildir, mbox, lmtp or relay)");
  } else {
    fail_unknown(type, " in action '" + name.text + "'", "maildir, mbox, lmtp, relay, forward-only or expand-only");
  }
  if (const Action* old = st_.config.find_action(a.name))
    fail(name.line, "duplicate action '" + a.name + "' (first defined at " + old->where.to_string() + ")");
  end_statement("the action");
  st_.config.actions.push_back(std::move(a));
}

void Parser::local_action(Action& a, const Token& type) {
  LocalDelivery& d = a.local;
  std::initializer_list<const char*> kOptions = {"alias", "virtual", "userbase", "user", "wrapper", "ttl", "junk"};
  const std::string& t = type.text;
  if (t == "mbox") {
    d.method = LocalDelivery::Method::mbox;
  } else if (t == "maildir") {
    d.method = LocalDelivery::Method::maildir;
    if (at_table_start(kOptions) && peek().kind != TokenKind::lbrace && peek().kind != TokenKind::table_ref) {
      d.path = take().text;
      // OpenSMTPD: "~/Maildir" is relative to the user's home.
      if (d.path.compare(0, 2, "~/") == 0) d.path = "%{user.directory}/" + d.path.substr(2);
    }
    if (accept("junk")) d.junk = true;
  } else if (t == "lmtp") {
    d.method = LocalDelivery::Method::lmtp;
    d.path = expect_value("a destination (host:port or /socket) after 'lmtp'").text;
    if (accept("rcpt-to")) d.lmtp_rcpt_to = true;
  } else if (t == "forward-only") {
    d.method = LocalDelivery::Method::forward_only;
  } else {
    d.method = LocalDelivery::Method::expand_only;
  }
  const char* kExpected = "alias, virtual, userbase, user or ttl";
  while (!at_end_of_statement()) {
    Token opt = take();
    if (opt.kind != TokenKind::word) fail_unknown(opt, " in " + t + " action", kExpected);
    const std::string& o = opt.text;
    if (o == "alias" || o == "virtual") {
      if (d.alias || d.virtual_) fail(opt.line, "alias or virtual mapping already specified for this action");
      (o == "alias" ? d.alias : d.virtual_) = parse_tables("'" + o + "'");
    } else if (o == "userbase") {
      if (d.userbase) fail(opt.line, "userbase already specified for this action");
      d.userbase = parse_tables("'userbase'");
    } else if (o == "user") {
      if (d.method == LocalDelivery::Method::mbox || d.method == LocalDelivery::Method::forward_only ||
          d.method == LocalDelivery::Method::expand_only)
        fail(opt.line, "user may not be specified for " + t + " delivery");
      if (!d.user.empty()) fail(opt.line, "user already specified for this action");
      d.user = expect_value("a user name after 'user'").text;
    } else if (o == "ttl") {
      if (a.ttl) fail(opt.line, "ttl already specified for this action");
      a.ttl = parse_positive_duration(expect_value("a duration after 'ttl'"), "action ttl");
    } else if (o == "wrapper") {
      fail(opt.line, "'wrapper' runs an external program; tether does not support it");
    } else {
      fail_unknown(opt, " in " + t + " action", kExpected);
    }
  }
}

void Parser::relay_action(Action& a) {
  RelaySettings& r = a.relay;
  const char* kExpected =
      "auth, backup, ca, ciphers, domain, filter, helo, helo-src, host, mail-from, pki, protocols, src, srs, tls "
      "or ttl";
  std::set<std::string> seen;
  while (!at_end_of_statement()) {
    Token opt = take();
    if (opt.kind != TokenKind::word) fail_unknown(opt, " in relay action", kExpected);
    const std::string& o = opt.text;
    if (o != "filter" && !seen.insert(o).second) fail(opt.line, o + " already specified for this action");
    if (o == "helo") {
      r.helo = expect_hostname("helo");
    } else if (o == "helo-src") {
      r.helo_src = parse_tables("'helo-src'");
    } else if (o == "pki") {
      r.pki = ascii_lower(expect_value("a pki name after 'pki'").text);
    } else if (o == "ca") {
      r.ca = ascii_lower(expect_value("a ca name after 'ca'").text);
    } else if (o == "ciphers") {
      r.ciphers = expect_value("a cipher list after 'ciphers'").text;
    } else if (o == "protocols") {
      r.protocols = expect_value("a protocol list after 'protocols'").text;
    } else if (o == "src") {
      r.src = parse_tables("'src'");
    } else if (o == "mail-from") {
      r.mail_from = expect_value("an address after 'mail-from'").text;
    } else if (o == "backup") {
      if (r.host || r.domain) fail(opt.line, "backup and host/domain are mutually exclusive");
      r.backup = true;
      if (accept("mx")) r.backup_mx = expect_hostname("backup mx");
    } else if (o == "host") {
      if (r.backup) fail(opt.line, "backup and host are mutually exclusive");
      if (r.domain) fail(opt.line, "host and domain are mutually exclusive");
      const Token& t = peek();
      if (t.kind == TokenKind::word || t.kind == TokenKind::quoted) {
        auto url = parse_relay_url(t.text);
        if (!url) fail(t.line, url.error().message);
        r.hosts.push_back(*url);
      }
      r.host = parse_tables("'host'");
    } else if (o == "domain") {
      if (r.backup) fail(opt.line, "backup and domain are mutually exclusive");
      if (r.host) fail(opt.line, "host and domain are mutually exclusive");
      r.domain = parse_tables("'domain'");
    } else if (o == "tls") {
      r.tls_required = true;
      r.tls_verify = !accept("no-verify");
    } else if (o == "auth") {
      r.auth = parse_tables("'auth'");
    } else if (o == "filter") {
      if (!r.filter.empty()) fail(opt.line, "filter already specified for this action");
      r.filter = expect_value("a filter name after 'filter'").text;
    } else if (o == "srs") {
      r.srs = true;
    } else if (o == "ttl") {
      a.ttl = parse_positive_duration(expect_value("a duration after 'ttl'"), "action ttl");
    } else {
      fail_unknown(opt, " in relay action", kExpected);
    }
  }
  if (r.auth && !r.host) fail(a.where.line, "relay action '" + a.name + "': auth needs a host");
  if (r.srs && st_.config.srs.key.empty())
    fail(a.where.line, "relay action '" + a.name + "': srs needs an 'srs key' defined before it");
}

}  // namespace tether::smtp::parsing
