// The scenario library on its own, with no world running it: the workload
// plan, what the metrics make of the events a world reports, and the files
// the results writer leaves. This executable links tether_scenario and no
// ns-3 (CMakeLists.txt checks that too): the namespace lab uses the same
// library.

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "scenario/message_headers.h"
#include "scenario/metrics.h"
#include "scenario/results_writer.h"
#include "scenario/workload_plan.h"

using namespace tether;
using namespace tether::scenario;

namespace {

Scenario two_host_scenario() {
  Scenario s;
  s.name = "library";
  HostSpec sender;
  sender.name = "sender";
  sender.role = HostRole::sender;
  sender.hostname = "mail.example.org";
  HostSpec home;
  home.name = "home";
  home.role = HostRole::home;
  home.hostname = "home.example.net";
  HostSpec backup;
  backup.name = "mx2";
  backup.role = HostRole::backup;
  backup.hostname = "mx2.example.net";
  s.hosts = {sender, home, backup};
  return s;
}

Time at(double seconds) { return Time::zero() + Duration::milliseconds(std::int64_t(seconds * 1000)); }

std::filesystem::path maildir_file(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path() / "tether-scenario-library-test";
  std::filesystem::create_directories(dir);
  const auto file = dir / name;
  std::ofstream(file, std::ios::binary) << text;
  return file;
}

std::string read(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(scenario_library)

BOOST_AUTO_TEST_CASE(the_workload_plan_says_which_message_when) {
  WorkloadSpec spec;
  spec.count = 3;
  spec.start = Duration::seconds(60);
  spec.interval = Duration::minutes(5);
  spec.size = 500;
  spec.from = "alice@example.org";
  spec.recipients = {"bob@example.net", "carol@example.net"};
  WorkloadPlan plan(spec, 7, "mail.example.org");
  BOOST_TEST(plan.count() == 3u);
  BOOST_TEST(plan.due(0).ns() == Duration::seconds(60).ns());
  BOOST_TEST(plan.due(2).ns() == Duration::seconds(660).ns());
  BOOST_TEST(plan.message_id(2) == "<sim-2.7@mail.example.org>");
  const std::string text = plan.message(2);
  BOOST_TEST(message_id_of(text) == "<sim-2.7@mail.example.org>");
  BOOST_TEST(text.find("To: <bob@example.net>, <carol@example.net>\r\n") != std::string::npos);
  const std::size_t body = text.size() - (text.find("\r\n\r\n") + 4);
  BOOST_TEST(body >= spec.size);
  BOOST_TEST(body < spec.size + 80);
}

BOOST_AUTO_TEST_CASE(headers_give_the_path_oldest_hop_first) {
  const std::string text =
      "Received: from mx2.example.net\r\n\tby home.example.net with ESMTP\r\n"
      "Received: from mail.example.org by mx2.example.net with ESMTP\r\n"
      "Message-ID: <x@y>\r\n\r\nbody\r\n";
  BOOST_TEST(message_id_of(text) == "<x@y>");
  const std::vector<std::string> path = hops(text);
  BOOST_TEST(path == (std::vector<std::string>{"mx2.example.net", "home.example.net"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(metrics_follow_a_message_from_submission_to_maildir) {
  const Scenario s = two_host_scenario();
  Metrics metrics(s);
  Submission submitted;
  submitted.index = 0;
  submitted.message_id = "<sim-0.1@mail.example.org>";
  submitted.submitted = at(60);
  submitted.finished = at(60.5);
  submitted.accepted = true;
  metrics.on_submitted(submitted);

  // The home's relay delivers it through mx2; the latency runs from the
  // submission (the sender made no delivery_attempt the metrics could tie).
  node::MailRelayEvent delivered;
  delivered.kind = node::MailRelayEvent::Kind::delivered;
  delivered.time = at(3660);
  delivered.path = maildir_file("m1",
                                "Received: from mx2.example.net by home.example.net\r\n"
                                "Received: from mail.example.org by mx2.example.net\r\n"
                                "Message-ID: <sim-0.1@mail.example.org>\r\n\r\nx\r\n");
  metrics.on_relay_event(s.hosts[1], delivered, nullptr);
  metrics.on_relay_event(s.hosts[1], delivered, nullptr);  // a second copy

  BOOST_TEST(metrics.submitted() == 1u);
  BOOST_TEST(metrics.delivered() == 1u);
  BOOST_TEST(metrics.via_backup() == 1u);
  BOOST_TEST(metrics.duplicates() == 1u);
  BOOST_TEST(metrics.messages()[0].path == "mx2.example.net>home.example.net");
  BOOST_TEST(metrics.latency().max.ns() == Duration::seconds(3600).ns());
}

BOOST_AUTO_TEST_CASE(metrics_count_nat_events_and_availability) {
  const Scenario s = two_host_scenario();
  Metrics metrics(s);
  NatObservation o;
  o.kind = NatObservation::Kind::mapping_created;
  o.protocol = "udp";
  metrics.on_nat(o);
  o.kind = NatObservation::Kind::mapping_expired;
  metrics.on_nat(o);
  o.kind = NatObservation::Kind::packet_dropped;
  metrics.on_nat(o);
  metrics.on_nat(o);
  BOOST_TEST(metrics.nat_mappings == 1u);
  BOOST_TEST(metrics.nat_expiries == 1u);
  BOOST_TEST(metrics.nat_drops == 2u);
  for (int i = 0; i < 3; ++i) metrics.sample_availability(true);
  metrics.sample_availability(false);
  BOOST_TEST(metrics.availability() == 0.75);
}

BOOST_AUTO_TEST_CASE(the_results_writer_leaves_the_three_files) {
  const Scenario s = two_host_scenario();
  Metrics metrics(s);
  Submission submitted;
  submitted.message_id = "<sim-0.1@mail.example.org>";
  submitted.submitted = at(60);
  submitted.finished = at(61);
  submitted.accepted = true;
  metrics.on_submitted(submitted);
  metrics.finish(at(7200), {RelayTotals{"sender", "sender", "postfix", 1, 1, 1, 0, 0}});
  const auto dir = std::filesystem::temp_directory_path() / "tether-scenario-library-results";
  std::filesystem::remove_all(dir);
  BOOST_TEST_REQUIRE(write_results(metrics, dir).ok());
  for (const char* name : {"results.json", "messages.csv", "events.csv"})
    BOOST_TEST(std::filesystem::is_regular_file(dir / name), name);
  BOOST_TEST(read(dir / "messages.csv").find("<sim-0.1@mail.example.org>") != std::string::npos);
  BOOST_TEST(format_summary(metrics).find("submitted 1") != std::string::npos);
  // Each relay's profile, in the summary and in results.json.
  BOOST_TEST(format_summary(metrics).find("\nprofiles   sender postfix\n") != std::string::npos, format_summary(metrics));
  BOOST_TEST(read(dir / "results.json").find("\"profile\": \"postfix\"") != std::string::npos);
  std::filesystem::remove_all(dir);
}

// Poisson arrivals: message 0 at start, then exponential gaps of mean
// `interval` from the seed's own sequence: the same seed gives the same
// times, another seed others; the gaps' mean and spread are the
// exponential's (std-dev equal to the mean).
BOOST_AUTO_TEST_CASE(poisson_arrivals_are_exponential_gaps_drawn_from_the_seed) {
  WorkloadSpec spec;
  spec.count = 4000;
  spec.interval = Duration::minutes(10);
  spec.start = Duration::minutes(5);
  spec.arrivals = Arrivals::poisson;
  const WorkloadPlan plan(spec, 1, "mail.example.org");
  BOOST_TEST(plan.due(0) == Duration::minutes(5));
  std::vector<double> gaps;
  for (std::uint64_t i = 1; i < spec.count; ++i) {
    BOOST_TEST_REQUIRE(plan.due(i) >= plan.due(i - 1));
    gaps.push_back((plan.due(i) - plan.due(i - 1)).seconds_f());
  }
  double sum = 0, squares = 0;
  for (double g : gaps) sum += g;
  const double mean = sum / double(gaps.size());
  for (double g : gaps) squares += (g - mean) * (g - mean);
  const double spread = std::sqrt(squares / double(gaps.size() - 1));
  // 4000 gaps: the mean's standard error is 1.6 % of it.
  BOOST_TEST(std::abs(mean - 600.0) < 30.0, mean);
  BOOST_TEST(std::abs(spread - 600.0) < 45.0, spread);

  const WorkloadPlan again(spec, 1, "mail.example.org"), other(spec, 2, "mail.example.org");
  bool all_same = true, any_differ = false;
  for (std::uint64_t i = 0; i < spec.count; ++i) {
    all_same &= again.due(i) == plan.due(i);
    any_differ |= other.due(i) != plan.due(i);
  }
  BOOST_TEST(all_same);
  BOOST_TEST(any_differ);

  // Fixed arrivals stay on the grid, whatever the seed.
  spec.arrivals = Arrivals::fixed;
  const WorkloadPlan grid(spec, 2, "mail.example.org");
  BOOST_TEST(grid.due(3) == Duration::minutes(35));
}

BOOST_AUTO_TEST_CASE(a_results_directory_that_cannot_be_written_is_found_before_a_run) {
  const auto dir = std::filesystem::temp_directory_path() / "tether-scenario-library-unwritable";
  std::filesystem::remove_all(dir);
  BOOST_TEST(check_results_dir(dir / "new" / "deep").ok());
  BOOST_TEST(std::filesystem::is_directory(dir / "new" / "deep"));
  BOOST_TEST(std::filesystem::is_empty(dir / "new" / "deep"));
  // A result file that is a directory: root may write anywhere, yet not this.
  std::filesystem::create_directories(dir / "taken" / "results.json");
  auto taken = check_results_dir(dir / "taken");
  BOOST_TEST_REQUIRE(!taken.ok());
  BOOST_TEST(taken.error().message == "results.json there is not a file");
  // Below a file, no directory can be made.
  std::ofstream(dir / "file") << "x";
  BOOST_TEST(!check_results_dir(dir / "file" / "out").ok());
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
