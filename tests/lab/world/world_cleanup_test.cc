// Clean-up on every way out (root): a world's destructor, SIGINT or
// SIGTERM to a process holding a world (once built, and while it is being
// built), SIGKILL followed by remove_leftovers(prefix) or
// remove_dead_runs(), and a refused scenario leave nothing of the run: no
// namespace (`ip netns list`), no /etc/netns or /run/tether-lab entry, no
// process, no nftables table.

#include <signal.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <thread>

#include "lab/world/lab_world.h"
#include "lab/world/world_scenarios.h"
#include "support/child_process.h"
#include "support/root_precondition.h"

namespace tether::lab {
namespace {

using testing::linux_nat;
using testing::load_shipped;
using testing::traces_of;

std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& l : lines) text += l + "\n";
  return text;
}

struct Holder {
  std::unique_ptr<tether::testing::ChildProcess> process;
  std::string prefix;
};

// lab_world_holder on nat-expiry, its prefix read from its first line.
Holder start_holder() {
  auto child = tether::testing::ChildProcess::spawn(
      {LAB_WORLD_HOLDER, testing::shipped_scenario("nat-expiry").string(), "--set", "nat.inbound_refresh=true"});
  BOOST_TEST_REQUIRE(child.ok());
  Holder h{std::move(*child), ""};
  BOOST_TEST_REQUIRE(h.process->wait_for_output("\n", Duration::seconds(10)), h.process->output());
  const std::string& out = h.process->output();
  BOOST_TEST_REQUIRE(out.rfind("prefix ", 0) == 0u, out);
  h.prefix = out.substr(7, out.find('\n') - 7);
  return h;
}

BOOST_AUTO_TEST_SUITE(lab_world_cleanup, *boost::unit_test::label("root") *
                                             boost::unit_test::precondition(tether::testing::needs_root))

BOOST_AUTO_TEST_CASE(a_destroyed_world_leaves_nothing) {
  auto world = LabWorld::build(load_shipped("nat-expiry", linux_nat()));
  BOOST_TEST_REQUIRE(world.ok(), (world.ok() ? "" : world.error().to_string()));
  const std::string prefix = (*world)->prefix();
  const std::vector<std::string> standing = traces_of(prefix);
  BOOST_TEST(standing.size() >= 6u + 6u + 1u + 3u, joined(standing));  // namespaces, /etc/netns, run dir, dnsmasqs
  world->reset();
  BOOST_TEST(traces_of(prefix).empty(), joined(traces_of(prefix)));
}

BOOST_AUTO_TEST_CASE(sigint_or_sigterm_to_a_process_holding_a_world_removes_it) {
  for (int signal_number : {SIGINT, SIGTERM}) {
    Holder h = start_holder();
    BOOST_TEST_REQUIRE(h.process->wait_for_output("built\n", Duration::seconds(30)), h.process->output());
    BOOST_TEST_REQUIRE(!traces_of(h.prefix).empty());
    kill(h.process->pid(), signal_number);
    BOOST_TEST_REQUIRE(h.process->wait_exit(Duration::seconds(20)));
    BOOST_TEST(h.process->exit_code().value_or(-1) == 128 + signal_number, h.process->output());
    BOOST_TEST(traces_of(h.prefix).empty(), joined(traces_of(h.prefix)));
  }
}

// The build takes about half a second here: the signal lands at a few
// points of it (where exactly varies from run to run; wherever it lands,
// nothing may be left).
BOOST_AUTO_TEST_CASE(sigint_while_the_world_is_being_built_removes_what_was_made) {
  for (int delay_ms : {0, 20, 60, 150, 300}) {
    Holder h = start_holder();  // returns at "prefix", before anything is made
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    kill(h.process->pid(), SIGINT);
    BOOST_TEST_REQUIRE(h.process->wait_exit(Duration::seconds(20)));
    BOOST_TEST(h.process->exit_code().value_or(-1) == 128 + SIGINT, h.process->output());
    BOOST_TEST(traces_of(h.prefix).empty(), joined(traces_of(h.prefix)));
  }
}

BOOST_AUTO_TEST_CASE(remove_leftovers_clears_a_killed_run) {
  Holder h = start_holder();
  BOOST_TEST_REQUIRE(h.process->wait_for_output("built\n", Duration::seconds(30)), h.process->output());
  kill(h.process->pid(), SIGKILL);
  BOOST_TEST_REQUIRE(h.process->wait_exit(Duration::seconds(10)));
  BOOST_TEST_REQUIRE(!traces_of(h.prefix).empty());  // SIGKILL leaves it all
  const std::vector<std::string> problems = remove_leftovers(h.prefix);
  BOOST_TEST(problems.empty(), joined(problems));
  BOOST_TEST(traces_of(h.prefix).empty(), joined(traces_of(h.prefix)));
}

BOOST_AUTO_TEST_CASE(remove_dead_runs_clears_a_killed_run_and_spares_a_live_one) {
  auto live = LabWorld::build(load_shipped("nat-expiry", linux_nat()));
  BOOST_TEST_REQUIRE(live.ok(), (live.ok() ? "" : live.error().to_string()));
  Holder h = start_holder();
  BOOST_TEST_REQUIRE(h.process->wait_for_output("built\n", Duration::seconds(30)), h.process->output());
  kill(h.process->pid(), SIGKILL);
  BOOST_TEST_REQUIRE(h.process->wait_exit(Duration::seconds(10)));
  const std::vector<std::string> problems = remove_dead_runs();
  BOOST_TEST(problems.empty(), joined(problems));
  BOOST_TEST(traces_of(h.prefix).empty(), joined(traces_of(h.prefix)));
  BOOST_TEST(!traces_of((*live)->prefix()).empty());  // this process's world stands
}

BOOST_AUTO_TEST_CASE(a_refused_scenario_makes_nothing) {
  LabWorldOptions options;
  options.prefix = new_run_prefix();
  auto refused = LabWorld::build(load_shipped("nat-expiry", {"nat.filtering=endpoint-independent"}), options);
  BOOST_TEST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.error().message.find("nat.filtering (--set): endpoint-independent filtering") != std::string::npos,
             refused.error().message);
  BOOST_TEST(refused.error().message.find("nat.inbound_refresh (the default)") != std::string::npos,
             refused.error().message);
  BOOST_TEST(traces_of(options.prefix).empty(), joined(traces_of(options.prefix)));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::lab
