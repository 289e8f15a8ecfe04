// The maildir watcher and the recorder without a relay: files put into a
// maildir the way a delivery does (written in tmp/, renamed into new/) are
// seen once each, matched by Message-ID into the simulation's Metrics; a
// second file with the same Message-ID is a second copy (as the
// simulation's MessageRecord counts duplicates); a file moved from new/ to
// cur/ by a reader is not counted again; a file without a Message-ID is
// reported, not fatal. No root needed.

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "lab/workload/maildir_watcher.h"
#include "lab/workload/steady_time.h"
#include "lab/workload/workload_recorder.h"
#include "scenario/metrics.h"
#include "support/run_process.h"

namespace tether::lab {
namespace {

namespace fs = std::filesystem;

// As smtp/maildir_delivery.cc does: the whole file in tmp/, then a rename.
void deliver(const fs::path& maildir, const std::string& name, const std::string& text) {
  testing::write_file(maildir / "tmp" / name, text, 0600);
  fs::rename(maildir / "tmp" / name, maildir / "new" / name);
}

bool wait_for(const std::function<bool()>& done) {
  for (int i = 0; i < 500 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return done();
}

// A scenario with only its home, and a recorder of what reaches it.
scenario::Scenario home_only() {
  scenario::Scenario s;
  scenario::HostSpec home;
  home.name = "carinho";
  home.role = scenario::HostRole::home;
  s.hosts.push_back(home);
  return s;
}

struct Recording {
  scenario::Scenario scenario = home_only();
  scenario::Metrics metrics{scenario};
  Time start = steady_now();
  WorkloadRecorder recorder{metrics, scenario.hosts[0], start};
};

BOOST_AUTO_TEST_SUITE(lab_maildir_watcher)

BOOST_AUTO_TEST_CASE(copies_moves_and_files_without_a_message_id) {
  testing::TestDirectory dir("lab-maildir-watcher");
  const fs::path maildir = dir / "Maildir";
  Recording r;
  scenario::Metrics& metrics = r.metrics;
  WorkloadRecorder& recorder = r.recorder;
  const Time start = r.start;

  scenario::Submission sub;
  sub.index = 0;
  sub.message_id = "<sim-0.7@mail.example.net>";
  sub.submitted = start;
  sub.finished = start;
  sub.accepted = true;
  recorder.on_submitted(sub);

  auto watcher = MaildirWatcher::start({maildir}, [&](const MaildirDelivery& d) { recorder.on_delivery(d); });
  BOOST_TEST_REQUIRE(watcher.ok(), (watcher.ok() ? "" : watcher.error().to_string()));
  const std::string text = "Received: from mail.example.net (mail.example.net [192.0.2.1])\n\tby relay.example.net (tether) with SMTP id 1;\n\tMon, 1 Jan 2026 00:00:00 +0000\n"
                           "Message-ID: " + sub.message_id + "\nSubject: t\n\nbody\n";
  deliver(maildir, "1.M1P1.home", text);
  BOOST_TEST_REQUIRE(wait_for([&] { return (*watcher)->seen() == 1; }));
  // A reader moves it to cur/: the same delivery.
  fs::rename(maildir / "new" / "1.M1P1.home", maildir / "cur" / "1.M1P1.home:2,S");
  deliver(maildir, "2.M2P1.home", text);                        // a duplicate
  deliver(maildir, "3.M3P1.home", "Subject: no id\n\nbody\n");  // not ours
  BOOST_TEST_REQUIRE(wait_for([&] { return (*watcher)->seen() == 3; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a fourth report would come meanwhile
  (*watcher)->stop();
  BOOST_TEST((*watcher)->seen() == 3u);

  const auto& m = metrics.messages();
  BOOST_TEST_REQUIRE(m.size() == 1u);
  BOOST_TEST(m[0].copies == 2u);
  BOOST_TEST(metrics.duplicates() == 1u);
  BOOST_TEST(m[0].delivered >= Time::zero());
  BOOST_TEST(m[0].path == "relay.example.net");
  const auto unmatched = recorder.unmatched();
  BOOST_TEST_REQUIRE(unmatched.size() == 1u);
  BOOST_TEST(unmatched[0].find("3.M3P1.home: no Message-ID header") != std::string::npos, unmatched[0]);
}

// The relay may write the file before the client has read its 250 and the
// submitter has reported the message: the delivery waits for the
// submission instead of being taken for a stranger's mail.
BOOST_AUTO_TEST_CASE(a_delivery_seen_before_its_submission_is_recorded) {
  Recording r;
  scenario::Metrics& metrics = r.metrics;
  WorkloadRecorder& recorder = r.recorder;
  const Time start = r.start;
  testing::TestDirectory dir("lab-maildir-early");
  const fs::path file = dir / "1.M1P1.home";
  testing::write_file(file, "Message-ID: <sim-0.7@mail.example.net>\nSubject: t\n\nbody\n");

  MaildirDelivery early;
  early.path = file;
  early.message_id = "<sim-0.7@mail.example.net>";
  early.seen = start + Duration::milliseconds(30);
  recorder.on_delivery(early);
  BOOST_TEST(recorder.unmatched().size() == 1u);  // not (yet) submitted, as far as anyone knows

  scenario::Submission sub;
  sub.index = 0;
  sub.message_id = early.message_id;
  sub.submitted = start;
  sub.finished = start + Duration::milliseconds(40);
  sub.accepted = true;
  recorder.on_submitted(sub);
  BOOST_TEST(recorder.unmatched().empty());
  const auto& m = metrics.messages();
  BOOST_TEST_REQUIRE(m.size() == 1u);
  BOOST_TEST(m[0].copies == 1u);
  BOOST_TEST(m[0].delivered == Time::zero() + Duration::milliseconds(30));
}

BOOST_AUTO_TEST_CASE(an_unwatchable_maildir_is_named) {
  testing::TestDirectory dir("lab-maildir-watcher-bad");
  testing::write_file(dir / "file", "not a directory");
  auto watcher = MaildirWatcher::start({dir / "file"}, nullptr);
  BOOST_TEST_REQUIRE(!watcher.ok());
  BOOST_TEST(watcher.error().message.find((dir / "file").string()) != std::string::npos, watcher.error().message);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::lab
