#pragma once
// Helpers for the queue, scheduler and bounce tests: a private temporary
// directory per test, a seeded id source, and envelopes with every field set.

#include <stdlib.h>

#include <filesystem>
#include <random>
#include <string>

#include "smtp/envelope.h"
#include "smtp/queue_store.h"

namespace tether::smtp::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tether-queue-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) ? pattern : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Random 64-bit ids, the same every run.
inline QueueStore::IdSource seeded_ids(std::uint64_t seed) {
  auto rng = std::make_shared<std::mt19937_64>(seed);
  return [rng] { return (*rng)(); };
}

inline constexpr WallTime kT0 = WallTime::from_unix_seconds(1700000000);  // 2023-11-14T22:13:20Z

// A relayed envelope as the server session would make it.
inline Envelope relay_envelope(const std::string& sender, const std::string& rcpt, WallTime created = kT0,
                               Duration ttl = Duration::days(4)) {
  Envelope e;
  e.type = DeliveryType::mta;
  e.family = SourceFamily::inet4;
  e.source = "198.51.100.7";
  e.helo = "client.example.net";
  e.hostname = "mx.example.com";
  e.sender = sender;
  e.rcpt = rcpt;
  e.dest = rcpt;
  e.destination = address_domain(rcpt);
  e.action = "relay_in";
  e.creation = created;
  e.expire = created + ttl;
  return e;
}

}  // namespace tether::smtp::testing
