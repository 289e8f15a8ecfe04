#include "crypto/self_signed_certificate.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>

#include "crypto/openssl_error.h"

namespace tether::crypto {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct BnCtxFree {
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};

bool is_ip_literal(const std::string& name) {
  unsigned char buf[16];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

std::string alt_name_list(const SelfSignedCertificateOptions& options) {
  std::vector<std::string> names = options.alt_names;
  if (names.empty()) names.push_back(options.common_name);
  std::string list;
  for (const std::string& name : names) {
    if (!list.empty()) list += ",";
    list += (is_ip_literal(name) ? "IP:" : "DNS:") + name;
  }
  return list;
}

bool add_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok == 1;
}

Result<std::string> bio_contents(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  if (len <= 0) return openssl_error("reading PEM output");
  return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace

Result<CertificateAndKey> make_self_signed_certificate(const SelfSignedCertificateOptions& options) {
  if (options.common_name.empty())
    return Error(ErrorCode::invalid_argument, "certificate common name is empty");
  if (options.valid_days <= 0)
    return Error(ErrorCode::invalid_argument, "certificate validity must be positive");

  const bool injected = options.sources.random_bytes || options.sources.wall_now;
  if (injected && !(options.sources.random_bytes && options.sources.wall_now))
    return Error(ErrorCode::invalid_argument, "certificate sources need both a randomness source and a wall clock");
  std::shared_ptr<const InjectedRandomLibrary> library;
  if (injected) {
    auto made = InjectedRandomLibrary::create(options.sources.random_bytes);
    if (!made) return made.error();
    library = std::move(made).value();
  }
  OSSL_LIB_CTX* libctx = library ? library->native() : nullptr;
  const std::time_t now = injected ? static_cast<std::time_t>(options.sources.wall_now().unix_seconds())
                                   : std::time(nullptr);

  std::unique_ptr<EVP_PKEY, PkeyFree> key(options.key_type == CertificateKeyType::ec_p256
                                              ? EVP_PKEY_Q_keygen(libctx, nullptr, "EC", "P-256")
                                              : EVP_PKEY_Q_keygen(libctx, nullptr, "ED25519"));
  if (!key) return openssl_error("generating certificate key");

  std::unique_ptr<X509, X509Free> cert(X509_new_ex(libctx, nullptr));
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1)
    return openssl_error("creating certificate");

  // A random 127-bit serial, as CAs use: two certificates made for the same
  // name must still differ, or clients caching by issuer+serial get confused.
  std::unique_ptr<BN_CTX, BnCtxFree> bn_ctx(BN_CTX_new_ex(libctx));
  std::unique_ptr<BIGNUM, BnFree> serial(BN_new());
  if (!bn_ctx || !serial ||
      BN_rand_ex(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY, 0, bn_ctx.get()) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr)
    return openssl_error("setting certificate serial");

  std::time_t start = now;
  if (X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, -3600, &start) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), options.valid_days, 0, &start) == nullptr)
    return openssl_error("setting certificate validity");

  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(options.common_name.c_str()), -1, -1,
                                 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1 || X509_set_pubkey(cert.get(), key.get()) != 1)
    return openssl_error("setting certificate name and key");

  X509V3_CTX ext_ctx;
  X509V3_set_ctx_nodb(&ext_ctx);
  X509V3_set_ctx(&ext_ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  if (!add_extension(cert.get(), &ext_ctx, NID_basic_constraints, "critical,CA:TRUE") ||
      !add_extension(cert.get(), &ext_ctx, NID_key_usage, "critical,digitalSignature,keyCertSign") ||
      !add_extension(cert.get(), &ext_ctx, NID_ext_key_usage, "serverAuth,clientAuth") ||
      !add_extension(cert.get(), &ext_ctx, NID_subject_key_identifier, "hash") ||
      !add_extension(cert.get(), &ext_ctx, NID_subject_alt_name, alt_name_list(options)))
    return openssl_error("adding certificate extensions");

  // Ed25519 signs the message itself (no separate digest), hence null.
  const EVP_MD* digest = options.key_type == CertificateKeyType::ec_p256 ? EVP_sha256() : nullptr;
  if (X509_sign(cert.get(), key.get(), digest) <= 0) return openssl_error("signing certificate");

  std::unique_ptr<BIO, BioFree> cert_bio(BIO_new(BIO_s_mem()));
  // Secure memory for the key's PEM, so the buffer is wiped when freed.
  std::unique_ptr<BIO, BioFree> key_bio(BIO_new(BIO_s_secmem()));
  if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return openssl_error("writing certificate PEM");

  Result<std::string> cert_pem = bio_contents(cert_bio.get());
  if (!cert_pem) return cert_pem.error();
  Result<std::string> key_pem = bio_contents(key_bio.get());
  if (!key_pem) return key_pem.error();
  return CertificateAndKey{std::move(cert_pem).value(), std::move(key_pem).value()};
}

Result<CertificateAndKey> make_self_signed_certificate(std::string_view common_name) {
  SelfSignedCertificateOptions options;
  options.common_name = std::string(common_name);
  return make_self_signed_certificate(options);
}

}  // namespace tether::crypto
