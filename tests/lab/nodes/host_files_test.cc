// A host's effective files (lab/nodes/host_files.h), no root: the
// scenario's overrides written in the files' own syntax, read back by the
// same loader tetherd and the simulation use (node/deployment_files.h),
// the users its alias table delivers to, and what tetherd cannot run
// refused by field.
#include <boost/test/unit_test.hpp>

#include "lab/nodes/host_files.h"
#include "lab/world/world_scenarios.h"
#include "node/deployment_files.h"
#include "support/run_process.h"

#include <fstream>

namespace tether::lab {
namespace {

using testing::linux_nat;
using testing::load_shipped;

const scenario::HostSpec& host_of(const scenario::Scenario& s, const std::string& name) {
  for (const auto& h : s.hosts)
    if (h.name == name) return h;
  BOOST_FAIL("no host " + name);
  return s.hosts.front();
}

BOOST_AUTO_TEST_SUITE(lab_host_files)

BOOST_AUTO_TEST_CASE(keepalive_replaces_each_peers_own_line) {
  const std::string in =
      "[Interface]\nPrivateKey = x\n\n[Peer]\npersistentKeepalive = 25\nPublicKey = a\n[peer]\nPublicKey = b\n";
  BOOST_TEST(with_keepalive(in, 4) ==
             "[Interface]\nPrivateKey = x\n\n[Peer]\nPersistentKeepalive = 4\nPublicKey = a\n[peer]\n"
             "PersistentKeepalive = 4\nPublicKey = b\n");
}

BOOST_AUTO_TEST_CASE(profile_becomes_the_first_statement) {
  const std::string in = "# a comment naming the profile\nprofile postfix\nlisten on egress\n  profile tether\n";
  BOOST_TEST(with_profile(in, smtp::RelayProfile::opensmtpd) ==
             "profile opensmtpd\n# a comment naming the profile\nlisten on egress\n");
}

BOOST_AUTO_TEST_CASE(the_overrides_load_as_the_simulation_applies_them) {
  const auto s = load_shipped("nat-expiry", linux_nat({"hosts.carinho.persistent_keepalive=0",
                                                       "hosts.namorar.profile=opensmtpd"}));
  tether::testing::TestDirectory dir("lab-host-files");
  auto home = write_host_files(s, host_of(s, "carinho"), dir.path() / "carinho");
  BOOST_TEST_REQUIRE(home.ok(), (home.ok() ? "" : home.error().to_string()));
  BOOST_TEST(home->tunnel.filename() == "wg0.conf");
  const node::TunnelFile tunnel = node::load_tunnel_file(home->tunnel.string());
  BOOST_TEST_REQUIRE(tunnel.ok(), tunnel.error_text());
  BOOST_TEST_REQUIRE(tunnel.config.peers.size() == 1u);
  BOOST_TEST(tunnel.config.peers[0].persistent_keepalive == 0);
  // The aliases table stays below the scenario's own tree.
  BOOST_TEST(home->config_root == host_of(s, "carinho").smtpd.parent_path().parent_path().parent_path());
  const node::RelayFile relay = node::load_relay_file(home->relay.string(), home->config_root);
  BOOST_TEST_REQUIRE(relay.ok(), relay.error_text());
  // aliases: "postmaster: jay", "test: jay".
  BOOST_TEST((table_users(*home) == std::vector<std::string>{"jay"}));

  auto vm = write_host_files(s, host_of(s, "namorar"), dir.path() / "namorar");
  BOOST_TEST_REQUIRE(vm.ok(), (vm.ok() ? "" : vm.error().to_string()));
  const node::RelayFile vm_relay = node::load_relay_file(vm->relay.string(), vm->config_root);
  BOOST_TEST_REQUIRE(vm_relay.ok(), vm_relay.error_text());
  BOOST_TEST((vm_relay.config->knobs.profile == smtp::RelayProfile::opensmtpd));
  // No override: the file as the scenario names it.
  auto sender = write_host_files(s, host_of(s, "sender"), dir.path() / "sender");
  BOOST_TEST_REQUIRE(sender.ok());
  BOOST_TEST(sender->tunnel.empty());
}

BOOST_AUTO_TEST_CASE(an_openbsd_tunnel_host_is_refused_by_field) {
  const auto s = load_shipped("nat-expiry", linux_nat({"hosts.namorar.os=openbsd"}));
  tether::testing::TestDirectory dir("lab-host-files");
  auto vm = write_host_files(s, host_of(s, "namorar"), dir.path() / "namorar");
  BOOST_TEST_REQUIRE(!vm.ok());
  BOOST_TEST(vm.error().message.find("nat-expiry.yaml:") == 0u, vm.error().message);
  BOOST_TEST(vm.error().message.find(": hosts.namorar.os: openbsd: ") != std::string::npos, vm.error().message);
  BOOST_TEST(!std::filesystem::exists(dir.path() / "namorar"));
}

BOOST_AUTO_TEST_CASE(a_broken_tunnel_file_is_named_by_its_field) {
  tether::testing::TestDirectory dir("lab-host-files");
  std::ofstream(dir.path() / "wg0.conf") << "[Interface]\nAddress = 10.8.0.2/24\n";
  auto s = load_shipped("nat-expiry", linux_nat());
  scenario::HostSpec home = host_of(s, "carinho");
  home.tunnel = dir.path() / "wg0.conf";
  auto files = write_host_files(s, home, dir.path() / "out");
  BOOST_TEST_REQUIRE(!files.ok());
  BOOST_TEST(files.error().message.find("hosts.carinho.tunnel: wg0.conf") == 0u, files.error().message);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::lab
