#pragma once
// The relay's TLS contexts, built from smtpd.conf when the relay starts:
// one server context per `listen on ... pki` (shared by listeners with the
// same pki and verification), one client context per `relay` action (its
// `pki`, `ca` and `tls [no-verify]`). Both kinds come from one builder, so
// a listener and an action with the same words get the same context.
//
// TLS draws its randomness and reads the time through Host, like the rest
// of the relay: the seeded stream and the simulated clock in ns-3 (so a run
// with STARTTLS repeats byte for byte), OpenSSL's RAND and the system clock
// on Linux.

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "core/error.h"
#include "crypto/tls.h"
#include "host/host.h"
#include "smtp/config.h"

namespace tether::node {

// One context as the config asks for it.
struct TlsContextSpec {
  crypto::TlsRole role = crypto::TlsRole::server;
  std::string pki;        // the certificate's pki name; "" for none
  bool verify = false;    // verify the peer's certificate
  std::string ca;         // trusted for verification; "" for the system's roots
  std::string where;      // the config line asking, for errors ("smtpd.conf:4")
  std::string verify_word = "verify";  // how errors name the verification
};

// Builds `spec`'s context. Files the config names are read below
// `config_root` when it is not empty (MailRelayOptions::config_root).
Result<std::shared_ptr<const crypto::TlsContext>> build_tls_context(Host& host, const smtp::Config& config,
                                                                   const TlsContextSpec& spec,
                                                                   const std::filesystem::path& config_root);

class RelayTlsContexts {
 public:
  RelayTlsContexts(Host& host, std::filesystem::path config_root);

  // Every listener's and relay action's context; the first that cannot be
  // built is the error, naming its config line. Replaces what was loaded.
  Result<void> load(const smtp::Config& config);
  void clear();

  // The context load() built for a listener; null when it has no pki.
  std::shared_ptr<const crypto::TlsContext> server_for(const smtp::Listener& listener) const;
  // The context load() built for a relay action; null for any other.
  std::shared_ptr<const crypto::TlsContext> client_for(const std::string& action) const;

 private:
  Result<std::shared_ptr<const crypto::TlsContext>> load_server(const smtp::Config& config,
                                                                const smtp::Listener& listener);

  Host& host_;
  std::filesystem::path config_root_;
  std::map<std::string, std::shared_ptr<const crypto::TlsContext>> server_;  // by pki name and verification
  std::map<std::string, std::shared_ptr<const crypto::TlsContext>> client_;  // by action name
};

}  // namespace tether::node
