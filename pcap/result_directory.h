#pragma once
// A simulation's (tether-sim's, later tether-lab's) result directory as a
// timeline input, so that `tether-pcap timeline DIR` and `compare A DIR`
// read a run as they read a capture.
//
// What a run writes (scenarios/README.md, "Captures"): results.json,
// events.csv, messages.csv, and with --pcap a pcap/ folder holding
// LINK-0.pcap and LINK-1.pcap for each link (end 0 at the host or gateway,
// end 1 at the other; LINK is a public host's name, HOST-submission, lan,
// uplink or lte) and each tunnel's key log, HOST-wg-keys.log. The pcaps are
// stamped with the scenario's wall clock, epoch + simulated time
// (sim/world/wall_clock_pcap.h), so their timeline needs no offset; events.csv
// counts simulated seconds from 0 and is not read here: a timeline is what
// the packets say, and a run without captures is refused (rerun with
// --pcap) rather than stood in for by its events.
//
// Links are chosen by name: globs matched against LINK-N ("lan-0",
// "namorar-*", "*-0"). By default, lan-0: the home host's own end of its
// LAN, everything the home sends and receives, which is what a tcpdump on
// the home host (as in the seeds' traces) shows. Every key log of the run
// is read, so the tunnel is decrypted whichever link is chosen.

#include <string>
#include <vector>

#include "core/error.h"
#include "pcap/timeline.h"

namespace tether::pcap {

inline constexpr const char* kDefaultResultLink = "lan-0";

struct ResultDirectory {
  std::string path;                   // as given
  std::string capture_dir;            // PATH/pcap, or PATH itself when it holds the captures
  std::vector<std::string> links;     // every LINK-N found, sorted
  std::vector<std::string> captures;  // the chosen ones, as paths, in `links` order
  std::vector<std::string> key_logs;  // every *-wg-keys.log beside them, sorted
};

// Opens a result directory. `link_globs` choose links (fnmatch on LINK-N);
// empty: kDefaultResultLink. Fails, naming PATH, when it holds no captures
// (a run without --pcap, an empty directory) or no link matches (listing
// the links it has).
Result<ResultDirectory> open_result_directory(const std::string& path,
                                              const std::vector<std::string>& link_globs);

// Captures (pcap/pcapng files, and whatever else build_timeline reads) and
// result directories, expanded into the files to read and the key logs that
// come with them, in the order given.
struct TimelineInputs {
  std::vector<std::string> captures;
  std::vector<std::string> key_logs;
};
Result<TimelineInputs> expand_timeline_inputs(const std::vector<std::string>& inputs,
                                              const std::vector<std::string>& link_globs);

// The timeline of `inputs` (files and result directories). When
// `key_logs` or any directory's key logs are there, they are all read into
// one key log (key_logs first) that replaces options.keys.
Result<Timeline> build_timeline_of_inputs(const std::vector<std::string>& inputs,
                                          const std::vector<std::string>& key_logs,
                                          const std::vector<std::string>& link_globs,
                                          TimelineOptions options);

}  // namespace tether::pcap
