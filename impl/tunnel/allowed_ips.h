#pragma once
// Cryptokey routing (whitepaper section 2): the table that maps an inner IP
// address to the peer allowed to use it. Outbound, the longest matching
// prefix picks the peer whose keys encrypt a packet; inbound, a decrypted
// packet is accepted only if its source address maps back to the peer that
// sent it.
//
// A path-compressed binary trie per address family, as Linux's allowedips.c:
// a lookup walks at most one node per distinct prefix length on its path,
// and a prefix costs at most two nodes whatever its length.

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "core/endpoint.h"

namespace tether::tunnel {

// A peer as the device numbers them; the table only stores and returns it.
using PeerId = std::uint32_t;

class AllowedIps {
 public:
  AllowedIps();
  ~AllowedIps();
  AllowedIps(AllowedIps&&) noexcept;
  AllowedIps& operator=(AllowedIps&&) noexcept;
  AllowedIps(const AllowedIps&) = delete;
  AllowedIps& operator=(const AllowedIps&) = delete;

  // Routes `prefix` to `peer`. Host bits are cleared first ("10.0.0.1/24" is
  // 10.0.0.0/24), as wg does. A prefix that another peer owns moves to `peer`:
  // a prefix has one owner, and the latest configuration wins.
  void insert(const IpPrefix& prefix, PeerId peer);

  // Removes exactly `prefix` (host bits cleared), whoever owns it; returns
  // whether it was present. Shorter and longer prefixes are untouched.
  bool remove(const IpPrefix& prefix);

  // Removes every prefix of `peer` (the peer was removed or reconfigured).
  void remove_peer(PeerId peer);

  void clear();

  // The peer owning the longest prefix that contains `address`, if any.
  std::optional<PeerId> lookup(const IpAddress& address) const;

  // The prefixes of `peer`: IPv4 before IPv6, each in address order, a
  // shorter prefix before the longer ones it contains (stable for `wg show`).
  std::vector<IpPrefix> entries_of(PeerId peer) const;
  // Every prefix with its owner, in the same order.
  std::vector<std::pair<IpPrefix, PeerId>> entries() const;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  struct Node;
  static int family_index(const IpAddress& a) { return a.is_v4() ? 0 : 1; }
  static void compact(std::unique_ptr<Node>& slot);

  // One trie per family; each root is the always-present /0 node, so the
  // walk never has to special-case an empty trie or a /0 route.
  std::unique_ptr<Node> roots_[2];
  std::size_t size_ = 0;
};

}  // namespace tether::tunnel
