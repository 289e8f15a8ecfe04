// bench_handshakes: complete WireGuard handshakes per second through
// tether's core (impl/tunnel), next to the bound that OpenSSL's X25519 sets,
// measured in the same run with rounds interleaved, printed as a ratio.
//
// One handshake, as two devices do it (sans-IO, so both sides run here
// back to back on one clock):
//   A: create_initiation         1 X25519 key generation + 1 DH (es)
//   B: cookie check (mac1), consume_initiation            1 DH (es)
//   B: create_response           1 key generation + 2 DH (ee, se)
//   A: cookie check (mac1), consume_response              2 DH (ee, se)
//   A, B: begin_session, keypairs installed
// The static-static DH is computed once per peer, as in Linux and
// wireguard-go. So each side does 4 X25519 operations, 8 in all: 2 fixed-
// base key generations and 6 variable-base DH. The bound is
//   1 / (6 / DH-per-second + 2 / keygen-per-second)
// with both rates from OpenSSL itself on reused contexts. Everything else in
// a handshake (BLAKE2s hashing and HKDF, ChaCha20-Poly1305 of the static
// key and timestamp, TAI64N, MACs, allocation) is what the ratio charges
// to the core.
//
//   bench_handshakes [--seconds S] [--rounds N]     (defaults 1 and 5)

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/endpoint.h"
#include "crypto/x25519.h"
#include "tunnel/cookie.h"
#include "tunnel/handshake.h"
#include "tunnel/random_source.h"
#include "tunnel/session.h"

using namespace tether;
using namespace tether::tunnel;

namespace {

using Clock = std::chrono::steady_clock;

double elapsed_seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "bench_handshakes: %s\n", what.c_str());
  std::exit(1);
}

// What tetherd's Host gives the core: the OpenSSL DRBG.
class OpenSslRandom : public RandomSource {
 public:
  void fill(MutableByteView out) override {
    if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) fail("RAND_bytes failed");
  }
};

crypto::PrivateKey random_private_key(RandomSource& random) {
  std::array<std::uint8_t, 32> bytes{};
  random.fill(MutableByteView(bytes.data(), bytes.size()));
  return crypto::private_key_from_random(bytes);
}

// Runs `batch` until `seconds` have passed; operations per second.
template <typename Batch>
double rate(double seconds, int per_batch, Batch batch) {
  long long done = 0;
  const auto start = Clock::now();
  double spent = 0;
  do {
    batch();
    done += per_batch;
    spent = elapsed_seconds(start);
  } while (spent < seconds);
  return double(done) / spent;
}

// --- the reference: OpenSSL's X25519 alone ---

struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

class OpenSslX25519 {
 public:
  OpenSslX25519() {
    keygen_.reset(EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr));
    if (!keygen_ || EVP_PKEY_keygen_init(keygen_.get()) != 1) fail("X25519 keygen setup");
    mine_ = generate();
    theirs_ = generate();
    derive_.reset(EVP_PKEY_CTX_new(mine_.get(), nullptr));
    if (!derive_ || EVP_PKEY_derive_init(derive_.get()) != 1 ||
        EVP_PKEY_derive_set_peer(derive_.get(), theirs_.get()) != 1)
      fail("X25519 derive setup");
  }

  // A fresh key pair: random scalar, fixed-base multiplication.
  std::unique_ptr<EVP_PKEY, PkeyFree> generate() {
    EVP_PKEY* key = nullptr;
    if (EVP_PKEY_keygen(keygen_.get(), &key) != 1) fail("X25519 keygen");
    return std::unique_ptr<EVP_PKEY, PkeyFree>(key);
  }

  // One variable-base multiplication.
  void derive() {
    std::uint8_t secret[32];
    std::size_t length = sizeof secret;
    if (EVP_PKEY_derive(derive_.get(), secret, &length) != 1) fail("X25519 derive");
  }

 private:
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> keygen_, derive_;
  std::unique_ptr<EVP_PKEY, PkeyFree> mine_, theirs_;
};

// --- the core: complete handshakes between two peers ---

class HandshakeLoop {
 public:
  HandshakeLoop()
      : a_(std::make_shared<LocalIdentity>(random_private_key(random_))),
        b_(std::make_shared<LocalIdentity>(random_private_key(random_))),
        a_checker_(a_->public_key()),
        b_checker_(b_->public_key()),
        a_peer_b_(a_, b_->public_key()),
        b_peer_a_(b_, a_->public_key()),
        a_endpoint_(*Endpoint::parse("192.0.2.1:51820")),
        b_endpoint_(*Endpoint::parse("198.51.100.2:51820")),
        wall_(WallTime::from_unix_ns(std::int64_t(1'700'000'000) * 1'000'000'000)) {}

  void once() {
    // Past the responder's 20 ms flood guard; the initiator keeps its
    // timestamps increasing by itself.
    now_ = now_ + Duration::milliseconds(25);
    wall_ = wall_ + Duration::milliseconds(25);
    index_ += 2;

    auto initiation = a_peer_b_.create_initiation(index_, now_, wall_, random_);
    if (!initiation) fail("create_initiation");
    auto checked = b_checker_.check(*initiation, a_endpoint_, false, now_, random_);
    if (checked.verdict != CookieChecker::Verdict::accepted) fail("initiation refused by the cookie checker");
    auto peer = consume_initiation(*b_, *checked.message, now_, [this](const crypto::PublicKey& key) {
      return key == a_->public_key() ? &b_peer_a_ : nullptr;
    });
    if (!peer || *peer != &b_peer_a_) fail("consume_initiation");
    auto response = b_peer_a_.create_response(index_ + 1, now_, random_);
    if (!response) fail("create_response");
    auto checked_response = a_checker_.check(*response, b_endpoint_, false, now_, random_);
    if (checked_response.verdict != CookieChecker::Verdict::accepted)
      fail("response refused by the cookie checker");
    if (!a_peer_b_.consume_response(*checked_response.message)) fail("consume_response");
    auto a_keys = a_peer_b_.begin_session(now_);
    auto b_keys = b_peer_a_.begin_session(now_);
    if (!a_keys || !b_keys) fail("begin_session");
    a_session_.install(std::move(a_keys).value(), now_);
    b_session_.install(std::move(b_keys).value(), now_);
  }

 private:
  OpenSslRandom random_;
  std::shared_ptr<const LocalIdentity> a_, b_;
  CookieChecker a_checker_, b_checker_;
  Handshake a_peer_b_, b_peer_a_;
  Session a_session_, b_session_;
  Endpoint a_endpoint_, b_endpoint_;
  Time now_ = Time::zero();
  WallTime wall_;
  std::uint32_t index_ = 1;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 1.0;
  int rounds = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--seconds" || arg == "--rounds") && i + 1 < argc) {
      if (arg == "--seconds")
        seconds = std::atof(argv[++i]);
      else
        rounds = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: bench_handshakes [--seconds S] [--rounds N]\n");
      return arg == "-h" || arg == "--help" ? 0 : 2;
    }
  }
  if (seconds <= 0 || rounds <= 0) fail("--seconds and --rounds must be positive");

  OpenSslX25519 reference;
  HandshakeLoop core;
  std::vector<double> derives, keygens, handshakes;
  std::printf("%-6s %14s %14s %16s\n", "round", "X25519 DH/s", "keygen/s", "handshakes/s");
  for (int r = 1; r <= rounds; ++r) {
    // Interleaved, a third of the time each, so drift hits all three alike.
    const double d = rate(seconds / 3, 64, [&] {
      for (int i = 0; i < 64; ++i) reference.derive();
    });
    const double k = rate(seconds / 3, 64, [&] {
      for (int i = 0; i < 64; ++i) reference.generate();
    });
    const double h = rate(seconds / 3, 8, [&] {
      for (int i = 0; i < 8; ++i) core.once();
    });
    derives.push_back(d);
    keygens.push_back(k);
    handshakes.push_back(h);
    std::printf("%-6d %14.0f %14.0f %16.0f\n", r, d, k, h);
  }
  const double d = median(derives), k = median(keygens), h = median(handshakes);
  const double bound = 1.0 / (6.0 / d + 2.0 / k);
  std::printf("%-6s %14.0f %14.0f %16.0f\n", "median", d, k, h);
  std::printf("bound from OpenSSL X25519 (6 DH + 2 keygen per handshake): %.0f handshakes/s\n", bound);
  std::printf("tether core: %.0f complete handshakes/s (%.1f us each); ratio core / bound: %.2f\n", h,
              1e6 / h, h / bound);
  return 0;
}
