#pragma once
// A self-signed certificate and its key, made in memory: for tests, for
// simulated relays, and for a first start before the user installs a real
// certificate (OpenSMTPD users do the same with `openssl req -x509`).

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "crypto/injected_random_library.h"

namespace tether::crypto {

enum class CertificateKeyType {
  ec_p256,  // what every STARTTLS peer understands
  ed25519,  // smaller and faster; TLS 1.3-era peers only
};

struct SelfSignedCertificateOptions {
  std::string common_name;
  // subjectAltName entries (DNS names or IP addresses); empty means just the
  // common name. Peers match names against these, not the CN.
  std::vector<std::string> alt_names;
  CertificateKeyType key_type = CertificateKeyType::ec_p256;
  int valid_days = 3650;
  // When set (both), the key, the serial number and the ECDSA signature's
  // nonce are drawn from sources.random_bytes and validity starts from
  // sources.wall_now(): same sources, same certificate and key, byte for
  // byte. Unset: OpenSSL's RNG and the system clock.
  RandomAndClock sources;
};

struct CertificateAndKey {
  std::string certificate_pem;
  std::string private_key_pem;  // unencrypted PKCS#8
};

// The certificate is its own CA (basicConstraints CA:TRUE), so a peer can
// trust exactly it with TlsContext::trust_ca_pem. Validity starts an hour
// before now, to tolerate skew between machines.
Result<CertificateAndKey> make_self_signed_certificate(const SelfSignedCertificateOptions& options);
Result<CertificateAndKey> make_self_signed_certificate(std::string_view common_name);

}  // namespace tether::crypto
