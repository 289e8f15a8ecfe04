// `filter`: built-in filters (phase, check, decision) and filter chains.

#include "smtp/config_parser_impl.h"

#include <cctype>
#include <utility>

namespace tether::smtp::parsing {

void Parser::filter_statement(int line) {
  Token name = expect_value("a filter name after 'filter'");
  try {
    filter_definition(name, line);
  } catch (const SyntaxError&) {
    if (!st_.config.find_filter(name.text)) st_.broken.insert("filter:" + name.text);
    throw;
  }
}

void Parser::filter_definition(const Token& name, int line) {
  Filter f;
  f.name = name.text;
  f.where = here(line);
  Token kind = peek();
  if (kind.kind == TokenKind::word && kind.text == "chain") {
    take();
    const Token& open = peek();
    if (open.kind != TokenKind::lbrace) fail_unexpected(open, "'{' after 'chain'");
    int open_line = take().line;
    f.type = Filter::Type::chain;
    f.chain = parse_name_list("a filter name", open_line);
  } else if (kind.kind == TokenKind::word && (kind.text == "proc" || kind.text == "proc-exec")) {
    fail(kind.line, "'" + kind.text + "' filters run external programs; tether does not support them");
  } else if (kind.kind == TokenKind::word && kind.text == "phase") {
    take();
    Token phase = expect_value("a phase after 'phase'");
    static const std::pair<const char*, FilterPhase> kPhases[] = {
        {"connect", FilterPhase::connect},     {"helo", FilterPhase::helo},       {"ehlo", FilterPhase::ehlo},
        {"auth", FilterPhase::auth},           {"mail-from", FilterPhase::mail_from},
        {"rcpt-to", FilterPhase::rcpt_to},     {"data", FilterPhase::data},       {"commit", FilterPhase::commit}};
    bool found = false;
    for (const auto& p : kPhases)
      if (phase.kind == TokenKind::word && phase.text == p.first) {
        f.phase = p.second;
        found = true;
      }
    if (!found) fail_unknown(phase, " as filter phase", "connect, helo, ehlo, auth, mail-from, rcpt-to, data or commit");
    expect_keyword("match", phase.text.c_str());
    filter_check(f);
    Token decision = peek();
    static const std::pair<const char*, Filter::Decision> kDecisions[] = {
        {"disconnect", Filter::Decision::disconnect}, {"reject", Filter::Decision::reject},
        {"rewrite", Filter::Decision::rewrite},       {"report", Filter::Decision::report},
        {"junk", Filter::Decision::junk},             {"bypass", Filter::Decision::bypass}};
    found = false;
    for (const auto& d : kDecisions)
      if (decision.kind == TokenKind::word && decision.text == d.first) {
        f.decision = d.second;
        found = true;
      }
    if (!found) fail_unknown(decision, " as filter decision", "disconnect, reject, rewrite, report, junk or bypass");
    take();
    if (f.phase == FilterPhase::commit && (f.decision == Filter::Decision::junk || f.decision == Filter::Decision::bypass))
      fail(decision.line, "'" + decision.text + "' is not possible in the commit phase");
    if (f.decision == Filter::Decision::disconnect || f.decision == Filter::Decision::reject ||
        f.decision == Filter::Decision::rewrite || f.decision == Filter::Decision::report) {
      Token msg = expect_value("a message after '" + decision.text + "'");
      f.message = msg.text;
      if (f.decision == Filter::Decision::disconnect || f.decision == Filter::Decision::reject) {
        const std::string& m = f.message;
        bool code_ok = m.size() >= 3 && (m[0] == '4' || m[0] == '5') && std::isdigit(static_cast<unsigned char>(m[1])) &&
                       std::isdigit(static_cast<unsigned char>(m[2])) && (m.size() == 3 || m[3] == ' ');
        if (!code_ok) fail(msg.line, "'" + m + "' must start with a 4xx or 5xx SMTP code, as \"550 go away\"");
      }
    }
  } else {
    fail_unknown(kind, " after 'filter " + name.text + "'", "phase or chain");
  }
  if (const Filter* old = st_.config.find_filter(f.name))
    fail(name.line, "duplicate filter '" + f.name + "' (first defined at " + old->where.to_string() + ")");
  end_statement("the filter definition");
  st_.config.filters.push_back(std::move(f));
}

void Parser::filter_check(Filter& f) {
  using K = FilterCheck::Kind;
  FilterCheck& c = f.check;
  if (peek().kind == TokenKind::bang) {
    take();
    c.negated = true;
  }
  Token what = peek();
  std::initializer_list<const char*> decisions = {"disconnect", "reject", "rewrite", "report", "junk", "bypass"};
  auto table_or_regex = [&](K table_kind, K regex_kind) {
    if (accept("regex")) {
      c.kind = regex_kind;
      c.table = parse_tables("'" + what.text + " regex'");
    } else {
      c.kind = table_kind;
      c.table = parse_tables("'" + what.text + "'");
    }
  };
  // Which checks each phase can make: what is known by then.
  int level = 0;
  switch (f.phase) {
    case FilterPhase::connect: level = 0; break;
    case FilterPhase::helo: case FilterPhase::ehlo: level = 1; break;
    case FilterPhase::auth: level = 2; break;
    case FilterPhase::mail_from: case FilterPhase::data: case FilterPhase::commit: level = 3; break;
    case FilterPhase::rcpt_to: level = 4; break;
  }
  int needs = -1;
  if (what.kind == TokenKind::word) {
    const std::string& w = what.text;
    if (w == "rdns" || w == "fcrdns" || w == "src") needs = 0;
    else if (w == "helo") needs = 1;
    else if (w == "auth") needs = 2;
    else if (w == "mail-from") needs = 3;
    else if (w == "rcpt-to") needs = 4;
  }
  if (needs < 0)
    fail_unknown(what, " in filter match", "rdns, fcrdns, src, helo, auth, mail-from or rcpt-to");
  if (needs > level) fail(what.line, "'" + what.text + "' is not known yet in this filter phase");
  take();
  const std::string& w = what.text;
  if (w == "fcrdns") {
    c.kind = K::fcrdns;
  } else if (w == "rdns") {
    if (accept("regex")) {
      c.kind = K::rdns_regex;
      c.table = parse_tables("'rdns regex'");
    } else if (at_table_start(decisions)) {
      c.kind = K::rdns_table;
      c.table = parse_tables("'rdns'");
    } else {
      c.kind = K::rdns;
    }
  } else if (w == "auth") {
    if (accept("regex")) {
      c.kind = K::auth_regex;
      c.table = parse_tables("'auth regex'");
    } else if (at_table_start(decisions)) {
      c.kind = K::auth_table;
      c.table = parse_tables("'auth'");
    } else {
      c.kind = K::auth;
    }
  } else if (w == "src") {
    table_or_regex(K::src_table, K::src_regex);
  } else if (w == "helo") {
    table_or_regex(K::helo_table, K::helo_regex);
  } else if (w == "mail-from") {
    table_or_regex(K::mail_from_table, K::mail_from_regex);
  } else {
    table_or_regex(K::rcpt_to_table, K::rcpt_to_regex);
  }
}

}  // namespace tether::smtp::parsing
