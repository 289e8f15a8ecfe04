// The simulation's workload, submitted by the lab over real SMTP from a
// thread inside a network namespace to a real `tetherd --relay` that
// delivers into a maildir, each delivery timed by the maildir watcher and
// everything written by the simulation's results writer. Root only (the
// namespace); skips, saying why, without root or without the built tetherd.

#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "lab/workload/lab_submitter.h"
#include "lab/workload/maildir_watcher.h"
#include "lab/workload/steady_time.h"
#include "lab/workload/workload_recorder.h"
#include "relay_e2e/relay_lab.h"
#include "scenario/metrics.h"
#include "scenario/results_writer.h"
#include "support/network_namespace.h"
#include "support/run_process.h"

namespace tether::lab {
namespace {

namespace fs = std::filesystem;
using testing::relay_e2e::RelayDaemon;

constexpr std::uint16_t kPort = 2525;

scenario::Scenario small_scenario(std::uint64_t count, const std::string& recipient) {
  scenario::Scenario s;
  s.name = "lab-workload-test";
  s.seed = 7;
  scenario::HostSpec sender;
  sender.name = "mail";
  sender.role = scenario::HostRole::sender;
  sender.hostname = "mail.example.net";
  scenario::HostSpec home;
  home.name = "carinho";
  home.role = scenario::HostRole::home;
  home.hostname = "carinho.example.org";
  s.hosts = {sender, home};
  s.workload.sender = "mail";
  s.workload.count = count;
  s.workload.interval = Duration::seconds(1);
  s.workload.start = Duration::milliseconds(500);
  s.workload.size = 2000;
  s.workload.recipients = {recipient};
  return s;
}

// A relay in a namespace of the test's own, a maildir watched, the
// workload submitted from a thread that entered the namespace by name.
struct Run {
  testing::TestDirectory dir{"lab-workload"};
  std::unique_ptr<testing::NetworkNamespace> ns;
  std::unique_ptr<RelayDaemon> relay;
  fs::path maildir = dir / "Maildir";

  void start_relay() {
    auto made = testing::NetworkNamespace::create_and_enter("workload");
    BOOST_TEST_REQUIRE(made.ok(), (made.ok() ? "" : made.error().to_string()));
    ns = std::move(*made);
    relay = std::make_unique<RelayDaemon>(dir, "listen on 127.0.0.1 port " + std::to_string(kPort) + "\n"
                                               "action \"local\" maildir \"" + maildir.string() + "\"\n"
                                               "match from any for domain \"example.org\" action \"local\"\n");
    std::string why;
    BOOST_TEST_REQUIRE(relay->start(&why), why);
  }
  // The workload from a thread that entered the relay's namespace by name,
  // to the relay's listener, as the simulation's submission node sends it.
  Result<std::unique_ptr<LabSubmitter>> submit(const scenario::Scenario& s, const scenario::WorkloadPlan& plan,
                                               WorkloadRecorder& recorder, Time start) {
    LabSubmitterOptions options;
    options.netns = ns->name();
    options.server = Endpoint(*IpAddress::parse("127.0.0.1"), kPort);
    options.hostname = "submission." + s.hosts[0].hostname;
    options.storage = dir / "submitter";
    options.start = start;
    return LabSubmitter::start(options, plan, [&recorder](const scenario::Submission& x) { recorder.on_submitted(x); });
  }
  ~Run() {
    relay.reset();  // killed by PID before its namespace goes
    ns.reset();
  }
};

std::string without_cr(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '\r'), s.end());
  return s;
}

std::string first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

BOOST_AUTO_TEST_SUITE(lab_workload_relay, *boost::unit_test::label("root") *
                                              boost::unit_test::precondition(testing::relay_e2e::needs_root_and_tetherd))

BOOST_AUTO_TEST_CASE(each_message_is_submitted_at_its_time_and_found_by_message_id) {
  Run run;
  run.start_relay();
  const scenario::Scenario s = small_scenario(4, "root@example.org");
  const scenario::WorkloadPlan plan(s.workload, s.seed, s.hosts[0].hostname);
  scenario::Metrics metrics(s);
  const Time start = steady_now() + Duration::milliseconds(200);
  WorkloadRecorder recorder(metrics, s.hosts[1], start);
  auto watcher = MaildirWatcher::start({run.maildir}, [&](const MaildirDelivery& d) { recorder.on_delivery(d); });
  BOOST_TEST_REQUIRE(watcher.ok(), (watcher.ok() ? "" : watcher.error().to_string()));

  auto submitter = run.submit(s, plan, recorder, start);
  BOOST_TEST_REQUIRE(submitter.ok(), (submitter.ok() ? "" : submitter.error().to_string()));
  BOOST_TEST_REQUIRE((*submitter)->wait(Duration::seconds(30)), (*submitter)->failure());
  for (int i = 0; i < 500 && (*watcher)->seen() < 4; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));

  const auto lateness = (*submitter)->lateness();
  for (std::size_t i = 0; i < lateness.size(); ++i)
    BOOST_TEST_MESSAGE("message " << i << " submitted " << lateness[i].seconds_f() * 1000.0 << " ms after its time");
  for (const auto& x : (*submitter)->submissions()) BOOST_TEST(x.accepted, x.message_id << ": " << x.error);
  BOOST_TEST(recorder.unmatched().empty());

  const auto& messages = metrics.messages();
  BOOST_TEST_REQUIRE(messages.size() == 4u);
  BOOST_TEST_REQUIRE((*watcher)->seen() == 4u, "the relay's log:\n" << run.relay->log());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const scenario::MessageRecord& m = messages[i];
    BOOST_TEST_CONTEXT(m.message_id) {
      BOOST_TEST(m.message_id == plan.message_id(i));
      BOOST_TEST(m.copies == 1u);
      // Submitted at (not before) its planned time, delivered after.
      BOOST_TEST(m.submitted >= Time::zero() + plan.due(i));
      BOOST_TEST(m.delivered > m.submitted);
      BOOST_TEST(scenario::message_latency(m) > Duration::zero());
      if (i > 0) BOOST_TEST(m.delivered > messages[i - 1].delivered);
      BOOST_TEST_MESSAGE(m.message_id << ": latency " << scenario::message_latency(m).seconds_f() * 1000.0 << " ms");
    }
  }
  // The file holds the plan's message, byte for byte (below the relay's Received: line).
  std::size_t found = 0;
  for (const auto& entry : fs::directory_iterator(run.maildir / "new")) {
    const std::string text = without_cr(testing::read_file(entry.path()));
    for (std::uint64_t i = 0; i < plan.count(); ++i)
      if (text.find(without_cr(plan.message(i))) != std::string::npos) ++found;
  }
  BOOST_TEST(found == 4u);

  // A second copy of message 0 (as a relay that lost its queue's removal
  // would deliver it again) and a file that is no message of the workload.
  fs::path first_file;
  for (const auto& entry : fs::directory_iterator(run.maildir / "new"))
    if (testing::read_file(entry.path()).find(plan.message_id(0)) != std::string::npos) first_file = entry.path();
  BOOST_TEST_REQUIRE(!first_file.empty());
  fs::copy_file(first_file, run.maildir / "tmp" / "copy.M1P1.carinho");
  fs::rename(run.maildir / "tmp" / "copy.M1P1.carinho", run.maildir / "new" / "copy.M1P1.carinho");
  testing::write_file(run.maildir / "new" / "stray.M2P1.carinho", "Subject: no id\n\nhello\n");
  for (int i = 0; i < 500 && (*watcher)->seen() < 6; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  (*watcher)->stop();
  BOOST_TEST(messages[0].copies == 2u);
  BOOST_TEST(metrics.duplicates() == 1u);
  BOOST_TEST_REQUIRE(recorder.unmatched().size() == 1u);
  BOOST_TEST(recorder.unmatched()[0].find("stray.M2P1.carinho: no Message-ID header") != std::string::npos);

  metrics.finish(recorder.relative(steady_now()), {});
  const fs::path out = run.dir / "results";
  auto written = scenario::write_results(metrics, out);
  BOOST_TEST_REQUIRE(written.ok(), (written.ok() ? "" : written.error().to_string()));
  BOOST_TEST(first_line(out / "messages.csv") ==
             "index,message_id,submitted_s,first_attempt_s,delivered_s,latency_s,status,via_backup,copies,path");
  BOOST_TEST(first_line(out / "events.csv") == "time_s,source,kind,detail");
  const std::string csv = testing::read_file(out / "messages.csv");
  BOOST_TEST(std::count(csv.begin(), csv.end(), '\n') == 5);
  BOOST_TEST(csv.find(",delivered,0,2,") != std::string::npos, csv);
  BOOST_TEST(std::count(csv.begin(), csv.end(), '\n') - 1 ==
             std::count_if(messages.begin(), messages.end(), [](const auto& m) { return m.copies >= 1; }));
  BOOST_TEST(fs::exists(out / "results.json"));
}

// tether-lab starts the submitter seconds after the run's time zero (its
// daemons start first): messages are still due at zero + their plan time,
// those already due at once, not shifted by the thread's own lateness.
BOOST_AUTO_TEST_CASE(a_start_instant_already_past_keeps_the_plan_on_the_runs_clock) {
  Run run;
  run.start_relay();
  const scenario::Scenario s = small_scenario(4, "root@example.org");
  const scenario::WorkloadPlan plan(s.workload, s.seed, s.hosts[0].hostname);
  scenario::Metrics metrics(s);
  const Duration past = Duration::seconds(10);
  const Time start = steady_now() - past;
  WorkloadRecorder recorder(metrics, s.hosts[1], start);
  auto submitter = run.submit(s, plan, recorder, start);
  BOOST_TEST_REQUIRE(submitter.ok(), (submitter.ok() ? "" : submitter.error().to_string()));
  BOOST_TEST_REQUIRE((*submitter)->wait(Duration::seconds(30)), (*submitter)->failure());
  BOOST_TEST_REQUIRE(metrics.messages().size() == 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    const scenario::MessageRecord& m = metrics.messages()[i];
    // Every due time (0.5-3.5 s) had passed: submitted at once, i.e. before
    // `past` + its due time, which is where a start from the thread's own
    // clock would put it.
    BOOST_TEST(m.submitted >= Time::zero() + past, m.message_id);
    BOOST_TEST(m.submitted < Time::zero() + past + plan.due(i), m.message_id);
  }
}

BOOST_AUTO_TEST_CASE(a_refused_recipient_is_recorded_as_the_simulation_records_it) {
  Run run;
  run.start_relay();
  const scenario::Scenario s = small_scenario(1, "nobody@elsewhere.test");
  const scenario::WorkloadPlan plan(s.workload, s.seed, s.hosts[0].hostname);
  scenario::Metrics metrics(s);
  const Time start = steady_now();
  WorkloadRecorder recorder(metrics, s.hosts[1], start);

  auto submitter = run.submit(s, plan, recorder, start);
  BOOST_TEST_REQUIRE(submitter.ok(), (submitter.ok() ? "" : submitter.error().to_string()));
  BOOST_TEST_REQUIRE((*submitter)->wait(Duration::seconds(30)), (*submitter)->failure());

  BOOST_TEST_REQUIRE(metrics.messages().size() == 1u);
  const scenario::MessageRecord& m = metrics.messages()[0];
  BOOST_TEST(!m.accepted);
  BOOST_TEST(m.submit_error.find("nobody@elsewhere.test: 5") == 0u, m.submit_error);
  BOOST_TEST_MESSAGE("refused: " << m.submit_error);
  BOOST_TEST_REQUIRE(!metrics.timeline().empty());
  BOOST_TEST(metrics.timeline().back().kind == "submit-failed");

  metrics.finish(recorder.relative(steady_now()), {});
  const fs::path out = run.dir / "results";
  BOOST_TEST_REQUIRE(scenario::write_results(metrics, out).ok());
  const std::string csv = testing::read_file(out / "messages.csv");
  BOOST_TEST(csv.find(",not-submitted,0,0,") != std::string::npos, csv);
}

BOOST_AUTO_TEST_CASE(a_namespace_that_does_not_exist_is_named) {
  const scenario::Scenario s = small_scenario(1, "root@example.org");
  LabSubmitterOptions options;
  options.netns = "tether-no-such-namespace";
  auto submitter = LabSubmitter::start(options, scenario::WorkloadPlan(s.workload, s.seed, "x"), nullptr);
  BOOST_TEST_REQUIRE(!submitter.ok());
  BOOST_TEST(submitter.error().message.find("tether-no-such-namespace") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::lab
