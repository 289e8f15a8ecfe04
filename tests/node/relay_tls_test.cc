// RelayTlsContexts: one builder for the listeners' server contexts and the
// relay actions' client contexts, with errors that name the config line.

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include "crypto/self_signed_certificate.h"
#include "node/relay_parts.h"
#include "node/relay_tls.h"

using namespace tether;
using namespace tether::node;
using namespace tether::testing;

namespace {

// A self-signed certificate for mx.example.org below `root`, where the
// configs below name it.
void install_certificate(const std::filesystem::path& root) {
  auto certificate = crypto::make_self_signed_certificate("mx.example.org");
  BOOST_TEST_REQUIRE(certificate.ok());
  std::filesystem::create_directories(root / "etc/ssl/private");
  std::ofstream(root / "etc/ssl/mx.pem") << certificate->certificate_pem;
  std::ofstream(root / "etc/ssl/private/mx.key") << certificate->private_key_pem;
  std::ofstream(root / "etc/ssl/ca.pem") << certificate->certificate_pem;
}

const char kConf[] =
    "pki mx cert \"/etc/ssl/mx.pem\"\n"
    "pki mx key \"/etc/ssl/private/mx.key\"\n"
    "ca ours cert \"/etc/ssl/ca.pem\"\n"
    "listen on 192.0.2.10 tls pki mx\n"
    "listen on 192.0.2.11 smtps pki mx\n"
    "listen on 192.0.2.12 tls-require verify pki mx ca ours\n"
    "listen on 127.0.0.1\n"
    "action \"local_mail\" maildir\n"
    "action \"out\" relay pki mx\n"
    "action \"verified\" relay tls ca ours\n"
    "match from any for domain \"example.org\" action \"local_mail\"\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(relay_tls)

BOOST_AUTO_TEST_CASE(listeners_with_the_same_pki_share_a_context_and_relay_actions_get_their_own) {
  RelayParts p(kConf);
  const std::filesystem::path root = p.host.storage_root() / "config-root";
  install_certificate(root);
  RelayTlsContexts tls(p.host, root);
  Result<void> loaded = tls.load(*p.config);
  BOOST_TEST_REQUIRE(loaded.ok(), (loaded.ok() ? "" : loaded.error().to_string()));
  const auto& l = p.config->listeners;
  BOOST_TEST_REQUIRE(l.size() >= 4u);
  BOOST_TEST(tls.server_for(l[0]) != nullptr);
  BOOST_TEST(tls.server_for(l[0]) == tls.server_for(l[1]));  // same pki, no verification
  BOOST_TEST(tls.server_for(l[2]) != nullptr);
  BOOST_TEST(tls.server_for(l[2]) != tls.server_for(l[0]));  // verifies clients
  BOOST_TEST(tls.server_for(l[3]) == nullptr);               // no pki, no TLS
  BOOST_TEST(tls.client_for("out") != nullptr);
  BOOST_TEST(tls.client_for("verified") != nullptr);
  BOOST_TEST(tls.client_for("out") != tls.client_for("verified"));
  BOOST_TEST(tls.client_for("local_mail") == nullptr);
  tls.clear();
  BOOST_TEST(tls.server_for(l[0]) == nullptr);
  BOOST_TEST(tls.client_for("out") == nullptr);
}

BOOST_AUTO_TEST_CASE(tls_without_a_pki_is_refused_with_its_line) {
  // The parser refuses this too; a config made otherwise is refused here.
  RelayParts p(
      "listen on 192.0.2.10\n"
      "action \"local_mail\" maildir\n"
      "match from any for domain \"example.org\" action \"local_mail\"\n");
  smtp::Config config = *p.config;
  config.listeners.front().tls = smtp::Listener::Tls::smtps;
  RelayTlsContexts tls(p.host, {});
  Result<void> loaded = tls.load(config);
  BOOST_TEST_REQUIRE(!loaded.ok());
  BOOST_TEST(loaded.error().message == "smtpd.conf:1: tls needs a pki", loaded.error().message);
}

BOOST_AUTO_TEST_CASE(a_missing_certificate_file_names_the_pki) {
  RelayParts p(kConf);
  RelayTlsContexts tls(p.host, p.host.storage_root() / "nothing-here");
  Result<void> loaded = tls.load(*p.config);
  BOOST_TEST_REQUIRE(!loaded.ok());
  BOOST_TEST(loaded.error().message.find("smtpd.conf:1: pki mx: ") == 0u, loaded.error().message);
}

BOOST_AUTO_TEST_CASE(one_builder_for_both_roles_names_what_failed) {
  RelayParts p(kConf);
  const std::filesystem::path root = p.host.storage_root() / "config-root";
  install_certificate(root);
  TlsContextSpec spec;
  spec.role = crypto::TlsRole::client;
  spec.verify = true;
  spec.ca = "theirs";
  spec.where = "smtpd.conf:9";
  spec.verify_word = "tls";
  auto unknown_ca = build_tls_context(p.host, *p.config, spec, root);
  BOOST_TEST_REQUIRE(!unknown_ca.ok());
  BOOST_TEST(unknown_ca.error().message == "smtpd.conf:9: tls: unknown ca theirs");
  spec.pki = "nope";
  auto unknown_pki = build_tls_context(p.host, *p.config, spec, root);
  BOOST_TEST_REQUIRE(!unknown_pki.ok());
  BOOST_TEST(unknown_pki.error().message == "smtpd.conf:9: unknown pki nope");
  spec.role = crypto::TlsRole::server;
  spec.pki = "mx";
  spec.ca = "ours";
  auto server = build_tls_context(p.host, *p.config, spec, root);
  BOOST_TEST(server.ok(), (server.ok() ? "" : server.error().to_string()));
}

BOOST_AUTO_TEST_SUITE_END()
