#pragma once
// When is a responder "under load", so that it demands cookies (mac2)
// before spending a Diffie-Hellman on a handshake message?
//
// Linux judges by its handshake queue (1/8 full: 512 of 4096 queued) and
// stays under load for one second after it last saw that. A sans-IO core
// has no queue: every datagram is handled when it is handed in. So the
// threshold here is a rate: more than `threshold` handshake messages
// (initiations and responses, valid mac1 or not) within one second, and as
// Linux, the state lasts one second past the last time it was seen.
//
// The default, 128 per second, is far above any honest load (a peer sends
// an initiation every 5 s at most while handshaking, every 2 minutes once
// up) and well below what one core can answer (a few thousand DH-bearing
// handshakes per second). A threshold of 0 means always under load.

#include <cstdint>
#include <optional>

#include "core/time.h"

namespace tether::tunnel {

class LoadDetector {
 public:
  static constexpr std::uint32_t kDefaultThreshold = 128;
  static constexpr Duration kWindow = Duration::seconds(1);

  explicit LoadDetector(std::uint32_t threshold = kDefaultThreshold) : threshold_(threshold) {}

  // Counts one handshake message arriving at `now`; returns whether the
  // device is under load for it.
  bool note_handshake(Time now) {
    if (!window_start_ || now - *window_start_ >= kWindow) {
      window_start_ = now;
      count_ = 0;
    }
    ++count_;
    if (count_ > threshold_) last_over_ = now;
    return under_load(now);
  }

  bool under_load(Time now) const {
    if (threshold_ == 0) return true;
    return last_over_ && now - *last_over_ < kWindow;
  }

  std::uint32_t threshold() const { return threshold_; }

 private:
  std::uint32_t threshold_;
  std::optional<Time> window_start_;
  std::uint32_t count_ = 0;
  std::optional<Time> last_over_;
};

}  // namespace tether::tunnel
