#pragma once
// Where the protocol core gets its random bytes: ephemeral keys, cookie
// secrets and cookie-reply nonces. The core never draws randomness itself
// (docs/ARCHITECTURE.md, sans-IO): the node passes the Host's generator in, the
// simulator a seeded one, tests a scripted one, so a run is reproducible
// from its seed.

#include "core/bytes.h"

namespace tether::tunnel {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out` entirely with bytes an attacker cannot predict.
  virtual void fill(MutableByteView out) = 0;
};

}  // namespace tether::tunnel
