#include "crypto/hchacha20.h"

#include <openssl/crypto.h>

#include "core/bytes.h"

namespace tether::crypto {
namespace {

constexpr std::uint32_t rotate_left(std::uint32_t v, int bits) {
  return (v << bits) | (v >> (32 - bits));
}

void quarter_round(std::uint32_t* s, int a, int b, int c, int d) {
  s[a] += s[b];
  s[d] = rotate_left(s[d] ^ s[a], 16);
  s[c] += s[d];
  s[b] = rotate_left(s[b] ^ s[c], 12);
  s[a] += s[b];
  s[d] = rotate_left(s[d] ^ s[a], 8);
  s[c] += s[d];
  s[b] = rotate_left(s[b] ^ s[c], 7);
}

}  // namespace

HChaChaOutput hchacha20(const HChaChaKey& key, const HChaChaInput& nonce_prefix) {
  // The ChaCha20 block function's state ("expand 32-byte k", key, and the
  // 16 nonce bytes where counter+nonce would go) and its 20 rounds, but
  // without the final feed-forward addition: the output words 0-3 and 12-15
  // are the ones an attacker cannot relate back to the key.
  std::uint32_t state[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
  for (int i = 0; i < 8; ++i) state[4 + i] = load_le32(key.data() + 4 * i);
  for (int i = 0; i < 4; ++i) state[12 + i] = load_le32(nonce_prefix.data() + 4 * i);

  for (int double_round = 0; double_round < 10; ++double_round) {
    quarter_round(state, 0, 4, 8, 12);
    quarter_round(state, 1, 5, 9, 13);
    quarter_round(state, 2, 6, 10, 14);
    quarter_round(state, 3, 7, 11, 15);
    quarter_round(state, 0, 5, 10, 15);
    quarter_round(state, 1, 6, 11, 12);
    quarter_round(state, 2, 7, 8, 13);
    quarter_round(state, 3, 4, 9, 14);
  }

  HChaChaOutput out{};
  for (int i = 0; i < 4; ++i) store_le32(out.data() + 4 * i, state[i]);
  for (int i = 0; i < 4; ++i) store_le32(out.data() + 16 + 4 * i, state[12 + i]);
  OPENSSL_cleanse(state, sizeof state);  // the state is key material
  return out;
}

}  // namespace tether::crypto
