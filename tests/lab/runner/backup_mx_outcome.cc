// See backup_mx_outcome.h.

#include "backup_mx_outcome.h"

#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "lab/world/world_scenarios.h"
#include "messages_csv.h"
#include "support/run_process.h"

namespace tether::lab::testing {
namespace {

namespace fs = std::filesystem;
using tether::testing::read_file;

std::size_t occurrences(const std::string& text, const std::string& word) {
  std::size_t n = 0;
  for (auto at = text.find(word); at != std::string::npos; at = text.find(word, at + word.size())) ++n;
  return n;
}

// A top-level number in results.json ("availability": 0.307263); -1 if absent.
double json_number(const std::string& json, const std::string& key) {
  const auto at = json.find("\"" + key + "\":");
  return at == std::string::npos ? -1 : std::strtod(json.c_str() + at + key.size() + 3, nullptr);
}

double event_at(const tether::scenario::Scenario& scenario, tether::scenario::EventAction action) {
  for (const auto& e : scenario.events)
    if (e.action == action && e.target == "namorar") return e.at.seconds_f();
  return -1;
}

}  // namespace

void check_backup_mx_fallback_outcome(const fs::path& lab, const fs::path& sim) {
  const tether::scenario::Scenario scenario = load_shipped("lab/backup-mx-fallback");
  const double back_at = event_at(scenario, tether::scenario::EventAction::start_node);
  BOOST_TEST_REQUIRE(back_at > 0);
  const auto rows = message_rows(lab);
  BOOST_TEST_REQUIRE(rows.size() == 2u, read_file(lab / "messages.csv"));
  for (const auto& row : rows) {
    BOOST_TEST(row.at("status") == "delivered", row.at("message_id"));
    BOOST_TEST(row.at("copies") == "1", row.at("message_id"));
    BOOST_TEST(occurrences(row.at("path"), "mx2.example.org") <= 1u, row.at("path"));  // no loop through mx2
  }
  // Before the outage: straight to namorar.
  BOOST_TEST(rows[0].at("via_backup") == "0");
  BOOST_TEST(rows[0].at("path") == "mail.websteading.net>mail.example.org>carinho.lan");
  // During it: the sender gave up on namorar (no earlier than its SYN
  // retries allow), mx2 held the message and handed it on once namorar was back.
  BOOST_TEST(rows[1].at("via_backup") == "1");
  BOOST_TEST(rows[1].at("path") == "mail.websteading.net>mx2.example.org>mail.example.org>carinho.lan");
  BOOST_TEST(std::stod(rows[1].at("delivered_s")) > back_at, rows[1].at("delivered_s"));
  // No tunnel while namorar is off (2 of the 3 minutes): the simulation's 0.31.
  const double availability = json_number(read_file(lab / "results.json"), "availability");
  BOOST_TEST((availability > 0.1 && availability < 0.5), availability);

  const auto sim_rows = message_rows(sim);
  BOOST_TEST_REQUIRE(sim_rows.size() == rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (const char* column : {"message_id", "status", "via_backup", "copies", "path"})
      BOOST_TEST(rows[i].at(column) == sim_rows[i].at(column), "message " << i << " " << column);
}

}  // namespace tether::lab::testing
