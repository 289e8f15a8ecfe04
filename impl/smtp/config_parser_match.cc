// `match`: the routing rules, with OpenSMTPD's defaults (`from local`, `for local`).

#include "smtp/config_parser_impl.h"

namespace tether::smtp::parsing {

// Long: one branch per `match` condition, as parse.y's match rule has.
void Parser::match_statement(int line) {
  MatchRule m;
  m.where = here(line);
  bool have_from = false, have_for = false;
  std::initializer_list<const char*> kWords = {"from", "for",     "tag",    "helo", "auth", "tls",
                                               "mail-from", "rcpt-to", "action", "reject", "!"};
  const char* kConditions = "from, for, tag, helo, auth, tls, mail-from, rcpt-to, action or reject";
  auto condition = [&](MatchCondition& c, bool negated, const Token& kw, bool table_optional) {
    if (c.present) fail(kw.line, kw.text + " already specified for this rule");
    c.present = true;
    c.negated = negated;
    if (accept("regex")) {
      c.regex = true;
      c.table = parse_tables("'" + kw.text + " regex'");
    } else if (!table_optional || at_table_start(kWords)) {
      c.table = parse_tables("'" + kw.text + "'");
    }
  };
  for (;;) {
    const Token& t = peek();
    if (t.kind == TokenKind::newline || t.kind == TokenKind::end)
      fail(t.line, "match rule without an action (expected 'action NAME' or 'reject' at the end)");
    bool negated = false;
    if (t.kind == TokenKind::bang) {
      take();
      negated = true;
    }
    Token kw = take();
    if (kw.kind != TokenKind::word) fail_unknown(kw, " in match", kConditions);
    const std::string& k = kw.text;
    if ((k == "action" || k == "reject") && negated) fail(kw.line, "'!' cannot negate '" + k + "'");
    if (k == "action") {
      Token name = expect_value("an action name after 'action'");
      m.action = name.text;
      break;
    }
    if (k == "reject") {
      m.reject = true;
      break;
    }
    if (k == "from") {
      if (have_from) fail(kw.line, "from already specified for this rule");
      have_from = true;
      m.from_negated = negated;
      Token what = take();
      const std::string w = what.kind == TokenKind::word ? what.text : "";
      if (w == "local") {
        m.from = MatchRule::From::local;
      } else if (w == "any") {
        m.from = MatchRule::From::any;
      } else if (w == "socket") {
        m.from = MatchRule::From::socket;
      } else if (w == "src") {
        m.from = MatchRule::From::src;
        m.from_regex = accept("regex");
        m.from_table = parse_tables("'from src'");
      } else if (w == "rdns") {
        m.from = MatchRule::From::rdns;
        m.from_regex = accept("regex");
        if (m.from_regex || at_table_start(kWords)) m.from_table = parse_tables("'from rdns'");
      } else if (w == "auth" || w == "mail-from") {
        // `from auth` / `from mail-from`: any source, plus that condition.
        m.from = MatchRule::From::any;
        m.from_negated = false;
        condition(w == "auth" ? m.auth : m.mail_from, negated, what, w == "auth");
      } else {
        fail_unknown(what, " after 'from'", "local, any, socket, src, rdns, auth or mail-from");
      }
    } else if (k == "for") {
      if (have_for) fail(kw.line, "for already specified for this rule");
      have_for = true;
      m.for_negated = negated;
      Token what = take();
      const std::string w = what.kind == TokenKind::word ? what.text : "";
      if (w == "local") {
        m.for_ = MatchRule::For::local;
      } else if (w == "any") {
        m.for_ = MatchRule::For::any;
      } else if (w == "domain") {
        m.for_ = MatchRule::For::domain;
        m.for_regex = accept("regex");
        m.for_table = parse_tables("'for domain'");
      } else if (w == "rcpt-to") {
        m.for_ = MatchRule::For::any;
        m.for_negated = false;
        condition(m.rcpt_to, negated, what, false);
      } else {
        fail_unknown(what, " after 'for'", "local, any, domain or rcpt-to");
      }
    } else if (k == "tag") {
      condition(m.tag, negated, kw, false);
    } else if (k == "helo") {
      condition(m.helo, negated, kw, false);
    } else if (k == "auth") {
      condition(m.auth, negated, kw, true);
    } else if (k == "mail-from") {
      condition(m.mail_from, negated, kw, false);
    } else if (k == "rcpt-to") {
      condition(m.rcpt_to, negated, kw, false);
    } else if (k == "tls") {
      if (m.tls) fail(kw.line, "tls already specified for this rule");
      m.tls = !negated;
    } else {
      fail_unknown(kw, " in match", kConditions);
    }
  }
  const Token& after = peek();
  if (after.kind != TokenKind::newline && after.kind != TokenKind::end)
    fail(after.line, "unexpected " + describe(after) + " after the action (conditions come before 'action')");
  end_statement("the match rule");
  st_.config.rules.push_back(std::move(m));
}

}  // namespace tether::smtp::parsing
