#pragma once
// The ISP's address changes as the simulation draws them, after the first
// address (lab/world/sim_draws.h): sim/world/isp.cc's draw_other_address
// (the pool sorted and without duplicates, a big-endian u32 per change,
// uniform over the pool without the current address; no draw with a pool
// of one, or when the event names the address) and isp_prefix.cc's draw
// (the pool sorted by text, a big-endian u64 per change, uniform over the
// others). Each draw reads the model's stream where the last one stopped.

#include <cstdint>
#include <vector>

#include "core/endpoint.h"

namespace tether::lab {

class IspAddressDraws {
 public:
  // The stream has given the first address already (4 bytes).
  IspAddressDraws(std::vector<IpAddress> pool, std::uint64_t seed, std::uint64_t customer_node_id);
  IpAddress next_other(const IpAddress& current);

 private:
  std::vector<IpAddress> pool_;
  std::uint64_t seed_, stream_;
  std::size_t offset_ = 4;
};

class IspPrefixDraws {
 public:
  // The stream has given the first prefix already (8 bytes).
  IspPrefixDraws(std::vector<IpPrefix> pool, std::uint64_t seed, std::uint64_t customer_node_id);
  IpPrefix next_other(const IpPrefix& current);

 private:
  std::vector<IpPrefix> pool_;
  std::uint64_t seed_, stream_;
  std::size_t offset_ = 8;
};

}  // namespace tether::lab
