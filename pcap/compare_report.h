#pragma once
// A Comparison (compare.h) as `tether-pcap compare` prints it: a report for
// people (four tables and a verdict naming every check outside its bound)
// or JSON for programs (the Python bindings), with the same content: every
// count, the control-message order, each interval distribution's summary,
// KS and W1 (and its intervals), each kind's matched-time differences, the
// bounds that applied, the failures and "pass".

#include <string>

#include "pcap/compare.h"

namespace tether::pcap {

// What the report calls the two sides: the inputs as given.
struct CompareNames {
  std::string a, b;
};

std::string comparison_text(const Comparison& comparison, const CompareNames& names);
std::string comparison_json(const Comparison& comparison, const CompareNames& names);

}  // namespace tether::pcap
