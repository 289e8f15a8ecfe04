#include "crypto/tls.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <utility>

#include "crypto/openssl_error.h"

namespace tether::crypto {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

// A daemon has no terminal: without this, OpenSSL would prompt on stdin for
// the passphrase of an encrypted key and hang.
int refuse_passphrase(char*, int, int, void*) {
  return 0;
}

BioPtr read_only_bio(std::string_view text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// PEM reading ends by failing with "no start line" at the end of the text;
// that entry is expected and must not be blamed on a later call.
void forget_end_of_pem_error() {
  const unsigned long last = ERR_peek_last_error();
  if (ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE) ERR_clear_error();
}

bool is_ip_literal(const std::string& name) {
  unsigned char buf[16];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

}  // namespace

// ---- TlsContext ----

Result<TlsContext> TlsContext::create(TlsRole role) {
  return create(role, nullptr, nullptr);
}

Result<TlsContext> TlsContext::create(TlsRole role, RandomAndClock sources) {
  if (!sources.random_bytes || !sources.wall_now)
    return Error(ErrorCode::invalid_argument, "a TLS context needs both a randomness source and a wall clock");
  auto library = InjectedRandomLibrary::create(std::move(sources.random_bytes));
  if (!library) return library.error();
  return create(role, std::move(library).value(), std::move(sources.wall_now));
}

Result<TlsContext> TlsContext::create(TlsRole role, std::shared_ptr<const InjectedRandomLibrary> library,
                                      WallClockSource wall_now) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new_ex(library ? library->native() : nullptr, nullptr,
                                role == TlsRole::client ? TLS_client_method() : TLS_server_method());
  if (ctx == nullptr) return openssl_error("creating TLS context");
  TlsContext context(role, ctx);
  context.library_ = std::move(library);
  context.wall_now_ = std::move(wall_now);
  if (context.library_) {
    // A ticket seals the session with its creation time from the system
    // clock, and resumption would make a session depend on earlier ones.
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    if (SSL_CTX_set_num_tickets(ctx, 0) != 1) return openssl_error("turning off session tickets");
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  }
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
    return openssl_error("setting TLS 1.2 minimum");
  // Debian's openssl.cnf raises every context to security level 2 (no RSA
  // keys under 2048 bits, no SHA-1 signatures); a context in its own library
  // context never reads that file, so it asks for the same floor itself.
  SSL_CTX_set_security_level(ctx, 2);
  SSL_CTX_set_default_passwd_cb(ctx, refuse_passphrase);
  // Renegotiation only adds attack surface for a mail relay.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  context.set_verify_peer(false);
  return context;
}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
}

TlsContext::TlsContext(TlsContext&& other) noexcept
    : role_(other.role_),
      ctx_(std::exchange(other.ctx_, nullptr)),
      library_(std::move(other.library_)),
      wall_now_(std::move(other.wall_now_)),
      verify_peer_(other.verify_peer_),
      has_certificate_(other.has_certificate_) {}

TlsContext& TlsContext::operator=(TlsContext&& other) noexcept {
  if (this != &other) {
    SSL_CTX_free(ctx_);
    role_ = other.role_;
    ctx_ = std::exchange(other.ctx_, nullptr);
    library_ = std::move(other.library_);
    wall_now_ = std::move(other.wall_now_);
    verify_peer_ = other.verify_peer_;
    has_certificate_ = other.has_certificate_;
  }
  return *this;
}

Result<void> TlsContext::use_certificate_pem(std::string_view chain_pem, std::string_view private_key_pem) {
  ERR_clear_error();
  OSSL_LIB_CTX* libctx = library_ ? library_->native() : nullptr;
  BioPtr chain = read_only_bio(chain_pem);
  // Made in the context's library, as SSL_CTX_use_certificate_chain_file
  // does, so the key signs (and draws its nonces) there.
  X509* leaf_read = chain ? X509_new_ex(libctx, nullptr) : nullptr;
  if (leaf_read != nullptr && PEM_read_bio_X509(chain.get(), &leaf_read, refuse_passphrase, nullptr) == nullptr) {
    X509_free(leaf_read);
    leaf_read = nullptr;
  }
  X509Ptr leaf(leaf_read);
  if (!leaf) return openssl_error("reading certificate PEM");
  if (SSL_CTX_use_certificate(ctx_, leaf.get()) != 1) return openssl_error("using certificate");
  SSL_CTX_clear_chain_certs(ctx_);
  while (X509* intermediate = PEM_read_bio_X509(chain.get(), nullptr, refuse_passphrase, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx_, intermediate) != 1) {
      X509_free(intermediate);
      return openssl_error("adding intermediate certificate");
    }
  }
  forget_end_of_pem_error();

  BioPtr key_bio = read_only_bio(private_key_pem);
  EVP_PKEY* key =
      key_bio ? PEM_read_bio_PrivateKey_ex(key_bio.get(), nullptr, refuse_passphrase, nullptr, libctx, nullptr)
              : nullptr;
  if (key == nullptr) return openssl_error("reading private key PEM (encrypted keys are not supported)");
  const int used = SSL_CTX_use_PrivateKey(ctx_, key);
  EVP_PKEY_free(key);
  if (used != 1) return openssl_error("using private key");
  if (SSL_CTX_check_private_key(ctx_) != 1)
    return openssl_error("private key does not match the certificate");
  has_certificate_ = true;
  return {};
}

Result<void> TlsContext::use_certificate_files(const std::string& chain_path,
                                               const std::string& private_key_path) {
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx_, chain_path.c_str()) != 1)
    return openssl_error("loading certificate chain from " + chain_path);
  if (SSL_CTX_use_PrivateKey_file(ctx_, private_key_path.c_str(), SSL_FILETYPE_PEM) != 1)
    return openssl_error("loading private key from " + private_key_path +
                         " (encrypted keys are not supported)");
  if (SSL_CTX_check_private_key(ctx_) != 1)
    return openssl_error("private key " + private_key_path + " does not match certificate " + chain_path);
  has_certificate_ = true;
  return {};
}

Result<void> TlsContext::trust_ca_pem(std::string_view ca_pem) {
  ERR_clear_error();
  BioPtr bio = read_only_bio(ca_pem);
  if (!bio) return openssl_error("reading CA PEM");
  X509_STORE* store = SSL_CTX_get_cert_store(ctx_);
  int added = 0;
  while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, refuse_passphrase, nullptr)) {
    const int ok = X509_STORE_add_cert(store, ca);  // takes its own reference
    X509_free(ca);
    if (ok != 1) return openssl_error("adding CA certificate");
    ++added;
  }
  forget_end_of_pem_error();
  if (added == 0) return openssl_error("no certificate found in CA PEM");
  return {};
}

Result<void> TlsContext::trust_ca_file(const std::string& ca_path) {
  ERR_clear_error();
  if (SSL_CTX_load_verify_file(ctx_, ca_path.c_str()) != 1)
    return openssl_error("loading CA file " + ca_path);
  return {};
}

Result<void> TlsContext::trust_system_roots() {
  ERR_clear_error();
  if (SSL_CTX_set_default_verify_paths(ctx_) != 1) return openssl_error("loading the system's trusted roots");
  return {};
}

void TlsContext::set_verify_peer(bool verify) {
  verify_peer_ = verify;
  int mode = SSL_VERIFY_NONE;
  if (verify)
    mode = role_ == TlsRole::client ? SSL_VERIFY_PEER : SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_CTX_set_verify(ctx_, mode, nullptr);
}

// ---- TlsSession ----

const char* to_string(TlsState state) {
  switch (state) {
    case TlsState::handshaking: return "handshaking";
    case TlsState::established: return "established";
    case TlsState::closed: return "closed";
    case TlsState::failed: return "failed";
  }
  return "unknown";
}

Result<TlsSession> TlsSession::create(const TlsContext& context, std::string_view server_name) {
  if (context.native() == nullptr) return Error(ErrorCode::internal, "TLS context was moved from");
  if (context.role() == TlsRole::server && !context.has_certificate())
    return Error(ErrorCode::invalid_argument, "a TLS server context needs a certificate and key");
  ERR_clear_error();

  SSL* ssl = SSL_new(context.native());
  if (ssl == nullptr) return openssl_error("creating TLS session");
  BIO* network_in = BIO_new(BIO_s_mem());
  BIO* network_out = BIO_new(BIO_s_mem());
  if (network_in == nullptr || network_out == nullptr) {
    BIO_free(network_in);
    BIO_free(network_out);
    SSL_free(ssl);
    return openssl_error("creating TLS memory buffers");
  }
  // An empty input buffer means "more may come" (retry), not end of stream.
  BIO_set_mem_eof_return(network_in, -1);
  SSL_set_bio(ssl, network_in, network_out);
  TlsSession session(ssl, network_in, network_out);
  session.library_ = context.library_;
  if (context.wall_now_) {
    // Read once: a handshake is over within seconds of its session's start.
    X509_VERIFY_PARAM_set_time(SSL_get0_param(ssl), static_cast<time_t>(context.wall_now_().unix_seconds()));
  }

  if (context.role() == TlsRole::client) {
    SSL_set_connect_state(ssl);
    const std::string name(server_name);
    if (!name.empty()) {
      // SNI carries host names only (RFC 6066); an address is still checked.
      if (!is_ip_literal(name) && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1)
        return openssl_error("setting SNI name " + name);
      // Checked even when not enforced, so peer_verified() can report it.
      if (SSL_set1_host(ssl, name.c_str()) != 1) return openssl_error("setting expected peer name " + name);
    }
    session.advance();  // produces the ClientHello
    if (session.state_ == TlsState::failed) return Error(ErrorCode::crypto, session.error_);
  } else {
    SSL_set_accept_state(ssl);
  }
  return session;
}

TlsSession::~TlsSession() {
  SSL_free(ssl_);
}

TlsSession::TlsSession(TlsSession&& other) noexcept
    : library_(std::move(other.library_)),
      ssl_(std::exchange(other.ssl_, nullptr)),
      network_in_(std::exchange(other.network_in_, nullptr)),
      network_out_(std::exchange(other.network_out_, nullptr)),
      state_(other.state_),
      error_(std::move(other.error_)),
      plaintext_in_(std::move(other.plaintext_in_)),
      plaintext_pending_(std::move(other.plaintext_pending_)),
      closing_(other.closing_) {}

TlsSession& TlsSession::operator=(TlsSession&& other) noexcept {
  if (this != &other) {
    SSL_free(ssl_);
    library_ = std::move(other.library_);
    ssl_ = std::exchange(other.ssl_, nullptr);
    network_in_ = std::exchange(other.network_in_, nullptr);
    network_out_ = std::exchange(other.network_out_, nullptr);
    state_ = other.state_;
    error_ = std::move(other.error_);
    plaintext_in_ = std::move(other.plaintext_in_);
    plaintext_pending_ = std::move(other.plaintext_pending_);
    closing_ = other.closing_;
  }
  return *this;
}

void TlsSession::fail(int ssl_error) {
  const char* stage = handshake_done() ? "session" : "handshake";
  state_ = TlsState::failed;
  // The verification reason (expired, self-signed, hostname mismatch) is
  // not on the error queue, only "certificate verify failed"; add it when
  // that is what failed, since it is the part a user can act on.
  const bool verify_failed = ERR_GET_LIB(ERR_peek_last_error()) == ERR_LIB_SSL &&
                             ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_CERTIFICATE_VERIFY_FAILED;
  std::string reason = drain_openssl_errors();
  if (ssl_error != SSL_ERROR_SSL) reason = "SSL_get_error " + std::to_string(ssl_error) + " (" + reason + ")";
  const long verify = SSL_get_verify_result(ssl_);
  if (verify_failed && verify != X509_V_OK)
    reason += " (certificate verify: " + std::string(X509_verify_cert_error_string(verify)) + ")";
  error_ = std::string("TLS ") + stage + " failed: " + reason;
}

void TlsSession::advance() {
  if (ssl_ == nullptr || state_ == TlsState::failed || state_ == TlsState::closed) return;
  ERR_clear_error();
  if (state_ == TlsState::handshaking) {
    const int r = SSL_do_handshake(ssl_);
    if (r != 1) {
      const int e = SSL_get_error(ssl_, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) fail(e);
      return;
    }
    state_ = TlsState::established;
    if (!plaintext_pending_.empty()) {
      Bytes pending = std::move(plaintext_pending_);
      plaintext_pending_.clear();
      if (!write_now(pending)) return;
    }
  }
  // Drain every complete record; TLS 1.3 post-handshake messages (session
  // tickets) are consumed here too.
  std::uint8_t buf[16384];
  for (;;) {
    std::size_t n = 0;
    const int r = SSL_read_ex(ssl_, buf, sizeof buf, &n);
    if (r == 1) {
      plaintext_in_.insert(plaintext_in_.end(), buf, buf + n);
      continue;
    }
    const int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
    if (e == SSL_ERROR_ZERO_RETURN) {
      state_ = TlsState::closed;
      break;
    }
    fail(e);
    break;
  }
}

Result<void> TlsSession::feed_ciphertext(ByteView bytes) {
  if (ssl_ == nullptr) return Error(ErrorCode::internal, "TLS session was moved from");
  if (state_ == TlsState::failed) return Error(ErrorCode::crypto, error_);
  if (!bytes.empty() &&
      BIO_write(network_in_, bytes.data(), static_cast<int>(bytes.size())) != static_cast<int>(bytes.size()))
    return openssl_error("buffering TLS input");
  advance();
  if (state_ == TlsState::failed) return Error(ErrorCode::crypto, error_);
  return {};
}

Bytes TlsSession::take_ciphertext() {
  Bytes out;
  if (network_out_ == nullptr) return out;
  const std::size_t pending = BIO_ctrl_pending(network_out_);
  out.resize(pending);
  if (pending != 0) {
    const int n = BIO_read(network_out_, out.data(), static_cast<int>(pending));
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  }
  return out;
}

bool TlsSession::has_ciphertext() const {
  return network_out_ != nullptr && BIO_ctrl_pending(network_out_) != 0;
}

Result<void> TlsSession::write_now(ByteView bytes) {
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    std::size_t written = 0;
    const int r = SSL_write_ex(ssl_, bytes.data() + offset, bytes.size() - offset, &written);
    if (r != 1) {
      fail(SSL_get_error(ssl_, r));
      return Error(ErrorCode::crypto, error_);
    }
    offset += written;
  }
  return {};
}

Result<void> TlsSession::write_plaintext(ByteView bytes) {
  if (ssl_ == nullptr) return Error(ErrorCode::internal, "TLS session was moved from");
  if (state_ == TlsState::failed) return Error(ErrorCode::crypto, error_);
  if (closing_ || state_ == TlsState::closed) return Error(ErrorCode::closed, "TLS session is closed");
  if (state_ == TlsState::handshaking) {
    append(plaintext_pending_, bytes);
    return {};
  }
  ERR_clear_error();
  return write_now(bytes);
}

Bytes TlsSession::read_plaintext() {
  return std::exchange(plaintext_in_, Bytes());
}

void TlsSession::close() {
  if (ssl_ == nullptr || closing_ || state_ == TlsState::failed) return;
  closing_ = true;
  // Nothing to close before the handshake ends; otherwise queue the alert.
  if (handshake_done()) {
    ERR_clear_error();
    SSL_shutdown(ssl_);
    ERR_clear_error();
  }
}

std::string TlsSession::protocol_version() const {
  if (ssl_ == nullptr || !handshake_done()) return "";
  return SSL_get_version(ssl_);
}

std::string TlsSession::cipher_name() const {
  const SSL_CIPHER* cipher = ssl_ != nullptr && handshake_done() ? SSL_get_current_cipher(ssl_) : nullptr;
  return cipher != nullptr ? SSL_CIPHER_get_name(cipher) : "";
}

int TlsSession::cipher_bits() const {
  const SSL_CIPHER* cipher = ssl_ != nullptr && handshake_done() ? SSL_get_current_cipher(ssl_) : nullptr;
  return cipher != nullptr ? SSL_CIPHER_get_bits(cipher, nullptr) : 0;
}

std::string TlsSession::peer_subject() const {
  X509* peer = ssl_ != nullptr ? SSL_get0_peer_certificate(ssl_) : nullptr;
  if (peer == nullptr) return "";
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), X509_get_subject_name(peer), 0, XN_FLAG_RFC2253) < 0) return "";
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : "";
}

bool TlsSession::peer_verified() const {
  return ssl_ != nullptr && SSL_get0_peer_certificate(ssl_) != nullptr &&
         SSL_get_verify_result(ssl_) == X509_V_OK;
}

std::string TlsSession::verify_result() const {
  if (ssl_ == nullptr) return "";
  if (SSL_get0_peer_certificate(ssl_) == nullptr) return "no peer certificate";
  const long result = SSL_get_verify_result(ssl_);
  return result == X509_V_OK ? "ok" : X509_verify_cert_error_string(result);
}

}  // namespace tether::crypto
