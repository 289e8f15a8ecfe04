// tetherd and its state directory (issue 14, hole 2): a queue it cannot
// write must not be run. Started on a read-only state directory, tetherd
// used to deliver the queued mail, fail to remove it, and deliver all of it
// again at the next start. Now it refuses to start, naming the directory;
// on the same directory made writable again it delivers the mail once.
//
// And the maildirs it delivers to (hole 5): a file a SIGKILL left in a
// maildir's tmp/ is removed at start once it is old enough to be dead (36
// hours, as maildir readers judge), and a younger one is left alone.
//
// Root: a network namespace (tetherd looks up client names) and a
// read-only bind mount of the state directory in a private mount namespace.

#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <boost/test/unit_test.hpp>

#include <ctime>
#include <filesystem>
#include <vector>

#include "smtp/queue_store.h"
#include "support/child_process.h"
#include "support/root_precondition.h"
#include "support/run_process.h"

using namespace tether;
using namespace tether::testing;

namespace {

const std::string kTetherd = TETHERD_PATH;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::size_t count_files(const std::filesystem::path& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator(); ++it)
    ++n;
  return n;
}

// One message for root@example.org queued for the "local" action, as a
// relay that accepted it and stopped before delivering would leave it.
void queue_one_local_message(const std::filesystem::path& queue_root) {
  std::uint64_t next = 0x1234567890abcdefULL;
  auto store = smtp::QueueStore::open(queue_root, [&next] { return next += 0x0101010101010101ULL; });
  BOOST_TEST_REQUIRE(store.ok(), (store.ok() ? "" : store.error().to_string()));
  smtp::Envelope e;
  e.type = smtp::DeliveryType::mda;
  e.family = smtp::SourceFamily::inet4;
  e.source = "127.0.0.1";
  e.helo = "client.test";
  e.hostname = "mx.example.org";
  e.sender = "alice@example.net";
  e.rcpt = e.dest = "root@example.org";
  e.destination = "example.org";
  e.action = "local";
  e.creation = WallTime::from_unix_seconds(std::time(nullptr));  // now: not expired
  e.expire = e.creation + Duration::days(4);
  std::vector<smtp::Envelope> envelopes{e};
  auto committed = (*store)->commit_message("Subject: queued\r\n\r\nbody\r\n", envelopes);
  BOOST_TEST_REQUIRE(committed.ok(), (committed.ok() ? "" : committed.error().to_string()));
}

// A loopback relay in a namespace of its own that delivers example.org to
// one maildir, with one message already queued for it: what each case
// starts tetherd on (`argv`, run inside the namespace by the case).
struct QueuedLocalRelay {
  QueuedLocalRelay(const std::string& purpose, const std::string& ns_name) : dir(purpose), ns(ns_name) {
    BOOST_TEST_REQUIRE(ns.created());
    BOOST_TEST_REQUIRE(run_process({"ip", "-n", ns.name(), "link", "set", "lo", "up"}).exit_code == 0);
    queue_one_local_message(state / "queue");
    write_file(dir / "smtpd.conf",
               "listen on 127.0.0.1 port 2525\n"
               "action \"local\" maildir \"" + maildir.string() + "\"\n"
               "match from any for domain \"example.org\" action \"local\"\n",
               0644);
  }

  TestDirectory dir;
  NamedNamespace ns;
  const std::filesystem::path state = dir / "state";
  const std::filesystem::path maildir = dir / "Maildir";
  const std::vector<std::string> tetherd{kTetherd, "--relay", (dir / "smtpd.conf").string(), "--control",
                                         (dir / "tetherd.sock").string(), "--state", state.string()};
};

}  // namespace

BOOST_AUTO_TEST_SUITE(tetherd_state)

BOOST_AUTO_TEST_CASE(a_read_only_state_directory_is_refused_not_run,
                     *boost::unit_test::precondition(needs_root) * boost::unit_test::label("root")) {
  QueuedLocalRelay relay("tetherd-rostate", "tthd-rostate");
  const std::filesystem::path& state = relay.state;
  const std::filesystem::path& maildir = relay.maildir;
  const std::vector<std::string>& tetherd = relay.tetherd;

  // The state directory read-only, as a remount after disk errors leaves it
  // (root ignores file modes, so a chmod would not do).
  std::string shell = "mount --bind \"$1\" \"$1\" && mount -o remount,bind,ro \"$1\" && shift && exec \"$@\"";
  std::vector<std::string> argv{"ip", "netns", "exec", relay.ns.name(), "unshare", "-m", "--propagation", "private",
                                "sh", "-c", shell, "sh", state.string()};
  argv.insert(argv.end(), tetherd.begin(), tetherd.end());
  auto spawned = ChildProcess::spawn(argv);
  BOOST_TEST_REQUIRE(spawned.ok(), (spawned.ok() ? "" : spawned.error().to_string()));
  std::unique_ptr<ChildProcess> read_only = std::move(*spawned);
  const bool exited = read_only->wait_exit(Duration::seconds(10));
  if (!exited) ::kill(read_only->pid(), SIGTERM);
  BOOST_TEST(exited, "tetherd ran on a read-only queue:\n" << read_only->output());
  BOOST_TEST_REQUIRE(read_only->wait_exit(Duration::seconds(10)));
  BOOST_TEST(*read_only->exit_code() != 0, read_only->output());
  BOOST_TEST(has(read_only->output(), "cannot record progress"), read_only->output());
  BOOST_TEST(has(read_only->output(), (state / "queue").string()), read_only->output());
  BOOST_TEST(has(read_only->output(), "Read-only file system"), read_only->output());
  BOOST_TEST(count_files(maildir / "new") == 0u, "delivered from a queue it could not update");

  // Writable again: the message is delivered, once, and leaves the queue.
  argv = {"ip", "netns", "exec", relay.ns.name()};
  argv.insert(argv.end(), tetherd.begin(), tetherd.end());
  spawned = ChildProcess::spawn(argv);
  BOOST_TEST_REQUIRE(spawned.ok(), (spawned.ok() ? "" : spawned.error().to_string()));
  std::unique_ptr<ChildProcess> writable = std::move(*spawned);
  BOOST_TEST_REQUIRE(writable->wait_for_output("ready: ", Duration::seconds(10)), writable->output());
  for (int i = 0; i < 100 && count_files(maildir / "new") == 0; ++i) run_process({"sleep", "0.1"});
  BOOST_TEST(count_files(maildir / "new") == 1u, writable->output());
  BOOST_TEST_REQUIRE(::kill(writable->pid(), SIGTERM) == 0);
  BOOST_TEST_REQUIRE(writable->wait_exit(Duration::seconds(10)), writable->output());
  auto reopened = smtp::QueueStore::open(state / "queue", [] { return std::uint64_t{42}; });
  BOOST_TEST_REQUIRE(reopened.ok());
  BOOST_TEST((*reopened)->envelopes().size() == 0u, "the delivered message is still queued");
}

BOOST_AUTO_TEST_CASE(a_maildir_tmp_file_orphaned_long_ago_is_cleaned_at_start,
                     *boost::unit_test::precondition(needs_root) * boost::unit_test::label("root")) {
  QueuedLocalRelay relay("tetherd-maildir-tmp", "tthd-mdtmp");
  const std::filesystem::path& maildir = relay.maildir;
  for (const char* sub : {"tmp", "new", "cur"}) std::filesystem::create_directories(maildir / sub);
  // What a delivery killed between its write and its link leaves: one 40
  // hours ago (dead), one a minute ago (perhaps another writer's, alive).
  const std::filesystem::path dead = maildir / "tmp/1699856000.M1T4b2a1c0e9f31d2a7.mx";
  const std::filesystem::path alive = maildir / "tmp/1700000000.M2T4b2a1c0e9f31d2a8.mx";
  write_file(dead, "Subject: half\n\npart", 0600);
  write_file(alive, "Subject: other\n\npart", 0600);
  auto age = [](const std::filesystem::path& p, long seconds) {
    struct timeval now {};
    ::gettimeofday(&now, nullptr);
    struct timeval times[2] = {{now.tv_sec - seconds, 0}, {now.tv_sec - seconds, 0}};  // atime, mtime
    BOOST_TEST_REQUIRE(::utimes(p.c_str(), times) == 0);
  };
  age(dead, 40 * 3600);
  age(alive, 60);
  std::vector<std::string> argv{"ip", "netns", "exec", relay.ns.name()};
  argv.insert(argv.end(), relay.tetherd.begin(), relay.tetherd.end());
  auto spawned = ChildProcess::spawn(argv);
  BOOST_TEST_REQUIRE(spawned.ok(), (spawned.ok() ? "" : spawned.error().to_string()));
  std::unique_ptr<ChildProcess> tetherd = std::move(*spawned);
  BOOST_TEST_REQUIRE(tetherd->wait_for_output("ready: ", Duration::seconds(10)), tetherd->output());
  for (int i = 0; i < 100 && count_files(maildir / "new") == 0; ++i) run_process({"sleep", "0.1"});
  BOOST_TEST_REQUIRE(count_files(maildir / "new") == 1u, tetherd->output());
  for (int i = 0; i < 100 && std::filesystem::exists(dead); ++i) run_process({"sleep", "0.1"});
  BOOST_TEST(!std::filesystem::exists(dead), "the dead tmp/ file is still there\n" << tetherd->output());
  BOOST_TEST(std::filesystem::exists(alive), "a young tmp/ file was removed\n" << tetherd->output());
  BOOST_TEST(count_files(maildir / "tmp") == 1u);
  BOOST_TEST(has(tetherd->output(), "removed 1 file"), tetherd->output());
  BOOST_TEST_REQUIRE(::kill(tetherd->pid(), SIGTERM) == 0);
  BOOST_TEST(tetherd->wait_exit(Duration::seconds(10)), tetherd->output());
}

BOOST_AUTO_TEST_SUITE_END()
