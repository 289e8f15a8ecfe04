#pragma once
// What `tether-pcap infer` prints: the inference (infer.h) as a report a
// person reads, as JSON, and as the `tether-sim --set` overrides that make
// a scenario match it (--as-set; docs/pcap.md, section "infer").

#include <map>
#include <string>

#include "pcap/infer.h"

namespace tether::pcap {

std::string infer_text(const Inference& inference);
std::string infer_json(const Inference& inference);

// Scenario host names by the address a capture shows for them (a home
// behind a NAT: the NAT's outside address).
using HostNames = std::map<std::string, std::string>;

// One `--set KEY=VALUE` line per figure the capture tells and a host name
// maps; a comment line (#) before each, with the figure it comes from, and
// one for each figure it cannot tell. Only the lines without # are
// overrides: `tether-sim S.yaml $(tether-pcap infer F --as-set ... | grep -v '^#')`.
std::string infer_as_set(const Inference& inference, const HostNames& names);

}  // namespace tether::pcap
