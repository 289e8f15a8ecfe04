// Bad input a world cannot foresee (root): the relay's SMTP port already
// taken in its namespace when its tetherd starts. The start fails with a
// message that names the host and what tetherd said about the port, and
// once the nodes and the world are dropped nothing of them is left; the
// socket that held the port is the test's own and is closed by it.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "lab/nodes/lab_nodes.h"
#include "lab/world/world_scenarios.h"
#include "support/network_namespace.h"
#include "support/root_precondition.h"

namespace tether::lab {
namespace {

using testing::linux_nat;
using testing::load_shipped;

// A TCP listener on 0.0.0.0:port made inside `ns` (the socket keeps its
// namespace after the thread leaves it); -1 on failure.
int listen_in(const std::string& ns, std::uint16_t port) {
  auto inside = tether::testing::ThreadInNamespace::enter(ns);
  if (!inside.ok()) return -1;
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 1) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  return fd;
}

BOOST_AUTO_TEST_SUITE(lab_nodes_bad_input, *boost::unit_test::label("root") *
                                               boost::unit_test::precondition(tether::testing::needs_root))

BOOST_AUTO_TEST_CASE(a_port_already_in_use_is_named_and_leaves_nothing) {
  const auto s = load_shipped("nat-expiry", linux_nat({}));
  auto built = LabWorld::build(s);
  BOOST_TEST_REQUIRE(built.ok(), (built.ok() ? "" : built.error().to_string()));
  std::unique_ptr<LabWorld> world = std::move(*built);
  const std::string prefix = world->prefix();
  const int holder = listen_in(world->namespace_of("namorar"), 25);
  BOOST_TEST_REQUIRE(holder >= 0);

  LabNodesOptions options;
  options.tetherd = TETHERD;
  options.tetherctl = TETHERCTL;
  auto prepared = LabNodes::prepare(*world, options);
  BOOST_TEST_REQUIRE(prepared.ok(), (prepared.ok() ? "" : prepared.error().to_string()));
  std::unique_ptr<LabNodes> nodes = std::move(*prepared);
  auto started = nodes->start_all();
  BOOST_TEST_REQUIRE(!started.ok());
  const std::string& message = started.error().message;
  BOOST_TEST(message.find("namorar's tetherd exited") != std::string::npos, message);
  BOOST_TEST(message.find("in use") != std::string::npos, message);  // EADDRINUSE, as tetherd reports it
  BOOST_TEST(message.find(":25") != std::string::npos, message);
  // The hosts that did start are stopped with the rest.
  nodes.reset();
  world.reset();
  close(holder);
  BOOST_TEST(testing::traces_of(prefix).empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::lab
