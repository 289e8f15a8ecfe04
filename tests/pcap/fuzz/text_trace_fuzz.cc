// libFuzzer target for the text-trace reader (issue 11, "Bad input"): each
// input is read as tcpdump text (pcap/text_trace.h), with 51820 a WireGuard
// port so that plain UDP lines reach the length-only path too, and its
// lines go on to the WireGuard, TCP and ICMP dissectors. Nothing may crash
// or read out of bounds (ASan); every problem names the trace; every event
// is one of the protocols text can give, with a packet number that is a
// line of the input.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pcap/text_trace.h"

using namespace tether;
using namespace tether::pcap;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  TimelineOptions options;
  options.wireguard.ports = {51820};
  options.text_date = {2026, 12, 7};
  Timeline timeline;
  (void)add_text_trace_text(timeline, text, "fuzz.txt", 0, options);
  const auto lines = std::uint64_t(std::count(text.begin(), text.end(), '\n')) + 1;
  for (const TimelineEvent& e : timeline.events) {
    require(e.protocol == "wg" || e.protocol == "tcp" || e.protocol == "icmp");
    require(e.packet_number >= 1 && e.packet_number <= lines);
    require(e.link == "fuzz.txt");
  }
  for (const std::string& p : timeline.problems) require(p.rfind("fuzz.txt", 0) == 0);
  return 0;
}
