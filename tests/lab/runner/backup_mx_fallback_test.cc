// scenarios/lab/backup-mx-fallback.yaml's times (no root): the file must send
// a message into namorar's outage that only mx2 can take. The lab run of
// the file, with its outcome asserted (backup_mx_outcome.h), is one of the
// four that tests/lab/compare runs at once.

#include <boost/test/unit_test.hpp>

#include "lab/world/world_scenarios.h"

using tether::lab::testing::load_shipped;

namespace {

double event_at(const tether::scenario::Scenario& scenario, tether::scenario::EventAction action) {
  for (const auto& e : scenario.events)
    if (e.action == action && e.target == "namorar") return e.at.seconds_f();
  return -1;
}

}  // namespace

// What the root case relies on (no root): the second message is sent while
// namorar is off, and namorar comes back after the sender's last SYN to it
// (69.3 s after the first on Linux 6.5+: tcp_syn_retries 6 with
// tcp_syn_linear_timeouts 4, FACTS.md) but before its connect gives up
// (131 s), so the message can only arrive through mx2.
BOOST_AUTO_TEST_CASE(the_scenario_sends_a_message_into_the_outage_that_only_mx2_can_take) {
  const tether::scenario::Scenario scenario = load_shipped("lab/backup-mx-fallback");
  const double off = event_at(scenario, tether::scenario::EventAction::stop_node);
  const double back = event_at(scenario, tether::scenario::EventAction::start_node);
  const double second = (scenario.workload.start + scenario.workload.interval).seconds_f();
  BOOST_TEST(scenario.workload.count == 2u);
  BOOST_TEST((off >= 0 && off < second && second < back), off << " " << second << " " << back);
  BOOST_TEST(back - second > 69.3 + 5);   // margin for a loaded kernel's late timers
  BOOST_TEST(back - second < 131.0 - 5);  // and for mx2's tunnel to namorar to come up
  BOOST_TEST(scenario.duration.seconds_f() > second + 131.0 + 10);
}

