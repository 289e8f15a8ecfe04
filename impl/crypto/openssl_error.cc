#include "crypto/openssl_error.h"

#include <openssl/err.h>

#include <stdexcept>

namespace tether::crypto {

std::string drain_openssl_errors() {
  std::string joined;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char line[256];
    ERR_error_string_n(code, line, sizeof line);
    if (!joined.empty()) joined += "; ";
    joined += line;
  }
  return joined.empty() ? "no OpenSSL error recorded" : joined;
}

Error openssl_error(std::string_view what) {
  return Error(ErrorCode::crypto, std::string(what) + ": " + drain_openssl_errors());
}

void throw_openssl_failure(std::string_view what) {
  throw std::runtime_error(std::string(what) + ": " + drain_openssl_errors());
}

}  // namespace tether::crypto
