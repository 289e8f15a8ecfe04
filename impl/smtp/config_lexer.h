#pragma once
// Tokens of the smtpd.conf(5) language, as OpenSMTPD's parse.y lexes them:
// bare words, "double" and 'single' quoted strings, <table> references,
// { } , = (and =>) !, end of line, with `\` line continuation, `#` comments
// and macros (`name = "value"` defined by the parser, `$name` expanded here at
// the start of a token, never inside a word or a quoted string).
// One difference: a quoted string ends at the end of its line (OpenSMTPD
// runs it on into the next lines), so a missing quote is reported where it
// is missing instead of lines later.
//
// Keywords are not a token kind: whether `relay` is a keyword depends on where
// it stands, so the parser decides (a quoted "relay" is never a keyword, as in
// OpenSMTPD). Errors are tokens of kind `invalid` carrying the message, so the
// parser reports them with the rest and skips the statement.

#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <string_view>

namespace tether::smtp {

enum class TokenKind {
  word,       // unquoted: action, file:/etc/mail/aliases, 2001:db8::1, 20d
  quoted,     // "..." or '...', text without the quotes
  table_ref,  // <aliases>, text is the name
  lbrace,
  rbrace,
  comma,
  assign,     // = or =>
  bang,       // !
  newline,
  end,
  invalid,    // text is the error message
};

struct Token {
  TokenKind kind = TokenKind::end;
  std::string text;
  int line = 0;
};

// "'relay'", "\"relay_in\"", "'<aliases>'", "'{'", "end of line", "end of file".
std::string describe(const Token& token);

// True for characters OpenSMTPD accepts inside an unquoted word.
bool is_word_char(char c);

class ConfigLexer {
 public:
  explicit ConfigLexer(std::string_view text, int first_line = 1);

  Token next();
  const Token& peek();

  // Macros are shared with the parser, which defines them as it reads
  // `name = value` lines; a later definition replaces an earlier one.
  void define_macro(const std::string& name, std::string value) { macros_[name] = std::move(value); }
  const std::map<std::string, std::string>& macros() const { return macros_; }
  void set_macros(std::map<std::string, std::string> macros) { macros_ = std::move(macros); }

 private:
  Token lex();
  Token lex_quoted(char quote);
  Token lex_table_ref();
  Token lex_word();
  void expand_macro(int line);
  Token make(TokenKind kind, std::string text, int line) const { return Token{kind, std::move(text), line}; }
  bool at_end() const { return pos_ >= text_.size(); }
  char cur() const { return text_[pos_]; }

  std::string_view text_;
  std::size_t pos_ = 0;
  int line_ = 1;
  // Tokens from a macro's value waiting to be handed out, then the peeked one.
  std::deque<Token> pending_;
  std::map<std::string, std::string> macros_;
  // Set while lexing a macro's value: OpenSMTPD does not expand macros inside
  // macros, and neither do we (it also rules out self-referencing loops).
  bool expanding_ = false;
};

}  // namespace tether::smtp
