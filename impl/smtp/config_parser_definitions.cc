// Statements that define names: macros, tables, pkis, cas; and include.

#include "smtp/config_parser_impl.h"

#include <algorithm>
#include <cctype>

#include "core/ascii.h"
#include "smtp/table_file.h"

namespace tether::smtp::parsing {

void Parser::macro_definition(const Token& name) {
  take();  // '='
  if (name.text.empty() || !std::all_of(name.text.begin(), name.text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
      }))
    fail(name.line, "invalid macro name '" + name.text + "' (letters, digits and '_' only)");
  if (is_statement_keyword(Token{TokenKind::word, name.text, name.line}))
    fail(name.line, "'" + name.text + "' is a keyword and cannot be a macro name");
  Token value = expect_value("a value for macro '" + name.text + "'");
  end_statement("the macro definition");
  st_.macros[name.text] = value.text;
  lex_.define_macro(name.text, value.text);
}

void Parser::load_table_file(Table& table, const std::string& spec, const Token& at) {
  std::string path;
  if (!spec.empty() && spec.front() == '/') {
    path = spec;
  } else {
    std::size_t colon = spec.find(':');
    std::string backend = colon == std::string::npos ? spec : spec.substr(0, colon);
    if (colon == std::string::npos)
      fail(at.line, "invalid table source '" + spec + "' (expected file:/path or { ... })");
    if (backend == "db")
      fail(at.line, "db: tables (makemap databases) are not supported by tether; use file:" + spec.substr(colon + 1));
    if (backend != "file")
      fail(at.line, "unsupported table backend '" + backend + "' (tether reads file: tables and inline { ... })");
    path = spec.substr(colon + 1);
    if (path.empty() || path.front() != '/')
      fail(at.line, "table file '" + path + "' must be an absolute path");
  }
  table.path = path;
  if (!st_.loader) fail(at.line, "cannot read table file " + path + ": no file loader given to the parser");
  auto text = st_.loader(path);
  if (!text) fail(at.line, "cannot read table file " + path + ": " + text.error().message);
  TableFileContents contents = parse_table_file(*text, path);
  table.kind = contents.kind;
  table.entries = std::move(contents.entries);
  for (ConfigError& e : contents.errors)
    st_.error(e.where, e.message + " (table '" + table.name + "', " + here(at.line).to_string() + ")");
}

void Parser::table_statement() {
  Token name = expect_value("a table name after 'table'");
  Table table;
  table.name = name.text;
  table.where = here(name.line);
  const Table* old = st_.config.find_table(table.name);
  try {
    const Token& t = peek();
    if (t.kind == TokenKind::lbrace) {
      Token open = take();
      try {
        parse_table_body(table, open.line);
      } catch (const SyntaxError& e) {
        if (!e.resume_here) throw;
        // An unclosed list: report it, keep what it had, go on at the next
        // statement, so the table's uses are not reported as undefined too.
        st_.error(here(e.line), e.message);
        if (!old) st_.config.tables.push_back(std::move(table));
        return;
      }
    } else if (t.kind == TokenKind::word || t.kind == TokenKind::quoted) {
      Token spec = take();
      load_table_file(table, spec.text, spec);
    } else {
      fail_unexpected(t, "file:/path or { ... } after 'table " + name.text + "'");
    }
    if (old) fail(name.line, "duplicate table '" + table.name + "' (first defined at " + old->where.to_string() + ")");
    end_statement("the table definition");
  } catch (const SyntaxError&) {
    if (!old) st_.broken.insert("table:" + table.name);
    throw;
  }
  st_.config.tables.push_back(std::move(table));
}

void Parser::pki_statement() {
  std::string name = ascii_lower(expect_hostname("the pki name"));
  Pki* pki = nullptr;
  for (Pki& p : st_.config.pkis)
    if (p.name == name) pki = &p;
  if (!pki) {
    st_.config.pkis.push_back(Pki{name, "", "", "", here(peek().line)});
    pki = &st_.config.pkis.back();
  }
  bool any = false;
  // A pki with a broken line is not also reported as incomplete.
  struct Mark {
    ParseState& st;
    std::string name;
    bool done = false;
    ~Mark() { if (!done) st.broken.insert("pki:" + name); }
  } mark{st_, name};
  while (!at_end_of_statement()) {
    Token opt = take();
    if (opt.kind == TokenKind::word && (opt.text == "cert" || opt.text == "key")) {
      std::string& field = opt.text == "cert" ? pki->cert_path : pki->key_path;
      Token path = expect_value("a file path after '" + opt.text + "'");
      if (!field.empty()) st_.error(here(opt.line), "duplicate pki '" + name + "' " + opt.text + " (already set)");
      else field = path.text;
    } else if (opt.kind == TokenKind::word && opt.text == "dhe") {
      Token v = expect_value("none, auto or legacy after 'dhe'");
      std::string d = ascii_lower(v.text);
      if (d != "none" && d != "auto" && d != "legacy") fail(v.line, "invalid dhe '" + v.text + "' (expected none, auto or legacy)");
      if (!pki->dhe.empty()) st_.error(here(opt.line), "duplicate pki '" + name + "' dhe (already set)");
      else pki->dhe = d;
    } else {
      fail_unknown(opt, " in pki", "cert, key or dhe");
    }
    any = true;
  }
  if (!any) fail(peek().line, "pki '" + name + "' needs cert, key or dhe");
  end_statement("the pki definition");
  mark.done = true;
}

void Parser::ca_statement() {
  std::string name = ascii_lower(expect_hostname("the ca name"));
  Token kw = peek();
  if (!(kw.kind == TokenKind::word && kw.text == "cert")) fail_unknown(kw, " in ca", "cert");
  take();
  Token path = expect_value("a file path after 'cert'");
  if (const CertificateAuthority* old = st_.config.find_ca(name))
    fail(kw.line, "duplicate ca '" + name + "' (first defined at " + old->where.to_string() + ")");
  end_statement("the ca definition");
  st_.config.cas.push_back(CertificateAuthority{name, path.text, here(kw.line)});
}

void Parser::include_statement(int line) {
  Token path = expect_value("a file path after 'include'");
  end_statement("the include directive");
  // Past the end of the line now: report without throwing, or recovery
  // would skip the next line.
  if (!st_.loader) return st_.error(here(line), "cannot include " + path.text + ": no file loader given to the parser");
  if (st_.include_stack.size() >= kMaxIncludeDepth)
    return st_.error(here(line), "includes nested too deeply at " + path.text);
  if (std::find(st_.include_stack.begin(), st_.include_stack.end(), path.text) != st_.include_stack.end())
    return st_.error(here(line), "include loop: " + path.text + " includes itself");
  auto text = st_.loader(path.text);
  if (!text) return st_.error(here(line), "cannot include " + path.text + ": " + text.error().message);
  st_.include_stack.push_back(path.text);
  Parser nested(st_, *text, path.text);
  nested.run();
  st_.include_stack.pop_back();
  lex_.set_macros(st_.macros);  // macros defined in the included file apply here too
}

}  // namespace tether::smtp::parsing
