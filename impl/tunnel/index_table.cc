#include "tunnel/index_table.h"

#include <array>

namespace tether::tunnel {

std::uint32_t IndexTable::allocate(PeerId peer, Kind kind, RandomSource& random) {
  for (;;) {
    std::array<std::uint8_t, 4> bytes{};
    random.fill(MutableByteView(bytes));
    const std::uint32_t index = load_le32(bytes.data());
    if (index == 0) continue;
    if (entries_.emplace(index, Entry{peer, kind}).second) return index;
  }
}

void IndexTable::set_kind(std::uint32_t index, Kind kind) {
  auto it = entries_.find(index);
  if (it != entries_.end()) it->second.kind = kind;
}

void IndexTable::release(std::uint32_t index) {
  if (index != 0) entries_.erase(index);
}

void IndexTable::release_peer(PeerId peer) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.peer == peer) it = entries_.erase(it);
    else ++it;
  }
}

std::optional<IndexTable::Entry> IndexTable::find(std::uint32_t index) const {
  auto it = entries_.find(index);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

std::size_t IndexTable::count_of(PeerId peer) const {
  std::size_t n = 0;
  for (const auto& [index, entry] : entries_)
    if (entry.peer == peer) ++n;
  return n;
}

}  // namespace tether::tunnel
