// Malformed configs: each case lists every error it must produce, as
// "FILE:LINE: fragment", and no others (one mistake, one message).

#include <boost/test/unit_test.hpp>

#include "smtp/config_parser.h"
#include "smtp/seed_configs.h"

using namespace tether::smtp;
using namespace tether::smtp::testing;

namespace {

struct BadConfig {
  const char* name;
  const char* text;
  std::vector<const char*> errors;  // "smtpd.conf:3: fragment"
};

// Table files the cases may name.
ConfigFileLoader fixtures() {
  return memory_loader({
      {"/etc/mail/aliases", "root: jay\n"},
      {"/etc/mail/bad-aliases", "root: jay\npostmaster: root\nlonely\n"},
      {"/etc/mail/sources", "192.0.2.1\n2001:db8::/32\nnot-an-address\n"},
      {"/etc/mail/secrets", "mailuser mailuser:foobar\n"},
      {"/etc/mail/credentials", "mailuser $2b$10$TMCTeP.xVdU8YLGJkyJrTOz6VU0.xWRXFvCp90vGfNGFmvBDLC9P6\n"},
  });
}

const BadConfig kCases[] = {
    {"unknown top-level keyword",
     "table aliases file:/etc/mail/aliases\nrelya on lo0\naction a mbox\nmatch for local action a\n",
     {"smtpd.conf:2: unknown keyword 'relya' (expected action, bounce, ca, filter"}},
    {"unknown action type",
     "action \"relay_in\" relya host smtp://vpn0.example.com\nmatch from any for any action \"relay_in\"\n",
     {"smtpd.conf:1: unknown keyword 'relya' in action 'relay_in' (expected maildir, mbox, lmtp, relay"}},
    {"unknown relay option",
     "action out relay hlo mx.example.org\nmatch for any action out\n",
     {"smtpd.conf:1: unknown keyword 'hlo' in relay action (expected auth, backup, ca"}},
    {"match without an action",
     "action a mbox\nmatch from any for any\nmatch for local action a\n",
     {"smtpd.conf:2: match rule without an action"}},
    {"action used but never defined",
     "action local_mail mbox\nmatch from local for local action local_mail\n"
     "match from any for domain example.com action \"relay_in\"\n",
     {"smtpd.conf:3: action 'relay_in' used but never defined"}},
    {"undefined table",
     "action \"local_mail\" maildir alias <aliases>\nmatch for local action \"local_mail\"\n",
     {"smtpd.conf:1: table 'aliases' is not defined"}},
    {"unterminated string",
     "pki x.example cert \"/etc/ssl/x.crt\npki x.example key \"/k\"\naction a mbox\nmatch for local action a\n",
     {"smtpd.conf:1: unterminated quoted string"}},
    {"unterminated list",
     "table domains { example.org, example.net\naction a mbox\nmatch for domain <domains> action a\n",
     {"smtpd.conf:1: unterminated list: '{' without a matching '}'"}},
    {"bad duration in queue ttl",
     "queue ttl 20x\nqueue ttl 20\nqueue ttl 0s\naction a mbox\nmatch for local action a\n",
     {"smtpd.conf:1: invalid duration '20x' for queue ttl", "smtpd.conf:2: invalid duration '20' for queue ttl",
      "smtpd.conf:3: invalid duration '0s' for queue ttl: must be positive"}},
    {"bad address in src, inline and in a file",
     "table sources file:/etc/mail/sources\naction a mbox\nmatch from src 300.1.1.1 for any action a\n"
     "match from src <sources> for any action a\nmatch from src \"[2001:db8::1\" for any action a\n",
     {"smtpd.conf:3: '300.1.1.1' is not an IP address or network",
      "/etc/mail/sources:3: 'not-an-address' is not an IP address or network",
      "smtpd.conf:5: '[2001:db8::1' has no closing ']'"}},
    {"multiple errors are all reported",
     "queue ttl forever\n"
     "table t { a, b\n"
     "}\n"
     "listen on lo0 tls\n"
     "action a maildir alias <nope>\n"
     "match from any for any action b\n",
     {"smtpd.conf:1: invalid duration 'forever'", "smtpd.conf:4: listen on lo0: tls, tls-require and smtps need a pki",
      "smtpd.conf:5: table 'nope' is not defined", "smtpd.conf:6: action 'b' used but never defined"}},
    {"duplicate pki, table, action",
     "pki x.example cert \"/c\"\npki x.example cert \"/d\" key \"/k\"\ntable t { a }\ntable t { b }\n"
     "action a mbox\naction a mbox\nmatch for local action a\n",
     {"smtpd.conf:2: duplicate pki 'x.example' cert", "smtpd.conf:4: duplicate table 't' (first defined at smtpd.conf:3)",
      "smtpd.conf:6: duplicate action 'a' (first defined at smtpd.conf:5)"}},
    {"incomplete and undefined pki",
     "pki half.example cert \"/c\"\nlisten on lo0 tls pki nope.example\naction a mbox\nmatch for local action a\n",
     {"smtpd.conf:2: pki 'nope.example' is not defined", "smtpd.conf:1: pki 'half.example' has no key"}},
    {"undefined macro",
     "table t { $SERVER_IP_1 }\naction a mbox\nmatch for local action a\n",
     {"smtpd.conf:1: macro 'SERVER_IP_1' is not defined"}},
    {"auth needs tls on a listener",
     "table creds file:/etc/mail/credentials\nlisten on 192.0.2.1 auth <creds>\naction a mbox\nmatch for local action a\n",
     {"smtpd.conf:2: listen on 192.0.2.1: auth needs tls"}},
    {"relay auth label missing from secrets",
     "table secrets file:/etc/mail/secrets\n"
     "action out relay host smtp+tls://other@smtp.example.com auth <secrets>\nmatch for any action out\n",
     {"smtpd.conf:2: action 'out': auth label 'other' is not in table 'secrets'"}},
    {"relay auth label without an auth table",
     "action out relay host smtp+tls://mailuser@smtp.example.com\nmatch for any action out\n",
     {"smtpd.conf:1: action 'out': host smtp+tls://mailuser@smtp.example.com has the auth label 'mailuser'"}},
    {"secrets that are credentials, credentials that are secrets",
     "table secrets file:/etc/mail/credentials\ntable creds file:/etc/mail/secrets\npki p.example cert \"/c\" key \"/k\"\n"
     "listen on lo0 tls pki p.example auth <creds>\n"
     "action out relay host smtp+tls://mailuser@smtp.example.com auth <secrets>\nmatch for any action out\n",
     {"/etc/mail/secrets:1: credentials for 'mailuser' are not a crypt(3) hash",
      "/etc/mail/credentials:1: secret 'mailuser': expected 'user:password'"}},
    {"bad relay URL",
     "action out relay host smtp://mailuser@smtp.example.com\naction x relay host smtp+tls://$MAIL_SERVER_IP\n"
     "match for any action out\nmatch for any action x\n",
     {"smtpd.conf:1: invalid relay URL 'smtp://mailuser@smtp.example.com': an authentication label needs",
      "smtpd.conf:2: invalid relay URL 'smtp+tls://$MAIL_SERVER_IP'"}},
    {"filter chain with an undefined member, bad message",
     "filter a phase connect match !rdns disconnect \"no rdns\"\nfilter c chain { a, b }\n"
     "listen on lo0 filter c\naction x mbox\nmatch for local action x\n",
     {"smtpd.conf:1: 'no rdns' must start with a 4xx or 5xx SMTP code",
      "smtpd.conf:2: filter 'b' in chain 'c' is not defined"}},
    {"unterminated filter chain",
     "filter a phase connect match !rdns disconnect \"550 no rdns\"\nfilter c chain { a,\n"
     "action x mbox\nmatch for local action x\n",
     {"smtpd.conf:2: unterminated list: '{' without a matching '}'"}},
    {"filter chain with stray commas and nothing else, table with a leading comma",
     "filter c chain { , \n , }\ntable t { , a }\naction x mbox\nmatch for local action x\n",
     {"smtpd.conf:1: empty list '{ }'", "smtpd.conf:3: expected a value or '}'"}},
    {"filter check not available in its phase",
     "filter a phase connect match mail-from regex \"x\" reject \"550 x\"\naction x mbox\nmatch for local action x\n",
     {"smtpd.conf:1: 'mail-from' is not known yet in this filter phase"}},
    {"invalid regex",
     "action a mbox\nmatch from local for any mail-from regex \"(\" action a\n",
     {"smtpd.conf:2: invalid regular expression '('"}},
    {"negated action and conditions after the action",
     "action a mbox\nmatch from any ! action a\nmatch for any action a from any\nmatch for local action a\n",
     {"smtpd.conf:2: '!' cannot negate 'action'", "smtpd.conf:3: unexpected 'from' after the action"}},
    {"repeated conditions",
     "action a mbox\nmatch from any from local for any action a\nmatch for local for any action a\n"
     "match for local action a\n",
     {"smtpd.conf:2: from already specified for this rule", "smtpd.conf:3: for already specified for this rule"}},
    {"unreadable table file",
     "table aliases file:/etc/mail/missing\naction a mbox alias <aliases>\nmatch for local action a\n",
     {"smtpd.conf:1: cannot read table file /etc/mail/missing: /etc/mail/missing: No such file"}},
    {"malformed table file",
     "table aliases file:/etc/mail/bad-aliases\naction a mbox alias <aliases>\nmatch for local action a\n",
     {"/etc/mail/bad-aliases:3: expected 'key value' (this table is a mapping, from its first entry), got 'lonely' "
      "(table 'aliases', smtpd.conf:1)"}},
    {"alias table that is a list",
     "table aliases { root, jay }\naction a mbox alias <aliases>\nmatch for local action a\n",
     {"smtpd.conf:2: table 'aliases' is a list, but action 'a' alias needs a mapping"}},
    {"mixed list and mapping",
     "table t { a, b = c }\naction a mbox\nmatch for local action a\n",
     {"smtpd.conf:1: table mixes plain values and key = value pairs at 'b'"}},
    {"unsupported OpenSMTPD features say so",
     "proc p \"/usr/bin/filter\"\nfilter f proc-exec \"x\"\naction m mda \"/usr/bin/procmail\"\nqueue encryption\n"
     "table t db:/etc/mail/t.db\naction a mbox\nmatch for local action a\n",
     {"smtpd.conf:1: 'proc' is an OpenSMTPD keyword that tether does not support",
      "smtpd.conf:2: 'proc-exec' filters run external programs", "smtpd.conf:3: 'mda' runs an external program",
      "smtpd.conf:4: 'queue encryption' is not supported by tether",
      "smtpd.conf:5: db: tables (makemap databases) are not supported by tether"}},
    {"stray characters and bad numbers",
     "smtp limit max-mails lots\nlisten on lo0 port 99999\nsmtp max-message-size 10Q\naction a mbox (x)\n"
     "match for local action a\n",
     {"smtpd.conf:1: expected a number for max-mails, got 'lots'", "smtpd.conf:2: port 99999 is out of range",
      "smtpd.conf:3: invalid size '10Q'", "smtpd.conf:4: unexpected character '('"}},
    {"bad queue retry",
     "queue retry sometimes\nqueue retry exponential 1h max 1m\nqueue retry constant\naction a mbox\n"
     "match for local action a\nqueue retry postfix min 2h\nqueue retry postfix max\nqueue retry postfix 5m\n",
     {"smtpd.conf:1: unknown keyword 'sometimes' after 'queue retry' (expected opensmtpd, constant, exponential or postfix)",
      "smtpd.conf:2: queue retry exponential: max is shorter than the first interval",
      "smtpd.conf:3: expected an interval after 'constant', got end of line",
      "smtpd.conf:6: queue retry postfix: max is shorter than min",
      "smtpd.conf:7: expected a maximal backoff after 'max', got end of line",
      "smtpd.conf:8: unexpected '5m' at the end of the queue directive"}},
    {"bad relay profile knobs",
     "profile exim\nqueue early-retry sometimes\nqueue scan-interval\nqueue scan-interval 0s\naction a mbox\n"
     "match for local action a\nqueue route-up maybe\nmta max-deferred many\nqueue flush-on-success\n",
     {"smtpd.conf:1: unknown keyword 'exim' after 'profile' (expected tether, opensmtpd or postfix)",
      "smtpd.conf:2: unknown keyword 'sometimes' after 'queue early-retry' (expected on-success, hoststat or none)",
      "smtpd.conf:3: expected a duration or 'off' after 'queue scan-interval', got end of line",
      "smtpd.conf:4: invalid duration '0s' for queue scan-interval: must be positive",
      "smtpd.conf:7: unknown keyword 'maybe' after 'queue route-up' (expected on or off)",
      "smtpd.conf:8: expected a number for max-deferred, got 'many'",
      "smtpd.conf:9: unknown keyword 'flush-on-success' after 'queue' (expected ttl, retry, early-retry, scan-interval or route-up)"}},
    {"no rules at all", "table t { a }\n\n", {"smtpd.conf:2: no match rules"}},
    {"include loop and missing include",
     "include \"/etc/mail/self.conf\"\ninclude \"/etc/mail/none.conf\"\naction a mbox\nmatch for local action a\n",
     {"/etc/mail/self.conf:1: include loop: /etc/mail/self.conf includes itself",
      "smtpd.conf:2: cannot include /etc/mail/none.conf"}},
};

ConfigFileLoader case_loader() {
  ConfigFileLoader base = fixtures();
  return [base](const std::string& path) -> tether::Result<std::string> {
    if (path == "/etc/mail/self.conf") return std::string("include \"/etc/mail/self.conf\"\n");
    return base(path);
  };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_errors)

BOOST_AUTO_TEST_CASE(malformed_configs_report_every_error_with_file_and_line) {
  for (const BadConfig& c : kCases) {
    BOOST_TEST_CONTEXT(c.name) {
      ConfigParseResult r = parse_config(c.text, "smtpd.conf", case_loader());
      for (const char* expected : c.errors) {
        bool found = false;
        for (const ConfigError& e : r.errors)
          if (e.to_string().find(expected) == 0) found = true;
        BOOST_TEST(found, "missing error: " << expected << "\ngot:\n" << r.error_text());
      }
      BOOST_TEST(r.errors.size() == c.errors.size(), "got:\n" << r.error_text());
    }
  }
}

BOOST_AUTO_TEST_CASE(garbage_gives_bounded_errors_and_no_crash) {
  std::string binary;
  for (int i = 0; i < 5000; ++i) binary += static_cast<char>((i * 7919) % 256);
  ConfigParseResult r = parse_config(binary, "smtpd.conf");
  BOOST_TEST(!r.ok());
  BOOST_TEST(r.errors.size() <= 100u);
  ConfigParseResult deep = parse_config(std::string(10000, '{'), "smtpd.conf");
  BOOST_TEST(!deep.ok());
}

BOOST_AUTO_TEST_SUITE_END()
