#pragma once
// A capture file read whole: each record decoded (pcap/decode.h) and handed
// to the visitor, with the record's problems reported through on_error and
// the reading going on after them. What ends the reading early (a record
// cut by the end of the file) is reported too, after everything before it.

#include <cstdint>
#include <string>

#include "core/error.h"
#include "pcap/decode.h"

namespace tether::pcap {

struct ReadSummary {
  int link_type = 0;
  std::uint64_t records = 0;  // read whole
  std::uint64_t errors = 0;   // reported through on_error
};

// Fails (nothing read) when the file cannot be opened as a capture or its
// link type is not one decode.h knows; the message names the file.
// `capture` is the input's index, put in every Origin.
Result<ReadSummary> read_capture(const std::string& path, std::size_t capture, PacketVisitor& visitor,
                                 ReassemblyLimits limits = {});

}  // namespace tether::pcap
