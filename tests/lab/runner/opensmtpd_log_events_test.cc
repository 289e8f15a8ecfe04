// The relay events of a host that ran Debian's OpenSMTPD 6.8, read back
// from its stamped log (lab/runner/opensmtpd_log_events.h), no root.
#include <boost/test/unit_test.hpp>

#include "lab/runner/opensmtpd_log_events.h"

namespace tether::lab {
namespace {

BOOST_AUTO_TEST_SUITE(lab_opensmtpd_log_events)

BOOST_AUTO_TEST_CASE(the_log_gives_accepted_relayed_and_failed_on_the_runs_time) {
  const std::string log =
      "100.000000 info: OpenSMTPD 6.8.0p2 starting\n"
      "110.500000 8baab9 smtp message msgid=316fd595 size=2302 nrcpt=1 proto=ESMTP\n"
      "110.500100 8baab9 smtp envelope evpid=316fd595c1be62e4 from=<a@b> to=<test@example.org>\n"
      "111.250000 8baab9 mta delivery evpid=316fd595c1be62e4 from=<a@b> to=<test@example.org> rcpt=<-> "
      "source=\"198.18.0.10\" relay=\"203.0.113.10 (mail.example.org)\" delay=1s result=\"Ok\" stat=\"250 2.0.0 ok\"\n"
      "126.000000 0000 mta delivery evpid=f7b43de2584b1550 from=<a@b> to=<test@example.org> rcpt=<-> source=\"-\" "
      "relay=\"example.org\" delay=11s result=\"TempFail\" stat=\"Network error on destination MXs\"\n"
      "127.000000 27b2 mda delivery evpid=d4b15aab2ca268fe from=<a@b> to=<test@example.org> "
      "rcpt=<test@example.org> user=jay delay=0s result=Ok stat=Delivered\n"
      "128.000000 27b2 mda delivery evpid=d4b15aab2ca268ff from=<a@b> to=<x@example.org> "
      "rcpt=<x@example.org> user=x delay=0s result=TempFail stat=Error\n"
      "130.000000 info: smtp paused\n"
      "[  12.000] info    tunnel.wg0: not smtpd's\n";
  const auto start = std::chrono::system_clock::time_point(std::chrono::seconds(100));
  const auto events = parse_opensmtpd_log(log, start);
  using Kind = node::MailRelayEvent::Kind;
  // The maildir delivery is the watcher's; its failure is a row.
  BOOST_TEST_REQUIRE(events.size() == 5u);
  BOOST_TEST((events[0].kind == Kind::message_accepted));
  BOOST_TEST(events[0].msgid == 0x316fd595u);
  BOOST_TEST(events[0].time.ns() == 10'500'000'000);
  BOOST_TEST((events[1].kind == Kind::delivered));
  BOOST_TEST(events[1].msgid == 0x316fd595u);
  BOOST_TEST(events[1].destination == "203.0.113.10 (mail.example.org)");
  BOOST_TEST((events[2].kind == Kind::temporary_failure));
  BOOST_TEST(events[2].detail.find("Network error on destination MXs") != std::string::npos);
  BOOST_TEST((events[3].kind == Kind::temporary_failure));
  BOOST_TEST(events[3].msgid == 0xd4b15aabu);
  BOOST_TEST((events[4].kind == Kind::smtp_paused));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::lab
