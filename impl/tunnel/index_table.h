#pragma once
// The receiver-index table (whitepaper 5.4.2; Linux peer_lookup.c,
// wireguard-go indextable.go): every handshake in progress and every keypair
// is named on the wire by a 32-bit index that we choose and the peer echoes
// back, so that a response, cookie reply or transport message finds its
// peer with one lookup and without trying any key.
//
// Indices are random (drawn from the injected RandomSource) so they reveal
// nothing about how many sessions exist, and unique across the device.
// Zero is never handed out: the handshake uses it to mean "no index".

#include <cstdint>
#include <optional>
#include <unordered_map>

#include "tunnel/allowed_ips.h"  // PeerId
#include "tunnel/random_source.h"

namespace tether::tunnel {

class IndexTable {
 public:
  // What the index names: a response may only name a handshake, a transport
  // message only a keypair; a cookie reply either.
  enum class Kind : std::uint8_t { handshake, keypair };
  struct Entry {
    PeerId peer = 0;
    Kind kind = Kind::handshake;
  };

  // A fresh index for `peer`, unique among those in the table.
  std::uint32_t allocate(PeerId peer, Kind kind, RandomSource& random);
  // A handshake's index becomes its keypair's (begin_session keeps it).
  void set_kind(std::uint32_t index, Kind kind);
  // Forgets `index`; nothing happens if it is absent (or 0).
  void release(std::uint32_t index);
  void release_peer(PeerId peer);

  std::optional<Entry> find(std::uint32_t index) const;
  std::size_t size() const { return entries_.size(); }
  std::size_t count_of(PeerId peer) const;

 private:
  std::unordered_map<std::uint32_t, Entry> entries_;
};

}  // namespace tether::tunnel
