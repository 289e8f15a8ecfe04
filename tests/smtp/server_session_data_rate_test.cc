// DATA's minimum rate (issue 14, hole 10): a client trickling its message
// a byte a second must not hold a session until data_total (30 minutes).
// With tether's defaults the session is cut off once the time it waited
// outruns what its bytes earned at `min_data_rate` (Postfix 3.7's
// smtpd_min_data_rate); a client sending at a real rate is not.

#include <boost/test/unit_test.hpp>

#include "smtp/server_session.h"
#include "server_session_harness.h"

using namespace tether;
using namespace tether::smtp;
using namespace tether::smtp::testing;

namespace {

const std::string kTimeout = "421 4.4.2 mx.example.com Timeout, closing connection\r\n";

void open_data(SessionHarness& h) {
  BOOST_TEST(reply_code(h.send("EHLO client.example.net\r\n")) == 250);
  BOOST_TEST(h.send("MAIL FROM:<alice@other.example.net>\r\n") == "250 2.1.0 Ok\r\n");
  BOOST_TEST(h.send("RCPT TO:<test@example.com>\r\n") == "250 2.1.5 Recipient ok\r\n");
  BOOST_TEST(reply_code(h.send("DATA\r\n")) == 354);
}

// `bytes` of message text: lines of at most 1,000 octets, the last one
// left open when `bytes` is not a multiple of 1,000.
std::string text(std::size_t bytes) {
  std::string out;
  while (out.size() + 1000 <= bytes) out += std::string(998, 'x') + "\r\n";
  return out + std::string(bytes - out.size(), 'x');
}

// Sends `bytes_per_step` bytes every `step` until the session closes or
// `limit` has passed; returns how long the session lasted in DATA.
Duration trickle(SessionHarness& h, std::size_t bytes_per_step, Duration step, Duration limit) {
  const Time start = h.now();
  std::string out;
  while (!h.session().closed() && h.now() - start < limit) {
    out += h.send(text(bytes_per_step));
    out += h.advance(step);
  }
  if (h.session().closed()) BOOST_TEST(out == kTimeout);
  return h.now() - start;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(server_session_data_rate)

BOOST_AUTO_TEST_CASE(a_byte_a_second_is_cut_off_long_before_the_total_limit) {
  SessionHarness h;  // the session's default timeouts
  h.start();
  open_data(h);
  const Duration lasted = trickle(h, 1, Duration::seconds(1), Duration::minutes(31));
  BOOST_TEST(h.session().closed());
  BOOST_TEST(h.session().close_reason() == "timeout in DATA");
  // The budget starts at data_idle (10 minutes) and each second's byte
  // earns it 2 ms back: it runs out after about 601 s, not 1,800.
  BOOST_TEST(lasted.seconds_f() < 11 * 60, lasted.seconds_f());
  BOOST_TEST(lasted.seconds_f() > 9 * 60, lasted.seconds_f());
  BOOST_TEST(h.committed.empty());
}

BOOST_AUTO_TEST_CASE(a_client_at_the_minimum_rate_is_not_cut_off) {
  SessionHarness h;
  h.options.timeouts.min_data_rate = 500;
  h.options.timeouts.data_total = Duration::hours(2);
  h.start();
  open_data(h);
  // 1,000 bytes (two seconds' worth) every second for 20 minutes.
  trickle(h, 1000, Duration::seconds(1), Duration::minutes(20));
  BOOST_TEST(!h.session().closed());
  BOOST_TEST(h.send("\r\n.\r\n").find("250 2.0.0") == 0u);
}

BOOST_AUTO_TEST_CASE(what_a_burst_earns_is_capped_at_data_idle) {
  SessionHarness h;
  h.options.timeouts.min_data_rate = 500;
  h.start();
  open_data(h);
  // A megabyte at once earns 2,000 s, but no more than data_idle is banked.
  h.send(text(1000 * 1000));
  BOOST_TEST(h.session().next_deadline() == h.now() + h.options.timeouts.data_idle);
}

BOOST_AUTO_TEST_CASE(zero_turns_the_rate_off) {
  SessionHarness h;
  h.options.timeouts.min_data_rate = 0;
  h.options.timeouts.data_total = Duration::minutes(30);
  h.start();
  open_data(h);
  const Duration lasted = trickle(h, 1, Duration::seconds(1), Duration::minutes(31));
  BOOST_TEST(lasted.seconds_f() == 30.0 * 60, lasted.seconds_f());
}

BOOST_AUTO_TEST_SUITE_END()
