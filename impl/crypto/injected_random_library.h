#pragma once
// An OpenSSL library context (OSSL_LIB_CTX) whose every random byte comes
// from a callback: the way TLS and certificate generation draw from Host
// (a seeded stream in ns-3, OpenSSL's strong RAND on Linux) instead of from
// OpenSSL's own DRBG, so a simulation is a function of its seed.
//
// How: a tiny in-process provider (OSSL_PROVIDER_add_builtin) offers an
// EVP_RAND that calls the callback; it is made both the seed source and the
// DRBG type of the context (RAND_set_seed_source_type, RAND_set_DRBG_type),
// so the primary, public and private DRBGs of the context all are it and
// nothing is mixed in from the operating system, the time or a counter.
// The default provider is loaded beside it for ciphers, digests and keys.
// Keys, certificates and SSL_CTXs must be made in this context (the *_ex
// calls) for their operations to draw from the callback.
//
// A context costs a few hundred microseconds and some kilobytes: make one
// per TLS context (per listener or relay action), not per session.

#include <openssl/types.h>

#include <functional>
#include <memory>

#include "core/bytes.h"
#include "core/error.h"
#include "core/time.h"

namespace tether::crypto {

using RandomBytesSource = std::function<void(MutableByteView)>;
using WallClockSource = std::function<WallTime()>;

// Where TLS and certificate generation take randomness and the time from
// (Host::random_bytes and Host::wall_now, for a node app).
struct RandomAndClock {
  RandomBytesSource random_bytes;
  WallClockSource wall_now;
};

class InjectedRandomLibrary {
 public:
  // random_bytes must fill the whole view; it is called from inside
  // OpenSSL, possibly under the context's lock, and must not call back into
  // this context.
  static Result<std::shared_ptr<const InjectedRandomLibrary>> create(RandomBytesSource random_bytes);

  ~InjectedRandomLibrary();
  InjectedRandomLibrary(const InjectedRandomLibrary&) = delete;
  InjectedRandomLibrary& operator=(const InjectedRandomLibrary&) = delete;

  OSSL_LIB_CTX* native() const { return libctx_; }

  struct Source;  // the callback, as the provider sees it (opaque here)

 private:
  explicit InjectedRandomLibrary(std::unique_ptr<Source> source);

  std::unique_ptr<Source> source_;  // the provider's instances point at it
  OSSL_LIB_CTX* libctx_ = nullptr;
  OSSL_PROVIDER* default_provider_ = nullptr;
  OSSL_PROVIDER* random_provider_ = nullptr;
};

}  // namespace tether::crypto
