// Debian's OpenSMTPD 6.8 as a lab host (root): backup-mx-fallback-opensmtpd's
// sender and mx2 run smtpd in their namespaces (private /run and spool, their
// own hostnames), namorar and carinho tetherd. Mail submitted to the sender's
// smtpd reaches the home's maildir through namorar and the tunnel; smtpctl
// pauses and resumes the sender's smtp; with both MXs off, a message stays in
// the sender's spool across a SIGKILL and a start, and goes out once they are
// back; change-config restarts smtpd; the seed's mx2 file (STARTTLS, `queue
// retry`) is refused by its lines before anything runs; after the world
// nothing of smtpd is left. The home on OpenSMTPD too, behind tetherd's tunnel.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>
#include <thread>

#include "lab/nodes/daemon_process.h"
#include "lab/nodes/lab_nodes.h"
#include "lab/nodes/opensmtpd_daemon.h"
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

const char* const kScenario = "lab/backup-mx-fallback-opensmtpd";

// swaks in the sender's namespace to its own smtpd (198.18.0.10).
CommandResult submit(const LabWorld& world, const std::string& message_id, int timeout = 10) {
  return world.run_in("sender", {"swaks", "--server", "198.18.0.10", "--port", "25", "--from",
                                 "test23442@websteading.net", "--to", "test@example.org", "--header",
                                 "Message-ID: <" + message_id + ">", "--timeout", std::to_string(timeout)});
}

boost::test_tools::assertion_result needs_opensmtpd(boost::unit_test::test_unit_id) {
  const bool ok = tether::testing::program_exists("swaks") && tether::testing::program_exists("smtpd") &&
                  tether::testing::program_exists("nsenter");
  boost::test_tools::assertion_result r(ok);
  r.message() << "SKIPPED: needs swaks, smtpd (package opensmtpd) and nsenter (scripts/packages.txt)";
  return r;
}

std::unique_ptr<LabWorld> build(const scenario::Scenario& s) {
  auto built = LabWorld::build(s);
  BOOST_TEST_REQUIRE(built.ok(), (built.ok() ? "" : built.error().to_string()));
  return std::move(*built);
}

LabNodesOptions tether_binaries() {
  LabNodesOptions options;
  options.tetherd = TETHERD;
  options.tetherctl = TETHERCTL;
  return options;
}

BOOST_AUTO_TEST_SUITE(lab_opensmtpd_nodes, *boost::unit_test::label("root") *
                                               boost::unit_test::precondition(tether::testing::needs_root) *
                                               boost::unit_test::precondition(needs_opensmtpd))

BOOST_AUTO_TEST_CASE(opensmtpd_hosts_relay_pause_restart_on_their_spool_and_leave_nothing) {
  const auto s = load_shipped(kScenario, linux_nat());
  std::unique_ptr<LabWorld> world = build(s);
  const std::string prefix = world->prefix();
  auto prepared = LabNodes::prepare(*world, tether_binaries());
  BOOST_TEST_REQUIRE(prepared.ok(), (prepared.ok() ? "" : prepared.error().to_string()));
  std::unique_ptr<LabNodes> nodes = std::move(*prepared);
  BOOST_TEST((nodes->implementation("sender") == scenario::RelayImplementation::opensmtpd));
  BOOST_TEST((nodes->implementation("namorar") == scenario::RelayImplementation::tetherd));
  auto started = nodes->start_all();
  BOOST_TEST_REQUIRE(started.ok(), (started.ok() ? "" : started.error().to_string()));
  const int sender_pid = nodes->pid("sender");
  BOOST_TEST(tether::testing::read_file("/proc/" + std::to_string(sender_pid) + "/comm").rfind("smtpd", 0) == 0u);
  // Its own name, for its greeting and for `relay backup` (mx2's MX record).
  const CommandResult name = run_command({"nsenter", "-t", std::to_string(nodes->pid("mx2")), "-u", "hostname"});
  BOOST_TEST(name.output == "mx2.example.org\n");

  // sender (OpenSMTPD) -> namorar (tetherd, the MX) -> carinho down the tunnel.
  const fs::path maildir = nodes->maildir("carinho", "jay");
  const CommandResult sent = submit(*world, "osmtpd-1@websteading.net");
  BOOST_TEST_REQUIRE(sent.ok(), sent.output);
  BOOST_TEST(eventually([&] { return delivered(maildir, "osmtpd-1@websteading.net"); }, 30), nodes->log("sender"));
  BOOST_TEST(nodes->log("sender").find("result=\"Ok\"") != std::string::npos, nodes->log("sender"));

  // pause-smtp: 6.8 stops accepting (smtp_pause()); the client waits for a
  // greeting that does not come.
  BOOST_TEST_REQUIRE(nodes->pause_smtp("sender").ok());
  BOOST_TEST(nodes->control("sender", {"show", "status"}).output.find("SMTP paused") != std::string::npos);
  BOOST_TEST(!submit(*world, "osmtpd-2@websteading.net", 3).ok());
  BOOST_TEST_REQUIRE(nodes->resume_smtp("sender").ok());

  // Both MXs off: the message stays queued, in the sender's own spool,
  // through a SIGKILL and a start.
  BOOST_TEST_REQUIRE(nodes->stop("namorar").ok());
  BOOST_TEST_REQUIRE(nodes->stop("mx2").ok());
  BOOST_TEST(!nodes->running("mx2"));
  BOOST_TEST_REQUIRE(submit(*world, "osmtpd-3@websteading.net").ok());
  BOOST_TEST(eventually([&] { return nodes->control("sender", {"show", "queue"}).output.find("test@example.org") !=
                                     std::string::npos; }, 10), nodes->log("sender"));
  const std::string before_kill = nodes->log("sender");
  const auto at = before_kill.rfind("smtp message msgid=");
  BOOST_TEST_REQUIRE(at != std::string::npos);
  const std::string msgid = before_kill.substr(at + 19, 8);
  const std::vector<int> children = children_of(nodes->pid("sender"));
  BOOST_TEST(!children.empty());
  BOOST_TEST_REQUIRE(nodes->stop("sender").ok());
  for (int child : children) BOOST_TEST(!process::alive(child));
  BOOST_TEST_REQUIRE(nodes->start("namorar").ok());
  BOOST_TEST_REQUIRE(nodes->start("mx2").ok(), nodes->log("mx2"));
  BOOST_TEST_REQUIRE(nodes->start("sender").ok(), nodes->log("sender"));
  BOOST_TEST(nodes->pid("sender") != sender_pid);
  // Its first try may have failed before the kill: due again at once.
  (void)nodes->control("sender", {"schedule", "all"});
  const auto arrived = [&] { return delivered(maildir, "osmtpd-3@websteading.net"); };
  if (!eventually(arrived, 60)) {
    // Seen once in five runs on a loaded machine: 6.8's session to namorar
    // stalled after STARTTLS ("mta tls ciphers=..." and no
    // "server-cert-check" result from its lka), to wait out its 300 s
    // session timeout. That is not what this case tests (the queue
    // surviving SIGKILL): the sender is killed and started once more.
    BOOST_TEST_MESSAGE("the sender stalled; started once more. Its log:\n" << nodes->log("sender"));
    BOOST_TEST_REQUIRE(nodes->stop("sender").ok());
    BOOST_TEST_REQUIRE(nodes->start("sender").ok(), nodes->log("sender"));
    (void)nodes->control("sender", {"schedule", "all"});
  }
  BOOST_TEST(eventually(arrived, 60),
             nodes->log("sender") + "\nqueue: " + nodes->control("sender", {"show", "queue"}).output);
  // The new instance sent the envelope the old one had queued.
  const std::string after = nodes->log("sender").substr(before_kill.size());
  BOOST_TEST(after.find("mta delivery evpid=" + msgid) != std::string::npos, after);

  // change-config: 6.8 has no reload; smtpd restarts on the new file.
  const int before = nodes->pid("mx2");
  auto changed = nodes->change_config("mx2", "", s.hosts.back().smtpd);
  BOOST_TEST_REQUIRE(changed.ok(), (changed.ok() ? "" : changed.error().to_string()));
  BOOST_TEST(changed->find("restarted") != std::string::npos, *changed);
  BOOST_TEST(nodes->running("mx2"));
  BOOST_TEST(nodes->pid("mx2") != before);

  const std::vector<int> left = children_of(nodes->pid("mx2"));
  BOOST_TEST(world->tear_down().empty());
  BOOST_TEST(testing::traces_of(prefix).empty());
  for (int child : left) BOOST_TEST(!process::alive(child));
  nodes.reset();
  world.reset();
  BOOST_TEST(testing::traces_of(prefix).empty());
}

// The home on OpenSMTPD: tetherd runs its tunnel alone, smtpd listens on the
// tunnel's wg0 and delivers as the alias table's user (the namespace's own
// passwd) into the maildir the lab watches.
BOOST_AUTO_TEST_CASE(an_opensmtpd_home_delivers_down_tetherds_tunnel_into_its_users_maildir) {
  const auto s = load_shipped(kScenario, linux_nat({"hosts.carinho.implementation=opensmtpd"}));
  std::unique_ptr<LabWorld> world = build(s);
  const std::string prefix = world->prefix();
  auto prepared = LabNodes::prepare(*world, tether_binaries());
  BOOST_TEST_REQUIRE(prepared.ok(), (prepared.ok() ? "" : prepared.error().to_string()));
  std::unique_ptr<LabNodes> nodes = std::move(*prepared);
  auto started = nodes->start_all();
  BOOST_TEST_REQUIRE(started.ok(), (started.ok() ? "" : started.error().to_string()));
  BOOST_TEST(nodes->log("carinho").find("ready: ") != std::string::npos);  // tetherd, tunnel only
  BOOST_TEST(tether::testing::read_file(nodes->files("carinho").relay).find("listen on wg0") != std::string::npos);
  const fs::path maildir = nodes->maildir("carinho", "jay");
  BOOST_TEST_REQUIRE(submit(*world, "osmtpd-home@websteading.net").ok());
  BOOST_TEST(eventually([&] { return delivered(maildir, "osmtpd-home@websteading.net"); }, 30), nodes->log("carinho"));
  BOOST_TEST(world->tear_down().empty());
  nodes.reset();
  world.reset();
  BOOST_TEST(testing::traces_of(prefix).empty());
}

BOOST_AUTO_TEST_CASE(the_seeds_starttls_mx2_is_refused_by_its_lines_before_anything_runs) {
  const auto s = load_shipped(kScenario, linux_nat({"hosts.mx2.smtpd=../backup-mx-fallback/mx2/etc/mail/smtpd.conf"}));
  std::unique_ptr<LabWorld> world = build(s);
  auto nodes = LabNodes::prepare(*world, tether_binaries());
  BOOST_TEST_REQUIRE(!nodes.ok());
  const std::string& why = nodes.error().message;
  BOOST_TEST(why.find("mx2/etc/mail/smtpd.conf:15: hosts.mx2.smtpd: syntax error") != std::string::npos, why);
  BOOST_TEST(why.find("mx2/etc/mail/smtpd.conf:17: hosts.mx2.smtpd: `tls`: Debian's OpenSMTPD 6.8 cannot serve TLS") !=
                 std::string::npos,
             why);
  for (const char* host : {"sender", "mx2"})
    BOOST_TEST(!fs::exists(world->record().directory() / (std::string("smtpd-") + host + ".pid")));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::lab
