#include "lab/world/sim_draws.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string_view>

namespace tether::lab {
namespace {

// The first `n` bytes of SeededRandom(seed, stream) (sim/host/seeded_random.cc,
// whose derivation this follows; it cannot be linked here: sim/ is ns-3's).
std::vector<std::uint8_t> first_bytes(std::uint64_t seed, std::uint64_t stream, std::size_t n) {
  constexpr std::string_view label = "tether sim random v1";
  std::uint8_t material[label.size() + 16];
  std::copy(label.begin(), label.end(), material);
  for (int i = 0; i < 8; ++i) {
    material[label.size() + std::size_t(i)] = std::uint8_t(seed >> (8 * i));
    material[label.size() + 8 + std::size_t(i)] = std::uint8_t(stream >> (8 * i));
  }
  std::uint8_t key[SHA256_DIGEST_LENGTH];
  SHA256(material, sizeof material, key);
  const std::uint8_t iv[16] = {};
  std::unique_ptr<EVP_CIPHER_CTX, void (*)(EVP_CIPHER_CTX*)> ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::vector<std::uint8_t> out(n, 0);
  int written = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_chacha20(), nullptr, key, iv) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &written, out.data(), int(n)) != 1)
    throw std::runtime_error("sim_draws: OpenSSL ChaCha20 is unavailable");
  return out;
}

std::uint64_t big_endian(const std::vector<std::uint8_t>& bytes) {
  std::uint64_t r = 0;
  for (std::uint8_t b : bytes) r = r << 8 | b;
  return r;
}

}  // namespace

std::vector<std::uint8_t> sim_random_bytes(std::uint64_t seed, std::uint64_t stream, std::size_t offset, std::size_t n) {
  std::vector<std::uint8_t> all = first_bytes(seed, stream, offset + n);
  return std::vector<std::uint8_t>(all.begin() + std::ptrdiff_t(offset), all.end());
}

std::uint64_t simulated_gateway_node_id(const scenario::Scenario& scenario) { return scenario.hosts.size() + 1; }

IpAddress first_isp_address(std::vector<IpAddress> pool, std::uint64_t seed, std::uint64_t customer_node_id) {
  std::sort(pool.begin(), pool.end());
  pool.erase(std::unique(pool.begin(), pool.end()), pool.end());
  if (pool.empty()) return IpAddress();
  const std::uint64_t r = big_endian(first_bytes(seed, kIspStreamTag | customer_node_id, 4));
  return pool[r % pool.size()];
}

IpPrefix first_delegated_prefix(std::vector<IpPrefix> pool, std::uint64_t seed, std::uint64_t customer_node_id) {
  if (pool.empty()) return IpPrefix();
  // IspPrefix sorts its pool by text before its first draw.
  std::sort(pool.begin(), pool.end(), [](const IpPrefix& a, const IpPrefix& b) { return a.to_string() < b.to_string(); });
  const std::uint64_t r = big_endian(first_bytes(seed, kPrefixStreamTag | customer_node_id, 8));
  return pool[r % pool.size()].network();
}

}  // namespace tether::lab
