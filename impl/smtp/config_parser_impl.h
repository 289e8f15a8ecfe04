#pragma once
// Internal to the config parser: the recursive-descent parser shared by the
// config_parser*.cc files, one file per kind of statement. Not part of the
// library's interface; include config_parser.h instead.

#include <functional>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/config.h"
#include "smtp/config_lexer.h"
#include "smtp/config_parser.h"

namespace tether::smtp::parsing {

constexpr std::size_t kMaxIncludeDepth = 8;

// Whether a token starts a statement (table, listen, action, ...).
bool is_statement_keyword(const Token& t);

// State shared by the parser of the main file and of the files it includes.
struct ParseState {
  Config& config;
  std::vector<ConfigError>& errors;
  const ConfigFileLoader& loader;
  std::size_t max_errors;
  std::map<std::string, std::string> macros;
  std::vector<std::string> include_stack;
  int inline_tables = 0;
  bool have_socket_listener = false;
  int last_line = 0;  // of the main file, for errors about the file as a whole
  // Definitions that had errors ("action:relay_in", "table:aliases", ...):
  // their uses are not reported again as undefined.
  std::set<std::string> broken;

  void error(SourceLocation where, std::string message) {
    if (errors.size() < max_errors) errors.push_back({std::move(where), std::move(message)});
  }
};

// Thrown inside a statement; the statement loop records it and skips to the
// next line, so one bad line costs one error and the rest is still checked.
struct SyntaxError {
  int line;
  std::string message;
  // The statement ended early at a token that starts the next one (an
  // unclosed '{' before a new statement): recovery must not skip it.
  bool resume_here = false;
};

class Parser {
 public:
  Parser(ParseState& state, std::string_view text, std::string file)
      : st_(state), lex_(text), file_(std::move(file)) {
    lex_.set_macros(st_.macros);
  }

  void run();

 private:
  // ---- tokens ----
  const Token& peek();
  Token take();
  bool at_word(const char* keyword);
  bool accept(const char* keyword);
  void expect_keyword(const char* keyword, const char* after);
  Token expect_value(const std::string& what);
  void end_statement(const char* what);
  bool at_end_of_statement();
  [[noreturn]] void fail(int line, std::string message) { throw SyntaxError{line, std::move(message)}; }
  [[noreturn]] void fail_unexpected(const Token& t, const std::string& expected);
  [[noreturn]] void fail_unknown(const Token& t, const std::string& context, const std::string& expected);
  SourceLocation here(int line) const { return {file_, line}; }
  void recover(bool resume_here);

  // ---- values ----
  Duration parse_positive_duration(const Token& t, const char* what);
  std::uint64_t parse_number(const Token& t, std::uint64_t max, const char* what);
  std::uint64_t parse_size(const Token& t);
  std::string expect_hostname(const char* what);

  void read_braced_list(int open_line, const std::function<void()>& read_item);
  std::vector<std::string> parse_name_list(const char* what, int open_line);

  // ---- tables ----
  bool at_table_start(std::initializer_list<const char*> stop_words);
  TableRef parse_tables(const std::string& what);
  void parse_table_body(Table& table, int open_line);
  void load_table_file(Table& table, const std::string& spec, const Token& at);
  std::string inline_name(int line) { return "inline:" + file_ + ":" + std::to_string(line) + ":" + std::to_string(++st_.inline_tables); }

  // ---- statements ----
  void statement();
  void macro_definition(const Token& name);
  void table_statement();
  void pki_statement();
  void ca_statement();
  void listen_statement(int line);
  void filter_statement(int line);
  void filter_definition(const Token& name, int line);
  void filter_check(Filter& f);
  void action_statement(int line);
  void action_definition(const Token& name, int line);
  void local_action(Action& a, const Token& type);
  void relay_action(Action& a);
  void match_statement(int line);
  void queue_statement();
  void bounce_statement();
  void smtp_statement();
  void mta_statement();
  void auth_failures_statement();
  void profile_statement();
  void srs_statement();
  void include_statement(int line);

  ParseState& st_;
  ConfigLexer lex_;
  std::string file_;
  int open_lists_ = 0;  // '{' not yet closed, for recovery
};


}  // namespace tether::smtp::parsing
