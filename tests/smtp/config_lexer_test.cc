#include <boost/test/unit_test.hpp>
#include <vector>

#include "smtp/config_lexer.h"

using namespace tether::smtp;

namespace {

std::vector<Token> lex_all(std::string_view text, std::map<std::string, std::string> macros = {}) {
  ConfigLexer lexer(text);
  lexer.set_macros(std::move(macros));
  std::vector<Token> out;
  for (;;) {
    Token t = lexer.next();
    if (t.kind == TokenKind::end) break;
    out.push_back(std::move(t));
  }
  return out;
}

// "w:table w:aliases w:file:/etc/mail/aliases nl" - kinds and texts at a glance.
std::string render(const std::vector<Token>& tokens) {
  std::string out;
  for (const Token& t : tokens) {
    if (!out.empty()) out += ' ';
    switch (t.kind) {
      case TokenKind::word: out += "w:" + t.text; break;
      case TokenKind::quoted: out += "q:" + t.text; break;
      case TokenKind::table_ref: out += "<" + t.text + ">"; break;
      case TokenKind::lbrace: out += "{"; break;
      case TokenKind::rbrace: out += "}"; break;
      case TokenKind::comma: out += ","; break;
      case TokenKind::assign: out += "="; break;
      case TokenKind::bang: out += "!"; break;
      case TokenKind::newline: out += "nl"; break;
      case TokenKind::end: out += "end"; break;
      case TokenKind::invalid: out += "ERR(" + t.text + ")"; break;
    }
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_lexer)

BOOST_AUTO_TEST_CASE(words_paths_and_addresses_are_single_tokens) {
  BOOST_TEST(render(lex_all("table aliases file:/etc/mail/aliases\n")) ==
             "w:table w:aliases w:file:/etc/mail/aliases nl");
  BOOST_TEST(render(lex_all("match from src 2001:db8:c1da::1 for any action \"relay_out\"")) ==
             "w:match w:from w:src w:2001:db8:c1da::1 w:for w:any w:action q:relay_out");
  BOOST_TEST(render(lex_all("action x relay host smtp+tls://mailuser@smtp.example.com auth <secrets>")) ==
             "w:action w:x w:relay w:host w:smtp+tls://mailuser@smtp.example.com w:auth <secrets>");
}

BOOST_AUTO_TEST_CASE(lists_mappings_negation_and_quotes) {
  BOOST_TEST(render(lex_all("table t { a, b = c, 'd e' => \"f\" }")) ==
             "w:table w:t { w:a , w:b = w:c , q:d e = q:f }");
  BOOST_TEST(render(lex_all("filter f phase connect match !rdns")) ==
             "w:filter w:f w:phase w:connect w:match ! w:rdns");
  // Backslash escapes inside quotes: the quote, blanks; any other stays.
  BOOST_TEST(render(lex_all(R"(x "a\"b" '.*\.dyn\..*')")) == R"(w:x q:a"b q:.*\.dyn\..*)");
  BOOST_TEST(render(lex_all("< spaced >")) == "<spaced>");
}

BOOST_AUTO_TEST_CASE(comments_continuations_and_line_numbers) {
  auto tokens = lex_all("# comment\n\nfilter a phase connect \\\n\tdisconnect \"550 x\" # trailing\nmatch");
  BOOST_TEST(render(tokens) == "nl nl w:filter w:a w:phase w:connect w:disconnect q:550 x nl w:match");
  BOOST_TEST(tokens[2].line == 3);
  BOOST_TEST(tokens[6].line == 4);  // continued onto line 4
  BOOST_TEST(tokens[9].line == 5);
  // CRLF files read as LF files.
  BOOST_TEST(render(lex_all("a\r\nb\r\n")) == "w:a nl w:b nl");
}

BOOST_AUTO_TEST_CASE(macros_expand_at_the_start_of_a_token_only) {
  std::map<std::string, std::string> m = {{"IP", "192.0.2.1"}, {"TWO", "a b"}};
  BOOST_TEST(render(lex_all("table t { $IP, x }", m)) == "w:table w:t { w:192.0.2.1 , w:x }");
  BOOST_TEST(render(lex_all("x $TWO y", m)) == "w:x w:a w:b w:y");
  // As OpenSMTPD: not inside a word, not inside quotes.
  BOOST_TEST(render(lex_all("smtp://$IP \"$IP\"", m)) == "w:smtp://$IP q:$IP");
  auto tokens = lex_all("\n\nx $IP", m);
  BOOST_TEST(tokens[3].line == 3);
  BOOST_TEST(render(lex_all("x $NOPE y", m)) == "w:x ERR(macro 'NOPE' is not defined) w:y");
  BOOST_TEST(render(lex_all("x $ y", m)) == "w:x ERR('$' must be followed by a macro name) w:y");
  std::map<std::string, std::string> nested = {{"A", "$B"}, {"B", "x"}};
  BOOST_TEST(render(lex_all("$A", nested)) == "ERR(a macro's value cannot use another macro)");
}

BOOST_AUTO_TEST_CASE(errors_are_tokens_with_their_line) {
  auto tokens = lex_all("pki x cert \"/etc/ssl/x.crt\nmore");
  // Unlike OpenSMTPD, a quoted string ends at the end of its line, so a
  // missing quote costs that line only.
  BOOST_TEST(render(tokens) == "w:pki w:x w:cert ERR(unterminated quoted string (missing closing \")) nl w:more");
  BOOST_TEST(tokens[3].line == 1);
  BOOST_TEST(render(lex_all("\"a\\\nb\"")) == "q:ab");  // backslash-newline continues it
  BOOST_TEST(render(lex_all("a ( b")) == "w:a ERR(unexpected character '(') w:b");
  BOOST_TEST(render(lex_all("a <b c")) == "w:a ERR(unterminated table reference '<b' (missing '>')) w:c");
  BOOST_TEST(render(lex_all("a \\ b")) == "w:a ERR(stray '\\' (only allowed at the end of a line, to continue it)) w:b");
  BOOST_TEST(render(lex_all(std::string_view("a\x01", 2))) == "w:a ERR(unexpected character byte 0x01)");
}

BOOST_AUTO_TEST_SUITE_END()
