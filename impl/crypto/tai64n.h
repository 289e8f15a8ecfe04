#pragma once
// TAI64N timestamps (cr.yp.to/libtai/tai64.html), carried in WireGuard
// handshake initiations: a responder accepts an initiation only if its
// timestamp is strictly newer than the last one it accepted from that peer,
// which stops replayed initiations from resetting a session.
//
// The wall-clock time is an argument (sans-IO: the caller owns the clock).

#include <array>
#include <cstdint>

namespace tether::crypto {

constexpr std::size_t kTai64nSize = 12;
using Tai64n = std::array<std::uint8_t, kTai64nSize>;

// The TAI64 label of the Unix epoch: 2^62 marks "non-negative", and 10 is the
// TAI-UTC offset in 1970. Like WireGuard (and unlike libtai) leap seconds
// since then are ignored: only ordering matters, and both ends use the same
// rule.
constexpr std::uint64_t kTai64EpochLabel = 0x400000000000000aULL;

// How much of the nanoseconds to keep.
enum class Tai64nWhitening {
  // Keep them all (for logs and tests that want exact values).
  none,
  // Round down to a multiple of 2^24 ns (~16.8 ms), as wireguard-go
  // (whitenerMask 0x1000000 - 1) and Linux (rounddown_pow_of_two(1 s / 50
  // initiations per second)) do. The timestamp reaches the peer, and a
  // precise one would leak fine-grained timer state (an infoleak and timing
  // side channel); ~16.8 ms is still finer than the 20 ms minimum spacing of
  // initiations, so successive initiations keep strictly increasing stamps.
  wireguard,
};

// Big-endian (kTai64EpochLabel + seconds) || big-endian nanoseconds, from a
// time in nanoseconds since the Unix epoch (negative = before 1970).
Tai64n tai64n_from_unix_ns(std::int64_t unix_ns, Tai64nWhitening whitening = Tai64nWhitening::wireguard);

// The inverse, for logs and dissectors. Labels outside the int64 nanosecond
// range (years beyond ~2262) saturate.
std::int64_t tai64n_to_unix_ns(const Tai64n& stamp);

// True when candidate is strictly later than previous. Byte order equals
// time order because both fields are big-endian and fixed-width.
bool tai64n_is_newer(const Tai64n& candidate, const Tai64n& previous);

}  // namespace tether::crypto
