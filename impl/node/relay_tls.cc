#include "node/relay_tls.h"

namespace tether::node {
namespace {

std::string rooted(const std::filesystem::path& root, const std::string& path) {
  if (root.empty()) return path;
  return (root / std::filesystem::path(path).relative_path()).string();
}

crypto::RandomAndClock host_tls_sources(Host& host) {
  return {[&host](MutableByteView out) { host.random_bytes(out); }, [&host] { return host.wall_now(); }};
}

// Listeners that share a pki and its verification share a context.
std::string server_key(const smtp::Listener& listener) {
  return listener.pki.front() + (listener.verify ? "|verify|" + listener.ca : std::string());
}

}  // namespace

Result<std::shared_ptr<const crypto::TlsContext>> build_tls_context(Host& host, const smtp::Config& config,
                                                                   const TlsContextSpec& spec,
                                                                   const std::filesystem::path& config_root) {
  const smtp::Pki* pki = nullptr;
  if (!spec.pki.empty()) {
    pki = config.find_pki(spec.pki);
    if (!pki) return Error(ErrorCode::invalid_argument, spec.where + ": unknown pki " + spec.pki);
  }
  auto context = crypto::TlsContext::create(spec.role, host_tls_sources(host));
  if (!context) return context.error();
  if (pki) {
    if (auto r = context->use_certificate_files(rooted(config_root, pki->cert_path), rooted(config_root, pki->key_path)); !r)
      return Error(r.error().code, pki->where.to_string() + ": pki " + pki->name + ": " + r.error().message);
  }
  if (spec.verify) {
    Result<void> trusted;
    if (!spec.ca.empty()) {
      const smtp::CertificateAuthority* ca = config.find_ca(spec.ca);
      trusted = ca ? context->trust_ca_file(rooted(config_root, ca->cert_path))
                   : Result<void>(Error(ErrorCode::invalid_argument, "unknown ca " + spec.ca));
    } else {
      trusted = context->trust_system_roots();
    }
    if (!trusted) return Error(trusted.error().code, spec.where + ": " + spec.verify_word + ": " + trusted.error().message);
    context->set_verify_peer(true);
  }
  return std::shared_ptr<const crypto::TlsContext>(std::make_shared<const crypto::TlsContext>(std::move(*context)));
}

RelayTlsContexts::RelayTlsContexts(Host& host, std::filesystem::path config_root)
    : host_(host), config_root_(std::move(config_root)) {}

void RelayTlsContexts::clear() {
  server_.clear();
  client_.clear();
}

Result<std::shared_ptr<const crypto::TlsContext>> RelayTlsContexts::load_server(const smtp::Config& config,
                                                                                const smtp::Listener& listener) {
  if (listener.pki.empty()) {
    if (listener.tls != smtp::Listener::Tls::none)
      return Error(ErrorCode::invalid_argument, listener.where.to_string() + ": tls needs a pki");
    return std::shared_ptr<const crypto::TlsContext>();
  }
  const std::string key = server_key(listener);
  if (auto it = server_.find(key); it != server_.end()) return it->second;
  TlsContextSpec spec;
  spec.role = crypto::TlsRole::server;
  spec.pki = listener.pki.front();
  spec.verify = listener.verify;
  spec.ca = listener.ca;
  spec.where = listener.where.to_string();
  spec.verify_word = "verify";
  auto context = build_tls_context(host_, config, spec, config_root_);
  if (context) server_[key] = *context;
  return context;
}

Result<void> RelayTlsContexts::load(const smtp::Config& config) {
  clear();
  for (const smtp::Listener& l : config.listeners)
    if (auto r = load_server(config, l); !r) return r.error();
  for (const smtp::Action& a : config.actions) {
    if (a.type != smtp::Action::Type::relay) continue;
    TlsContextSpec spec;
    spec.role = crypto::TlsRole::client;
    spec.pki = a.relay.pki;
    spec.verify = a.relay.tls_verify;
    spec.ca = a.relay.ca;
    spec.where = a.where.to_string();
    spec.verify_word = "tls";
    auto context = build_tls_context(host_, config, spec, config_root_);
    if (!context) return context.error();
    client_[a.name] = *context;
  }
  return {};
}

std::shared_ptr<const crypto::TlsContext> RelayTlsContexts::server_for(const smtp::Listener& listener) const {
  if (listener.pki.empty()) return nullptr;
  auto it = server_.find(server_key(listener));
  return it == server_.end() ? nullptr : it->second;
}

std::shared_ptr<const crypto::TlsContext> RelayTlsContexts::client_for(const std::string& action) const {
  auto it = client_.find(action);
  return it == client_.end() ? nullptr : it->second;
}

}  // namespace tether::node
