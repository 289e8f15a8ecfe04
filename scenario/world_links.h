#pragma once
// The links of the scenario world as every world builds them (sim/ on ns-3
// point-to-point links, lab/ on veth pairs): which `links[]` entry a link
// is described by, and the world's default for each link the scenario
// leaves out (scenarios/README.md, "links"). One place, so the two worlds
// cannot drift apart.
//
// Keys: "lan" (the home to its gateway), "uplink" (the gateway's wired
// line), "lte" (its 4G line), or a host's name (that host's access link to
// the internet).

#include <string>

#include "core/time.h"
#include "scenario/scenario.h"

namespace tether::scenario {

struct WorldLink {
  std::string rate = "100Mbps";                 // ns-3 DataRate syntax, as links[].rate
  Duration delay = Duration::milliseconds(5);   // one way; the mean when jittered
  Duration jitter = Duration::zero();           // std-dev of each packet's delay
  bool reorder = false;                         // may a jittered packet overtake the one before it?
  double loss = 0.0;                            // per packet, each direction independently
  int line = 0;                                 // the links[] entry's line; 0 for the default
};

// The world's link `key` when the scenario says nothing of it.
WorldLink default_world_link(const std::string& key);

// The scenario's entry for link `key` over the default.
WorldLink world_link(const Scenario& scenario, const std::string& key);

}  // namespace tether::scenario
