// libFuzzer target for the scenario parser: any bytes, as a scenario file in
// scenarios/ (so the shipped configs its hosts name resolve), must give a
// scenario or errors that name the problem, never a crash, a hang or a
// sanitizer report. An override is derived from the input too, so --set's
// path walking is reached. Seeds: the shipped scenarios.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "scenario/scenario_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  static const std::filesystem::path kFile = std::filesystem::path(TETHER_SOURCE_DIR) / "scenarios" / "fuzz.yaml";
  const tether::scenario::ScenarioParse parsed = tether::scenario::parse_scenario(text, kFile);
  // Every error names where: the file and line, or the --set that caused it.
  for (const std::string& e : parsed.errors)
    if (e.rfind("fuzz.yaml:", 0) != 0 && e.rfind("--set ", 0) != 0) __builtin_trap();
  // The input's first line as an override: key paths into lists and maps.
  const std::string first_line = text.substr(0, text.find('\n'));
  if (first_line.find('=') != std::string::npos)
    (void)tether::scenario::parse_scenario("hosts: {}\nevents: [{at: 1s, action: nat-flush}]\n", kFile, {first_line});
  return 0;
}
