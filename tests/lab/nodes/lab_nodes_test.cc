// nat-expiry's hosts each running a real tetherd in a LabWorld (root): the
// home's tunnel handshakes with the relay through the NAT, mail submitted
// with swaks in the sender's namespace reaches the home's maildir through
// the relay and the tunnel; the relay killed (SIGKILL) and started again on
// its state, the tunnel comes back; pause smtp turns mail away until
// resume; a changed tunnel file reloaded; once the world is gone no tetherd of it runs.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>
#include <thread>

#include "lab/nodes/lab_nodes.h"
#include "lab/nodes/node_checks.h"
#include "lab/world/world_scenarios.h"
#include "support/root_precondition.h"
#include "support/run_process.h"

namespace tether::lab {
namespace {

namespace fs = std::filesystem;
using testing::linux_nat;
using testing::delivered;
using testing::eventually;
using testing::load_shipped;

CommandResult swaks(const LabWorld& world, const std::string& server, const std::string& message_id) {
  return world.run_in("sender", {"swaks", "--server", server, "--port", "25", "--from", "test23442@websteading.net",
                                 "--to", "test@example.org", "--header", "Message-ID: <" + message_id + ">",
                                 "--timeout", "10"});
}

bool handshaken(const LabNodes& nodes) {
  return nodes.control("carinho", {"show", "tunnel"}).output.find("latest handshake") != std::string::npos;
}

std::size_t completed_handshakes(const LabNodes& nodes, const std::string& host) {
  std::size_t n = 0;
  for (const auto& e : nodes.tunnel_events(host))
    if (e.text.find("handshake") != std::string::npos && e.text.find("complete") != std::string::npos) ++n;
  return n;
}

boost::test_tools::assertion_result needs_swaks(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result r(tether::testing::program_exists("swaks"));
  r.message() << "SKIPPED: needs swaks (scripts/packages.txt)";
  return r;
}

BOOST_AUTO_TEST_SUITE(lab_nodes, *boost::unit_test::label("root") *
                                     boost::unit_test::precondition(tether::testing::needs_root))

BOOST_AUTO_TEST_CASE(nat_expiry_hosts_run_tetherd_and_carry_mail_through_the_tunnel,
                     *boost::unit_test::precondition(needs_swaks)) {
  const auto s = load_shipped("nat-expiry", linux_nat({"hosts.carinho.persistent_keepalive=4"}));
  auto built = LabWorld::build(s);
  BOOST_TEST_REQUIRE(built.ok(), (built.ok() ? "" : built.error().to_string()));
  std::unique_ptr<LabWorld> world = std::move(*built);
  const std::string prefix = world->prefix();
  LabNodesOptions options;
  options.tetherd = TETHERD;
  options.tetherctl = TETHERCTL;
  options.log_level = "debug";
  auto prepared = LabNodes::prepare(*world, options);
  BOOST_TEST_REQUIRE(prepared.ok(), (prepared.ok() ? "" : prepared.error().to_string()));
  std::unique_ptr<LabNodes> nodes = std::move(*prepared);
  BOOST_TEST((nodes->hosts() == std::vector<std::string>{"sender", "namorar", "carinho"}));
  auto started = nodes->start_all();
  BOOST_TEST_REQUIRE(started.ok(), (started.ok() ? "" : started.error().to_string()));
  // The override is in the file tetherd runs.
  std::ifstream wg(nodes->files("carinho").tunnel);
  const std::string wg_text((std::istreambuf_iterator<char>(wg)), std::istreambuf_iterator<char>());
  BOOST_TEST(wg_text.find("PersistentKeepalive = 4\n") != std::string::npos);

  // The home dials the relay by name through the NAT.
  BOOST_TEST_REQUIRE(eventually([&] { return handshaken(*nodes); }, 10), nodes->log("carinho"));
  const CommandResult relay_view = nodes->control("namorar", {"show", "tunnel"});
  BOOST_TEST(relay_view.output.find("endpoint: 198.51.100.") != std::string::npos, relay_view.output);
  BOOST_TEST(completed_handshakes(*nodes, "carinho") >= 1u, nodes->log("carinho"));

  // sender -> mail.example.org (namorar, the MX) -> carinho.lan down the tunnel.
  const fs::path maildir = nodes->maildir("carinho", "jay");
  const CommandResult sent = swaks(*world, "198.18.0.10", "lab-nodes-1@websteading.net");
  BOOST_TEST_REQUIRE(sent.ok(), sent.output);
  if (!eventually([&] { return delivered(maildir, "lab-nodes-1@websteading.net"); }, 20))
    BOOST_ERROR("not delivered: " + nodes->log("carinho") +
                world->run_in("carinho", {"find", nodes->state_dir("carinho").string()}).output);

  // stop-node/start-node: the relay killed, started again on its state.
  const int old_pid = nodes->pid("namorar");
  BOOST_TEST_REQUIRE(nodes->stop("namorar").ok());
  BOOST_TEST(!nodes->running("namorar"));
  BOOST_TEST(!world->run_in("carinho", {"ping", "-c1", "-W1", "10.8.0.1"}).ok());
  auto restarted = nodes->start("namorar");
  BOOST_TEST_REQUIRE(restarted.ok(), (restarted.ok() ? "" : restarted.error().to_string()));
  BOOST_TEST(nodes->pid("namorar") != old_pid);
  const std::size_t before = completed_handshakes(*nodes, "carinho");
  // The home's traffic unanswered makes it handshake again (10 s + 5 s).
  BOOST_TEST(eventually([&] { return world->run_in("carinho", {"ping", "-c1", "-W1", "10.8.0.1"}).ok(); }, 30),
             nodes->log("carinho"));
  BOOST_TEST(completed_handshakes(*nodes, "carinho") > before, nodes->log("carinho"));

  // pause-smtp: the relay turns new connections away until resume-smtp.
  BOOST_TEST_REQUIRE(nodes->pause_smtp("namorar").ok());
  const CommandResult refused = swaks(*world, "203.0.113.10", "lab-nodes-2@websteading.net");
  BOOST_TEST(!refused.ok(), refused.output);
  BOOST_TEST(refused.output.find("421") != std::string::npos, refused.output);
  BOOST_TEST_REQUIRE(nodes->resume_smtp("namorar").ok());
  const CommandResult taken = swaks(*world, "203.0.113.10", "lab-nodes-3@websteading.net");
  BOOST_TEST(taken.ok(), taken.output);
  BOOST_TEST(eventually([&] { return delivered(maildir, "lab-nodes-3@websteading.net"); }, 20), nodes->log("namorar"));

  // change-config: the scenario's own wg0.conf (its keepalive 25, the
  // override gone) replaces the effective one, and tetherd reloads it.
  const fs::path original = s.hosts.back().tunnel;
  auto changed = nodes->change_config("carinho", original, "");
  BOOST_TEST_REQUIRE(changed.ok(), (changed.ok() ? "" : changed.error().to_string()));
  BOOST_TEST(tether::testing::read_file(nodes->files("carinho").tunnel).find("PersistentKeepalive = 25") !=
             std::string::npos);
  BOOST_TEST(changed->find("wg0.conf: applied") != std::string::npos, *changed);

  // The world's record stops the daemons, even with LabNodes still standing.
  const auto problems = world->tear_down();
  BOOST_TEST(problems.empty());
  BOOST_TEST(testing::traces_of(prefix).empty());
  for (const std::string& h : nodes->hosts()) BOOST_TEST(!nodes->running(h));
  BOOST_TEST_MESSAGE(nodes->log("carinho"));
  nodes.reset();
  world.reset();
  BOOST_TEST(testing::traces_of(prefix).empty());
}

BOOST_AUTO_TEST_CASE(a_missing_tetherd_says_so_and_leaves_nothing) {
  const auto s = load_shipped("nat-expiry", linux_nat());
  auto built = LabWorld::build(s, LabWorldOptions{"", {}, false});
  BOOST_TEST_REQUIRE(built.ok(), (built.ok() ? "" : built.error().to_string()));
  std::unique_ptr<LabWorld> world = std::move(*built);
  const std::string prefix = world->prefix();
  LabNodesOptions options;
  options.tetherd = "/nonexistent/tetherd";
  auto nodes = LabNodes::prepare(*world, options);
  BOOST_TEST_REQUIRE(nodes.ok());
  auto started = (*nodes)->start("sender");
  BOOST_TEST_REQUIRE(!started.ok());
  BOOST_TEST(started.error().message.find("sender's tetherd exited") != std::string::npos, started.error().message);
  BOOST_TEST(started.error().message.find("/nonexistent/tetherd") != std::string::npos, started.error().message);
  nodes->reset();
  world.reset();
  BOOST_TEST(testing::traces_of(prefix).empty());
}

BOOST_AUTO_TEST_CASE(an_openbsd_tunnel_host_is_refused_before_anything_runs) {
  const auto s = load_shipped("nat-expiry", linux_nat({"hosts.carinho.os=openbsd"}));
  auto built = LabWorld::build(s, LabWorldOptions{"", {}, false});
  BOOST_TEST_REQUIRE(built.ok(), (built.ok() ? "" : built.error().to_string()));
  auto nodes = LabNodes::prepare(**built);
  BOOST_TEST_REQUIRE(!nodes.ok());
  BOOST_TEST(nodes.error().message.find(": hosts.carinho.os: openbsd: ") != std::string::npos, nodes.error().message);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::lab
