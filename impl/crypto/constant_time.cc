#include "crypto/constant_time.h"

#include <openssl/crypto.h>

namespace tether::crypto {

bool constant_time_equal(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  if (a.size() == 0) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void secure_wipe(MutableByteView bytes) {
  if (bytes.size() != 0) OPENSSL_cleanse(bytes.data(), bytes.size());
}

void secure_wipe(std::string& text) {
  // The whole capacity, not just size(): a string that shrank still holds the
  // old secret beyond its current end.
  if (text.capacity() != 0) OPENSSL_cleanse(text.data(), text.capacity());
  text.clear();
}

}  // namespace tether::crypto
