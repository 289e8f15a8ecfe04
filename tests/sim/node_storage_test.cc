// The nodes' files: on tmpfs while a run goes when OUT is on a real disk,
// then moved, whole, to OUT/nodes (sim/node_storage.h).

#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "support/run_process.h"
#include "sim/node_storage.h"

using namespace tether;
using namespace tether::sim;

namespace {

}  // namespace

BOOST_AUTO_TEST_SUITE(node_storage)

BOOST_AUTO_TEST_CASE(files_made_during_the_run_end_up_in_the_destination) {
  const auto out = std::filesystem::temp_directory_path() / "tether-node-storage-test";
  std::filesystem::remove_all(out);
  const auto destination = out / "nodes";
  std::filesystem::create_directories(destination / "stale");  // a previous run's
  std::filesystem::path scratch_root;
  {
    auto storage = NodeStorage::prepare(destination);
    BOOST_TEST_REQUIRE(storage.ok());
    BOOST_TEST(!std::filesystem::exists(destination / "stale"));
    // Scratch exactly when the destination is on a real disk and /dev/shm is tmpfs.
    BOOST_TEST(storage->scratch() == (!on_tmpfs(destination) && on_tmpfs("/dev/shm")));
    if (storage->scratch()) BOOST_TEST(on_tmpfs(storage->root()));
    scratch_root = storage->root();
    std::filesystem::create_directories(storage->root() / "carinho" / "home" / "a" / "Maildir" / "new");
    std::filesystem::create_directories(storage->root() / "carinho" / "queue" / "corrupt");  // empty, kept
    std::ofstream(storage->root() / "carinho" / "home" / "a" / "Maildir" / "new" / "1.M0Tx.carinho") << "mail\n";
    BOOST_TEST_REQUIRE(storage->finish().ok());
    BOOST_TEST(storage->finish().ok());  // once only
  }
  BOOST_TEST(testing::read_file(destination / "carinho" / "home" / "a" / "Maildir" / "new" / "1.M0Tx.carinho") == "mail\n");
  BOOST_TEST(std::filesystem::is_directory(destination / "carinho" / "queue" / "corrupt"));
  if (scratch_root != destination) BOOST_TEST(!std::filesystem::exists(scratch_root));
  std::filesystem::remove_all(out);
}

BOOST_AUTO_TEST_CASE(a_run_that_fails_still_leaves_its_files_in_the_destination) {
  const auto destination = std::filesystem::temp_directory_path() / "tether-node-storage-failed" / "nodes";
  std::filesystem::path scratch_root;
  {
    auto storage = NodeStorage::prepare(destination);
    BOOST_TEST_REQUIRE(storage.ok());
    scratch_root = storage->root();
    std::filesystem::create_directories(storage->root() / "mx2");
    std::ofstream(storage->root() / "mx2" / "left") << "x";
  }  // no finish(): an early return
  BOOST_TEST(testing::read_file(destination / "mx2" / "left") == "x");
  if (scratch_root != destination) BOOST_TEST(!std::filesystem::exists(scratch_root));
  std::filesystem::remove_all(destination.parent_path());
}

BOOST_AUTO_TEST_CASE(a_killed_runs_scratch_directory_is_removed_by_the_next_run) {
  if (!on_tmpfs("/dev/shm")) return;  // no scratch directories on this machine
  // A pid that is not running: a child that has exited and been reaped.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  const auto abandoned = std::filesystem::path("/dev/shm") / ("tether-sim-nodes-" + std::to_string(child) + "-zzzzzz");
  std::filesystem::create_directories(abandoned / "relay");
  const auto destination = std::filesystem::temp_directory_path() / "tether-node-storage-abandoned" / "nodes";
  {
    auto storage = NodeStorage::prepare(destination);
    BOOST_TEST_REQUIRE(storage.ok());
    if (storage->scratch()) BOOST_TEST(!std::filesystem::exists(abandoned));
  }
  std::filesystem::remove_all(abandoned);
  std::filesystem::remove_all(destination.parent_path());
}

BOOST_AUTO_TEST_SUITE_END()
