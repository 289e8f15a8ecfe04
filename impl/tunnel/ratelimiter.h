#pragma once
// Per-source token bucket for handshake messages under load (Linux
// ratelimiter.c): once a responder is under load, each source address may
// get at most 20 handshakes per second processed (bursts of 5), even with
// a valid cookie. The cookie proves the sender can receive at its address;
// this stops one such address from monopolising the DH budget.
//
// IPv4 sources are keyed by address, IPv6 by their /64, since one host
// typically owns a whole /64. Entries idle for a second are forgotten
// (lazily, on use: no timer of its own), and the table is bounded: when
// full, new sources are refused until old ones expire.

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "core/endpoint.h"
#include "core/time.h"

namespace tether::tunnel {

class Ratelimiter {
 public:
  static constexpr std::int64_t kPacketsPerSecond = 20;
  static constexpr std::int64_t kPacketsBurstable = 5;
  static constexpr std::size_t kDefaultMaxEntries = 65536;

  explicit Ratelimiter(std::size_t max_entries = kDefaultMaxEntries) : max_entries_(max_entries) {}

  // Whether one more handshake from `source` may be processed at `now`.
  bool allow(const IpAddress& source, Time now);

  std::size_t size() const { return entries_.size(); }

 private:
  struct Bucket {
    Time last;
    std::int64_t tokens_ns = 0;  // time credit; one packet costs 1 s / 20
  };
  struct Key {
    std::uint64_t bits = 0;
    bool v6 = false;
    bool operator==(const Key& o) const { return bits == o.bits && v6 == o.v6; }
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept;
  };
  static Key key_of(const IpAddress& a);
  void collect_garbage(Time now);

  std::unordered_map<Key, Bucket, KeyHash> entries_;
  std::size_t max_entries_;
  Time last_gc_ = Time::zero();
};

}  // namespace tether::tunnel
