#pragma once
// What one direction of a lab link must do to the packets that leave a veth
// end: hold each for a one-way delay (a normal draw of std-dev `jitter`
// around `delay`, as sim/world/jittered_channel.h draws it), drop a share
// `loss` of them, and send no faster than `rate`. Read from a scenario's
// `links[]` entry over the world's default for that link, as the
// simulation reads it (sim/scenario_world_topology.cc: default_link,
// link_config), so that the lab and tether-sim shape the same link alike.

#include <cstdint>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/time.h"
#include "scenario/scenario.h"

namespace tether::lab {

struct LinkShape {
  Duration delay = Duration::zero();   // one way; the mean when jittered
  Duration jitter = Duration::zero();  // std-dev of each packet's delay
  // May a jittered packet overtake the one sent before it? (default: no,
  // each leaves no earlier than the one queued before it)
  bool reorder = false;
  double loss = 0.0;               // probability a packet is dropped, 0..1
  std::uint64_t rate_bps = 0;      // bits per second; 0: not limited

  // Does a packet need the delayer (NFQUEUE) at all?
  bool needs_delayer() const { return delay.ns() > 0 || jitter.ns() > 0 || loss > 0; }
  // "25ms+-10ms loss 1% 50Mbit/s in order", for logs and results.json.
  std::string summary() const;
};

// ns-3's DataRate spelling as the scenario parser accepts it: a positive
// number and one of bps, kbps, Kbps, Mbps, Gbps (decimal multiples of bits
// per second, as DataRate reads them). The error names the text.
Result<std::uint64_t> parse_rate(const std::string& text);

// The world's default for the link `key` ("uplink", "lte", "lan", or a
// public host's name), the same figures as the simulation's default_link
// (scenarios/README.md, links[]): a public host 100Mbps/5ms, the LAN
// 1Gbps/1ms, the uplink 50Mbps/10ms, 4G 10Mbps/130ms with 12ms jitter.
LinkShape default_link_shape(const std::string& key);

// The scenario's link `key` over its default, one direction (the
// simulation applies the same figures to both). The error names the
// scenario line of a rate that does not parse.
Result<LinkShape> link_shape_for(const scenario::Scenario& scenario, const std::string& key);

}  // namespace tether::lab
