// ConnectionAdmission (issue 14, hole 1): per-client limits at once and per
// minute (Postfix's anvil limits), all sessions together, and each
// listener's reserve.

#include <boost/test/unit_test.hpp>
#include <ostream>

#include "smtp/connection_admission.h"

namespace tether::smtp {
// For BOOST_TEST's messages.
std::ostream& operator<<(std::ostream& out, Admission admission) { return out << to_string(admission); }
}  // namespace tether::smtp

using namespace tether;
using namespace tether::smtp;

namespace {

IpAddress addr(const char* text) { return *IpAddress::parse(text); }
const Time t0 = Time::from_ns(1'000'000'000);

}  // namespace

BOOST_AUTO_TEST_SUITE(connection_admission)

BOOST_AUTO_TEST_CASE(one_client_is_held_to_its_limit_and_others_are_not) {
  AdmissionLimits l;
  l.per_client = 3;
  ConnectionAdmission a(l);
  for (int i = 0; i < 3; ++i) BOOST_TEST(a.admit(0, addr("192.0.2.1"), t0) == Admission::admitted);
  BOOST_TEST(a.admit(0, addr("192.0.2.1"), t0) == Admission::client_busy);
  BOOST_TEST(a.admit(0, addr("192.0.2.2"), t0) == Admission::admitted);
  a.release(0, addr("192.0.2.1"));
  BOOST_TEST(a.admit(0, addr("192.0.2.1"), t0) == Admission::admitted);
  BOOST_TEST(a.sessions() == 4u);
}

BOOST_AUTO_TEST_CASE(ipv6_clients_count_by_their_slash_84) {
  AdmissionLimits l;
  l.per_client = 1;
  ConnectionAdmission a(l);
  BOOST_TEST(a.admit(0, addr("2001:db8:1:2:3:1::1"), t0) == Admission::admitted);
  BOOST_TEST(a.admit(0, addr("2001:db8:1:2:3:fff::2"), t0) == Admission::client_busy);  // same /84
  BOOST_TEST(a.admit(0, addr("2001:db8:1:2:3:1000::1"), t0) == Admission::admitted);   // the next /84
}

BOOST_AUTO_TEST_CASE(the_rate_counts_every_connect_in_its_window) {
  AdmissionLimits l;
  l.per_client_rate = 2;
  ConnectionAdmission a(l);
  const IpAddress c = addr("192.0.2.1");
  BOOST_TEST(a.admit(0, c, t0) == Admission::admitted);
  a.release(0, c);
  BOOST_TEST(a.admit(0, c, t0 + Duration::seconds(10)) == Admission::admitted);
  a.release(0, c);
  BOOST_TEST(a.admit(0, c, t0 + Duration::seconds(20)) == Admission::client_too_fast);
  BOOST_TEST(a.admit(0, c, t0 + Duration::seconds(60)) == Admission::admitted);  // a new window
}

BOOST_AUTO_TEST_CASE(a_flood_on_one_listener_leaves_the_others_their_reserve) {
  AdmissionLimits l;
  l.max_sessions = 100;
  l.listeners = 2;
  ConnectionAdmission a(l);
  BOOST_TEST(a.reserve() == 25u);
  std::size_t admitted = 0;
  for (int i = 0; i < 200; ++i)
    if (a.admit(0, addr(("10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250)).c_str()), t0) ==
        Admission::admitted)
      ++admitted;
  BOOST_TEST(admitted == 75u);
  BOOST_TEST(a.admit(0, addr("192.0.2.9"), t0) == Admission::listener_full);
  for (int i = 0; i < 25; ++i) BOOST_TEST(a.admit(1, addr("192.0.2.1"), t0) == Admission::admitted);
  BOOST_TEST(a.admit(1, addr("192.0.2.2"), t0) == Admission::server_full);
}

BOOST_AUTO_TEST_CASE(one_listener_may_use_every_session) {
  AdmissionLimits l;
  l.max_sessions = 10;
  ConnectionAdmission a(l);
  for (int i = 0; i < 10; ++i) BOOST_TEST(a.admit(0, addr("192.0.2.1"), t0) == Admission::admitted);
  BOOST_TEST(a.admit(0, addr("192.0.2.2"), t0) == Admission::server_full);
  a.clear();
  BOOST_TEST(a.sessions() == 0u);
  BOOST_TEST(a.admit(0, addr("192.0.2.2"), t0) == Admission::admitted);
}

BOOST_AUTO_TEST_SUITE_END()
