// tether-pcap timeline FILE|DIR... [--keylog F] [--wg-port P] [--date D] [--link GLOB]
//   [--format csv|json] [--out F]

#include <cstdio>
#include <map>

#include <CLI/CLI.hpp>

#include "pcap/timeline_format.h"
#include "pcap/timeline_render_thread.h"
#include "pcap/tool/commands.h"

namespace tether::pcap_tool {

CommandRunner add_timeline_command(CLI::App& app) {
  struct Arguments {
    std::vector<std::string> files;
    CaptureOptions capture;
    pcap::TimelineFormat format = pcap::TimelineFormat::csv;
    std::string out;
  };
  auto arguments = std::make_shared<Arguments>();
  CLI::App* command = app.add_subcommand(
      "timeline", "Prints one table of the protocol events in captures: WireGuard messages, TCP "
                  "handshakes and closes, SMTP commands and replies, ICMP errors.");
  command->add_option("FILE", arguments->files,
                      "pcap or pcapng files (- for the standard input), tcpdump -n text traces, or tether-sim "
                      "result directories (--link)")
      ->required();
  add_capture_options(*command, arguments->capture);
  command->add_option("--format", arguments->format, "csv (default) or json")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, pcap::TimelineFormat>{{"csv", pcap::TimelineFormat::csv},
                                                      {"json", pcap::TimelineFormat::json}}));
  command->add_option("--out", arguments->out, "write the table to this file instead of the standard output");

  return [arguments]() {
    // The rows are rendered as the events are found, on a second thread,
    // and only they are kept: a capture of millions of packets is not held
    // as TimelineEvents.
    pcap::TimelineTable table(arguments->format);
    pcap::TimelineRenderThread renderer(table);
    arguments->capture.sink = [&](std::vector<pcap::TimelineEvent>& found) { renderer.add(found); };
    auto timeline = read_inputs(arguments->files, arguments->capture);
    renderer.finish();
    arguments->capture.sink = nullptr;
    if (!timeline.ok()) {
      std::fprintf(stderr, "tether-pcap: %s\n", timeline.error().message.c_str());
      return kUsageExit;
    }
    print_problems(*timeline);
    std::FILE* out = stdout;
    if (!arguments->out.empty()) {
      out = std::fopen(arguments->out.c_str(), "wb");
      if (!out) {
        std::fprintf(stderr, "tether-pcap: --out %s: cannot be written\n", arguments->out.c_str());
        return kUsageExit;
      }
    }
    bool written = table.write(out);
    if (out != stdout) written &= std::fclose(out) == 0;
    if (!written) {
      std::fprintf(stderr, "tether-pcap: %s: write failed\n", arguments->out.empty() ? "stdout" : arguments->out.c_str());
      return 1;
    }
    return 0;
  };
}

}  // namespace tether::pcap_tool
