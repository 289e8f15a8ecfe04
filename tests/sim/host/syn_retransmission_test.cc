// An unanswered connect on the simulated Linux: the SYNs it sends, when,
// and when it fails (sim/host/linux_syn_schedule.h). Linux 6.18
// (tcp_syn_retries 6, tcp_syn_linear_timeouts 4) sent 11 SYNs to a
// blackholed host in the measurement.

#include <boost/test/unit_test.hpp>
#include <optional>
#include <vector>

#include <ns3/double.h>
#include <ns3/error-model.h>
#include <ns3/packet.h>
#include <ns3/point-to-point-net-device.h>
#include <ns3/simulator.h>
#include <ns3/string.h>
#include <ns3/tcp-header.h>

#include "sim/host/linux_syn_schedule.h"
#include "sim/host/ns3_host.h"
#include "sim/host/sim_host_fixture.h"

using namespace tether;
using namespace tether::testing;

namespace {

const IpAddress kBravo = *IpAddress::parse("192.0.2.2");

Duration seconds_ms(std::int64_t ms) { return Duration::milliseconds(ms); }

// Two nodes on a 10 ms link; alpha's outgoing SYNs are recorded, and
// bravo's side of the link can be made to drop everything.
struct SynWorld : TwoHostLink {
  ns3::Ptr<ns3::RateErrorModel> blackhole = ns3::CreateObject<ns3::RateErrorModel>();
  std::vector<Duration> syns;  // since the simulation's start

  SynWorld() : TwoHostLink("5Mbps", "10ms") {
    blackhole->SetAttribute("ErrorUnit", ns3::StringValue("ERROR_UNIT_PACKET"));
    blackhole->SetAttribute("ErrorRate", ns3::DoubleValue(1.0));
    blackhole->Disable();
    ns3::DynamicCast<ns3::PointToPointNetDevice>(link.Get(1))->SetReceiveErrorModel(blackhole);
    link.Get(0)->TraceConnectWithoutContext("MacTx", ns3::MakeCallback(&SynWorld::on_transmit, this));
  }
  ~SynWorld() {
    // While `syns` still exists: closing a host may send (MacTx).
    alpha.reset();
    bravo.reset();
  }

  void on_transmit(ns3::Ptr<const ns3::Packet> packet) {
    const std::optional<TcpSegmentOnWire> segment = tcp_segment_on_wire(packet);
    if (!segment) return;
    const std::uint8_t flags = segment->header.GetFlags();
    if ((flags & ns3::TcpHeader::SYN) && !(flags & ns3::TcpHeader::ACK))
      syns.push_back(Duration::nanoseconds(ns3::Simulator::Now().GetNanoSeconds()));
  }

  static Duration now() { return Duration::nanoseconds(ns3::Simulator::Now().GetNanoSeconds()); }
};

// The SYN times and the give-up a schedule implies, replayed the way the
// kernel's timer does (tcp_retransmit_timer).
struct Replay {
  std::vector<Duration> syns;
  Duration fails_at;
};

Replay replay(const sim::LinuxSynSchedule& s) {
  Replay r;
  Duration now = Duration::zero(), rto = s.initial_rto, first_retransmit = Duration::zero();
  std::uint32_t retransmits = 0;
  r.syns.push_back(now);
  for (;;) {
    now += rto;
    if (s.gives_up(retransmits, retransmits == 0 ? Duration::zero() : now - first_retransmit)) break;
    if (++retransmits == 1) first_retransmit = now;
    r.syns.push_back(now);
    rto = s.next_rto(rto, retransmits);
  }
  r.fails_at = now;
  return r;
}

std::vector<Duration> whole_seconds(std::initializer_list<std::int64_t> s) {
  std::vector<Duration> out;
  for (std::int64_t n : s) out.push_back(Duration::seconds(n));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(syn_retransmission)

BOOST_AUTO_TEST_CASE(linux_defaults_send_11_syns_and_fail_after_131_s) {
  const Replay r = replay(sim::LinuxSynSchedule{});
  BOOST_TEST(r.syns == whole_seconds({0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67}), boost::test_tools::per_element());
  BOOST_TEST(r.fails_at == Duration::seconds(131));
}

BOOST_AUTO_TEST_CASE(without_linear_timeouts_the_schedule_is_the_classic_doubling) {
  // Linux before 6.5, or tcp_syn_linear_timeouts = 0: 7 SYNs, 127 s (tcp(7)).
  sim::LinuxSynSchedule classic;
  classic.linear_timeouts = 0;
  const Replay r = replay(classic);
  BOOST_TEST(r.syns == whole_seconds({0, 1, 3, 7, 15, 31, 63}), boost::test_tools::per_element());
  BOOST_TEST(r.fails_at == Duration::seconds(127));
}

BOOST_AUTO_TEST_CASE(the_timeout_doubles_up_to_tcp_rto_max) {
  sim::LinuxSynSchedule s;
  BOOST_TEST(s.next_rto(Duration::seconds(1), 4) == Duration::seconds(1));  // total_rto 4: still linear
  BOOST_TEST(s.next_rto(Duration::seconds(1), 5) == Duration::seconds(2));
  BOOST_TEST(s.next_rto(Duration::seconds(64), 11) == Duration::seconds(120));
  BOOST_TEST(s.next_rto(Duration::seconds(120), 12) == Duration::seconds(120));
}

BOOST_AUTO_TEST_CASE(the_time_limit_is_tcp_model_timeout_of_the_syn_retries) {
  sim::LinuxSynSchedule s;
  BOOST_TEST(s.model_timeout() == Duration::seconds(127));  // 1 + 2 + ... + 64
  s.syn_retries = 8;  // past ilog2(120 / 1) = 6 doublings, TCP_RTO_MAX each
  BOOST_TEST(s.model_timeout() == Duration::seconds(127 + 2 * 120));
  s.syn_retries = 6;
  s.initial_rto = Duration::seconds(3);  // ilog2(40) = 5
  BOOST_TEST(s.model_timeout() == Duration::seconds(63 * 3 + 120));
  // The time limit decides when the linear timeouts outnumber the retries:
  // with 1 retry (3 s) and 10 linear timeouts, the fourth expiry ends it.
  sim::LinuxSynSchedule few;
  few.syn_retries = 1;
  few.linear_timeouts = 10;
  BOOST_TEST(!few.gives_up(0, Duration::seconds(1000)));  // never before a retransmission
  BOOST_TEST(!few.gives_up(2, seconds_ms(2999)));
  BOOST_TEST(few.gives_up(3, Duration::seconds(3)));
  const Replay r = replay(few);
  BOOST_TEST(r.syns == whole_seconds({0, 1, 2, 3}), boost::test_tools::per_element());
  BOOST_TEST(r.fails_at == Duration::seconds(4));
}

BOOST_AUTO_TEST_CASE(a_blackholed_connect_sends_linux_syns_and_fails_when_linux_does) {
  SynWorld w;
  w.blackhole->Enable();
  std::optional<Result<void>> outcome;
  Duration started = SynWorld::now(), ended;
  TcpStream::Handlers h;
  h.on_connected = [&](Result<void> r) {
    outcome = r;
    ended = SynWorld::now();
  };
  auto s = w.alpha->tcp_connect(Endpoint(kBravo, 25), std::move(h));
  BOOST_TEST_REQUIRE(w.run.run_until([&] { return outcome.has_value(); }, Duration::seconds(600)));
  BOOST_TEST_REQUIRE(!outcome->ok());
  BOOST_TEST(outcome->error().code == ErrorCode::timed_out, outcome->error().to_string());
  std::vector<Duration> sent;
  for (Duration at : w.syns) sent.push_back(at - started);
  BOOST_TEST(sent == whole_seconds({0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67}), boost::test_tools::per_element());
  BOOST_TEST(ended - started == Duration::seconds(131), format_duration(ended - started));
  // Nothing more after the failure.
  w.run.run_for(Duration::seconds(300));
  BOOST_TEST(w.syns.size() == 11u);
}

BOOST_AUTO_TEST_CASE(a_retransmitted_syn_that_gets_through_connects) {
  SynWorld w;
  auto listener = w.bravo->tcp_listen(Endpoint(kBravo, 25), [](std::unique_ptr<TcpStream>) {});
  BOOST_TEST_REQUIRE(listener.ok());
  w.blackhole->Enable();
  std::optional<Result<void>> outcome;
  Duration started = SynWorld::now(), ended;
  TcpStream::Handlers h;
  h.on_connected = [&](Result<void> r) {
    outcome = r;
    ended = SynWorld::now();
  };
  auto s = w.alpha->tcp_connect(Endpoint(kBravo, 25), std::move(h));
  // The path heals between the SYNs at 5 s and 7 s.
  w.run.run_for(Duration::milliseconds(5500));
  BOOST_TEST(!outcome.has_value());
  w.blackhole->Disable();
  BOOST_TEST_REQUIRE(w.run.run_until([&] { return outcome.has_value(); }, Duration::seconds(10)));
  BOOST_TEST(outcome->ok(), (outcome->ok() ? "" : outcome->error().to_string()));
  // The 7 s SYN, one round trip on the 10 ms link (and serialisation).
  BOOST_TEST(ended - started >= Duration::milliseconds(7020), format_duration(ended - started));
  BOOST_TEST(ended - started < Duration::milliseconds(7030), format_duration(ended - started));
  BOOST_TEST(w.syns.size() == 7u);
}

BOOST_AUTO_TEST_SUITE_END()
