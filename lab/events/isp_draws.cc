#include "lab/events/isp_draws.h"

#include <algorithm>

#include "lab/world/sim_draws.h"

namespace tether::lab {
namespace {

std::uint64_t big_endian(const std::vector<std::uint8_t>& bytes) {
  std::uint64_t r = 0;
  for (std::uint8_t b : bytes) r = r << 8 | b;
  return r;
}

}  // namespace

IspAddressDraws::IspAddressDraws(std::vector<IpAddress> pool, std::uint64_t seed, std::uint64_t customer_node_id)
    : pool_(std::move(pool)), seed_(seed), stream_(kIspStreamTag | customer_node_id) {
  std::sort(pool_.begin(), pool_.end());
  pool_.erase(std::unique(pool_.begin(), pool_.end()), pool_.end());
}

IpAddress IspAddressDraws::next_other(const IpAddress& current) {
  if (pool_.size() < 2) return current;
  const std::uint64_t r = big_endian(sim_random_bytes(seed_, stream_, offset_, 4));
  offset_ += 4;
  auto at = std::lower_bound(pool_.begin(), pool_.end(), current);
  std::size_t index = r % (pool_.size() - 1);
  if (at != pool_.end() && *at == current && index >= std::size_t(at - pool_.begin())) ++index;
  return pool_[index];
}

IspPrefixDraws::IspPrefixDraws(std::vector<IpPrefix> pool, std::uint64_t seed, std::uint64_t customer_node_id)
    : pool_(std::move(pool)), seed_(seed), stream_(kPrefixStreamTag | customer_node_id) {
  std::sort(pool_.begin(), pool_.end(), [](const IpPrefix& a, const IpPrefix& b) { return a.to_string() < b.to_string(); });
}

IpPrefix IspPrefixDraws::next_other(const IpPrefix& current) {
  const std::uint64_t r = big_endian(sim_random_bytes(seed_, stream_, offset_, 8));
  offset_ += 8;
  if (pool_.size() < 2) return current;
  std::vector<IpPrefix> others;
  for (const IpPrefix& p : pool_)
    if (!(p.network() == current)) others.push_back(p.network());
  return others[r % others.size()];
}

}  // namespace tether::lab
