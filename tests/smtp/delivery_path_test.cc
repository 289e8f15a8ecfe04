// smtpd.conf(5) format specifiers in delivery paths, for the seeds' maildir
// actions and the cases that must not escape the user's directory.

#include "smtp/delivery_path.h"

#include <boost/test/unit_test.hpp>
#include <string>

#include "smtp/seed_configs.h"
#include "smtp/user_database.h"

using namespace tether;
using namespace tether::smtp;

namespace {

const UserRecord kJay{"jay", "/home/jay", 1000, 1000};

DeliveryEnvelope envelope(std::string rcpt = "Jay+Lists@Example.ORG", std::string sender = "alice@example.net") {
  return DeliveryEnvelope{std::move(sender), rcpt, "jay@example.org"};
}

std::string expand(std::string_view format, const DeliveryEnvelope& e = envelope()) {
  Result<std::string> r = expand_delivery_format(format, e, kJay);
  BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().to_string()));
  return *r;
}

std::string error_of(std::string_view format, const DeliveryEnvelope& e = envelope()) {
  Result<std::filesystem::path> r = maildir_path(format, e, kJay);
  BOOST_REQUIRE(!r.ok());
  return r.error().message;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(delivery_path)

BOOST_AUTO_TEST_CASE(the_seeds_maildir_actions) {
  struct Case {
    const char* machine;
    const char* action;
    const char* expected;
  };
  const Case cases[] = {
      {"carinho", "local_mail", "/home/jay/mailspools/in/"},
      {"namorar", "local_mail", "/home/jay/mailspools/in/"},
      {"mimando", "local_mail", "/home/jay/maildir/in/"},
      {"lan-collector", "local_delivery", "/home/jay/Maildir"},
  };
  for (const Case& c : cases) {
    ConfigParseResult parsed = tether::smtp::testing::parse_seed(c.machine);
    BOOST_REQUIRE_MESSAGE(parsed.ok(), parsed.error_text());
    const Action* action = parsed.config.find_action(c.action);
    BOOST_REQUIRE(action);
    BOOST_TEST((action->local.method == LocalDelivery::Method::maildir));
    Result<std::filesystem::path> p = maildir_path(action->local.path, envelope(), kJay);
    BOOST_REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.error().to_string()));
    BOOST_TEST(p->string() == c.expected);
  }
  BOOST_TEST(expand("%{user.directory}/mailspools/in/") == "/home/jay/mailspools/in/");
  BOOST_TEST(expand("/home/%{user.username}/Maildir") == "/home/jay/Maildir");
}

BOOST_AUTO_TEST_CASE(default_is_home_maildir) {
  Result<std::filesystem::path> p = maildir_path("", envelope(), kJay);
  BOOST_REQUIRE(p.ok());
  BOOST_TEST(p->string() == "/home/jay/Maildir");
  BOOST_TEST(expand("~/Mail/%{rcpt.domain:lowercase}") == "/home/jay/Mail/example.org");
}

BOOST_AUTO_TEST_CASE(every_specifier) {
  BOOST_TEST(expand("%{sender}|%{sender.user}|%{sender.domain}") == "alice@example.net|alice|example.net");
  BOOST_TEST(expand("%{rcpt}") == "Jay+Lists@Example.ORG");
  BOOST_TEST(expand("%{rcpt.user}/%{rcpt.domain}") == "Jay+Lists/Example.ORG");
  BOOST_TEST(expand("%{dest}/%{dest.user}/%{dest.domain}") == "jay@example.org/jay/example.org");
  BOOST_TEST(expand("%{USER.USERNAME}") == "jay");  // names ignore case
  BOOST_TEST(expand("%{mbox.from}") == "alice@example.net");
  BOOST_TEST(expand("%{mbox.from}", envelope("jay@example.org", "")) == "MAILER-DAEMON");
  BOOST_TEST(expand("%{sender}", envelope("jay@example.org", "")) == "");
  BOOST_TEST(expand("100%% %{user.username}") == "100% jay");
}

BOOST_AUTO_TEST_CASE(modifiers_and_indexes) {
  BOOST_TEST(expand("%{rcpt.user:lowercase}") == "jay+lists");
  BOOST_TEST(expand("%{rcpt.user:strip|lowercase}") == "jay");
  BOOST_TEST(expand("%{rcpt:strip}") == "Jay@Example.ORG");
  BOOST_TEST(expand("%{rcpt.domain:uppercase}") == "EXAMPLE.ORG");
  BOOST_TEST(expand("%{user.username[0]}/%{user.username}") == "j/jay");
  BOOST_TEST(expand("%{dest.domain[0:3]}") == "exam");
  BOOST_TEST(expand("%{dest.domain[-3:]}") == "org");
  BOOST_TEST(expand("%{rcpt.user[0:2]:lowercase}") == "jay");
}

BOOST_AUTO_TEST_CASE(unknown_specifiers_and_modifiers_are_named) {
  BOOST_TEST(error_of("/var/mail/%{user.home}").find("unknown format specifier %{user.home}") != std::string::npos);
  BOOST_TEST(error_of("/var/mail/%{rcpt:bogus}").find("unknown modifier 'bogus'") != std::string::npos);
  BOOST_TEST(error_of("/var/mail/%{rcpt").find("unterminated") != std::string::npos);
  BOOST_TEST(error_of("/var/mail/%{rcpt.user[9]}").find("index out of range") != std::string::npos);
  BOOST_TEST(error_of("Maildir").find("not an absolute path") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(envelope_values_cannot_climb_out) {
  // '/' and shell-ish characters become ':' as in OpenSMTPD.
  Result<std::filesystem::path> p = maildir_path("/var/mail/%{rcpt.user}", envelope("../../etc/cron.d@x"), kJay);
  BOOST_REQUIRE(p.ok());
  BOOST_TEST(p->string() == "/var/mail/..:..:etc:cron.d");
  BOOST_TEST(expand("/m/%{rcpt.user}", envelope("a|b$c`d{e}~f@x")) == "/m/a:b:c:d:e::f");
  BOOST_TEST(error_of("/var/mail/%{rcpt.user}/in", envelope("..@x")).find("not a file name") != std::string::npos);
  BOOST_TEST(error_of("/var/mail/%{user.directory}/../x").find("contains '..'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(mbox_paths) {
  Result<std::filesystem::path> p = mbox_path("/var/mail", kJay);
  BOOST_REQUIRE(p.ok());
  BOOST_TEST(p->string() == "/var/mail/jay");
  BOOST_TEST(!mbox_path("/var/mail", UserRecord{"../root", "/root", 0, 0}).ok());
}

BOOST_AUTO_TEST_CASE(user_databases) {
  StaticUserDatabase users;
  users.add(kJay);
  BOOST_TEST(users.find("jay")->directory == "/home/jay");
  BOOST_TEST(!users.find("bob"));

  Table userbase;
  userbase.name = "userbase";
  userbase.kind = TableKind::mapping;
  userbase.entries = {{"jay", "1000:100:/srv/vmail/jay", 1}, {"broken", "x:1:/home/b", 2}, {"rel", "1:1:home", 3}};
  TableUserDatabase table_users(userbase);
  std::optional<UserRecord> jay = table_users.find("JAY");
  BOOST_REQUIRE(jay);
  BOOST_TEST(jay->username == "jay");  // as the table spells it
  BOOST_TEST(jay->uid == 1000u);
  BOOST_TEST(jay->gid == 100u);
  BOOST_TEST(jay->directory == "/srv/vmail/jay");
  BOOST_TEST(!table_users.find("broken"));
  BOOST_TEST(!table_users.find("rel"));
  BOOST_TEST(!parse_userinfo("x", "1:2").ok());
}

BOOST_AUTO_TEST_SUITE_END()
