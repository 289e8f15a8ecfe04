// The knobs a relay profile sets for pausing and for outbound sessions
// (relay_profile.h): each profile's defaults, each knob written on its own
// in smtpd.conf winning over the profile in either order, and bad values
// reported with file and line.

#include <boost/test/unit_test.hpp>

#include "smtp/config_parser.h"
#include "smtp/relay_profile.h"

using namespace tether;
using namespace tether::smtp;

namespace {

constexpr const char* kRules = "\naction \"a\" mbox\nmatch from local for local action \"a\"\n";

RelayBehaviour behaviour_of(const std::string& text) {
  ConfigParseResult r = parse_config(text + kRules, "smtpd.conf", {});
  BOOST_TEST_REQUIRE(r.ok(), r.error_text());
  return r.config.knobs.resolve();
}

std::string only_error(const std::string& text) {
  ConfigParseResult r = parse_config(text + kRules, "smtpd.conf", {});
  BOOST_TEST_REQUIRE(r.errors.size() == 1u, r.error_text());
  return r.errors.front().to_string();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(relay_profile_session)

BOOST_AUTO_TEST_CASE(each_profile_pauses_and_falls_back_as_its_implementation) {
  const RelayBehaviour tether = behaviour_of("");
  BOOST_TEST((tether.pause_mode == PauseMode::reply_421));
  BOOST_TEST(tether.listen_backlog == 0u);
  BOOST_TEST(!tether.connect_timeout.has_value());  // as the app was started
  BOOST_TEST(!tether.session_timeout.has_value());
  BOOST_TEST(tether.route_delay == Duration::zero());

  const RelayBehaviour opensmtpd = behaviour_of("profile opensmtpd");
  BOOST_TEST((opensmtpd.pause_mode == PauseMode::stop_accepting));
  BOOST_TEST(opensmtpd.listen_backlog == 5u);
  BOOST_TEST(opensmtpd.connect_timeout.value_or(Duration::seconds(1)) == Duration::zero());  // the kernel's
  BOOST_TEST(opensmtpd.session_timeout.value_or(Duration::zero()) == Duration::seconds(300));
  BOOST_TEST(opensmtpd.route_delay == Duration::seconds(2));

  const RelayBehaviour postfix = behaviour_of("profile postfix");
  BOOST_TEST((postfix.pause_mode == PauseMode::stop_accepting));
  BOOST_TEST(postfix.listen_backlog == 100u);
  BOOST_TEST(postfix.connect_timeout.value_or(Duration::zero()) == Duration::seconds(30));
  BOOST_TEST(!postfix.session_timeout.has_value());
  BOOST_TEST(postfix.route_delay == Duration::zero());
}

// The retry schedule is a knob too: Postfix backs off on time in queue
// (qmgr's minimal/maximal_backoff_time), the others on OpenSMTPD's grid,
// and a `queue retry` line wins over either.
BOOST_AUTO_TEST_CASE(each_profile_retries_on_its_implementations_schedule) {
  BOOST_TEST((behaviour_of("").retry.kind == RetryPolicy::Kind::opensmtpd));
  BOOST_TEST((behaviour_of("profile opensmtpd").retry.kind == RetryPolicy::Kind::opensmtpd));
  const RelayBehaviour postfix = behaviour_of("profile postfix");
  BOOST_TEST((postfix.retry.kind == RetryPolicy::Kind::postfix));
  BOOST_TEST(postfix.retry.interval == Duration::seconds(300));
  BOOST_TEST(postfix.retry.max == Duration::seconds(4000));
  const RelayBehaviour written = behaviour_of("queue retry constant 60s\nprofile postfix");
  BOOST_TEST((written.retry.kind == RetryPolicy::Kind::constant));
  BOOST_TEST(written.retry.interval == Duration::seconds(60));
}

BOOST_AUTO_TEST_CASE(a_knob_written_on_its_own_wins_over_the_profile_in_either_order) {
  const std::string knobs =
      "smtp pause-mode reply-421\nsmtp listen-backlog 64\nmta connect-timeout 45s\n"
      "mta session-timeout 10m\nmta route-delay 0s\n";
  for (const std::string& text : {knobs + "profile opensmtpd\n", "profile opensmtpd\n" + knobs}) {
    BOOST_TEST_CONTEXT(text) {
      const RelayBehaviour b = behaviour_of(text);
      BOOST_TEST((b.pause_mode == PauseMode::reply_421));
      BOOST_TEST(b.listen_backlog == 64u);
      BOOST_TEST(b.connect_timeout.value_or(Duration::zero()) == Duration::seconds(45));
      BOOST_TEST(b.session_timeout.value_or(Duration::zero()) == Duration::minutes(10));
      BOOST_TEST(b.route_delay == Duration::zero());
    }
  }
  const RelayBehaviour tether =
      behaviour_of("smtp pause-mode stop-accepting\nmta connect-timeout kernel\nmta route-delay 2s\n");
  BOOST_TEST((tether.pause_mode == PauseMode::stop_accepting));
  BOOST_TEST(tether.connect_timeout.value_or(Duration::seconds(1)) == Duration::zero());
  BOOST_TEST(tether.route_delay == Duration::seconds(2));
}

BOOST_AUTO_TEST_CASE(bad_values_name_the_file_line_and_knob) {
  BOOST_TEST(only_error("\nsmtp pause-mode later\n")
                 .find("smtpd.conf:2: unknown keyword 'later' after 'smtp pause-mode' "
                       "(expected reply-421 or stop-accepting)") == 0);
  BOOST_TEST(
      only_error("smtp listen-backlog 0\n").find("smtpd.conf:1: smtp listen-backlog must be at least 1") ==
      0);
  BOOST_TEST(only_error("smtp listen-backlog many\n")
                 .find("smtpd.conf:1: expected a number for smtp listen-backlog") == 0);
  BOOST_TEST(only_error("mta connect-timeout soon\n")
                 .find("smtpd.conf:1: invalid duration 'soon' for mta connect-timeout") == 0);
  BOOST_TEST(only_error("mta connect-timeout 0s\n")
                 .find("smtpd.conf:1: invalid duration '0s' for mta connect-timeout: must be positive") == 0);
  BOOST_TEST(only_error("\n\nmta session-timeout 5q\n")
                 .find("smtpd.conf:3: invalid duration '5q' for mta session-timeout") == 0);
  BOOST_TEST(
      only_error("mta route-delay -2s\n").find("smtpd.conf:1: invalid duration '-2s' for mta route-delay") ==
      0);
  BOOST_TEST(only_error("mta route-delay\n").find("smtpd.conf:1: ") == 0);
}

// The inbound limits (issue 14, holes 1 and 10): connections per client
// address and DATA's minimum rate.
BOOST_AUTO_TEST_CASE(each_profile_has_its_implementations_inbound_limits) {
  const RelayBehaviour tether = RelayBehaviour::of(RelayProfile::tether);
  BOOST_TEST(tether.client_connection_limit == 50u);
  BOOST_TEST(tether.client_connection_rate == 0u);
  BOOST_TEST(tether.min_data_rate == 500u);
  const RelayBehaviour opensmtpd = RelayBehaviour::of(RelayProfile::opensmtpd);
  BOOST_TEST(opensmtpd.client_connection_limit == 0u);
  BOOST_TEST(opensmtpd.min_data_rate == 0u);
  const RelayBehaviour postfix = RelayBehaviour::of(RelayProfile::postfix);
  BOOST_TEST(postfix.client_connection_limit == 50u);
  BOOST_TEST(postfix.client_connection_rate == 0u);
  BOOST_TEST(postfix.min_data_rate == 0u);
}

BOOST_AUTO_TEST_CASE(inbound_limit_lines_override_the_profile_in_either_order) {
  RelayBehaviour b = behaviour_of(
      "smtp client-connection-limit 5\nsmtp client-connection-rate 30\nsmtp min-data-rate 100\nprofile opensmtpd\n");
  BOOST_TEST(b.client_connection_limit == 5u);
  BOOST_TEST(b.client_connection_rate == 30u);
  BOOST_TEST(b.min_data_rate == 100u);
  b = behaviour_of("profile postfix\nsmtp min-data-rate 500\nsmtp client-connection-limit 0\n");
  BOOST_TEST(b.min_data_rate == 500u);
  BOOST_TEST(b.client_connection_limit == 0u);
}

BOOST_AUTO_TEST_CASE(bad_inbound_limits_name_the_line) {
  BOOST_TEST(only_error("smtp min-data-rate fast").find("smtpd.conf:1") == 0u);
  BOOST_TEST(only_error("\nsmtp client-connection-limit").find("smtpd.conf:2") == 0u);
  BOOST_TEST(only_error("smtp client-connection-rate -1").find("smtpd.conf:1") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
