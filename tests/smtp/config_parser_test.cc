#include <boost/test/unit_test.hpp>

#include "smtp/config_files.h"
#include "smtp/config_parser.h"
#include "smtp/scheduler.h"
#include "smtp/seed_configs.h"

using namespace tether;
using namespace tether::smtp;
using namespace tether::smtp::testing;

namespace {

Config load_seed(const std::string& machine) {
  ConfigParseResult r = parse_seed(machine);
  BOOST_TEST_REQUIRE(r.ok(), machine << ":\n" << r.error_text());
  return std::move(r.config);
}

Config load(std::string_view text, ConfigFileLoader loader = {}) {
  ConfigParseResult r = parse_config(text, "smtpd.conf", loader);
  BOOST_TEST_REQUIRE(r.ok(), r.error_text());
  return std::move(r.config);
}

const Table& table_of(const Config& c, const std::optional<TableRef>& ref) {
  BOOST_TEST_REQUIRE(ref.has_value());
  const Table* t = c.find_table(*ref);
  BOOST_TEST_REQUIRE(t != nullptr);
  return *t;
}

constexpr const char* kMinimalRules = "\naction \"a\" mbox\nmatch from local for local action \"a\"\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(config_parser)

BOOST_AUTO_TEST_CASE(every_seed_config_loads_without_error) {
  for (const std::string& machine : seed_machines()) {
    ConfigParseResult r = parse_seed(machine);
    BOOST_TEST(r.ok(), machine << ":\n" << r.error_text());
  }
}

BOOST_AUTO_TEST_CASE(namorar_the_relay_vm) {
  Config c = load_seed("namorar");
  BOOST_TEST(c.queue.ttl == Duration::days(20));
  BOOST_TEST(c.pkis.size() == 4u);
  BOOST_TEST_REQUIRE(c.listeners.size() == 3u);

  const Listener& vpn = c.listeners[0];
  BOOST_TEST(vpn.address->to_string() == "2001:db8:c1da::2");
  BOOST_TEST(vpn.port == 25);
  BOOST_TEST((vpn.tls == Listener::Tls::starttls_require));
  BOOST_TEST(vpn.verify);
  BOOST_TEST((vpn.pki == std::vector<std::string>{"smtp.example.com"}));
  BOOST_TEST(vpn.hostname == "smtp.example.com");
  BOOST_TEST(vpn.mask_src);
  BOOST_TEST((vpn.auth == Listener::Auth::required));
  const Table& creds = table_of(c, vpn.auth_table);
  BOOST_TEST(creds.path == "/etc/mail/secrets");
  BOOST_TEST(creds.find("mailuser")->value == "$2b$10$TMCTeP.xVdU8YLGJkyJrTOz6VU0.xWRXFvCp90vGfNGFmvBDLC9P6");

  // pki without tls: STARTTLS offered with that certificate (OpenSMTPD refuses).
  const Listener& mx2 = c.listeners[1];
  BOOST_TEST(mx2.address->to_string() == "192.0.2.2");
  BOOST_TEST((mx2.tls == Listener::Tls::starttls));
  BOOST_TEST(mx2.tls_implied_by_pki);
  BOOST_TEST(mx2.no_dsn);
  BOOST_TEST(mx2.hostname == "mx2.example.com");

  const Action* in = c.find_action("relay_in");
  BOOST_TEST_REQUIRE(in != nullptr);
  BOOST_TEST((in->type == Action::Type::relay));
  BOOST_TEST(in->relay.pki == "vpn1.example.com");
  BOOST_TEST_REQUIRE(in->relay.hosts.size() == 1u);
  BOOST_TEST(in->relay.hosts[0].to_string() == "smtp://vpn0.example.com:25");

  const Action* out = c.find_action("relay_out");
  BOOST_TEST(out->relay.helo == "smtp.example.com");
  BOOST_TEST(!out->relay.host.has_value());  // MX delivery
  const Table& ips = table_of(c, out->relay.src);
  BOOST_TEST(ips.entries.size() == 6u);  // the duplicates are kept

  const Action* local = c.find_action("local_mail");
  BOOST_TEST((local->local.method == LocalDelivery::Method::maildir));
  BOOST_TEST(local->local.path == "%{user.directory}/mailspools/in/");
  BOOST_TEST(table_of(c, local->local.alias).find("root")->value == "jay");

  BOOST_TEST_REQUIRE(c.rules.size() == 3u);
  BOOST_TEST(c.rules[1].where.line == 47);
  BOOST_TEST((c.rules[1].from == MatchRule::From::any));
  BOOST_TEST((c.rules[1].for_ == MatchRule::For::domain));
  BOOST_TEST(c.rules[1].rcpt_to.present);
  BOOST_TEST(table_of(c, c.rules[1].rcpt_to.table).name == "valid_users_example_com");
  BOOST_TEST(c.rules[1].action == "relay_in");
}

BOOST_AUTO_TEST_CASE(carinho_the_home_router) {
  Config c = load_seed("carinho");
  BOOST_TEST(c.queue.ttl == Duration::days(20));
  const Action* out = c.find_action("outbound_example");
  BOOST_TEST_REQUIRE(out != nullptr);
  BOOST_TEST(out->relay.tls_required);
  BOOST_TEST(out->relay.tls_verify);
  BOOST_TEST(out->relay.pki == "vpn0.example.com");
  BOOST_TEST(out->relay.hosts[0].auth_label == "mailuser");
  BOOST_TEST((out->relay.hosts[0].tls == RelayUrl::Tls::starttls));
  auto secret = parse_relay_credentials(table_of(c, out->relay.auth).find("mailuser")->value);
  BOOST_TEST(secret->password == "foobar");
  BOOST_TEST(c.rules.size() == 6u);
  BOOST_TEST(c.rules[3].mail_from.regex);
  BOOST_TEST(table_of(c, c.rules[3].mail_from.table).entries[0].key == ".*@example.com$");
}

BOOST_AUTO_TEST_CASE(mimando_defaults_from_local) {
  Config c = load_seed("mimando");
  BOOST_TEST_REQUIRE(c.rules.size() == 4u);
  BOOST_TEST((c.rules[0].from == MatchRule::From::local));  // `match for local`
  BOOST_TEST((c.rules[1].for_ == MatchRule::For::any));
  BOOST_TEST(table_of(c, c.find_action("local_mail_example")->local.alias).find("test")->value == "jay");
}

BOOST_AUTO_TEST_CASE(mx2_the_backup_mx) {
  Config c = load_seed("mx2");
  BOOST_TEST_REQUIRE(c.filters.size() == 4u);
  const Filter* dyn = c.find_filter("no_dyndns");
  BOOST_TEST((dyn->check.kind == FilterCheck::Kind::rdns_regex));
  BOOST_TEST((dyn->decision == Filter::Decision::disconnect));
  BOOST_TEST(dyn->message == "550 no residential connections");
  BOOST_TEST(table_of(c, dyn->check.table).entries[1].key == ".*\\.dsl\\..*");
  BOOST_TEST(table_of(c, dyn->check.table).match_regex("host.dsl.example.net"));
  BOOST_TEST(c.find_filter("no_rdns")->check.negated);
  BOOST_TEST((c.find_filter("no_fcrdns")->check.kind == FilterCheck::Kind::fcrdns));
  BOOST_TEST((c.find_filter("incoming")->chain == std::vector<std::string>{"no_dyndns", "no_rdns", "no_fcrdns"}));

  BOOST_TEST_REQUIRE(c.listeners.size() == 2u);
  const Listener& egress = c.listeners[0];
  BOOST_TEST(egress.interface == "egress");
  BOOST_TEST(!egress.address.has_value());
  BOOST_TEST((egress.tls == Listener::Tls::starttls));
  BOOST_TEST((egress.auth == Listener::Auth::optional));
  BOOST_TEST(egress.filter == "incoming");
  BOOST_TEST(c.listeners[1].socket);

  const Action* backup = c.find_action("local_mail");
  BOOST_TEST(backup->relay.backup);
  BOOST_TEST(backup->relay.backup_mx.empty());
  BOOST_TEST((c.find_action("internal_mail")->local.method == LocalDelivery::Method::mbox));
}

BOOST_AUTO_TEST_CASE(lan_collector_expands_its_macros) {
  Config c = load_seed("lan-collector");
  const Table* addresses = c.find_table("addresses");
  BOOST_TEST_REQUIRE(addresses != nullptr);
  BOOST_TEST_REQUIRE(addresses->entries.size() == 3u);
  BOOST_TEST(addresses->entries[0].key == "192.168.1.11");
  BOOST_TEST(addresses->entries[2].key == "192.168.1.13");
  BOOST_TEST(c.listeners[0].interface == "lo0");
  BOOST_TEST((c.listeners[1].tls == Listener::Tls::starttls_require));

  Config client = load_seed("lan-client");
  BOOST_TEST(!client.find_action("relay_to_mx0")->relay.tls_verify);  // tls no-verify
  BOOST_TEST((client.rules[0].for_ == MatchRule::For::local));        // `match from local action ...`
}

BOOST_AUTO_TEST_CASE(a_profile_sets_the_scheduler_knobs_and_each_knob_wins_on_its_own) {
  // The profiles' defaults (relay_profile.cc).
  const RelayBehaviour tether = load(kMinimalRules).knobs.resolve();
  BOOST_TEST((tether.early_retry == EarlyRetry::on_success));
  BOOST_TEST(tether.max_deferred == 100u);
  BOOST_TEST(tether.queue_scan == Duration::zero());
  BOOST_TEST(tether.tunnel_route_up);
  const RelayBehaviour opensmtpd = load(std::string("profile opensmtpd") + kMinimalRules).knobs.resolve();
  BOOST_TEST((opensmtpd.early_retry == EarlyRetry::hoststat));
  BOOST_TEST(opensmtpd.queue_scan == Duration::zero());
  BOOST_TEST(!opensmtpd.tunnel_route_up);
  const RelayBehaviour postfix = load(std::string("profile postfix") + kMinimalRules).knobs.resolve();
  BOOST_TEST((postfix.early_retry == EarlyRetry::none));
  BOOST_TEST(postfix.queue_scan == Duration::seconds(300));
  BOOST_TEST(!postfix.tunnel_route_up);

  // Each knob over a profile, whether written before or after it.
  const RelayBehaviour mixed = load(std::string(R"(
queue early-retry on-success
queue scan-interval 2m
profile postfix
queue route-up on
mta max-deferred 0
)") + kMinimalRules).knobs.resolve();
  BOOST_TEST((mixed.early_retry == EarlyRetry::on_success));
  BOOST_TEST(mixed.queue_scan == Duration::minutes(2));
  BOOST_TEST(mixed.tunnel_route_up);
  BOOST_TEST(mixed.max_deferred == 0u);
  const RelayBehaviour off = load(std::string("profile postfix\nqueue scan-interval off\nqueue early-retry hoststat\n"
                                              "queue route-up off") + kMinimalRules).knobs.resolve();
  BOOST_TEST(off.queue_scan == Duration::zero());
  BOOST_TEST((off.early_retry == EarlyRetry::hoststat));
  BOOST_TEST(!off.tunnel_route_up);

  // And the scheduler takes them.
  const SchedulerSettings s = SchedulerSettings::from_config(
      load(std::string("profile postfix\nmta max-deferred 7") + kMinimalRules), Time::from_ns(0) + Duration::seconds(5));
  BOOST_TEST((s.early_retry == EarlyRetry::none));
  BOOST_TEST(s.max_deferred == 7u);
  BOOST_TEST(s.queue_scan == Duration::seconds(300));
  BOOST_TEST(s.scan_origin == Time::from_ns(0) + Duration::seconds(5));
}

BOOST_AUTO_TEST_CASE(global_settings_and_the_retry_policy) {
  Config c = load(std::string(R"(
queue ttl 2d
queue retry exponential 60s max 1h
bounce warn-interval 1h, 6h, 2d
smtp max-message-size 50M
smtp limit max-mails 500 max-rcpt 50
smtp sub-addr-delim -
mta max-deferred 1000
srs key "s3cret"
ca myca cert "/etc/ssl/ca.pem"
)") + kMinimalRules);
  BOOST_TEST(c.queue.ttl == Duration::days(2));
  BOOST_TEST((c.knobs.retry->kind == RetryPolicy::Kind::exponential));
  BOOST_TEST(c.knobs.retry->interval == Duration::seconds(60));
  BOOST_TEST(c.knobs.retry->max == Duration::hours(1));
  BOOST_TEST((c.bounce_warn_intervals == std::vector<Duration>{Duration::hours(1), Duration::hours(6), Duration::days(2)}));
  BOOST_TEST(c.smtp.max_message_size == 50u * 1024 * 1024);
  BOOST_TEST(c.smtp.max_mails_per_session == 500u);
  BOOST_TEST(c.smtp.max_rcpt_per_transaction == 50u);
  BOOST_TEST(c.smtp.subaddress_delimiter == '-');
  BOOST_TEST(c.knobs.max_deferred.value_or(0) == std::size_t(1000));
  BOOST_TEST(c.srs.key == "s3cret");
  BOOST_TEST(c.find_ca("MyCA")->cert_path == "/etc/ssl/ca.pem");

  Config defaults = load(kMinimalRules);
  BOOST_TEST(defaults.queue.ttl == Duration::days(4));
  BOOST_TEST((!defaults.knobs.retry.has_value()));
  BOOST_TEST((defaults.knobs.resolve().retry.kind == RetryPolicy::Kind::opensmtpd));
  BOOST_TEST(defaults.knobs.resolve().retry.base == Duration::seconds(400));
  BOOST_TEST((defaults.bounce_warn_intervals == std::vector<Duration>{Duration::hours(4)}));
  BOOST_TEST(defaults.smtp.max_message_size == 35u * 1024 * 1024);

  Config constant = load(std::string("queue retry constant 90s") + kMinimalRules);
  BOOST_TEST((constant.knobs.retry->kind == RetryPolicy::Kind::constant));
  BOOST_TEST(constant.knobs.retry->interval == Duration::seconds(90));
}

BOOST_AUTO_TEST_CASE(more_of_the_grammar) {
  Config c = load(R"(table vusers { "@example.org" = "opensmtpd", "jay@example.net" => jay }
table creds { jay = "$2b$10$TMCTeP.xVdU8YLGJkyJrTOz6VU0.xWRXFvCp90vGfNGFmvBDLC9P6" }
table relays { smtp://a.example.net, "smtps://b.example.net:4650" }
pki mail.example.org cert "/c" key "/k"
filter f1 phase mail-from match !mail-from regex "^spam@" reject "550 go away"
filter f2 phase connect match src { 192.0.2.0/24 } junk
listen on socket mask-src filter { f1, f2 }
listen on 0.0.0.0 inet4 port 587 smtps verify pki mail.example.org auth-optional <creds> tag SUBMIT
listen on lo port smtp
action "vmail" maildir "~/Maildir" junk virtual <vusers>
action "lmtp" lmtp "/var/run/dovecot/lmtp" rcpt-to user vmail
action "relays" relay host <relays> tls no-verify helo-src { 192.0.2.1 = mx.example.org } ttl 1d
action "smart" relay domain { example.net = smtps://mx.example.net } mail-from "bounce@example.org"
action "b" relay backup mx mx2.example.org
match !from src { 192.0.2.0/24, "[2001:db8::1]" } for domain regex "^example\.(org|net)$" tls action "vmail"
match from auth <vusers> for rcpt-to { "@example.org" } !helo { bad.example } action "lmtp"
match from rdns regex { '\.dyn\.' } for any reject
match from rdns for any tag SUBMIT action "relays"
match !tls from socket for any auth action "smart"
match from mail-from "@example.org" for any action "b"
)");
  const Table& vusers = *c.find_table("vusers");
  BOOST_TEST((vusers.kind == TableKind::mapping));
  BOOST_TEST(vusers.find("jay@example.net")->value == "jay");
  BOOST_TEST(c.listeners.size() == 3u);
  const Listener& sub = c.listeners[1];
  BOOST_TEST(sub.port == 587);
  BOOST_TEST((sub.tls == Listener::Tls::smtps));
  BOOST_TEST(sub.verify);
  BOOST_TEST((*sub.family == IpAddress::Family::v4));
  BOOST_TEST(sub.tag == "SUBMIT");
  BOOST_TEST(c.listeners[2].port == 25);
  BOOST_TEST(c.find_filter(c.listeners[0].filter)->chain.size() == 2u);
  BOOST_TEST(c.find_action("vmail")->local.path == "%{user.directory}/Maildir");
  BOOST_TEST(c.find_action("vmail")->local.junk);
  BOOST_TEST(c.find_action("lmtp")->local.lmtp_rcpt_to);
  BOOST_TEST(*c.find_action("relays")->ttl == Duration::days(1));
  const RelaySettings& relays = c.find_action("relays")->relay;
  BOOST_TEST_REQUIRE(relays.hosts.size() == 2u);  // parsed from <relays>
  BOOST_TEST(relays.hosts[1].to_string() == "smtps://b.example.net:4650");
  BOOST_TEST(c.find_action("smart")->relay.domain.has_value());
  BOOST_TEST(c.find_action("b")->relay.backup_mx == "mx2.example.org");
  BOOST_TEST_REQUIRE(c.rules.size() == 6u);
  BOOST_TEST(c.rules[0].from_negated);
  BOOST_TEST(c.rules[0].for_regex);
  BOOST_TEST(*c.rules[0].tls);
  BOOST_TEST((c.rules[1].from == MatchRule::From::any));
  BOOST_TEST(c.rules[1].auth.present);
  BOOST_TEST(c.rules[1].helo.negated);
  BOOST_TEST(c.rules[2].reject);
  BOOST_TEST(!c.rules[3].from_table.has_value());
  BOOST_TEST(!*c.rules[4].tls);
  BOOST_TEST((c.rules[4].from == MatchRule::From::socket));
  BOOST_TEST(c.rules[4].auth.present);
  BOOST_TEST(!c.rules[4].auth.table.has_value());
  BOOST_TEST(c.rules[5].mail_from.present);
}

BOOST_AUTO_TEST_CASE(include_and_command_line_macros) {
  auto loader = memory_loader({{"/etc/mail/tables.conf", "DOM = \"example.org\"\ntable domains { $DOM }\n"},
                               {"/etc/mail/aliases", "root: jay\n"}});
  ConfigParseOptions options;
  options.macros["ACTION"] = "deliver";
  ConfigParseResult r = parse_config(R"(include "/etc/mail/tables.conf"
action $ACTION mbox alias <aliases>
table aliases file:/etc/mail/aliases
match from any for domain <domains> action $ACTION
match from any for domain $DOM action $ACTION
)",
                                     "smtpd.conf", loader, options);
  BOOST_TEST_REQUIRE(r.ok(), r.error_text());
  BOOST_TEST(r.config.find_table("domains")->entries[0].key == "example.org");
  BOOST_TEST(r.config.rules[0].action == "deliver");
  BOOST_TEST(r.config.find_table("domains")->where.file == "/etc/mail/tables.conf");
}

BOOST_AUTO_TEST_CASE(real_files_through_the_default_loader) {
  // parse_config_file reads table paths as written, so point one at the seed fixtures.
  std::string aliases = seed_dir("lan-collector") + "/etc/mail/aliases";
  auto loader = real_file_loader();
  Config c = load("table aliases file:" + aliases + "\naction a mbox alias <aliases>\nmatch for local action a\n", loader);
  BOOST_TEST(c.find_table("aliases")->find("root")->value == "joseph");
  ConfigParseResult missing = parse_config_file("/nonexistent/smtpd.conf");
  BOOST_TEST(!missing.ok());
}

BOOST_AUTO_TEST_SUITE_END()
