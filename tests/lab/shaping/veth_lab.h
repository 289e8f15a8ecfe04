#pragma once
// Two namespaces joined by one veth pair (10.77.0.1/24 "va" in the first,
// 10.77.0.2/24 "vb" in the second, IPv6 off unless asked so that only the
// test's own packets cross), and timestamped UDP probes from one end to the other:
// each probe carries its sequence number and send time, the receiver
// reads the same clock when recvmsg returns, so the one-way delay is
// measured on one clock. (Not the kernel's receive stamp, SO_TIMESTAMPNS:
// it is taken as the packet enters the stack, before the PREROUTING hook
// where the delayer holds it.)

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/time.h"
#include "support/run_process.h"

namespace tether::testing {

class VethLab {
 public:
  // With `ipv6`, IPv6 stays on and the ends also get fd77::1/64 and
  // fd77::2/64 (no duplicate address detection). Check ok() before use.
  explicit VethLab(bool ipv6 = false);
  const std::string& a() const { return a_.name(); }
  const std::string& b() const { return b_.name(); }
  bool ok() const { return ok_; }

 private:
  NamedNamespace a_{"shp-a"}, b_{"shp-b"};
  bool ok_ = false;
};

struct ProbeRun {
  std::size_t attempted = 0, sent = 0;
  std::size_t send_failures = 0;  // sendto refused (EPERM: a full queue)
  std::vector<std::uint32_t> arrival_order;  // sequence numbers as they arrived
  std::vector<double> one_way_ms;            // in arrival order
  std::vector<Time> send_times;              // monotonic, by sequence number
  std::size_t reordered() const;             // arrivals below an earlier arrival's number
};

// `count` probes from a's va to b's vb, `spacing` apart (zero: as fast as
// sendto goes); waits for stragglers until `settle` after the last send.
ProbeRun send_probes(const VethLab& lab, std::size_t count, Duration spacing, Duration settle);

struct Summary {
  double mean = 0, stddev = 0, min = 0, p50 = 0, p99 = 0, max = 0;
};
Summary summarise(std::vector<double> values);
std::string describe(const Summary& s);  // "mean .. p50 .. p99 .. max .. ms"

}  // namespace tether::testing
