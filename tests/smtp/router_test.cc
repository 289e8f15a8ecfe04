// Which action each seed machine gives each (source, sender, recipient): the
// table covers every match line of every seed config, and a check at the end
// proves it (or names the rule no case reaches).

#include <boost/test/unit_test.hpp>
#include <map>
#include <set>

#include "smtp/config_parser.h"
#include "smtp/router.h"
#include "smtp/seed_configs.h"

using namespace tether;
using namespace tether::smtp;
using namespace tether::smtp::testing;

namespace {

constexpr const char* kReject = "reject";

struct RouteCase {
  const char* machine;
  const char* source;     // "local" (the socket) or a client address
  const char* mail_from;  // "" = the null sender (bounces)
  const char* rcpt_to;
  const char* expected;   // an action name, or kReject
  int rule;               // 1-based match rule that decides; 0 = none matches
  const char* why;
  const char* rdns = "";
};

const RouteCase kCases[] = {
    // namorar, the relay VM.
    {"namorar", "local", "root@namorar.example.com", "root@namorar.example.com", "local_mail", 1, "daemon mail"},
    {"namorar", "local", "", "root@localhost", "local_mail", 1, "localhost is a local name"},
    {"namorar", "127.0.0.1", "cron@namorar.example.com", "root@namorar.example.com", "local_mail", 1,
     "loopback connections are from local"},
    {"namorar", "198.51.100.7", "alice@other.example.net", "test@example.com", "relay_in", 2, "inbound from the internet"},
    {"namorar", "2001:db8:ffff::7", "alice@other.example.net", "postmaster@example.com", "relay_in", 2, "over IPv6"},
    {"namorar", "198.51.100.7", "alice@other.example.net", "TEST@Example.COM", "relay_in", 2, "case-insensitive"},
    {"namorar", "198.51.100.7", "alice@other.example.net", "test+lists@example.com", "relay_in", 2, "sub-address"},
    {"namorar", "198.51.100.7", "alice@other.example.net", "nobody@example.com", kReject, 0,
     "rcpt-to <valid_users_example_com> fails"},
    {"namorar", "198.51.100.7", "alice@other.example.net", "someone@other.example.net", kReject, 0, "no open relay"},
    {"namorar", "2001:db8:c1da::1", "jay@example.com", "friend@other.example.net", "relay_out", 3,
     "carinho over the tunnel sends out"},
    {"namorar", "2001:db8:c1da::1", "jay@example.com", "test@example.com", "relay_in", 2, "the first rule wins"},
    {"namorar", "2001:db8:c1da::1", "jay@example.com", "nobody@example.com", "relay_out", 3,
     "rule 2 refuses nobody, rule 3 takes anything from carinho"},
    {"namorar", "2001:db8:c1da::3", "x@example.com", "friend@other.example.net", kReject, 0, "another tunnel address"},
    {"namorar", "local", "", "sender@other.host.example.com", kReject, 0,
     "the seed's bounces fail on purpose: 550 Invalid recipient"},
    {"namorar", "local", "root@namorar.example.com", "test@example.com", "relay_in", 2, "from any includes local"},

    // carinho, the home mail router.
    {"carinho", "local", "root@carinho.lan", "root@carinho.lan", "local_mail", 1, "daemon mail"},
    {"carinho", "local", "root@carinho.lan", "jay@mimando.lan", "forward_to_mimando", 2, "local mail for mimando"},
    {"carinho", "2001:db8:6969::2", "jay@mimando.lan", "root@carinho.lan", "local_mail", 3, "mimando to carinho"},
    {"carinho", "2001:db8:6969::2", "jay@example.com", "friend@other.example.net", "outbound_example", 4,
     "mimando sends out as example.com"},
    {"carinho", "2001:db8:6969::2", "jay@mimando.lan", "friend@other.example.net", kReject, 0,
     "mail-from regex fails for other senders"},
    {"carinho", "2001:db8:6969::2", "jay@example.com.evil.net", "friend@other.example.net", kReject, 0,
     "the regex is anchored at the end"},
    {"carinho", "2001:db8:6969::2", "jay@example.com", "test@example.com", "outbound_example", 4,
     "rule 4 comes before rule 5"},
    {"carinho", "2001:db8:6969::2", "jay@mimando.lan", "test@example.com", "forward_to_mimando", 5,
     "not from example.com: rule 5"},
    {"carinho", "2001:db8:c1da::2", "alice@other.example.net", "test@example.com", "forward_to_mimando", 5,
     "inbound from namorar over the tunnel"},
    {"carinho", "198.51.100.7", "alice@other.example.net", "test@example.com", "forward_to_mimando", 5,
     "from any: anyone may send to example.com"},
    {"carinho", "2001:db8:c1da::2", "alice@other.example.net", "friend@other.example.net", kReject, 0, "no open relay"},
    {"carinho", "local", "root@carinho.lan", "test@example.com", "forward_to_mimando", 5,
     "from any includes local: rule 6 is never reached"},
    {"carinho", "local", "root@carinho.lan", "friend@other.example.net", kReject, 0, "no rule sends local mail out"},

    // mimando, the workstation.
    {"mimando", "local", "jay@mimando.lan", "jay@mimando.lan", "local_mail", 1, "`match for local`: from local"},
    {"mimando", "local", "", "root@localhost", "local_mail", 1, "localhost"},
    {"mimando", "local", "jay@example.com", "friend@other.example.net", "outbound", 2, "everything else to carinho"},
    {"mimando", "local", "jay@example.com", "test@example.com", "outbound", 2, "even example.com"},
    {"mimando", "2001:db8:6969::1", "root@carinho.lan", "jay@mimando.lan", "local_mail", 3, "carinho delivers"},
    {"mimando", "2001:db8:6969::1", "alice@other.example.net", "test@example.com", "local_mail_example", 4,
     "example.com mail arrives"},
    {"mimando", "2001:db8:6969::1", "alice@other.example.net", "friend@other.example.net", kReject, 0, "no relay"},
    {"mimando", "2001:db8:6969::99", "x@mimando.lan", "jay@mimando.lan", kReject, 0, "unknown LAN host"},

    // mx2, the backup MX.
    {"mx2", "198.51.100.7", "test23442@websteading.net", "someone@example.org", "local_mail", 1,
     "held for the primary (relay backup)", "mail.websteading.net"},
    {"mx2", "198.51.100.7", "test23442@websteading.net", "someone@EXAMPLE.ORG", "local_mail", 1, "case-insensitive"},
    {"mx2", "2001:db8:ffff::7", "a@b.example", "someone@example.org", "local_mail", 1, "over IPv6"},
    {"mx2", "198.51.100.7", "a@b.example", "someone@example.com", kReject, 0, "not a backed-up domain"},
    {"mx2", "198.51.100.7", "a@b.example", "x@sub.example.org", kReject, 0, "domains match exactly"},
    {"mx2", "local", "root@mx2.example.org", "root@mx2.example.org", "internal_mail", 2, "unix users"},
    {"mx2", "local", "root@mx2.example.org", "someone@example.org", "local_mail", 1, "local mail for example.org too"},
    {"mx2", "local", "root@mx2.example.org", "x@other.example.net", kReject, 0, "no outgoing relay"},

    // The LAN collector and one of its clients.
    {"lan-collector", "local", "root@devbox-mx0.home.lan", "joseph@devbox-mx0.home.lan", "local_delivery", 1, "local"},
    {"lan-collector", "192.168.1.11", "root@devbox-ntp.home.lan", "joseph@devbox-ntp.home.lan", "local_delivery", 2,
     "$SERVER_IP_1"},
    {"lan-collector", "192.168.1.13", "root@devbox-wg0.home.lan", "root@devbox-wg0.home.lan", "local_delivery", 2,
     "$SERVER_IP_3"},
    {"lan-collector", "192.168.1.99", "root@devbox-ntp.home.lan", "joseph@devbox-ntp.home.lan", kReject, 0,
     "not in <addresses>"},
    {"lan-collector", "192.168.1.11", "root@devbox-ntp.home.lan", "x@example.org", kReject, 0, "not in <domains>"},
    {"lan-collector", "192.168.1.12", "root@devbox-svc0.home.lan", "joseph@devbox-mx0.home.lan", kReject, 0,
     "for local is only from local here"},
    {"lan-client", "local", "joseph@devbox-ntp.home.lan", "joseph@devbox-ntp.home.lan", "relay_to_mx0", 1,
     "`match from local action`: for local"},
    {"lan-client", "local", "joseph@devbox-ntp.home.lan", "x@example.org", kReject, 0, "only local names"},
    {"lan-client", "192.168.1.50", "x@devbox-svc0.home.lan", "joseph@devbox-ntp.home.lan", kReject, 0, "not local"},
};

// Rules no case can reach, and why.
const std::map<std::pair<std::string, int>, const char*> kUnreachable = {
    {{"carinho", 6}, "`match from any for domain example.com` (rule 5) already takes local mail"},
};

RouteRequest request_for(const RouteCase& c) {
  RouteRequest r = RouteRequest::local(c.mail_from, c.rcpt_to);
  if (std::string(c.source) != "local") {
    auto a = IpAddress::parse(c.source);
    BOOST_TEST_REQUIRE(a.ok(), c.source);
    r.source = *a;
  }
  r.rdns = c.rdns;
  return r;
}

int rule_number(const Config& config, const MatchRule* rule) {
  if (!rule) return 0;
  return static_cast<int>(rule - config.rules.data()) + 1;
}

Router router_from(const char* text) {
  ConfigParseResult r = parse_config(text, "smtpd.conf");
  BOOST_TEST_REQUIRE(r.ok(), r.error_text());
  LocalIdentity me{"mail.example.org", {"example.org"}, {*IpAddress::parse("192.0.2.10")}};
  return Router(std::make_shared<const Config>(std::move(r.config)), me);
}

std::string route(const Router& router, const RouteRequest& r) {
  RouteDecision d = router.route(r);
  return d.delivers() ? d.action_name() : d.reply;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(router)

BOOST_AUTO_TEST_CASE(seed_configs_route_as_opensmtpd_would) {
  std::map<std::string, Router> routers;
  std::map<std::string, std::set<int>> reached;
  for (const RouteCase& c : kCases) {
    BOOST_TEST_CONTEXT(c.machine << ": " << c.source << " <" << c.mail_from << "> -> <" << c.rcpt_to << ">: " << c.why) {
      auto it = routers.find(c.machine);
      if (it == routers.end()) it = routers.emplace(c.machine, seed_router(c.machine)).first;
      const Router& router = it->second;
      RouteDecision d = router.route(request_for(c));
      if (std::string(c.expected) == kReject) {
        BOOST_TEST((d.outcome == RouteDecision::Outcome::reject));
        BOOST_TEST(d.reply == "550 Invalid recipient");
      } else {
        BOOST_TEST(d.delivers());
        BOOST_TEST(d.action_name() == c.expected);
      }
      int n = rule_number(router.config(), d.rule);
      BOOST_TEST(n == c.rule);
      reached[c.machine].insert(n);
    }
  }
  // Every match line of every seed config is decided by some case above.
  for (const std::string& machine : seed_machines()) {
    const Router& router = routers.at(machine);
    for (int n = 1; n <= static_cast<int>(router.config().rules.size()); ++n) {
      if (kUnreachable.count({machine, n})) {
        BOOST_TEST(!reached[machine].count(n), machine << " rule " << n << " was thought unreachable");
        continue;
      }
      BOOST_TEST(reached[machine].count(n) == 1u,
                 machine << " rule " << n << " (line " << router.config().rules[n - 1].where.line
                         << ") is not covered by a case");
    }
  }
}

BOOST_AUTO_TEST_CASE(source_kinds_and_negations) {
  Router r = router_from(R"(
action a mbox
action b mbox
action c mbox
action d mbox
match from socket for local action a
match !from src { 10.0.0.0/8, "[2001:db8::/32]" } for domain example.net action b
match from src { 10.0.0.0/8 } !for domain example.net action c
match from any for any reject
)");
  RouteRequest local = RouteRequest::local("x@example.org", "root@example.org");
  BOOST_TEST(route(r, local) == "a");  // a configured local name
  RouteRequest outside = RouteRequest::remote(*IpAddress::parse("198.51.100.1"), "x@y", "u@example.net");
  BOOST_TEST(route(r, outside) == "b");
  RouteRequest inside = RouteRequest::remote(*IpAddress::parse("10.1.2.3"), "x@y", "u@example.net");
  BOOST_TEST(route(r, inside) == "550 Invalid recipient");  // explicit reject
  inside.rcpt_to = "u@elsewhere.example";
  BOOST_TEST(route(r, inside) == "c");
  RouteRequest v6 = RouteRequest::remote(*IpAddress::parse("2001:db8::5"), "x@y", "u@example.net");
  BOOST_TEST(route(r, v6) == "550 Invalid recipient");
  RouteDecision d = r.route(v6);
  BOOST_TEST(d.rule == &r.config().rules[3]);  // the `reject` rule, not "no match"
}

BOOST_AUTO_TEST_CASE(auth_tls_helo_rdns_and_regexes) {
  Router r = router_from(R"(
table users { jay, "alice@example.org" }
action submit relay
action tls_only mbox
action dyn mbox
action greet mbox
action rest mbox
match from auth <users> for any action submit
match from any tls for domain "*.example.org" action tls_only
match from rdns regex { "(?i)\.DYN\." } for any action dyn
match from any helo { "*.friends.example" } for any action greet
match from any for any !mail-from regex "^postmaster@" rcpt-to regex "^abuse@" action rest
)");
  RouteRequest req = RouteRequest::remote(*IpAddress::parse("198.51.100.1"), "jay@example.org", "x@other.example");
  BOOST_TEST(route(r, req) == "550 Invalid recipient");
  req.authenticated = true;
  req.auth_user = "jay";
  BOOST_TEST(route(r, req) == "submit");
  req.auth_user = "Alice@example.org";
  BOOST_TEST(route(r, req) == "submit");
  req.auth_user = "mallory";
  BOOST_TEST(route(r, req) == "550 Invalid recipient");

  RouteRequest mx = RouteRequest::remote(*IpAddress::parse("198.51.100.2"), "a@b.example", "u@lists.example.org");
  BOOST_TEST(route(r, mx) == "550 Invalid recipient");
  mx.tls = true;
  BOOST_TEST(route(r, mx) == "tls_only");

  RouteRequest dyn = RouteRequest::remote(*IpAddress::parse("198.51.100.3"), "a@b.example", "u@other.example");
  dyn.rdns = "host-3.dyn.isp.example";
  BOOST_TEST(route(r, dyn) == "dyn");
  dyn.rdns = "";
  dyn.helo = "mx.friends.example";
  BOOST_TEST(route(r, dyn) == "greet");
  dyn.helo = "stranger.example";
  dyn.rcpt_to = "abuse@other.example";
  BOOST_TEST(route(r, dyn) == "rest");
  dyn.mail_from = "postmaster@b.example";
  BOOST_TEST(route(r, dyn) == "550 Invalid recipient");
}

BOOST_AUTO_TEST_CASE(local_names_include_addresses_and_extra_names) {
  Router r = router_from("action a mbox\nmatch from any for local action a\n");
  BOOST_TEST(route(r, RouteRequest::local("", "x@mail.example.org")) == "a");
  BOOST_TEST(route(r, RouteRequest::local("", "x@MAIL.example.org")) == "a");
  BOOST_TEST(route(r, RouteRequest::local("", "x@example.org")) == "a");
  BOOST_TEST(route(r, RouteRequest::local("", "x@[192.0.2.10]")) == "a");
  BOOST_TEST(route(r, RouteRequest::local("", "x@localhost")) == "a");
  BOOST_TEST(route(r, RouteRequest::local("", "x@other.example")) == "550 Invalid recipient");
  // `from local` covers the host's own addresses.
  Router l = router_from("action a mbox\nmatch from local for any action a\n");
  BOOST_TEST(route(l, RouteRequest::remote(*IpAddress::parse("192.0.2.10"), "", "x@y.example")) == "a");
  BOOST_TEST(route(l, RouteRequest::remote(*IpAddress::parse("::1"), "", "x@y.example")) == "a");
  BOOST_TEST(route(l, RouteRequest::remote(*IpAddress::parse("192.0.2.11"), "", "x@y.example")) ==
             "550 Invalid recipient");
}

BOOST_AUTO_TEST_SUITE_END()
