#include "node/relay_pki_check.h"

#include "crypto/tls.h"

namespace tether::node {
namespace {

// As relay_tls.cc reads them: "/etc/ssl/x.pem" as ROOT/etc/ssl/x.pem.
std::string below_root(const std::filesystem::path& root, const std::string& path) {
  if (root.empty()) return path;
  return (root / std::filesystem::path(path).relative_path()).string();
}

}  // namespace

std::vector<std::string> check_relay_pki_files(const smtp::Config& config,
                                               const std::filesystem::path& config_root) {
  std::vector<std::string> errors;
  for (const smtp::Pki& pki : config.pkis) {
    // Half-declared pkis are config_check.cc's errors already.
    if (pki.cert_path.empty() || pki.key_path.empty()) continue;
    auto context = crypto::TlsContext::create(crypto::TlsRole::server);
    Result<void> loaded = context ? context->use_certificate_files(below_root(config_root, pki.cert_path),
                                                                   below_root(config_root, pki.key_path))
                                  : Result<void>(context.error());
    if (!loaded) errors.push_back(pki.where.to_string() + ": pki " + pki.name + ": " + loaded.error().message);
  }
  for (const smtp::CertificateAuthority& ca : config.cas) {
    if (ca.cert_path.empty()) continue;
    auto context = crypto::TlsContext::create(crypto::TlsRole::client);
    Result<void> loaded = context ? context->trust_ca_file(below_root(config_root, ca.cert_path))
                                  : Result<void>(context.error());
    if (!loaded) errors.push_back(ca.where.to_string() + ": ca " + ca.name + ": " + loaded.error().message);
  }
  return errors;
}

}  // namespace tether::node
