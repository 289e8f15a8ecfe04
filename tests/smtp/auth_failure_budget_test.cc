// Issue 14, hole 7: AUTH failures counted per client across sessions
// (impl/smtp/auth_failure_budget.h), the session's hooks that ask the
// budget before each password check, and `smtp auth-failures`.

#include <boost/test/unit_test.hpp>

#include "smtp/auth_failure_budget.h"
#include "smtp/config_parser.h"
#include "smtp/seed_configs.h"
#include "server_session_harness.h"

using namespace tether;
using namespace tether::smtp;
using namespace tether::smtp::testing;

namespace {

const IpAddress kGuesser = *IpAddress::parse("198.51.100.7");
const IpAddress kUser = *IpAddress::parse("203.0.113.9");
const Time kStart = Time::from_ns(1'000'000'000);
// What every config needs besides the line under test.
const std::string kRules = "listen on lo0\naction a mbox\nmatch from any for any action a\n";

AuthFailureLimit limit(std::uint32_t allowed) { return AuthFailureLimit{allowed, Duration::minutes(1), Duration::hours(1)}; }

}  // namespace

BOOST_AUTO_TEST_SUITE(auth_failure_budget)

BOOST_AUTO_TEST_CASE(a_client_waits_longer_after_each_failure_past_its_budget) {
  AuthFailureBudget b(limit(3));
  Time t = kStart;
  for (int i = 0; i < 3; ++i) BOOST_TEST(!b.begin_check(kGuesser, t).has_value());
  BOOST_TEST(b.failures(kGuesser) == 3u);
  // Spent: a minute after the latest failure, whatever is tried meanwhile.
  BOOST_TEST(b.begin_check(kGuesser, t + Duration::seconds(1)).value() == Duration::seconds(59));
  BOOST_TEST(b.failures(kGuesser) == 3u);  // a refused try is not checked, so not counted
  t = t + Duration::minutes(1);
  BOOST_TEST(!b.begin_check(kGuesser, t).has_value());  // the 4th, checked: it fails
  BOOST_TEST(b.begin_check(kGuesser, t + Duration::seconds(60)).value() == Duration::seconds(60));  // 2 min now
  t = t + Duration::minutes(2);
  BOOST_TEST(!b.begin_check(kGuesser, t).has_value());
  BOOST_TEST(b.begin_check(kGuesser, t).value() == Duration::minutes(4));
  // Another address is not held off.
  BOOST_TEST(!b.begin_check(kUser, t).has_value());
  b.succeeded(kUser);
  BOOST_TEST(b.failures(kUser) == 0u);
}

BOOST_AUTO_TEST_CASE(the_wait_is_capped_at_max_backoff) {
  AuthFailureBudget b(limit(1));
  Time t = kStart;
  for (int i = 0; i < 12; ++i) {
    BOOST_TEST(!b.begin_check(kGuesser, t).has_value(), i);
    t = t + Duration::hours(1);
  }
  // 12 failures: the wait would be 2^11 minutes; it is an hour.
  const Time last = t - Duration::hours(1);
  BOOST_TEST(b.begin_check(kGuesser, last + Duration::seconds(1)).value() == Duration::hours(1) - Duration::seconds(1));
}

BOOST_AUTO_TEST_CASE(ipv6_clients_are_counted_by_their_84_bit_prefix) {
  AuthFailureBudget b(limit(2));
  BOOST_TEST(!b.begin_check(*IpAddress::parse("2001:db8:1:2:3::1"), kStart).has_value());
  BOOST_TEST(!b.begin_check(*IpAddress::parse("2001:db8:1:2:3:ff::9"), kStart).has_value());
  BOOST_TEST(b.begin_check(*IpAddress::parse("2001:db8:1:2:3:1f::2"), kStart).has_value());
  BOOST_TEST(!b.begin_check(*IpAddress::parse("2001:db8:1:2:4::1"), kStart).has_value());  // another /84
}

BOOST_AUTO_TEST_CASE(memory_is_bounded) {
  AuthFailureBudget b(limit(5));
  for (std::uint32_t i = 0; i < AuthFailureBudget::kMaxClients + 50; ++i)
    (void)b.begin_check(IpAddress::v4(0x0a000000u + i), kStart + Duration::milliseconds(i));
  BOOST_TEST(b.clients() <= AuthFailureBudget::kMaxClients);
  BOOST_TEST(b.failures(IpAddress::v4(0x0a000000u + AuthFailureBudget::kMaxClients + 49)) == 1u);
}

BOOST_AUTO_TEST_CASE(off_never_holds_anyone_off) {
  AuthFailureBudget b(limit(0));
  for (int i = 0; i < 100; ++i) BOOST_TEST(!b.begin_check(kGuesser, kStart).has_value());
  BOOST_TEST(b.clients() == 0u);
}

BOOST_AUTO_TEST_CASE(the_session_asks_before_checking_and_refuses_unchecked) {
  AuthFailureBudget budget(limit(1));
  int refunds = 0;
  auto session = [&] {
    SessionHarness h;
    h.options.tls = test_server_tls();
    h.options.listener.tls = Listener::Tls::starttls;
    h.options.listener.auth = Listener::Auth::optional;
    h.options.remote = Endpoint(kGuesser, 40000);
    h.auth_may_try = [&budget, &h] { return budget.begin_check(kGuesser, h.now()); };
    h.auth_checked = [&](bool ok) {
      if (ok) {
        ++refunds;
        budget.succeeded(kGuesser);
      }
    };
    return h;
  };
  SessionHarness first = session();
  first.start();
  first.send("EHLO c.example\r\n");
  first.start_tls();
  first.send("EHLO c.example\r\n");
  BOOST_TEST(first.send("AUTH PLAIN " + plain_response(kSeedUser, "wrong") + "\r\n") ==
             "535 5.7.8 Authentication credentials invalid\r\n");
  // The right password, but the budget is spent: not even checked.
  BOOST_TEST(first.send("AUTH PLAIN " + plain_response(kSeedUser, kSeedPassword) + "\r\n") ==
             "450 4.7.1 Too many AUTH failures from 198.51.100.7, try again later\r\n");
  BOOST_TEST(!first.session().authenticated());
  BOOST_TEST(refunds == 0);
}

BOOST_AUTO_TEST_CASE(smtpd_conf_sets_it_and_profiles_default_it) {
  auto knobs = [](const std::string& text) {
    ConfigParseResult parsed = parse_config(text + kRules, "test.conf", memory_loader({}));
    BOOST_REQUIRE_MESSAGE(parsed.ok(), parsed.error_text());
    return parsed.config.knobs.resolve().auth_failures;
  };
  BOOST_TEST(knobs("").allowed == 5u);
  BOOST_TEST(knobs("profile opensmtpd\n").allowed == 0u);
  BOOST_TEST(knobs("profile postfix\n").allowed == 0u);
  BOOST_TEST(knobs("smtp auth-failures off\n").allowed == 0u);
  AuthFailureLimit set = knobs("profile opensmtpd\nsmtp auth-failures 10 backoff 30s max 2h\n");
  BOOST_TEST(set.allowed == 10u);
  BOOST_TEST(set.backoff == Duration::seconds(30));
  BOOST_TEST(set.max_backoff == Duration::hours(2));
  BOOST_TEST(knobs("smtp auth-failures 3\n").backoff == Duration::minutes(1));
  for (const char* bad : {"smtp auth-failures\n", "smtp auth-failures 0\n", "smtp auth-failures many\n",
                          "smtp auth-failures 3 backoff 2h max 1h\n"}) {
    ConfigParseResult parsed = parse_config(std::string(bad) + kRules, "bad.conf", memory_loader({}));
    BOOST_TEST(!parsed.ok(), bad);
    BOOST_TEST(parsed.error_text().find("bad.conf:1: ") != std::string::npos, parsed.error_text());
  }
}

BOOST_AUTO_TEST_SUITE_END()
