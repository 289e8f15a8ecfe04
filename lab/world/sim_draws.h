#pragma once
// The addresses the simulation draws when a scenario leaves the choice to
// its seed: the home's first ISP address from `isp.pool` (and the 4G
// line's from `isp.lte_pool`) and its first delegated prefix from
// `isp.prefix_pool`. The lab must number its world the same way, so that
// a capture from either world shows the same addresses.
//
// The simulation draws them from sim/host/seeded_random.cc's stream
// (ChaCha20 keystream under SHA-256("tether sim random v1" || seed ||
// stream), little-endian) on a stream tagged per model and numbered by the
// ns-3 id of the customer node (sim/world/isp.cc: kIspStreamTag,
// isp_prefix.cc: kPrefixStreamTag). ns-3 numbers nodes in creation order:
// the internet router 0, the hosts 1..N in file order, then the gateway
// (sim/scenario_world_topology.cc, create_nodes). tests/lab/world checks
// these against the simulation's own numbers.

#include <cstdint>
#include <vector>

#include "core/endpoint.h"
#include "scenario/scenario.h"

namespace tether::lab {

// The stream tags of the ISP's address draws (sim/world/isp.cc) and its
// prefix draws (isp_prefix.cc), or'ed with the customer's node id.
inline constexpr std::uint64_t kIspStreamTag = 0x495350ull << 40;
inline constexpr std::uint64_t kPrefixStreamTag = 0x5044ull << 40;

// Bytes [offset, offset + n) of SeededRandom(seed, stream): a model's later
// draws (the ISP's changes after its first address, lab/events).
std::vector<std::uint8_t> sim_random_bytes(std::uint64_t seed, std::uint64_t stream, std::size_t offset, std::size_t n);

// The ns-3 node id the simulation gives the gateway of `scenario`.
std::uint64_t simulated_gateway_node_id(const scenario::Scenario& scenario);

// Isp's first address: the pool sorted and without duplicates, indexed by
// a big-endian u32 drawn from the stream.
IpAddress first_isp_address(std::vector<IpAddress> pool, std::uint64_t seed, std::uint64_t customer_node_id);
// IspPrefix's first prefix: the pool sorted by text (as IspPrefix sorts
// it), indexed by a big-endian u64 drawn from the stream.
IpPrefix first_delegated_prefix(std::vector<IpPrefix> pool, std::uint64_t seed, std::uint64_t customer_node_id);

}  // namespace tether::lab
