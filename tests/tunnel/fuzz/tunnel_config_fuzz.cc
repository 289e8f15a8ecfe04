// libFuzzer target for the wg-quick config parser (issue 3, "Bad input"):
// any text must parse or produce file:line errors, without crashing; and a
// config that parses must serialize to text that parses to the same text
// again (to_wg_quick is a fixed point), so nothing accepted is lost or
// mangled on the way back to disk.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tunnel/tunnel_config.h"

using namespace tether::tunnel;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  TunnelConfigParse parsed = parse_tunnel_config(text, "fuzz.conf");
  const int lines = int(std::count(text.begin(), text.end(), '\n')) + 1;
  for (const auto& e : parsed.errors) {
    require(e.line >= 0 && e.line <= lines);
    require(e.to_string().rfind("fuzz.conf:", 0) == 0);
  }
  if (!parsed.ok()) return 0;
  std::string written = to_wg_quick(parsed.config);
  TunnelConfigParse again = parse_tunnel_config(written, "written.conf");
  require(again.ok());
  require(to_wg_quick(again.config) == written);
  return 0;
}
