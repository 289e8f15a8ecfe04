#include <boost/test/unit_test.hpp>

#include "smtp/relay_url.h"
#include "smtp/table.h"
#include "smtp/table_file.h"

using namespace tether;
using namespace tether::smtp;

namespace {

Table list(std::initializer_list<const char*> keys) {
  Table t;
  t.name = "t";
  for (const char* k : keys) t.entries.push_back({k, "", 0});
  return t;
}

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

}  // namespace

BOOST_AUTO_TEST_SUITE(tables)

BOOST_AUTO_TEST_CASE(domain_lookups_are_case_insensitive_with_wildcards) {
  Table t = list({"example.com", "*.example.net"});
  BOOST_TEST(t.match_domain("example.com"));
  BOOST_TEST(t.match_domain("EXAMPLE.Com"));
  BOOST_TEST(!t.match_domain("sub.example.com"));
  BOOST_TEST(t.match_domain("mx.example.net"));
  BOOST_TEST(!t.match_domain("example.net"));
  BOOST_TEST(hostname_match("anything", "*"));
  BOOST_TEST(!hostname_match("", "*"));  // OpenSMTPD: `for any` needs a domain
}

BOOST_AUTO_TEST_CASE(mail_address_lookups_follow_opensmtpd) {
  // The seed's valid_users_example_com: bare local parts.
  Table users = list({"test", "postmaster"});
  BOOST_TEST(users.match_mail_address("test@example.com"));
  BOOST_TEST(users.match_mail_address("TEST@example.com"));
  BOOST_TEST(users.match_mail_address("test+lists@example.com"));  // sub-address ignored
  BOOST_TEST(!users.match_mail_address("nobody@example.com"));
  BOOST_TEST(!users.match_mail_address("tester@example.com"));
  Table full = list({"jay@example.com", "@example.org", "tagged+x@example.net"});
  BOOST_TEST(full.match_mail_address("jay@example.com"));
  BOOST_TEST(!full.match_mail_address("jay@example.net"));
  BOOST_TEST(full.match_mail_address("anyone@example.org"));
  BOOST_TEST(full.match_mail_address("tagged+x@example.net"));
  BOOST_TEST(!full.match_mail_address("tagged+y@example.net"));  // a key with a tag must match it
  BOOST_TEST(list({"@"}).match_mail_address("x@y"));             // catch-all
}

BOOST_AUTO_TEST_CASE(source_lookups_take_addresses_networks_and_brackets) {
  Table t = list({"[2001:db8:6969::2]", "192.168.1.0/24", "IPv6:2001:db8:c1da::/48", "10.0.0.1"});
  BOOST_TEST(t.match_source(ip("2001:db8:6969::2")));
  BOOST_TEST(!t.match_source(ip("2001:db8:6969::3")));
  BOOST_TEST(t.match_source(ip("192.168.1.200")));
  BOOST_TEST(!t.match_source(ip("192.168.2.1")));
  BOOST_TEST(t.match_source(ip("2001:db8:c1da::1")));
  BOOST_TEST(t.match_source(ip("10.0.0.1")));
  BOOST_TEST(!t.match_source(std::nullopt));  // the local socket is "local"
  BOOST_TEST(list({"local"}).match_source(std::nullopt));
  BOOST_TEST(!parse_network_address("300.1.1.1").ok());
  BOOST_TEST(!parse_network_address("[2001:db8::1").ok());
  BOOST_TEST(parse_network_address("[192.0.2.1]").ok());
}

BOOST_AUTO_TEST_CASE(regex_lookups_search_unanchored) {
  Table t = list({".*@example.com$"});
  BOOST_TEST(t.match_regex("jay@example.com"));
  BOOST_TEST(!t.match_regex("jay@example.com.evil.net"));
  BOOST_TEST(!t.match_regex("jay@EXAMPLE.com"));
  BOOST_TEST(list({"(?i)@example\\.com$"}).match_regex("jay@EXAMPLE.com"));
  BOOST_TEST(list({"dyn"}).match_regex("host.dyn.example.net"));
  BOOST_TEST(t.compile_regexes().ok());
  BOOST_TEST(t.match_regex("x@example.com"));
  BOOST_TEST(!PosixRegex::compile("(").ok());
  BOOST_TEST(!PosixRegex::compile(std::string(2000, 'a')).ok());
}

BOOST_AUTO_TEST_CASE(table_files_in_the_seeds_formats) {
  auto aliases = parse_table_file("# aliases\nroot: jay, postmaster\n\nMAILER-DAEMON:postmaster\n", "/etc/mail/aliases");
  BOOST_TEST(aliases.errors.empty());
  BOOST_TEST((aliases.kind == TableKind::mapping));
  BOOST_TEST_REQUIRE(aliases.entries.size() == 2u);
  BOOST_TEST(aliases.entries[0].key == "root");
  BOOST_TEST(aliases.entries[0].line == 2);
  BOOST_TEST((split_alias_targets(aliases.entries[0].value) == std::vector<std::string>{"jay", "postmaster"}));
  BOOST_TEST(aliases.entries[1].value == "postmaster");

  auto secrets = parse_table_file("mailuser mailuser:foobar\n", "/etc/mail/secrets");
  BOOST_TEST_REQUIRE(secrets.entries.size() == 1u);
  auto creds = parse_relay_credentials(secrets.entries[0].value);
  BOOST_TEST_REQUIRE(creds.ok());
  BOOST_TEST(creds->user == "mailuser");
  BOOST_TEST(creds->password == "foobar");

  auto credentials =
      parse_table_file("mailuser $2b$10$TMCTeP.xVdU8YLGJkyJrTOz6VU0.xWRXFvCp90vGfNGFmvBDLC9P6\n", "/etc/mail/secrets");
  BOOST_TEST(credentials.entries[0].value == "$2b$10$TMCTeP.xVdU8YLGJkyJrTOz6VU0.xWRXFvCp90vGfNGFmvBDLC9P6");

  auto l = parse_table_file("# @list\n192.0.2.1\n2001:db8::/32\n", "/etc/mail/ips");
  BOOST_TEST((l.kind == TableKind::list));
  BOOST_TEST(l.entries.size() == 2u);
  auto implicit_list = parse_table_file("example.org\nexample.net\n", "/etc/mail/domains");
  BOOST_TEST((implicit_list.kind == TableKind::list));

  auto bad = parse_table_file("root: jay\nlonely\n[2001:db8::1 x\n", "/etc/mail/aliases");
  BOOST_TEST_REQUIRE(bad.errors.size() == 2u);
  BOOST_TEST(bad.errors[0].to_string().find("/etc/mail/aliases:2: expected 'key value'") == 0u);
  BOOST_TEST(bad.errors[1].to_string().find("/etc/mail/aliases:3: '[' without a closing ']'") == 0u);
  BOOST_TEST((parse_table_file("", "/x").kind == TableKind::mapping));
}

BOOST_AUTO_TEST_CASE(relay_urls) {
  auto u = parse_relay_url("smtp+tls://mailuser@smtp.example.com");
  BOOST_TEST_REQUIRE(u.ok());
  BOOST_TEST((u->tls == RelayUrl::Tls::starttls));
  BOOST_TEST(u->auth_label == "mailuser");
  BOOST_TEST(u->host == "smtp.example.com");
  BOOST_TEST(u->port == 25);
  BOOST_TEST(u->to_string() == "smtp+tls://mailuser@smtp.example.com:25");

  BOOST_TEST((parse_relay_url("smtp://vpn0.example.com")->tls == RelayUrl::Tls::opportunistic));
  BOOST_TEST(parse_relay_url("smtps://[192.0.2.1]")->port == 465);
  BOOST_TEST(parse_relay_url("mx.example.org:2525")->port == 2525);
  BOOST_TEST(parse_relay_url("lmtp://[IPv6:2001:db8::1]:24")->lmtp);
  BOOST_TEST((parse_relay_url("smtp+notls://mimando.lan")->tls == RelayUrl::Tls::none));

  BOOST_TEST(!parse_relay_url("smtp://mailuser@smtp.example.com").ok());  // password in clear
  BOOST_TEST(!parse_relay_url("lmtp://localhost").ok());                  // lmtp needs a port
  BOOST_TEST(!parse_relay_url("http://example.com").ok());
  BOOST_TEST(!parse_relay_url("smtp+tls://$MAIL_SERVER_IP").ok());
  BOOST_TEST(!parse_relay_url("smtp://host:0").ok());
  BOOST_TEST(!parse_relay_url("smtp://host:99999").ok());
  BOOST_TEST(!parse_relay_url("smtp://[300.1.1.1]").ok());
}

BOOST_AUTO_TEST_SUITE_END()
