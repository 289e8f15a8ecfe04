// The durable queue: what is committed comes back on reopen, field for field
// and byte for byte; what was never committed is cleaned away; what cannot
// be read is quarantined with its path and reason, never dropped.

#include <boost/test/unit_test.hpp>
#include <deque>
#include <fstream>
#include <sstream>

#include "smtp/envelope.h"
#include "smtp/queue_store.h"
#include "smtp/queue_test_support.h"

using namespace tether;
using namespace tether::smtp;
using namespace tether::smtp::testing;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<QueueStore> open_store(const fs::path& root, std::uint64_t seed = 1) {
  auto s = QueueStore::open(root, seeded_ids(seed));
  BOOST_TEST_REQUIRE(s.ok(), (s.ok() ? "" : s.error().to_string()));
  return std::move(*s);
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spew(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

// An envelope with every field away from its default.
Envelope full_envelope(const std::string& rcpt) {
  Envelope e = relay_envelope("alice@example.net", rcpt);
  e.retry = 2;
  e.last_try = kT0 + Duration::milliseconds(1600250);
  e.last_warning = kT0 + Duration::hours(4);
  e.last_error = "421 4.7.0 try again\r\nlater \\ now";
  e.authenticated = true;
  e.internal = true;
  e.suspended = true;
  e.report = ReportKind::delay;
  e.report_status = "4.4.1";
  e.report_delay = Duration::hours(4);
  e.dsn_notify = dsn_notify_failure | dsn_notify_delay;
  e.dsn_ret = DsnReturn::headers;
  e.dsn_envid = "QQ314159";
  e.dsn_orcpt = "rfc822;" + rcpt;
  return e;
}

std::string big_message() {
  std::string m = "From: alice@example.net\r\nTo: bob@example.org\r\nSubject: big\r\n\r\n";
  for (int i = 0; i < 5000; ++i) m += "line " + std::to_string(i) + " \x01\xff binary-ish\r\n";
  return m;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(queue_store)

BOOST_AUTO_TEST_CASE(envelope_file_round_trips_every_field) {
  Envelope e = full_envelope("bob@example.org");
  e.id = 0x4b2a1c0e9f31d2a7ULL;
  const std::string text = serialize_envelope(e);
  BOOST_TEST(text.rfind("version: 1\n", 0) == 0);
  auto back = parse_envelope(text, "x");
  BOOST_TEST_REQUIRE(back.ok(), (back.ok() ? "" : back.error().to_string()));
  BOOST_TEST((*back == e));
  BOOST_TEST(back->last_error == e.last_error);
}

BOOST_AUTO_TEST_CASE(envelope_parse_errors_name_file_and_line) {
  Envelope e = full_envelope("bob@example.org");
  e.id = 0x4b2a1c0e9f31d2a7ULL;
  const std::string good = serialize_envelope(e);
  struct Case {
    std::string text;
    std::string expect;
  } cases[] = {
      {good.substr(0, good.size() - 1), "f:27: last line has no newline"},
      {good.substr(0, good.find("retry:")), "missing 'retry'"},
      {good + "bogus: 1\n", "f:28: unknown key 'bogus'"},
      {good + "retry: 1\n", "f:28: 'retry' given twice"},
      {"version: 2\n" + good.substr(good.find('\n') + 1), "f:1: unsupported envelope version '2'"},
      {std::string(), "f:1: empty envelope file"},
  };
  std::string bad_retry = good;
  bad_retry.replace(bad_retry.find("retry: 2"), 8, "retry: x");
  std::string bad_msgid = good;
  bad_msgid.replace(bad_msgid.find("msgid: 4b2a1c0e"), 15, "msgid: 00000001");
  for (const auto& c : cases) {
    auto r = parse_envelope(c.text, "f");
    BOOST_TEST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message.find(c.expect) != std::string::npos, r.error().message << " lacks " << c.expect);
  }
  auto r = parse_envelope(bad_retry, "f");
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().message == "f:16: bad retry count 'x'");
  r = parse_envelope(bad_msgid, "f");
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().message.find("f:3: message id") == 0);
}

BOOST_AUTO_TEST_CASE(ids_are_opensmtpd_style) {
  TempDir dir;
  auto store = open_store(dir.path());
  std::vector<Envelope> envs{relay_envelope("a@example.net", "b@example.org"),
                             relay_envelope("a@example.net", "c@example.org")};
  auto msgid = store->commit_message("Subject: x\r\n\r\nhi\r\n", envs);
  BOOST_TEST_REQUIRE(msgid.ok());
  BOOST_TEST(*msgid != 0u);
  for (const auto& e : envs) {
    BOOST_TEST(message_of(e.id) == *msgid);
    BOOST_TEST(static_cast<std::uint32_t>(e.id) != 0u);
    BOOST_TEST(format_envelope_id(e.id).size() == 16u);
    BOOST_TEST(format_envelope_id(e.id).substr(0, 8) == format_message_id(*msgid));
  }
  BOOST_TEST(envs[0].id != envs[1].id);
  const std::string bucket = format_message_id(*msgid).substr(0, 2);
  BOOST_TEST(fs::is_regular_file(dir.path() / "queue" / bucket / format_message_id(*msgid) / "message"));
  BOOST_TEST(fs::is_regular_file(dir.path() / "queue" / bucket / format_message_id(*msgid) /
                                 format_envelope_id(envs[0].id)));
  BOOST_TEST(parse_queue_id(format_envelope_id(envs[0].id)).value() == envs[0].id);
  BOOST_TEST(is_message_id(*msgid));
  BOOST_TEST(!is_message_id(envs[0].id));
}

BOOST_AUTO_TEST_CASE(commit_then_reopen_recovers_everything) {
  TempDir dir;
  const std::string body = big_message();
  std::vector<Envelope> envs{full_envelope("bob@example.org"), full_envelope("carol@example.org"),
                             relay_envelope("alice@example.net", "dave@example.com")};
  MessageId msgid = 0;
  MessageId second = 0;
  {
    auto store = open_store(dir.path());
    auto m = store->create_message();
    BOOST_TEST_REQUIRE(m.ok());
    // Streamed in pieces, as a session writes it, across the write buffer.
    for (std::size_t off = 0; off < body.size(); off += 7001)
      BOOST_TEST_REQUIRE(m->write(std::string_view(body).substr(off, 7001)).ok());
    BOOST_TEST(m->size() == body.size());
    BOOST_TEST_REQUIRE(store->commit(*m, envs).ok());
    msgid = m->id();

    // An update (retry count), then a message that is never committed.
    envs[2].retry = 1;
    envs[2].last_try = kT0 + Duration::seconds(5);
    envs[2].last_error = "451 greylisted";
    BOOST_TEST_REQUIRE(store->update(envs[2]).ok());

    std::vector<Envelope> one{relay_envelope("x@example.net", "y@example.org")};
    auto s = store->commit_message("Subject: two\r\n\r\n", one);
    BOOST_TEST_REQUIRE(s.ok());
    second = *s;

    // A message still being received when the process dies stays in incoming/.
    auto pending = store->create_message();
    BOOST_TEST_REQUIRE(pending.ok());
    BOOST_TEST_REQUIRE(pending->write("half a message").ok());
    BOOST_TEST(fs::exists(dir.path() / "incoming" / format_message_id(pending->id()) / "message"));
  }
  // Leftovers from a crash: a stale incoming message and a half-written update.
  fs::create_directories(dir.path() / "incoming" / "0badf00d");
  spew(dir.path() / "incoming" / "0badf00d" / "message", "never acknowledged");
  const fs::path mdir = dir.path() / "queue" / format_message_id(msgid).substr(0, 2) / format_message_id(msgid);
  spew(mdir / (format_envelope_id(envs[0].id) + ".tmp"), "version: 1\nevpid: trunc");

  auto store = open_store(dir.path(), 2);
  const QueueRecovery& r = store->recovery();
  BOOST_TEST(r.messages == 2u);
  BOOST_TEST(r.envelopes == 4u);
  BOOST_TEST(r.incoming_removed == 1u);
  BOOST_TEST(r.temp_files_removed == 1u);
  BOOST_TEST(r.quarantined.empty());
  BOOST_TEST(r.stray.empty());
  BOOST_TEST(fs::is_empty(dir.path() / "incoming"));
  BOOST_TEST(!fs::exists(mdir / (format_envelope_id(envs[0].id) + ".tmp")));

  for (const auto& e : envs) {
    const Envelope* back = store->find(e.id);
    BOOST_TEST_REQUIRE(back != nullptr);
    BOOST_TEST((*back == e), "envelope " << format_envelope_id(e.id) << " differs after reopen");
  }
  auto bytes = store->read_message(msgid);
  BOOST_TEST_REQUIRE(bytes.ok());
  BOOST_TEST((*bytes == body));
  BOOST_TEST(store->envelopes_of(msgid).size() == 3u);
  BOOST_TEST(store->envelopes_of(second).size() == 1u);
}

BOOST_AUTO_TEST_CASE(corrupt_envelopes_are_quarantined_with_path_and_reason) {
  TempDir dir;
  MessageId msgid = 0;
  MessageId lost = 0;
  std::vector<Envelope> envs{relay_envelope("a@example.net", "b@example.org"),
                             relay_envelope("a@example.net", "c@example.org"),
                             relay_envelope("a@example.net", "d@example.org")};
  std::vector<Envelope> solo{relay_envelope("a@example.net", "e@example.org")};
  {
    auto store = open_store(dir.path());
    msgid = store->commit_message("Subject: c\r\n\r\nbody\r\n", envs).value();
    lost = store->commit_message("Subject: solo\r\n\r\nonly one\r\n", solo).value();
  }
  auto path_of = [&](const Envelope& e) {
    MessageId m = e.msgid();
    return dir.path() / "queue" / format_message_id(m).substr(0, 2) / format_message_id(m) /
           format_envelope_id(e.id);
  };
  // A torn write (half the file) and garbage.
  std::string text = slurp(path_of(envs[0]));
  spew(path_of(envs[0]), text.substr(0, text.size() / 2));
  spew(path_of(envs[1]), "\x7f" "ELF not an envelope\n");
  spew(path_of(solo[0]), "");

  auto store = open_store(dir.path());
  const QueueRecovery& r = store->recovery();
  BOOST_TEST_REQUIRE(r.quarantined.size() == 3u);
  for (const auto& q : r.quarantined) {
    BOOST_TEST_MESSAGE("quarantined " << q.path << ": " << q.error << " -> " << q.moved_to);
    BOOST_TEST(q.error.find(q.path + ":") == 0, "the error names the file and line: " << q.error);
    BOOST_TEST(q.moved_to.rfind("corrupt/", 0) == 0);
    BOOST_TEST(fs::exists(dir.path() / q.moved_to));
  }
  // The readable envelope of the first message survives; the message too.
  BOOST_TEST(store->find(envs[2].id) != nullptr);
  BOOST_TEST(store->find(envs[0].id) == nullptr);
  BOOST_TEST(store->read_message(msgid).ok());
  // A message whose only envelope is unreadable leaves the queue, but its
  // bytes are kept beside the bad envelope.
  BOOST_TEST(store->envelopes_of(lost).empty());
  BOOST_TEST(slurp(dir.path() / "corrupt" / format_message_id(lost) / "message") ==
             "Subject: solo\r\n\r\nonly one\r\n");
  BOOST_TEST(fs::exists(dir.path() / "corrupt" / format_message_id(msgid) / "message"));
  BOOST_TEST(r.envelopes == 1u);

  // Reopening again finds the same, clean state.
  store.reset();
  auto again = open_store(dir.path());
  BOOST_TEST(again->recovery().quarantined.empty());
  BOOST_TEST(again->recovery().envelopes == 1u);
}

BOOST_AUTO_TEST_CASE(message_goes_with_its_last_envelope) {
  TempDir dir;
  auto store = open_store(dir.path());
  std::vector<Envelope> envs{relay_envelope("a@example.net", "b@example.org"),
                             relay_envelope("a@example.net", "c@example.org")};
  MessageId msgid = store->commit_message("Subject: r\r\n\r\n", envs).value();
  const fs::path mdir = dir.path() / "queue" / format_message_id(msgid).substr(0, 2) / format_message_id(msgid);

  // A report added to the message, then everything removed in turn.
  Envelope report = envs[0];
  report.id = 0;
  report.type = DeliveryType::bounce;
  BOOST_TEST_REQUIRE(store->add_envelope(msgid, report).ok());
  BOOST_TEST(message_of(report.id) == msgid);
  BOOST_TEST(store->envelopes_of(msgid).size() == 3u);

  BOOST_TEST(store->remove(envs[0].id).ok());
  BOOST_TEST(fs::exists(mdir / "message"));
  BOOST_TEST(store->remove(report.id).ok());
  BOOST_TEST(store->remove(envs[1].id).ok());
  BOOST_TEST(!fs::exists(mdir));
  BOOST_TEST(store->message_count() == 0u);
  BOOST_TEST(!store->remove(envs[1].id).ok());

  // A removal interrupted between the last envelope and the directory.
  std::vector<Envelope> more{relay_envelope("a@example.net", "f@example.org")};
  MessageId m2 = store->commit_message("x\r\n", more).value();
  const fs::path m2dir = dir.path() / "queue" / format_message_id(m2).substr(0, 2) / format_message_id(m2);
  fs::remove(m2dir / format_envelope_id(more[0].id));
  store.reset();
  auto again = open_store(dir.path());
  BOOST_TEST(again->recovery().empty_messages_removed == 1u);
  BOOST_TEST(!fs::exists(m2dir));
}

BOOST_AUTO_TEST_CASE(commit_refuses_no_envelope_and_foreign_ids) {
  TempDir dir;
  auto store = open_store(dir.path());
  std::vector<Envelope> none;
  BOOST_TEST(!store->commit_message("x", none).ok());
  std::vector<Envelope> foreign{relay_envelope("a@example.net", "b@example.org")};
  foreign[0].id = make_envelope_id(0x12345678, 7);
  BOOST_TEST(!store->commit_message("x", foreign).ok());
  BOOST_TEST(fs::is_empty(dir.path() / "incoming"));
  BOOST_TEST(store->message_count() == 0u);
}

// Ids the test chooses (pushed just before the call that draws them), then
// seeded random ones.
struct ChosenIds {
  std::shared_ptr<std::deque<std::uint64_t>> next = std::make_shared<std::deque<std::uint64_t>>();
  QueueStore::IdSource source() const {
    return [next = next, fallback = seeded_ids(7)]() mutable {
      if (next->empty()) return fallback();
      const std::uint64_t id = next->front();
      next->pop_front();
      return id;
    };
  }
};

fs::path message_dir(const fs::path& root, MessageId msgid) {
  return root / "queue" / format_message_id(msgid).substr(0, 2) / format_message_id(msgid);
}

BOOST_AUTO_TEST_CASE(split_commit_publishes_only_when_finished_and_reserves_its_id) {
  TempDir dir;
  ChosenIds ids;
  auto store = QueueStore::open(dir.path(), ids.source()).value();
  constexpr MessageId kId = 0x5a000001;
  ids.next->push_back(kId);
  auto m = store->create_message();
  BOOST_TEST_REQUIRE(m.ok());
  BOOST_TEST(m->id() == kId);
  BOOST_TEST_REQUIRE(m->write("Subject: split\r\n\r\nbody\r\n").ok());
  std::vector<Envelope> envs{relay_envelope("a@example.net", "b@example.org"),
                             relay_envelope("a@example.net", "c@example.org")};

  auto job = store->prepare_commit(*m, envs);
  BOOST_TEST_REQUIRE(job.ok(), (job.ok() ? "" : job.error().to_string()));
  BOOST_TEST(!m->open());  // the job has it now
  BOOST_TEST((*job)->id() == kId);
  BOOST_TEST_REQUIRE((*job)->envelopes().size() == 2u);
  for (const Envelope& e : (*job)->envelopes()) BOOST_TEST(message_of(e.id) == kId);
  BOOST_TEST(store->message_count() == 0u);

  // A message made meanwhile never gets the id of the commit in flight.
  ids.next->push_back(kId);
  auto other = store->create_message();
  BOOST_TEST_REQUIRE(other.ok());
  BOOST_TEST(other->id() != kId);
  store->abort(*other);

  (*job)->run();
  // On disk, but not in the index until finished on the loop.
  BOOST_TEST(fs::exists(message_dir(dir.path(), kId) / "message"));
  BOOST_TEST(!fs::exists(dir.path() / "incoming" / format_message_id(kId)));
  BOOST_TEST(store->find((*job)->envelopes()[0].id) == nullptr);

  auto finished = store->finish_commit(**job);
  BOOST_TEST_REQUIRE(finished.ok(), (finished.ok() ? "" : finished.error().to_string()));
  BOOST_TEST(*finished == kId);
  BOOST_TEST(store->message_count() == 1u);
  for (const Envelope& e : (*job)->envelopes()) BOOST_TEST_REQUIRE(store->find(e.id) != nullptr);
  BOOST_TEST(store->read_message(kId).value() == "Subject: split\r\n\r\nbody\r\n");
}

// What a crash leaves while commits run on workers: a job that ran but was
// never finished on the loop is a committed message (its 250 may have been
// about to go out); one that was prepared but never ran was never
// acknowledged and is cleaned away.
BOOST_AUTO_TEST_CASE(crash_between_run_and_finish_recovers_the_committed_message) {
  TempDir dir;
  const std::string body = big_message();
  std::vector<Envelope> ran_envelopes;
  MessageId ran_id = 0, unran_id = 0;
  std::shared_ptr<CommitJob> unran;
  {
    auto store = open_store(dir.path());
    auto m = store->create_message();
    BOOST_TEST_REQUIRE(m.ok());
    BOOST_TEST_REQUIRE(m->write(body).ok());
    std::vector<Envelope> envs{full_envelope("bob@example.org")};
    auto job = store->prepare_commit(*m, envs);
    BOOST_TEST_REQUIRE(job.ok());
    (*job)->run();
    ran_id = (*job)->id();
    ran_envelopes = (*job)->envelopes();

    auto n = store->create_message();
    BOOST_TEST_REQUIRE(n.ok());
    BOOST_TEST_REQUIRE(n->write("never acknowledged").ok());
    std::vector<Envelope> one{relay_envelope("x@example.net", "y@example.org")};
    auto second = store->prepare_commit(*n, one);
    BOOST_TEST_REQUIRE(second.ok());
    unran = *second;
    unran_id = unran->id();
  }  // the process dies: neither job is finished

  auto store = open_store(dir.path(), 2);
  BOOST_TEST(store->recovery().messages == 1u);
  BOOST_TEST(store->recovery().incoming_removed == 1u);
  BOOST_TEST(store->recovery().quarantined.empty());
  const Envelope* back = store->find(ran_envelopes[0].id);
  BOOST_TEST_REQUIRE(back != nullptr);
  BOOST_TEST((*back == ran_envelopes[0]));
  BOOST_TEST((store->read_message(ran_id).value() == body));
  BOOST_TEST(store->envelopes_of(unran_id).empty());
  BOOST_TEST(fs::is_empty(dir.path() / "incoming"));
}

BOOST_AUTO_TEST_CASE(split_commit_that_fails_before_the_rename_leaves_nothing) {
  TempDir dir;
  ChosenIds ids;
  auto store = QueueStore::open(dir.path(), ids.source()).value();
  constexpr MessageId kId = 0x7b000002;
  // Where its bucket should be, a file: the rename into it must fail.
  spew(dir.path() / "queue" / "7b", "not a directory");
  ids.next->push_back(kId);
  auto m = store->create_message();
  BOOST_TEST_REQUIRE(m.ok());
  BOOST_TEST_REQUIRE(m->write("x\r\n").ok());
  std::vector<Envelope> envs{relay_envelope("a@example.net", "b@example.org")};
  auto job = store->prepare_commit(*m, envs);
  BOOST_TEST_REQUIRE(job.ok());
  (*job)->run();
  auto finished = store->finish_commit(**job);
  BOOST_TEST_REQUIRE(!finished.ok());
  BOOST_TEST(finished.error().message.find("7b000002") != std::string::npos, finished.error().message);
  BOOST_TEST(fs::is_empty(dir.path() / "incoming"));
  BOOST_TEST(store->message_count() == 0u);
}

BOOST_AUTO_TEST_CASE(split_removals_in_any_order_free_the_id_only_when_done) {
  TempDir dir;
  ChosenIds ids;
  auto store = QueueStore::open(dir.path(), ids.source()).value();
  constexpr MessageId kId = 0x3c000003;
  ids.next->push_back(kId);
  std::vector<Envelope> envs{relay_envelope("a@example.net", "b@example.org"),
                             relay_envelope("a@example.net", "c@example.org")};
  BOOST_TEST_REQUIRE(store->commit_message("Subject: r\r\n\r\n", envs).value() == kId);
  const fs::path mdir = message_dir(dir.path(), kId);

  auto first = store->prepare_remove(envs[0].id);
  auto last = store->prepare_remove(envs[1].id);
  BOOST_TEST_REQUIRE(first.ok());
  BOOST_TEST_REQUIRE(last.ok());
  // Gone from the index at once, still on disk.
  BOOST_TEST(store->find(envs[0].id) == nullptr);
  BOOST_TEST(store->message_count() == 0u);
  BOOST_TEST(fs::exists(mdir / "message"));
  ids.next->push_back(kId);
  auto meanwhile = store->create_message();
  BOOST_TEST_REQUIRE(meanwhile.ok());
  BOOST_TEST(meanwhile->id() != kId);  // its directory still exists
  store->abort(*meanwhile);

  // Workers finish in any order: the last removal first takes the other's
  // file with it, and the other then finds nothing left to do.
  (*last)->run();
  BOOST_TEST(!fs::exists(mdir));
  (*first)->run();
  BOOST_TEST(store->finish_remove(**last).ok());
  BOOST_TEST(store->finish_remove(**first).ok());

  ids.next->push_back(kId);
  auto reused = store->create_message();
  BOOST_TEST_REQUIRE(reused.ok());
  BOOST_TEST(reused->id() == kId);  // free again
}

BOOST_AUTO_TEST_CASE(crash_before_a_removal_runs_brings_the_envelope_back) {
  TempDir dir;
  std::vector<Envelope> envs{relay_envelope("a@example.net", "b@example.org")};
  MessageId msgid = 0;
  {
    auto store = open_store(dir.path());
    msgid = store->commit_message("x\r\n", envs).value();
    auto job = store->prepare_remove(envs[0].id);
    BOOST_TEST_REQUIRE(job.ok());
    BOOST_TEST(store->find(envs[0].id) == nullptr);
  }  // dies before the job runs: delivered again later, never lost
  auto store = open_store(dir.path(), 2);
  BOOST_TEST(store->find(envs[0].id) != nullptr);
  BOOST_TEST(store->read_message(msgid).value() == "x\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
