#include "smtp/config_lexer.h"

#include <cctype>
#include <cstdio>

namespace tether::smtp {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

bool is_macro_name_char(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '_';
}

std::string printable(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  if (std::isprint(u)) return std::string("'") + c + "'";
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", u);
  return std::string("byte ") + buf;
}

}  // namespace

// OpenSMTPD's allowed_in_string(): alphanumerics and punctuation except the
// characters that are tokens of their own or start a comment.
bool is_word_char(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  if (std::isalnum(u)) return true;
  if (!std::ispunct(u)) return false;
  switch (c) {
    case '(': case ')': case '{': case '}': case '<': case '>':
    case '!': case '=': case '#': case ',': case '\\':
      return false;
    default:
      return true;
  }
}

std::string describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::word: return "'" + token.text + "'";
    case TokenKind::quoted: return "\"" + token.text + "\"";
    case TokenKind::table_ref: return "'<" + token.text + ">'";
    case TokenKind::lbrace: return "'{'";
    case TokenKind::rbrace: return "'}'";
    case TokenKind::comma: return "','";
    case TokenKind::assign: return "'='";
    case TokenKind::bang: return "'!'";
    case TokenKind::newline: return "end of line";
    case TokenKind::end: return "end of file";
    case TokenKind::invalid: return "invalid input";
  }
  return "?";
}

ConfigLexer::ConfigLexer(std::string_view text, int first_line) : text_(text), line_(first_line) {}

const Token& ConfigLexer::peek() {
  if (pending_.empty()) {
    Token t = lex();
    // A macro expansion queues its tokens itself and returns the first one.
    pending_.push_front(std::move(t));
  }
  return pending_.front();
}

Token ConfigLexer::next() {
  peek();
  Token t = std::move(pending_.front());
  pending_.pop_front();
  return t;
}

Token ConfigLexer::lex() {
  for (;;) {
    while (!at_end() && is_space(cur())) ++pos_;
    if (at_end()) return make(TokenKind::end, "", line_);
    char c = cur();

    if (c == '\\') {
      // Line continuation: the backslash and the newline vanish.
      std::size_t p = pos_ + 1;
      while (p < text_.size() && text_[p] == '\r') ++p;
      if (p < text_.size() && text_[p] == '\n') {
        pos_ = p + 1;
        ++line_;
        continue;
      }
      if (p >= text_.size()) {
        pos_ = p;
        return make(TokenKind::invalid, "'\\' at end of file (a continuation needs a next line)", line_);
      }
      ++pos_;
      return make(TokenKind::invalid, "stray '\\' (only allowed at the end of a line, to continue it)", line_);
    }
    if (c == '#') {
      while (!at_end() && cur() != '\n') ++pos_;
      continue;
    }
    if (c == '\n') {
      ++pos_;
      return make(TokenKind::newline, "", line_++);
    }
    if (c == '$') {
      if (expanding_) {
        ++pos_;
        while (!at_end() && is_macro_name_char(cur())) ++pos_;
        return make(TokenKind::invalid, "a macro's value cannot use another macro", line_);
      }
      expand_macro(line_);
      if (!pending_.empty()) {
        Token t = std::move(pending_.front());
        pending_.pop_front();
        return t;
      }
      continue;  // the macro expanded to nothing
    }
    if (c == '"' || c == '\'') return lex_quoted(c);
    if (c == '<') return lex_table_ref();
    switch (c) {
      case '{': ++pos_; return make(TokenKind::lbrace, "{", line_);
      case '}': ++pos_; return make(TokenKind::rbrace, "}", line_);
      case ',': ++pos_; return make(TokenKind::comma, ",", line_);
      case '!': ++pos_; return make(TokenKind::bang, "!", line_);
      case '=':
        ++pos_;
        if (!at_end() && cur() == '>') ++pos_;
        return make(TokenKind::assign, "=", line_);
      default:
        break;
    }
    if (is_word_char(c)) return lex_word();
    ++pos_;
    return make(TokenKind::invalid, "unexpected character " + printable(c), line_);
  }
}

void ConfigLexer::expand_macro(int line) {
  ++pos_;  // '$'
  std::size_t start = pos_;
  while (!at_end() && is_macro_name_char(cur())) ++pos_;
  std::string name(text_.substr(start, pos_ - start));
  if (name.empty()) {
    pending_.push_front(make(TokenKind::invalid, "'$' must be followed by a macro name", line));
    return;
  }
  auto it = macros_.find(name);
  if (it == macros_.end()) {
    pending_.push_front(make(TokenKind::invalid, "macro '" + name + "' is not defined", line));
    return;
  }
  // The value is lexed as if it stood here; every token keeps the line of the
  // reference so errors point at the use, not at the definition.
  ConfigLexer sub(it->second, line);
  sub.expanding_ = true;
  std::deque<Token> tokens;
  for (;;) {
    Token t = sub.next();
    if (t.kind == TokenKind::end) break;
    if (t.kind == TokenKind::newline) continue;
    t.line = line;
    tokens.push_back(std::move(t));
  }
  pending_.insert(pending_.begin(), tokens.begin(), tokens.end());
}

Token ConfigLexer::lex_quoted(char quote) {
  int start_line = line_;
  ++pos_;
  std::string out;
  for (;;) {
    if (at_end())
      return make(TokenKind::invalid,
                  std::string("unterminated quoted string (missing closing ") + quote + ")", start_line);
    char c = cur();
    ++pos_;
    if (c == quote) break;
    if (c == '\n') {
      // OpenSMTPD lets a quoted string run on over lines (dropping the
      // newlines), so a missing quote swallows the next line and the error
      // lands far away. tether stops at the end of the line instead; a
      // backslash before the newline still continues the string.
      --pos_;
      return make(TokenKind::invalid, std::string("unterminated quoted string (missing closing ") + quote + ")",
                  start_line);
    }
    if (c == '\0') return make(TokenKind::invalid, "NUL byte in quoted string", line_);
    if (c == '\\' && !at_end()) {
      char n = cur();
      if (n == quote || n == ' ' || n == '\t') {
        out += n;
        ++pos_;
        continue;
      }
      if (n == '\n') {
        ++pos_;
        ++line_;
        continue;
      }
    }
    out += c;
  }
  return make(TokenKind::quoted, std::move(out), start_line);
}

Token ConfigLexer::lex_table_ref() {
  int line = line_;
  ++pos_;  // '<'
  while (!at_end() && (cur() == ' ' || cur() == '\t')) ++pos_;
  std::string name;
  if (!at_end() && (cur() == '"' || cur() == '\'')) {
    Token q = lex_quoted(cur());
    if (q.kind == TokenKind::invalid) return q;
    name = q.text;
  } else {
    std::size_t start = pos_;
    while (!at_end() && is_word_char(cur())) ++pos_;
    name = std::string(text_.substr(start, pos_ - start));
  }
  while (!at_end() && (cur() == ' ' || cur() == '\t')) ++pos_;
  if (at_end() || cur() != '>') {
    // Leave the rest of the line to the parser's recovery.
    return make(TokenKind::invalid, "unterminated table reference '<" + name + "' (missing '>')", line);
  }
  ++pos_;
  if (name.empty()) return make(TokenKind::invalid, "empty table reference '<>'", line);
  return make(TokenKind::table_ref, std::move(name), line);
}

Token ConfigLexer::lex_word() {
  std::size_t start = pos_;
  while (!at_end() && is_word_char(cur())) ++pos_;
  return make(TokenKind::word, std::string(text_.substr(start, pos_ - start)), line_);
}

}  // namespace tether::smtp
