#pragma once
// TLS (for SMTP STARTTLS) over memory BIOs, with no socket inside: the
// caller moves ciphertext between a TlsSession and whatever transport it
// has (a kernel TCP socket, or a simulated TCP stream in ns-3). This is the
// sans-IO shape of the protocol cores, applied to OpenSSL.
//
//   session.feed_ciphertext(bytes_from_network);
//   send(session.take_ciphertext());
//   app_data = session.read_plaintext();
//
// Randomness and time. A context made with create(role) uses OpenSSL's own
// DRBG and the system clock. A context made with create(role, sources)
// (MailRelay passes Host::random_bytes and Host::wall_now) draws from
// sources.random_bytes everything OpenSSL draws for its sessions: client and
// server randoms, the TLS 1.3 legacy session id, key shares, ECDSA nonces,
// RSA padding and PSS salts, TLS 1.2 CBC IVs and session ids, and the ticket
// keys OpenSSL makes with every SSL_CTX (see injected_random_library.h); and
// it checks certificate validity at sources.wall_now(), read when each
// session is created. To keep sessions a function of those two, it has no
// session tickets and no session cache (so no resumption, which a mail
// relay's sessions seldom use). Still read from the system clock, and never
// sent: SSL_SESSION's creation time and timeout, which only a cache or a
// ticket would consult. Same sources, same calls: byte-identical ciphertext.

#include <openssl/types.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"
#include "crypto/injected_random_library.h"

namespace tether::crypto {

enum class TlsRole { client, server };

// Certificates, trust and verification policy shared by many sessions.
// Sessions hold their own reference to the underlying SSL_CTX, so a
// context may be destroyed while its sessions live on.
class TlsContext {
 public:
  // TLS 1.2 minimum (1.0/1.1 are deprecated, RFC 8996); verification off
  // until set_verify_peer(true), because opportunistic STARTTLS between MTAs
  // commonly meets self-signed certificates.
  static Result<TlsContext> create(TlsRole role);
  // Randomness and the time for certificate checks from sources (both
  // required), as the header comment says.
  static Result<TlsContext> create(TlsRole role, RandomAndClock sources);

  ~TlsContext();
  TlsContext(TlsContext&& other) noexcept;
  TlsContext& operator=(TlsContext&& other) noexcept;
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Our certificate (leaf first, then any intermediates) and its private
  // key, from PEM text or PEM files. Encrypted keys are refused (there is
  // no one to type a passphrase). Required for a server.
  Result<void> use_certificate_pem(std::string_view chain_pem, std::string_view private_key_pem);
  Result<void> use_certificate_files(const std::string& chain_path, const std::string& private_key_path);

  // Trust anchors for verifying the peer.
  Result<void> trust_ca_pem(std::string_view ca_pem);
  Result<void> trust_ca_file(const std::string& ca_path);
  Result<void> trust_system_roots();

  // Client: the server's chain must verify, and its name must match the
  // name given to TlsSession::create. Server: a client certificate is
  // requested and required.
  void set_verify_peer(bool verify);

  TlsRole role() const { return role_; }
  bool verify_peer() const { return verify_peer_; }
  bool has_certificate() const { return has_certificate_; }
  SSL_CTX* native() const { return ctx_; }

 private:
  friend class TlsSession;
  TlsContext(TlsRole role, SSL_CTX* ctx) : role_(role), ctx_(ctx) {}
  static Result<TlsContext> create(TlsRole role, std::shared_ptr<const InjectedRandomLibrary> library,
                                   WallClockSource wall_now);

  TlsRole role_;
  SSL_CTX* ctx_ = nullptr;
  // Outlives ctx_ (and each session's SSL): both were made in it.
  std::shared_ptr<const InjectedRandomLibrary> library_;
  WallClockSource wall_now_;  // empty: the system clock
  bool verify_peer_ = false;
  bool has_certificate_ = false;
};

enum class TlsState {
  handshaking,
  established,  // handshake complete; application data flows
  closed,       // the peer sent close_notify
  failed,       // a fatal error; error() says why, take_ciphertext() may hold the alert
};

const char* to_string(TlsState state);

class TlsSession {
 public:
  // server_name (client only): sent as SNI, and when the context verifies
  // peers, the name the server's certificate must match. A client session
  // starts its handshake at once, so take_ciphertext() returns the
  // ClientHello straight away.
  static Result<TlsSession> create(const TlsContext& context, std::string_view server_name = {});

  ~TlsSession();
  TlsSession(TlsSession&& other) noexcept;
  TlsSession& operator=(TlsSession&& other) noexcept;
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Bytes received from the network. Drives the handshake and decrypts
  // whatever complete records arrived; fails (and the state becomes failed)
  // on a protocol error, a bad record MAC or a certificate that does not
  // verify.
  Result<void> feed_ciphertext(ByteView bytes);

  // Bytes to send to the network (handshake messages, records, alerts).
  Bytes take_ciphertext();
  bool has_ciphertext() const;

  // Application data to encrypt. Data written during the handshake is held
  // and sent once it completes, so a caller may write right after STARTTLS.
  Result<void> write_plaintext(ByteView bytes);

  // Decrypted application data received so far (and not yet taken).
  Bytes read_plaintext();

  // Queues a close_notify alert; the session accepts no more writes.
  void close();

  TlsState state() const { return state_; }
  bool handshake_done() const { return state_ == TlsState::established || state_ == TlsState::closed; }
  // Why the session failed: OpenSSL's error strings, plus the certificate
  // verification error when that was the cause. Empty unless failed.
  const std::string& error() const { return error_; }

  // After the handshake. Empty strings when not (yet) known.
  std::string protocol_version() const;  // "TLSv1.3"
  std::string cipher_name() const;       // "TLS_AES_256_GCM_SHA384"
  int cipher_bits() const;               // 256
  std::string peer_subject() const;      // "CN=relay.example.org" (RFC 2253)
  // Whether the peer's chain verified against our trust anchors (and its
  // name matched), whether or not the context enforces verification.
  bool peer_verified() const;
  std::string verify_result() const;  // "ok" or OpenSSL's reason, e.g. "self-signed certificate"

  SSL* native() const { return ssl_; }

 private:
  TlsSession(SSL* ssl, BIO* network_in, BIO* network_out)
      : ssl_(ssl), network_in_(network_in), network_out_(network_out) {}

  void advance();
  void fail(int ssl_error);
  Result<void> write_now(ByteView bytes);

  std::shared_ptr<const InjectedRandomLibrary> library_;  // the context's, if any: freed after ssl_
  SSL* ssl_ = nullptr;
  BIO* network_in_ = nullptr;   // ciphertext from the peer; owned by ssl_
  BIO* network_out_ = nullptr;  // ciphertext for the peer; owned by ssl_
  TlsState state_ = TlsState::handshaking;
  std::string error_;
  Bytes plaintext_in_;
  Bytes plaintext_pending_;  // written before the handshake finished
  bool closing_ = false;
};

}  // namespace tether::crypto
