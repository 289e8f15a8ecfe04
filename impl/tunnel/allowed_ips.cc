#include "tunnel/allowed_ips.h"

#include <algorithm>
#include <array>

namespace tether::tunnel {

using Key = std::array<std::uint8_t, 16>;

struct AllowedIps::Node {
  Key key{};         // network byte order, bits past `length` zero
  int length = 0;    // prefix length in bits
  bool has_peer = false;
  PeerId peer = 0;
  std::unique_ptr<Node> child[2];
};

namespace {

int bit_at(const Key& key, int i) { return (key[std::size_t(i >> 3)] >> (7 - (i & 7))) & 1; }

// Number of leading bits on which a and b agree, at most `max`.
int common_bits(const Key& a, const Key& b, int max) {
  int n = 0;
  for (std::size_t i = 0; n < max; ++i) {
    std::uint8_t diff = a[i] ^ b[i];
    if (diff == 0) {
      n += 8;
      continue;
    }
    int lead = 0;
    while (!(diff & 0x80)) {
      diff = std::uint8_t(diff << 1);
      ++lead;
    }
    n += lead;
    break;
  }
  return std::min(n, max);
}

Key masked_key(const std::uint8_t* bytes, std::size_t size, int length) {
  Key k{};
  std::copy(bytes, bytes + size, k.begin());
  for (int bit = length; bit < 128; ++bit) k[std::size_t(bit / 8)] &= std::uint8_t(~(0x80 >> (bit % 8)));
  return k;
}

IpPrefix to_prefix(const Key& key, int length, bool v4) {
  return IpPrefix(v4 ? IpAddress::v4_bytes(key.data()) : IpAddress::v6_bytes(key.data()), length);
}

}  // namespace

AllowedIps::AllowedIps() { clear(); }
AllowedIps::~AllowedIps() = default;
AllowedIps::AllowedIps(AllowedIps&&) noexcept = default;
AllowedIps& AllowedIps::operator=(AllowedIps&&) noexcept = default;

void AllowedIps::clear() {
  roots_[0] = std::make_unique<Node>();
  roots_[1] = std::make_unique<Node>();
  size_ = 0;
}

void AllowedIps::insert(const IpPrefix& prefix, PeerId peer) {
  const IpAddress& a = prefix.address();
  const int length = prefix.length();
  const Key key = masked_key(a.bytes(), a.size(), length);
  auto make_leaf = [&] {
    auto leaf = std::make_unique<Node>();
    leaf->key = key;
    leaf->length = length;
    leaf->has_peer = true;
    leaf->peer = peer;
    ++size_;
    return leaf;
  };

  // Invariant: n's prefix contains key/length and n->length <= length.
  Node* n = roots_[family_index(a)].get();
  for (;;) {
    if (n->length == length) {
      if (!n->has_peer) ++size_;
      n->has_peer = true;
      n->peer = peer;
      return;
    }
    std::unique_ptr<Node>& slot = n->child[bit_at(key, n->length)];
    if (!slot) {
      slot = make_leaf();
      return;
    }
    Node* c = slot.get();
    int common = common_bits(c->key, key, std::min(c->length, length));
    if (common == c->length) {  // c contains the new prefix: go deeper
      n = c;
      continue;
    }
    if (common == length) {  // the new prefix contains c: it goes in between
      auto leaf = make_leaf();
      leaf->child[bit_at(c->key, length)] = std::move(slot);
      slot = std::move(leaf);
      return;
    }
    // They diverge below both: a peerless branch node at the divergence.
    auto branch = std::make_unique<Node>();
    branch->key = masked_key(key.data(), 16, common);
    branch->length = common;
    branch->child[bit_at(c->key, common)] = std::move(slot);
    branch->child[bit_at(key, common)] = make_leaf();
    slot = std::move(branch);
    return;
  }
}

// After a node lost its peer, a non-root node that routes nothing and joins
// fewer than two subtrees is dead weight: drop it, or let its one child take
// its place (lookups re-check each node's prefix, so skipping bits is safe).
void AllowedIps::compact(std::unique_ptr<Node>& slot) {
  Node* n = slot.get();
  if (n->has_peer || (n->child[0] && n->child[1])) return;
  if (n->child[0]) slot = std::move(n->child[0]);
  else if (n->child[1]) slot = std::move(n->child[1]);
  else slot.reset();
}

bool AllowedIps::remove(const IpPrefix& prefix) {
  const IpAddress& a = prefix.address();
  const int length = prefix.length();
  const Key key = masked_key(a.bytes(), a.size(), length);

  // Remember the path so the nodes above the removed one can be compacted.
  std::vector<std::unique_ptr<Node>*> path;
  std::unique_ptr<Node>* slot = &roots_[family_index(a)];
  for (;;) {
    Node* n = slot->get();
    if (!n || n->length > length || common_bits(n->key, key, n->length) != n->length) return false;
    if (n->length == length) break;
    path.push_back(slot);
    slot = &n->child[bit_at(key, n->length)];
  }
  Node* n = slot->get();
  if (!n->has_peer) return false;
  n->has_peer = false;
  --size_;
  if (!path.empty()) compact(*slot);  // the root stays, even when empty
  for (std::size_t i = path.size(); i-- > 1;) compact(*path[i]);
  return true;
}

void AllowedIps::remove_peer(PeerId peer) {
  // Post-order, so each node is compacted after its subtrees shrank.
  struct Walk {
    PeerId peer;
    std::size_t removed = 0;
    void operator()(std::unique_ptr<Node>& slot, bool is_root) {
      Node* n = slot.get();
      for (auto& c : n->child)
        if (c) (*this)(c, false);
      if (n->has_peer && n->peer == peer) {
        n->has_peer = false;
        ++removed;
      }
      if (!is_root) compact(slot);
    }
  } walk{peer};
  walk(roots_[0], true);
  walk(roots_[1], true);
  size_ -= walk.removed;
}

std::optional<PeerId> AllowedIps::lookup(const IpAddress& address) const {
  Key key{};
  std::copy(address.bytes(), address.bytes() + address.size(), key.begin());
  const int max = int(address.size() * 8);
  std::optional<PeerId> best;
  const Node* n = roots_[family_index(address)].get();
  while (n && common_bits(n->key, key, n->length) == n->length) {
    if (n->has_peer) best = n->peer;
    if (n->length == max) break;
    n = n->child[bit_at(key, n->length)].get();
  }
  return best;
}

std::vector<std::pair<IpPrefix, PeerId>> AllowedIps::entries() const {
  std::vector<std::pair<IpPrefix, PeerId>> out;
  out.reserve(size_);
  struct Walk {
    std::vector<std::pair<IpPrefix, PeerId>>& out;
    bool v4;
    void operator()(const Node* n) {
      if (n->has_peer) out.emplace_back(to_prefix(n->key, n->length, v4), n->peer);
      for (const auto& c : n->child)
        if (c) (*this)(c.get());
    }
  };
  Walk{out, true}(roots_[0].get());
  Walk{out, false}(roots_[1].get());
  return out;
}

std::vector<IpPrefix> AllowedIps::entries_of(PeerId peer) const {
  std::vector<IpPrefix> out;
  for (auto& [prefix, owner] : entries())
    if (owner == peer) out.push_back(prefix);
  return out;
}

}  // namespace tether::tunnel
