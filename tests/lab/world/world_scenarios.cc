#include "lab/world/world_scenarios.h"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "lab/world/command.h"
#include "scenario/scenario_parser.h"

namespace tether::lab::testing {

namespace fs = std::filesystem;

fs::path shipped_scenario(const std::string& name) {
  return fs::path(TETHER_SOURCE_DIR) / "scenarios" / (name + ".yaml");
}

scenario::Scenario load_shipped(const std::string& name, const std::vector<std::string>& overrides) {
  scenario::ScenarioParse parsed = scenario::load_scenario(shipped_scenario(name), overrides);
  BOOST_TEST_REQUIRE(parsed.ok(), parsed.error_text());
  return parsed.scenario;
}

std::vector<std::string> linux_nat(std::vector<std::string> more) {
  more.insert(more.begin(), "nat.inbound_refresh=true");
  return more;
}

std::vector<std::string> traces_of(const std::string& prefix) {
  std::vector<std::string> found;
  const CommandResult namespaces = run_command({"ip", "netns", "list"});
  std::istringstream lines(namespaces.output);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(prefix, 0) == 0) found.push_back("ip netns: " + line);
  std::error_code ec;
  for (const char* root : {"/etc/netns", "/run/tether-lab"})
    if (fs::is_directory(root, ec))
      for (const auto& e : fs::directory_iterator(root, ec))
        if (e.path().filename().string().rfind(prefix, 0) == 0) found.push_back(e.path().string());
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (char& c : cmdline)
      if (c == '\0') c = ' ';
    // The test process itself and its children name the prefix only as
    // the holder's argument; the lab's daemons name the run's directory.
    if (cmdline.find("/run/tether-lab/" + prefix) != std::string::npos) found.push_back("process " + pid + ": " + cmdline);
  }
  const CommandResult tables = run_command({"nft", "list", "tables"});
  if (tables.output.find("tether_lab") != std::string::npos) found.push_back("nft (machine): " + tables.output);
  return found;
}

}  // namespace tether::lab::testing
