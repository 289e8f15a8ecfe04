// The parser's driver: tokens, values, tables in place, statement dispatch
// and error recovery, and the public entry points. Each kind of statement is
// parsed in its own config_parser_*.cc file.

#include "smtp/config_parser.h"

#include <algorithm>
#include <cctype>

#include "core/ascii.h"
#include "smtp/config_check.h"
#include "smtp/config_parser_impl.h"

namespace tether::smtp {

namespace parsing {

// Statements, in the order error messages list them.
constexpr const char* kStatements[] = {"action", "bounce", "ca",    "filter", "include", "listen", "match",
                                       "mta",    "pki",    "profile", "queue", "smtp", "srs",  "table"};
// OpenSMTPD statements tether does not implement: named so the error can say so.
constexpr const char* kUnsupportedStatements[] = {"admd", "mda", "proc", "scheduler"};

bool is_statement_keyword(const Token& t) {
  if (t.kind != TokenKind::word) return false;
  for (const char* k : kStatements)
    if (t.text == k) return true;
  for (const char* k : kUnsupportedStatements)
    if (t.text == k) return true;
  return false;
}

// ---------------------------------------------------------------- tokens

const Token& Parser::peek() {
  const Token& t = lex_.peek();
  if (t.kind == TokenKind::invalid) {
    Token bad = lex_.next();
    fail(bad.line, bad.text);
  }
  return t;
}

Token Parser::take() {
  peek();
  return lex_.next();
}

bool Parser::at_word(const char* keyword) {
  const Token& t = peek();
  return t.kind == TokenKind::word && t.text == keyword;
}

bool Parser::accept(const char* keyword) {
  if (!at_word(keyword)) return false;
  take();
  return true;
}

void Parser::expect_keyword(const char* keyword, const char* after) {
  const Token& t = peek();
  if (t.kind == TokenKind::word && t.text == keyword) {
    take();
    return;
  }
  fail_unexpected(t, std::string("'") + keyword + "' after '" + after + "'");
}

Token Parser::expect_value(const std::string& what) {
  const Token& t = peek();
  if (t.kind == TokenKind::word || t.kind == TokenKind::quoted) return take();
  fail_unexpected(t, what);
}

bool Parser::at_end_of_statement() {
  TokenKind k = peek().kind;
  return k == TokenKind::newline || k == TokenKind::end;
}

void Parser::end_statement(const char* what) {
  const Token& t = peek();
  if (t.kind == TokenKind::newline) {
    take();
    return;
  }
  if (t.kind == TokenKind::end) return;
  fail(t.line, "unexpected " + describe(t) + " at the end of " + what);
}

void Parser::fail_unexpected(const Token& t, const std::string& expected) {
  fail(t.line, "expected " + expected + ", got " + describe(t));
}

void Parser::fail_unknown(const Token& t, const std::string& context, const std::string& expected) {
  if (t.kind == TokenKind::word)
    fail(t.line, "unknown keyword '" + t.text + "'" + context + " (expected " + expected + ")");
  fail(t.line, "expected " + expected + context + ", got " + describe(t));
}

void Parser::recover(bool resume_here) {
  int depth = open_lists_;
  open_lists_ = 0;
  if (resume_here) return;
  bool line_start = false;
  for (;;) {
    const Token& t = lex_.peek();
    if (t.kind == TokenKind::end) return;
    if (t.kind == TokenKind::newline) {
      lex_.next();
      if (depth <= 0) return;
      line_start = true;
      continue;
    }
    // An unclosed '{' would swallow the rest of the file: give up on it when
    // a line starts with a statement keyword.
    if (line_start && is_statement_keyword(t)) return;
    line_start = false;
    if (t.kind == TokenKind::lbrace) ++depth;
    if (t.kind == TokenKind::rbrace) --depth;
    lex_.next();
  }
}

void Parser::run() {
  for (;;) {
    const Token& t = lex_.peek();
    if (t.kind == TokenKind::end) break;
    if (t.kind == TokenKind::newline) {
      lex_.next();
      continue;
    }
    try {
      statement();
    } catch (const SyntaxError& e) {
      st_.error(here(e.line), e.message);
      recover(e.resume_here);
    }
    if (st_.errors.size() >= st_.max_errors) break;
  }
}

// Both kinds of `{ ... }` list (names, table bodies) end the same way: at their
// '}', or, when that is missing, at the end of the file or at a statement
// keyword that starts a line. The latter is reported at the '{' and recovery
// resumes at the keyword, so one missing '}' costs one error, not the rest of
// the file. read_item is called at every other token, and takes at least it.
void Parser::read_braced_list(int open_line, const std::function<void()>& read_item) {
  ++open_lists_;
  bool line_start = false;
  for (;;) {
    const Token& t = peek();
    if (t.kind == TokenKind::newline) {
      take();
      line_start = true;
      continue;
    }
    if (t.kind == TokenKind::rbrace) {
      take();
      break;
    }
    if (t.kind == TokenKind::end || (line_start && is_statement_keyword(t))) {
      --open_lists_;
      throw SyntaxError{open_line, "unterminated list: '{' without a matching '}'", true};
    }
    line_start = false;
    read_item();
  }
  --open_lists_;
}

std::vector<std::string> Parser::parse_name_list(const char* what, int open_line) {
  std::vector<std::string> names;
  read_braced_list(open_line, [&] {
    if (peek().kind == TokenKind::comma) {  // names may be separated by commas, newlines or both
      take();
      return;
    }
    names.push_back(expect_value(std::string(what) + " or '}'").text);
  });
  if (names.empty()) fail(open_line, "empty list '{ }'");
  return names;
}

// ---------------------------------------------------------------- values

Duration Parser::parse_positive_duration(const Token& t, const char* what) {
  auto d = parse_duration(t.text);
  if (!d) fail(t.line, std::string("invalid duration '") + t.text + "' for " + what + ": " + d.error().message);
  if (*d <= Duration::zero()) fail(t.line, std::string("invalid duration '") + t.text + "' for " + what + ": must be positive");
  return *d;
}

std::uint64_t Parser::parse_number(const Token& t, std::uint64_t max, const char* what) {
  if (t.kind != TokenKind::word || t.text.empty() || t.text.size() > 19 ||
      !std::all_of(t.text.begin(), t.text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    fail(t.line, std::string("expected a number for ") + what + ", got " + describe(t));
  std::uint64_t n = std::stoull(t.text);
  if (n > max) fail(t.line, std::string(what) + " " + t.text + " is out of range (at most " + std::to_string(max) + ")");
  return n;
}

// scan_scaled(3) as OpenSMTPD uses it: "35M", "1.5G", "10240", "512k".
std::uint64_t Parser::parse_size(const Token& t) {
  const std::string& s = t.text;
  std::size_t i = 0;
  std::uint64_t whole = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9' && whole < (1ULL << 50)) whole = whole * 10 + std::uint64_t(s[i++] - '0');
  std::uint64_t frac = 0, frac_scale = 1;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && frac_scale < 1000000) {
      frac = frac * 10 + std::uint64_t(s[i++] - '0');
      frac_scale *= 10;
    }
  }
  std::uint64_t mult = 1;
  if (i < s.size()) {
    switch (ascii_lower(s[i])) {
      case 'b': mult = 1; break;
      case 'k': mult = 1ULL << 10; break;
      case 'm': mult = 1ULL << 20; break;
      case 'g': mult = 1ULL << 30; break;
      case 't': mult = 1ULL << 40; break;
      default: i = std::string::npos; break;
    }
    if (i != std::string::npos) ++i;
  }
  if (i != s.size() || s.empty() || !(s[0] >= '0' && s[0] <= '9') || whole >= (1ULL << 50))
    fail(t.line, "invalid size '" + s + "' (expected a number of bytes, optionally with K, M, G or T)");
  return whole * mult + frac * mult / frac_scale;
}

std::string Parser::expect_hostname(const char* what) {
  Token t = expect_value(what);
  if (t.text != "*" && !is_valid_domain(t.text))
    fail(t.line, std::string("'") + t.text + "' is not a valid host name for " + what);
  return t.text;
}

// ---------------------------------------------------------------- tables

// A table operand may follow a keyword optionally (`auth`, `from rdns`): it is
// there unless the next token is the end of the line or one of the words that
// can follow instead.
bool Parser::at_table_start(std::initializer_list<const char*> stop_words) {
  const Token& t = peek();
  switch (t.kind) {
    case TokenKind::table_ref:
    case TokenKind::lbrace:
    case TokenKind::quoted:
      return true;
    case TokenKind::word:
      for (const char* w : stop_words)
        if (t.text == w) return false;
      return true;
    default:
      return false;
  }
}

TableRef Parser::parse_tables(const std::string& what) {
  const Token& t = peek();
  if (t.kind == TokenKind::table_ref) {
    Token ref = take();
    return TableRef{ref.text, here(ref.line)};
  }
  if (t.kind == TokenKind::word || t.kind == TokenKind::quoted || t.kind == TokenKind::lbrace) {
    Table table;
    table.in_place = true;
    table.where = here(t.line);
    table.name = inline_name(t.line);
    if (t.kind == TokenKind::lbrace) {
      Token open = take();
      parse_table_body(table, open.line);
    } else {
      Token v = take();
      table.entries.push_back({v.text, "", v.line});
    }
    TableRef ref{table.name, table.where};
    st_.config.tables.push_back(std::move(table));
    return ref;
  }
  fail_unexpected(t, "a table (<name>, { ... } or a value) for " + what);
}

void Parser::parse_table_body(Table& table, int open_line) {
  bool kind_known = false;
  read_braced_list(open_line, [&] {
    Token key = expect_value("a value or '}'");
    bool is_pair = peek().kind == TokenKind::assign;
    std::string value;
    if (is_pair) {
      take();
      value = expect_value("a value after '='").text;
    }
    TableKind kind = is_pair ? TableKind::mapping : TableKind::list;
    if (!kind_known) {
      table.kind = kind;
      kind_known = true;
    } else if (table.kind != kind) {
      fail(key.line, "table mixes plain values and key = value pairs at '" + key.text + "'");
    }
    if (is_pair) {
      for (const TableEntry& e : table.entries)
        if (ascii_lower(e.key) == ascii_lower(key.text)) fail(key.line, "duplicate key '" + key.text + "' in table");
    }
    table.entries.push_back({key.text, value, key.line});
    if (peek().kind == TokenKind::comma) take();
  });
  if (table.entries.empty()) fail(open_line, "empty table '{ }'");
}

// ---------------------------------------------------------------- statements

void Parser::statement() {
  Token t = take();
  if ((t.kind == TokenKind::word || t.kind == TokenKind::quoted) && peek().kind == TokenKind::assign) {
    macro_definition(t);
    return;
  }
  if (t.kind != TokenKind::word)
    fail(t.line, "unexpected " + describe(t) + " at the start of a line (expected a keyword such as table, listen, action or match)");
  const std::string& k = t.text;
  if (k == "table") return table_statement();
  if (k == "pki") return pki_statement();
  if (k == "ca") return ca_statement();
  if (k == "listen") return listen_statement(t.line);
  if (k == "filter") return filter_statement(t.line);
  if (k == "action") return action_statement(t.line);
  if (k == "match") return match_statement(t.line);
  if (k == "queue") return queue_statement();
  if (k == "bounce") return bounce_statement();
  if (k == "smtp") return smtp_statement();
  if (k == "mta") return mta_statement();
  if (k == "profile") return profile_statement();
  if (k == "srs") return srs_statement();
  if (k == "include") return include_statement(t.line);
  for (const char* u : kUnsupportedStatements)
    if (k == u) fail(t.line, "'" + k + "' is an OpenSMTPD keyword that tether does not support");
  fail(t.line, "unknown keyword '" + k +
                   "' (expected action, bounce, ca, filter, include, listen, match, mta, pki, queue, smtp, srs, "
                   "table, or a macro definition NAME = \"value\")");
}

namespace {

int count_lines(std::string_view text) {
  int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  if (!text.empty() && text.back() != '\n') ++lines;
  return std::max(lines, 1);
}

}  // namespace
}  // namespace parsing

ConfigParseResult parse_config(std::string_view text, const std::string& file_name, const ConfigFileLoader& loader,
                               const ConfigParseOptions& options) {
  ConfigParseResult result;
  using parsing::ParseState;
  using parsing::Parser;
  ParseState state{result.config, result.errors, loader, std::max<std::size_t>(options.max_errors, 1), options.macros,
                   {file_name}, 0, false, 0, {}};
  state.last_line = parsing::count_lines(text);
  Parser parser(state, text, file_name);
  parser.run();
  if (result.errors.size() < state.max_errors) {
    std::vector<ConfigError> more = check_config(result.config, SourceLocation{file_name, state.last_line}, state.broken);
    for (ConfigError& e : more) state.error(std::move(e.where), std::move(e.message));
  }
  return result;
}

Result<Config> load_config(std::string_view text, const std::string& file_name, const ConfigFileLoader& loader,
                           const ConfigParseOptions& options) {
  ConfigParseResult r = parse_config(text, file_name, loader, options);
  if (!r.ok()) return Error(ErrorCode::invalid_argument, r.error_text());
  return std::move(r.config);
}

}  // namespace tether::smtp
