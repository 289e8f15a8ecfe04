#pragma once
// tether-pcap's subcommands, one file each. Each adds itself to the app
// with its options and returns what runs it once the command line is
// parsed. Exit status: 0 done, 1 (compare) outside its tolerances, 2 bad
// usage or an input that cannot be read at all.

#include <functional>
#include <string>
#include <vector>

#include "pcap/timeline.h"

namespace CLI {
class App;
}

namespace tether::pcap_tool {

constexpr int kUsageExit = 2;

using CommandRunner = std::function<int()>;

CommandRunner add_timeline_command(CLI::App& app);
CommandRunner add_infer_command(CLI::App& app);
CommandRunner add_compare_command(CLI::App& app);

// The options every command that reads captures takes: --keylog F (a
// Wireshark WireGuard key log), --wg-port P (repeatable: always WireGuard),
// --no-heuristic, --date D (text traces), --link GLOB (repeatable: the
// links read from a result directory, pcap/result_directory.h).
struct CaptureOptions {
  // Not an option: where a command has the events go as they are found
  // (pcap/timeline.h, TimelineOptions::sink); null: kept in the Timeline.
  pcap::TimelineEventSink sink;
  std::string keylog;
  std::vector<std::uint16_t> wg_ports;
  bool no_heuristic = false;
  std::string date;  // --date YYYY-MM-DD: the day of a text trace's times of day
  std::vector<std::string> links;
};
void add_capture_options(CLI::App& command, CaptureOptions& options);

// The timeline options they give; a key log that cannot be read at all
// fails, naming the file (its bad lines are the timeline's problems).
Result<pcap::TimelineOptions> timeline_options(const CaptureOptions& options);

// The timeline of captures and result directories (each directory's
// chosen links, with every key log it has, merged with --keylog). Fails,
// naming the input, when one cannot be read at all.
Result<pcap::Timeline> read_inputs(const std::vector<std::string>& inputs, const CaptureOptions& options);

// Prints a timeline's problems to stderr, "tether-pcap: " before each, and
// how many were left out past the bound.
void print_problems(const pcap::Timeline& timeline);

}  // namespace tether::pcap_tool
