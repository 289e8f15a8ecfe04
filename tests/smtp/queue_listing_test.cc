// `show queue` rows and `monitor` lines in smtpctl's layouts.

#include <boost/test/unit_test.hpp>

#include "smtp/queue_listing.h"
#include "smtp/scheduler.h"
#include "smtp/queue_test_support.h"

using namespace tether;
using namespace tether::smtp;
using namespace tether::smtp::testing;

BOOST_AUTO_TEST_SUITE(queue_listing)

BOOST_AUTO_TEST_CASE(show_queue_rows_as_opensmtpd) {
  Envelope e = relay_envelope("alice@example.net", "bob@example.org");
  e.id = 0x4b2a1c0e9f31d2a7ULL;
  e.retry = 2;
  e.last_try = kT0 + Duration::seconds(1600);
  e.last_error = "421 4.4.2 timed out";
  QueueRowState pending{QueueRowState::Run::pending, 1234, false};
  BOOST_TEST(format_queue_row(e, pending) ==
             "4b2a1c0e9f31d2a7|inet4|mta||alice@example.net|bob@example.org|bob@example.org|1700000000|1700345600|"
             "1700001600|2|pending|1234|421 4.4.2 timed out");

  // A report from this relay to a sender, in flight; never tried before.
  Envelope b = e;
  b.type = DeliveryType::mda;
  b.family = SourceFamily::local;
  b.sender = "";
  b.rcpt = "postmaster";
  b.dest = "root@localhost";
  b.internal = true;
  b.authenticated = true;
  b.suspended = true;
  b.retry = 0;
  b.last_try = WallTime();
  b.last_error = "";
  QueueRowState inflight{QueueRowState::Run::inflight, 3, true};
  BOOST_TEST(format_queue_row(b, inflight) ==
             "4b2a1c0e9f31d2a7|local|mda|bounce,auth,internal,suspend,hold|@|postmaster@|root@localhost|1700000000|"
             "1700345600|0|0|inflight|3|");

  Envelope c = e;
  c.type = DeliveryType::bounce;
  c.family = SourceFamily::inet6;
  BOOST_TEST(format_queue_row(c, QueueRowState{QueueRowState::Run::invalid, 0, false}).find("|inet6|bounce||") !=
             std::string::npos);
  BOOST_TEST(format_queue_row(c, QueueRowState{}).find("|offline||421") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(error_lines_are_vis_encoded) {
  BOOST_TEST(vis_encode("550 no\tsuch user") == "550 no\tsuch user");
  BOOST_TEST(vis_encode("a\rb\x01" "c\\d") == "a\\^Mb\\^Ac\\\\d");
  BOOST_TEST(vis_encode("\x7f") == "\\^?");
  BOOST_TEST(vis_encode("\xe9") == "\\M-i");
  BOOST_TEST(vis_encode("\x81") == "\\M^A");
  BOOST_TEST(vis_encode("\xa0") == "\\M- ");
}

BOOST_AUTO_TEST_CASE(rows_from_the_scheduler) {
  Scheduler s;
  Envelope e = relay_envelope("alice@example.net", "bob@example.org");
  e.id = 0x4b2a1c0e9f31d2a7ULL;
  const Time t0 = Time::from_ns(0) + Duration::seconds(100);
  s.insert(e, t0, kT0);
  BOOST_TEST(format_queue_row(e, s.row_state(e.id, t0)).find("|pending|0|") != std::string::npos);
  auto tasks = s.due(t0);
  BOOST_TEST(format_queue_row(e, s.row_state(e.id, t0 + Duration::seconds(7))).find("|inflight|7|") !=
             std::string::npos);
  (void)s.on_temporary_failure(e.id, "421", t0 + Duration::seconds(10));
  BOOST_TEST(format_queue_row(e, s.row_state(e.id, t0 + Duration::seconds(10))).find("|pending|390|") !=
             std::string::npos);
  BOOST_TEST(format_queue_row(e, s.row_state(1, t0)).find("|invalid|") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(monitor_columns_as_smtpctl) {
  BOOST_TEST(format_monitor_header() ==
             "--- client ---  -- envelope --   ---- relay/delivery --- ------- misc -------\n"
             "curr conn disc  curr  enq  deq   ok tmpfail prmfail loop expire remove bounce\n");
  MonitorDigest last;
  MonitorDigest now;
  now.clt_connect = 12;
  now.clt_disconnect = 10;
  now.evp_enqueued = 40;
  now.evp_dequeued = 33;
  now.dlv_ok = 30;
  now.dlv_tempfail = 5;
  now.dlv_permfail = 2;
  now.dlv_loop = 1;
  now.evp_expired = 1;
  now.evp_removed = 0;
  now.evp_bounce = 3;
  BOOST_TEST(format_monitor_row(now, last) ==
             "   2   12   10     7   40   33   30       5       2    1      1      0      3\n");

  MonitorView view;
  std::string first = view.next(now);
  BOOST_TEST(first.rfind(format_monitor_header(), 0) == 0);
  MonitorDigest later = now;
  later.evp_enqueued += 4;
  BOOST_TEST(view.next(later) == "   2    0    0    11    4    0    0       0       0    0      0      0      0\n");
  for (int i = 2; i < 25; ++i) view.next(later);
  BOOST_TEST(view.next(later).rfind("\n" + format_monitor_header(), 0) == 0);  // again after 25 rows
}

BOOST_AUTO_TEST_SUITE_END()
