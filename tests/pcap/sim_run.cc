#include "pcap/sim_run.h"

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <sstream>

namespace tether::pcap::testing {

void run_sim(const std::string& scenario, const std::filesystem::path& out,
             const std::vector<std::string>& sets) {
  std::vector<std::string> argv = {TETHER_SIM_BINARY,
                                   std::string(TETHER_SOURCE_DIR) + "/scenarios/" + scenario, "--pcap",
                                   "--out", out.string()};
  for (const std::string& s : sets) {
    argv.push_back("--set");
    argv.push_back(s);
  }
  auto run = tether::testing::run_process(argv, "", Duration::seconds(300));
  BOOST_TEST_REQUIRE(run.exit_code == 0, run.describe());
}

WallTime result_epoch(const std::filesystem::path& dir) {
  const std::string json = tether::testing::read_file(dir / "results.json");
  const std::string key = "\"epoch\": \"";
  const std::size_t at = json.find(key);
  BOOST_TEST_REQUIRE(at != std::string::npos, "results.json has no epoch");
  int year, month, day, hour, minute, second, milli;
  BOOST_TEST_REQUIRE(std::sscanf(json.c_str() + at + key.size(), "%d-%d-%dT%d:%d:%d.%dZ", &year, &month, &day,
                                 &hour, &minute, &second, &milli) == 7);
  const std::int64_t s =
      days_from_civil(year, unsigned(month), unsigned(day)) * 86400 + hour * 3600 + minute * 60 + second;
  return WallTime::from_unix_ns(s * 1000'000'000 + std::int64_t(milli) * 1000'000);
}

namespace {

// One CSV record's fields; quoted fields may hold commas and doubled quotes
// (events.csv has no line breaks inside a field).
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"')
        out.back() += '"', ++i;
      else if (c == '"')
        quoted = false;
      else
        out.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

}  // namespace

std::vector<SimEvent> read_sim_events(const std::filesystem::path& dir) {
  std::istringstream lines(tether::testing::read_file(dir / "events.csv"));
  std::vector<SimEvent> out;
  std::string line;
  std::getline(lines, line);
  BOOST_TEST_REQUIRE(line == "time_s,source,kind,detail");
  while (std::getline(lines, line)) {
    const auto f = csv_fields(line);
    BOOST_TEST_REQUIRE(f.size() == 4u, line);
    out.push_back(SimEvent{f[0], std::stod(f[0]), f[1], f[2], f[3]});
  }
  return out;
}

}  // namespace tether::pcap::testing
