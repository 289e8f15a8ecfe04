// TLS over memory BIOs: two in-memory ends with bytes pumped between them,
// as the SMTP layer will do over a (real or simulated) TCP stream.
#include "crypto/tls.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <stdexcept>
#include <string>

#include "core/bytes.h"
#include "crypto/self_signed_certificate.h"

namespace tether::crypto {
// So BOOST_TEST can print states when a comparison fails.
std::ostream& operator<<(std::ostream& os, TlsState state) {
  return os << to_string(state);
}
}  // namespace tether::crypto

using namespace tether;
using namespace tether::crypto;

namespace {

const CertificateAndKey& relay_certificate() {
  static const CertificateAndKey cert = [] {
    SelfSignedCertificateOptions options;
    options.common_name = "relay.example.org";
    options.alt_names = {"relay.example.org", "127.0.0.1"};
    Result<CertificateAndKey> made = make_self_signed_certificate(options);
    if (!made) throw std::runtime_error(made.error().to_string());
    return std::move(made).value();
  }();
  return cert;
}

TlsContext server_context(const CertificateAndKey& cert = relay_certificate()) {
  Result<TlsContext> ctx = TlsContext::create(TlsRole::server);
  BOOST_REQUIRE(ctx.ok());
  Result<void> used = ctx->use_certificate_pem(cert.certificate_pem, cert.private_key_pem);
  BOOST_REQUIRE_MESSAGE(used.ok(), (used.ok() ? "" : used.error().to_string()));
  return std::move(ctx).value();
}

TlsContext client_context() {
  Result<TlsContext> ctx = TlsContext::create(TlsRole::client);
  BOOST_REQUIRE(ctx.ok());
  return std::move(ctx).value();
}

TlsSession session(const TlsContext& ctx, std::string_view name = {}) {
  Result<TlsSession> s = TlsSession::create(ctx, name);
  BOOST_REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().to_string()));
  return std::move(s).value();
}

// Moves ciphertext both ways until neither side has anything to send;
// appends what it moved to the logs, when given.
void pump(TlsSession& client, TlsSession& server, Bytes* to_server_log = nullptr, Bytes* to_client_log = nullptr) {
  for (int round = 0; round < 50; ++round) {
    const Bytes to_server = client.take_ciphertext();
    const Bytes to_client = server.take_ciphertext();
    if (to_server.empty() && to_client.empty()) return;
    if (to_server_log != nullptr) append(*to_server_log, to_server);
    if (to_client_log != nullptr) append(*to_client_log, to_client);
    if (!to_server.empty()) (void)server.feed_ciphertext(to_server);
    if (!to_client.empty()) (void)client.feed_ciphertext(to_client);
  }
  BOOST_FAIL("TLS pump did not settle");
}

std::string text(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(handshake_and_data_both_ways) {
  TlsContext server_ctx = server_context();
  TlsContext client_ctx = client_context();
  TlsSession server = session(server_ctx);
  TlsSession client = session(client_ctx, "relay.example.org");

  BOOST_TEST(client.has_ciphertext());  // the ClientHello, before any input
  BOOST_TEST(!client.handshake_done());
  pump(client, server);
  BOOST_REQUIRE_MESSAGE(client.handshake_done(), client.error());
  BOOST_REQUIRE_MESSAGE(server.handshake_done(), server.error());
  BOOST_TEST(client.state() == TlsState::established);

  BOOST_TEST(client.protocol_version() == "TLSv1.3");
  BOOST_TEST(client.cipher_name() == "TLS_AES_256_GCM_SHA384");
  BOOST_TEST(server.cipher_name() == client.cipher_name());
  BOOST_TEST(client.cipher_bits() == 256);
  BOOST_TEST(client.peer_subject() == "CN=relay.example.org");
  BOOST_TEST(server.peer_subject() == "");  // no client certificate requested
  // Not trusted (no CA configured), but verification is off, so it still works.
  BOOST_TEST(!client.peer_verified());
  BOOST_TEST(client.verify_result() == "self-signed certificate");

  BOOST_REQUIRE(client.write_plaintext(ByteView(std::string_view("EHLO home.example.org\r\n"))).ok());
  pump(client, server);
  BOOST_TEST(text(server.read_plaintext()) == "EHLO home.example.org\r\n");
  BOOST_TEST(server.read_plaintext().empty());  // taken once

  Bytes big(100000);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 31);
  BOOST_REQUIRE(server.write_plaintext(big).ok());
  BOOST_REQUIRE(server.write_plaintext(ByteView(std::string_view("250 OK\r\n"))).ok());
  pump(client, server);
  Bytes expected = big;
  append(expected, ByteView(std::string_view("250 OK\r\n")));
  BOOST_TEST(to_hex(client.read_plaintext()) == to_hex(expected));

  // close_notify reaches the peer as a clean close.
  client.close();
  BOOST_TEST(!client.write_plaintext(ByteView(std::string_view("x"))).ok());
  pump(client, server);
  BOOST_TEST(server.state() == TlsState::closed);
  BOOST_TEST(server.error().empty());
}

// Data written before the handshake completes is sent once it does.
BOOST_AUTO_TEST_CASE(early_write_is_held_until_established) {
  TlsContext server_ctx = server_context();
  TlsContext client_ctx = client_context();
  TlsSession server = session(server_ctx);
  TlsSession client = session(client_ctx, "relay.example.org");
  BOOST_REQUIRE(client.write_plaintext(ByteView(std::string_view("MAIL FROM:<a@b>\r\n"))).ok());
  pump(client, server);
  BOOST_TEST(text(server.read_plaintext()) == "MAIL FROM:<a@b>\r\n");
}

BOOST_AUTO_TEST_CASE(verify_with_the_right_ca_succeeds) {
  TlsContext server_ctx = server_context();
  TlsContext client_ctx = client_context();
  BOOST_REQUIRE(client_ctx.trust_ca_pem(relay_certificate().certificate_pem).ok());
  client_ctx.set_verify_peer(true);
  for (const char* name : {"relay.example.org", "127.0.0.1"}) {
    TlsSession server = session(server_ctx);
    TlsSession client = session(client_ctx, name);
    pump(client, server);
    BOOST_REQUIRE_MESSAGE(client.handshake_done(), client.error());
    BOOST_TEST(client.peer_verified());
    BOOST_TEST(client.verify_result() == "ok");
  }
}

BOOST_AUTO_TEST_CASE(verify_with_a_wrong_ca_fails_clearly) {
  Result<CertificateAndKey> other = make_self_signed_certificate("someone-else.example.org");
  BOOST_REQUIRE(other.ok());
  TlsContext server_ctx = server_context();
  TlsContext client_ctx = client_context();
  BOOST_REQUIRE(client_ctx.trust_ca_pem(other->certificate_pem).ok());
  client_ctx.set_verify_peer(true);
  TlsSession server = session(server_ctx);
  TlsSession client = session(client_ctx, "relay.example.org");
  pump(client, server);
  BOOST_TEST(client.state() == TlsState::failed);
  BOOST_TEST_MESSAGE("client error: " << client.error());
  BOOST_TEST(client.error().find("TLS handshake failed") != std::string::npos);
  BOOST_TEST(client.error().find("certificate verify failed") != std::string::npos);
  BOOST_TEST(client.error().find("self-signed certificate") != std::string::npos);
  // The client's alert told the server, which fails too rather than hanging.
  BOOST_TEST(server.state() == TlsState::failed);
  BOOST_TEST(!client.feed_ciphertext(Bytes(5)).ok());
}

BOOST_AUTO_TEST_CASE(verify_with_a_wrong_name_fails) {
  TlsContext server_ctx = server_context();
  TlsContext client_ctx = client_context();
  BOOST_REQUIRE(client_ctx.trust_ca_pem(relay_certificate().certificate_pem).ok());
  client_ctx.set_verify_peer(true);
  TlsSession server = session(server_ctx);
  TlsSession client = session(client_ctx, "mx.other.org");
  pump(client, server);
  BOOST_TEST(client.state() == TlsState::failed);
  BOOST_TEST_MESSAGE("client error: " << client.error());
  BOOST_TEST(client.error().find("hostname mismatch") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(corrupted_ciphertext_is_an_error_state) {
  TlsContext server_ctx = server_context();
  TlsContext client_ctx = client_context();
  TlsSession server = session(server_ctx);
  TlsSession client = session(client_ctx, "relay.example.org");
  pump(client, server);
  BOOST_REQUIRE(server.handshake_done());

  BOOST_REQUIRE(client.write_plaintext(ByteView(std::string_view("DATA\r\n"))).ok());
  Bytes record = client.take_ciphertext();
  BOOST_REQUIRE(record.size() > 10);
  record[record.size() - 3] ^= 0x20;
  Result<void> fed = server.feed_ciphertext(record);
  BOOST_TEST(!fed.ok());
  BOOST_TEST(server.state() == TlsState::failed);
  BOOST_TEST_MESSAGE("server error: " << server.error());
  BOOST_TEST(server.error().find("bad record mac") != std::string::npos);
  BOOST_TEST(server.read_plaintext().empty());
  BOOST_TEST(server.has_ciphertext());  // the bad_record_mac alert for the peer
  BOOST_TEST(!server.write_plaintext(ByteView(std::string_view("x"))).ok());
}

BOOST_AUTO_TEST_CASE(garbage_instead_of_a_handshake) {
  TlsContext server_ctx = server_context();
  TlsSession server = session(server_ctx);
  Result<void> fed = server.feed_ciphertext(ByteView(std::string_view("EHLO not tls at all\r\n")));
  BOOST_TEST(!fed.ok());
  BOOST_TEST(server.state() == TlsState::failed);
  BOOST_TEST(!server.error().empty());
}

// TLS 1.2 still works (older MTAs); below 1.2 is refused.
BOOST_AUTO_TEST_CASE(tls_1_2_accepted_and_1_1_refused) {
  TlsContext server_ctx = server_context();
  TlsContext client_ctx = client_context();
  SSL_CTX_set_max_proto_version(client_ctx.native(), TLS1_2_VERSION);
  TlsSession server = session(server_ctx);
  TlsSession client = session(client_ctx, "relay.example.org");
  pump(client, server);
  BOOST_REQUIRE_MESSAGE(client.handshake_done(), client.error());
  BOOST_TEST(client.protocol_version() == "TLSv1.2");
  BOOST_TEST(!client.cipher_name().empty());

  TlsContext old_client_ctx = client_context();
  SSL_CTX_set_min_proto_version(old_client_ctx.native(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(old_client_ctx.native(), TLS1_1_VERSION);
  TlsSession server2 = session(server_ctx);
  Result<TlsSession> old_client = TlsSession::create(old_client_ctx, "relay.example.org");
  if (old_client.ok()) {
    pump(*old_client, server2);
    BOOST_TEST(!server2.handshake_done());
    BOOST_TEST(server2.state() == TlsState::failed);
    BOOST_TEST_MESSAGE("TLS 1.1 client refused by server: " << server2.error());
  } else {
    // This OpenSSL will not even offer TLS 1.1 (security level), which is
    // also a refusal.
    BOOST_TEST_MESSAGE("TLS 1.1 client could not start: " << old_client.error().message);
  }
}

// Certificates from PEM files, an Ed25519 key, and a server that requires a
// client certificate.
BOOST_AUTO_TEST_CASE(files_ed25519_and_client_certificates) {
  SelfSignedCertificateOptions options;
  options.common_name = "mx.example.net";
  options.key_type = CertificateKeyType::ed25519;
  Result<CertificateAndKey> ed = make_self_signed_certificate(options);
  BOOST_REQUIRE(ed.ok());
  BOOST_TEST(ed->private_key_pem.find("BEGIN PRIVATE KEY") != std::string::npos);

  char dir_template[] = "/tmp/tether-tls-test-XXXXXX";
  BOOST_REQUIRE(mkdtemp(dir_template) != nullptr);
  const std::string dir = dir_template;
  std::ofstream(dir + "/cert.pem") << ed->certificate_pem;
  std::ofstream(dir + "/key.pem") << ed->private_key_pem;
  std::ofstream(dir + "/client-ca.pem") << relay_certificate().certificate_pem;

  Result<TlsContext> server_ctx = TlsContext::create(TlsRole::server);
  BOOST_REQUIRE(server_ctx.ok());
  Result<void> loaded = server_ctx->use_certificate_files(dir + "/cert.pem", dir + "/key.pem");
  BOOST_REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? "" : loaded.error().to_string()));
  BOOST_REQUIRE(server_ctx->trust_ca_file(dir + "/client-ca.pem").ok());
  server_ctx->set_verify_peer(true);

  Result<void> missing = server_ctx->use_certificate_files(dir + "/nope.pem", dir + "/key.pem");
  BOOST_REQUIRE(!missing.ok());
  BOOST_TEST(missing.error().message.find(dir + "/nope.pem") != std::string::npos);

  // Client presents the relay certificate and trusts the Ed25519 one.
  TlsContext client_ctx = client_context();
  BOOST_REQUIRE(
      client_ctx.use_certificate_pem(relay_certificate().certificate_pem, relay_certificate().private_key_pem)
          .ok());
  BOOST_REQUIRE(client_ctx.trust_ca_pem(ed->certificate_pem).ok());
  client_ctx.set_verify_peer(true);
  TlsSession server = session(*server_ctx);
  TlsSession client = session(client_ctx, "mx.example.net");
  pump(client, server);
  BOOST_REQUIRE_MESSAGE(server.handshake_done(), server.error());
  BOOST_TEST(client.peer_verified());
  BOOST_TEST(server.peer_verified());
  BOOST_TEST(server.peer_subject() == "CN=relay.example.org");

  // Without a client certificate, that server refuses the handshake.
  TlsContext anonymous_ctx = client_context();
  TlsSession server2 = session(*server_ctx);
  TlsSession anonymous = session(anonymous_ctx, "mx.example.net");
  pump(anonymous, server2);
  BOOST_TEST(server2.state() == TlsState::failed);
  BOOST_TEST_MESSAGE("server error: " << server2.error());

  std::remove((dir + "/cert.pem").c_str());
  std::remove((dir + "/key.pem").c_str());
  std::remove((dir + "/client-ca.pem").c_str());
  std::remove(dir.c_str());
}

BOOST_AUTO_TEST_CASE(configuration_errors) {
  Result<TlsContext> server_ctx = TlsContext::create(TlsRole::server);
  BOOST_REQUIRE(server_ctx.ok());
  Result<TlsSession> no_cert = TlsSession::create(*server_ctx);
  BOOST_REQUIRE(!no_cert.ok());
  BOOST_TEST(no_cert.error().message.find("needs a certificate") != std::string::npos);

  BOOST_TEST(!server_ctx->use_certificate_pem("not a pem", relay_certificate().private_key_pem).ok());
  Result<CertificateAndKey> other = make_self_signed_certificate("other");
  BOOST_REQUIRE(other.ok());
  Result<void> mismatch =
      server_ctx->use_certificate_pem(relay_certificate().certificate_pem, other->private_key_pem);
  BOOST_REQUIRE(!mismatch.ok());
  BOOST_TEST_MESSAGE("mismatch error: " << mismatch.error().message);
  BOOST_TEST(!server_ctx->trust_ca_pem("nothing here").ok());
}

BOOST_AUTO_TEST_SUITE_END()

// ---- injected randomness and clock (what the simulation relies on) ----

namespace {

// A seeded byte stream (SplitMix64), standing in for Host::random_bytes in
// simulation; it also counts what OpenSSL drew, to show the draws come here.
struct SeededSource {
  std::uint64_t state;
  std::size_t drawn = 0;
  explicit SeededSource(std::uint64_t seed) : state(seed) {}
  void fill(MutableByteView out) {
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (i % 8 == 0) {
        state += 0x9e3779b97f4a7c15ull;
        word = state;
        word = (word ^ (word >> 30)) * 0xbf58476d1ce4e5b9ull;
        word = (word ^ (word >> 27)) * 0x94d049bb133111ebull;
        word ^= word >> 31;
      }
      out.data()[i] = static_cast<std::uint8_t>(word >> (8 * (i % 8)));
    }
    drawn += out.size();
  }
  std::uint64_t word = 0;
};

const WallTime kEpoch = WallTime::from_unix_seconds(1767225600);  // 2026-01-01T00:00:00Z

RandomAndClock sources(const std::shared_ptr<SeededSource>& source, WallTime now) {
  return RandomAndClock{[source](MutableByteView out) { source->fill(out); }, [now] { return now; }};
}

// Made at kEpoch from a seeded source: valid from kEpoch - 1 h for 10 years.
CertificateAndKey seeded_certificate(std::uint64_t seed) {
  SelfSignedCertificateOptions options;
  options.common_name = "mail.example.org";
  options.sources = sources(std::make_shared<SeededSource>(seed), kEpoch);
  Result<CertificateAndKey> made = make_self_signed_certificate(options);
  BOOST_REQUIRE_MESSAGE(made.ok(), (made.ok() ? "" : made.error().to_string()));
  return std::move(made).value();
}

struct Transcript {
  Bytes client_to_server, server_to_client;
  std::size_t client_drew = 0, server_drew = 0;
};

// A STARTTLS-like exchange between contexts with seeded sources (seed, and
// seed + 1 for the client), every ciphertext byte recorded in order.
Transcript seeded_exchange(std::uint64_t seed, const CertificateAndKey& cert) {
  auto server_source = std::make_shared<SeededSource>(seed);
  auto client_source = std::make_shared<SeededSource>(seed + 1);
  const WallTime now = kEpoch + Duration::seconds(86400);
  Result<TlsContext> server_ctx = TlsContext::create(TlsRole::server, sources(server_source, now));
  Result<TlsContext> client_ctx = TlsContext::create(TlsRole::client, sources(client_source, now));
  BOOST_REQUIRE(server_ctx.ok());
  BOOST_REQUIRE(client_ctx.ok());
  BOOST_REQUIRE(server_ctx->use_certificate_pem(cert.certificate_pem, cert.private_key_pem).ok());
  TlsSession server = session(*server_ctx);
  TlsSession client = session(*client_ctx, "mail.example.org");

  Transcript t;
  auto move_all = [&] { pump(client, server, &t.client_to_server, &t.server_to_client); };
  move_all();
  BOOST_REQUIRE_MESSAGE(client.handshake_done(), client.error());
  BOOST_REQUIRE(client.write_plaintext(ByteView(std::string_view("EHLO home.example.org\r\n"))).ok());
  move_all();
  BOOST_REQUIRE(server.write_plaintext(ByteView(std::string_view("250 mail.example.org\r\n"))).ok());
  move_all();
  BOOST_TEST(text(client.read_plaintext()) == "250 mail.example.org\r\n");
  client.close();
  move_all();
  t.client_drew = client_source->drawn;
  t.server_drew = server_source->drawn;
  return t;
}

// A client that verifies mail.example.org against cert, at `now`.
TlsSession verified_handshake(const CertificateAndKey& cert, WallTime now, TlsSession& server) {
  auto source = std::make_shared<SeededSource>(7);
  Result<TlsContext> server_ctx = TlsContext::create(TlsRole::server, sources(source, now));
  Result<TlsContext> client_ctx = TlsContext::create(TlsRole::client, sources(source, now));
  BOOST_REQUIRE(server_ctx.ok() && client_ctx.ok());
  BOOST_REQUIRE(server_ctx->use_certificate_pem(cert.certificate_pem, cert.private_key_pem).ok());
  BOOST_REQUIRE(client_ctx->trust_ca_pem(cert.certificate_pem).ok());
  client_ctx->set_verify_peer(true);
  server = session(*server_ctx);
  TlsSession client = session(*client_ctx, "mail.example.org");
  pump(client, server);
  return client;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tls_injected_sources)

BOOST_AUTO_TEST_CASE(same_seeds_give_byte_identical_ciphertext_both_ways) {
  const CertificateAndKey cert = seeded_certificate(1);
  const Transcript a = seeded_exchange(42, cert);
  const Transcript b = seeded_exchange(42, cert);
  BOOST_TEST(a.client_to_server.size() > 200u);  // ClientHello, Finished, data, close_notify
  BOOST_TEST(a.server_to_client.size() > 500u);  // ServerHello .. Finished with the certificate, data
  BOOST_TEST((a.client_to_server == b.client_to_server), "client to server");
  BOOST_TEST((a.server_to_client == b.server_to_client), "server to client");
  // OpenSSL's draws (randoms, key shares, the ECDSA nonce, ticket keys) came
  // from the sources: 32-byte randoms and X25519 keys at the least.
  BOOST_TEST(a.client_drew >= 64u);
  BOOST_TEST(a.server_drew >= 64u);
  BOOST_TEST(a.client_drew == b.client_drew);
  BOOST_TEST(a.server_drew == b.server_drew);

  const Transcript c = seeded_exchange(43, cert);
  BOOST_TEST((a.client_to_server != c.client_to_server), "client to server, other seed");
  BOOST_TEST((a.server_to_client != c.server_to_client), "server to client, other seed");
}

BOOST_AUTO_TEST_CASE(certificate_validity_follows_the_injected_clock) {
  const CertificateAndKey cert = seeded_certificate(1);  // valid from kEpoch - 1 h, 3650 days
  {
    TlsSession server = session(server_context());
    TlsSession client = verified_handshake(cert, kEpoch + Duration::seconds(60), server);
    BOOST_TEST(client.state() == TlsState::established, client.error());
    BOOST_TEST(client.peer_verified());
  }
  {
    TlsSession server = session(server_context());
    TlsSession client = verified_handshake(cert, kEpoch + Duration::seconds(-2 * 3600), server);
    BOOST_TEST(client.state() == TlsState::failed);
    BOOST_TEST(client.error().find("certificate is not yet valid") != std::string::npos, client.error());
  }
  {
    TlsSession server = session(server_context());
    TlsSession client = verified_handshake(cert, kEpoch + Duration::seconds(3651LL * 86400), server);
    BOOST_TEST(client.state() == TlsState::failed);
    BOOST_TEST(client.error().find("certificate has expired") != std::string::npos, client.error());
  }
}

BOOST_AUTO_TEST_CASE(seeded_self_signed_certificates_repeat_byte_for_byte) {
  const CertificateAndKey a = seeded_certificate(1), b = seeded_certificate(1), c = seeded_certificate(2);
  BOOST_TEST((a.certificate_pem == b.certificate_pem), "certificate");
  BOOST_TEST((a.private_key_pem == b.private_key_pem), "key");
  BOOST_TEST((a.certificate_pem != c.certificate_pem), "certificate, other seed");
  BOOST_TEST((a.private_key_pem != c.private_key_pem), "key, other seed");

  // Validity starts an hour before the injected now, not the system's.
  BIO* bio = BIO_new_mem_buf(a.certificate_pem.data(), static_cast<int>(a.certificate_pem.size()));
  X509* x = bio != nullptr ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  BOOST_REQUIRE(x != nullptr);
  int days = 0, seconds = 0;
  ASN1_TIME* expected = ASN1_TIME_set(nullptr, static_cast<time_t>(kEpoch.unix_seconds() - 3600));
  BOOST_REQUIRE(ASN1_TIME_diff(&days, &seconds, expected, X509_get0_notBefore(x)) == 1);
  BOOST_TEST(days == 0);
  BOOST_TEST(seconds == 0);
  ASN1_TIME_free(expected);
  X509_free(x);
}

BOOST_AUTO_TEST_CASE(sources_must_be_complete) {
  Result<TlsContext> no_clock = TlsContext::create(TlsRole::client, RandomAndClock{[](MutableByteView) {}, {}});
  BOOST_REQUIRE(!no_clock.ok());
  BOOST_TEST(no_clock.error().message.find("wall clock") != std::string::npos);
  SelfSignedCertificateOptions options;
  options.common_name = "x";
  options.sources.wall_now = [] { return kEpoch; };
  Result<CertificateAndKey> made = make_self_signed_certificate(options);
  BOOST_REQUIRE(!made.ok());
  BOOST_TEST(made.error().message.find("randomness source") != std::string::npos);
}

// A source that cannot deliver fails what needed the bytes (here the ticket
// keys every SSL_CTX draws), with OpenSSL's error, instead of going on.
BOOST_AUTO_TEST_CASE(a_failing_source_fails_cleanly) {
  RandomAndClock failing{[](MutableByteView) { throw std::runtime_error("no entropy"); }, [] { return kEpoch; }};
  Result<TlsContext> ctx = TlsContext::create(TlsRole::server, failing);
  BOOST_REQUIRE(!ctx.ok());
  BOOST_TEST_MESSAGE("failing source: " << ctx.error().message);
  BOOST_TEST(ctx.error().message.find("creating TLS context") != std::string::npos, ctx.error().message);
}

BOOST_AUTO_TEST_SUITE_END()
