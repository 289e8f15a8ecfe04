// kill -9 at random points: a child process commits messages (and updates
// envelopes) as fast as it can and reports each message id on a pipe only
// after commit() returned, which is when a session would say 250. The parent
// kills it after a random delay, reopens the queue and checks that every
// reported message is there, whole, with all its envelopes, and that nothing
// half-committed is visible. Messages committed but not yet reported (the
// kill fell between commit and the pipe) are legitimate; they are counted.
// Envelope updates are reported the same way, after update() returned, and
// each reported one must survive every later kill.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cinttypes>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "smtp/queue_store.h"
#include "smtp/queue_test_support.h"

using namespace tether;
using namespace tether::smtp;
using namespace tether::smtp::testing;
namespace fs = std::filesystem;

namespace {

constexpr int kRounds = 50;

std::size_t recipients_for(std::uint64_t seq) { return 1 + seq % 3; }

std::string recipient(std::uint64_t seq, std::size_t j) {
  return "r" + std::to_string(j) + "-" + std::to_string(seq) + "@example.org";
}

// Deterministic content, 100 B to ~60 kB, so any torn byte shows.
std::string message_for(std::uint64_t seq) {
  std::mt19937_64 rng(seq);
  std::string m = "X-Seq: " + std::to_string(seq) + "\r\nSubject: crash test\r\n\r\n";
  const std::size_t lines = rng() % 800;
  for (std::size_t i = 0; i < lines; ++i) {
    m += std::to_string(rng());
    m += "\r\n";
  }
  return m;
}

std::uint64_t seq_of(const std::string& message) {
  if (message.rfind("X-Seq: ", 0) != 0) return ~0ULL;
  return std::strtoull(message.c_str() + 7, nullptr, 10);
}

[[noreturn]] void child_main(const fs::path& root, int fd, std::uint64_t seed, std::uint64_t first_seq) {
  auto opened = QueueStore::open(root, seeded_ids(seed));
  if (!opened) _exit(2);
  QueueStore& store = **opened;
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ULL);
  std::vector<EnvelopeId> mine;
  for (std::uint64_t seq = first_seq;; ++seq) {
    std::vector<Envelope> envs;
    for (std::size_t j = 0; j < recipients_for(seq); ++j)
      envs.push_back(relay_envelope("sender@example.net", recipient(seq, j)));
    auto m = store.create_message();
    if (!m) _exit(3);
    const std::string body = message_for(seq);
    for (std::size_t off = 0; off < body.size(); off += 4096)
      if (!m->write(std::string_view(body).substr(off, 4096))) _exit(4);
    if (!store.commit(*m, envs)) _exit(5);
    char line[64];
    int n = std::snprintf(line, sizeof line, "%08" PRIx32 " %" PRIu64 "\n", m->id(), seq);
    if (::write(fd, line, static_cast<std::size_t>(n)) != n) _exit(6);
    for (const auto& e : envs) mine.push_back(e.id);
    if (rng() % 2) {
      Envelope e = *store.find(mine[rng() % mine.size()]);
      ++e.retry;
      e.last_error = "451 4.3.0 try " + std::to_string(e.retry);
      if (!store.update(e)) _exit(7);
      // Reported only once update() returned: from here on it must survive.
      n = std::snprintf(line, sizeof line, "u %016" PRIx64 " %u\n", e.id, unsigned(e.retry));
      if (::write(fd, line, static_cast<std::size_t>(n)) != n) _exit(6);
    }
  }
}

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// Whether the message and its envelopes are exactly what the child wrote.
std::string check_message(const QueueStore& store, MessageId msgid, std::uint64_t seq) {
  auto ids = store.envelopes_of(msgid);
  if (ids.size() != recipients_for(seq))
    return "has " + std::to_string(ids.size()) + " envelopes, not " + std::to_string(recipients_for(seq));
  std::set<std::string> want;
  for (std::size_t j = 0; j < recipients_for(seq); ++j) want.insert(recipient(seq, j));
  for (EnvelopeId id : ids) {
    const Envelope* e = store.find(id);
    if (!e || !want.erase(e->rcpt)) return "has an unexpected envelope " + format_envelope_id(id);
    if (e->sender != "sender@example.net") return "envelope " + format_envelope_id(id) + " has a bad sender";
  }
  auto bytes = store.read_message(msgid);
  if (!bytes) return "message unreadable: " + bytes.error().to_string();
  if (*bytes != message_for(seq)) return "message bytes differ";
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(queue_crash)

BOOST_AUTO_TEST_CASE(sigkill_at_random_points_loses_nothing_acknowledged) {
  TempDir dir;
  std::mt19937 rng(20240607);
  std::map<MessageId, std::uint64_t> acknowledged;  // over all rounds
  std::map<MessageId, std::uint64_t> unreported;    // committed, killed before the pipe write
  std::map<EnvelopeId, unsigned> updated;            // the last acknowledged retry count of each
  std::size_t temp_files = 0, incoming = 0, updates_seen = 0;

  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    BOOST_TEST_REQUIRE(::pipe(fds) == 0);
    const std::uint64_t seed = (static_cast<std::uint64_t>(rng()) << 32) | rng();
    const std::uint64_t first_seq = static_cast<std::uint64_t>(round) * 1000000;
    pid_t pid = ::fork();
    BOOST_TEST_REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      child_main(dir.path(), fds[1], seed, first_seq);
    }
    ::close(fds[1]);
    const unsigned delay_us = std::uniform_int_distribution<unsigned>(0, 150000)(rng);
    ::usleep(delay_us);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    BOOST_TEST_REQUIRE(WIFSIGNALED(status), "round " << round << ": the child exited by itself, status " << status);
    const std::string reports = read_all(fds[0]);
    ::close(fds[0]);

    std::size_t reported = 0;
    std::istringstream in(reports);
    std::string first, second;
    while (in >> first >> second) {
      if (first == "u") {
        std::string retry;
        if (!(in >> retry)) break;  // the kill fell inside this line
        updated[static_cast<EnvelopeId>(std::stoull(second, nullptr, 16))] = unsigned(std::stoul(retry));
        continue;
      }
      acknowledged[static_cast<MessageId>(std::stoul(first, nullptr, 16))] = std::stoull(second);
      ++reported;
    }

    auto opened = QueueStore::open(dir.path(), seeded_ids(~seed));
    BOOST_TEST_REQUIRE(opened.ok());
    const QueueStore& store = **opened;
    const QueueRecovery& r = store.recovery();
    temp_files += r.temp_files_removed;
    incoming += r.incoming_removed;
    BOOST_TEST(r.quarantined.empty(), "round " << round << ": a torn file is visible: "
                                                << (r.quarantined.empty() ? "" : r.quarantined[0].error));
    BOOST_TEST(r.stray.empty());
    BOOST_TEST(fs::is_empty(dir.path() / "incoming"));

    for (const auto& [msgid, s] : acknowledged) {
      std::string why = check_message(store, msgid, s);
      BOOST_TEST(why.empty(), "round " << round << ": acknowledged message " << format_message_id(msgid) << " "
                                       << why);
    }
    // Every acknowledged envelope update is there, whole: at least that
    // retry (a later one may have landed before the kill without being
    // reported) with the error text written with it.
    for (const auto& [id, retry] : updated) {
      const Envelope* e = store.find(id);
      BOOST_TEST_REQUIRE(e != nullptr, "round " << round << ": updated envelope " << format_envelope_id(id) << " lost");
      BOOST_TEST(e->retry >= retry, "round " << round << ": envelope " << format_envelope_id(id) << " went back from retry "
                                             << retry << " to " << e->retry);
      BOOST_TEST(e->last_error == "451 4.3.0 try " + std::to_string(e->retry),
                 "round " << round << ": envelope " << format_envelope_id(id) << " is torn: retry " << e->retry
                          << ", error '" << e->last_error << "'");
    }
    std::set<MessageId> seen;
    updates_seen = 0;
    for (const auto& [id, e] : store.envelopes()) {
      if (e.retry) ++updates_seen;
      const MessageId m = message_of(id);
      if (!seen.insert(m).second || acknowledged.count(m)) continue;
      auto bytes = store.read_message(m);
      BOOST_TEST_REQUIRE(bytes.ok());
      const std::uint64_t s = seq_of(*bytes);
      std::string why = check_message(store, m, s);
      BOOST_TEST(why.empty(), "round " << round << ": unacknowledged message " << format_message_id(m) << " is "
                                       << "half-committed: " << why);
      unreported.emplace(m, s);
    }
    BOOST_TEST(store.message_count() == acknowledged.size() + unreported.size());
    (void)reported;
  }
  std::cout << "queue crash test: " << kRounds << " kills, " << acknowledged.size()
            << " acknowledged messages all intact, " << unreported.size()
            << " committed but killed before acknowledging (kept, whole), " << incoming
            << " uncommitted messages removed, " << temp_files << " unfinished updates discarded, "
            << updates_seen << " envelopes updated at least once\n";
  BOOST_TEST(acknowledged.size() > 0u);
  // So that the update check above cannot pass by checking nothing.
  BOOST_TEST(updated.size() > 0u);
  BOOST_TEST(updates_seen >= updated.size());
}

BOOST_AUTO_TEST_SUITE_END()
