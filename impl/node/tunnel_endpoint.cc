#include "node/tunnel_endpoint.h"
#include "node/tunnel_peer_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "crypto/x25519.h"

namespace tether::node {

// The tunnel core draws every random byte through this, so in ns-3 the
// ephemeral keys come from the node's seeded stream.
class TunnelEndpoint::HostRandom : public tunnel::RandomSource {
 public:
  explicit HostRandom(Host& host) : host_(host) {}
  void fill(MutableByteView out) override { host_.random_bytes(out); }

 private:
  Host& host_;
};

namespace {

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

LogLevel level_of(tunnel::EventKind kind) {
  switch (kind) {
    case tunnel::EventKind::handshake_completed:
    case tunnel::EventKind::endpoint_changed:
    case tunnel::EventKind::session_expired:
      return LogLevel::info;
    case tunnel::EventKind::handshake_given_up:
      return LogLevel::warning;
    default:
      return LogLevel::debug;
  }
}

}  // namespace

TunnelEndpoint::TunnelEndpoint(Host& host, tunnel::TunnelConfig config, TunnelEndpointOptions options)
    : host_(host),
      config_(std::move(config)),
      options_(std::move(options)),
      log_(host.logger().child("tunnel." + options_.interface_name)),
      random_(std::make_unique<HostRandom>(host)) {}

TunnelEndpoint::~TunnelEndpoint() { stop(); }

Result<void> TunnelEndpoint::start() {
  if (running()) return {};
  Result<void> started = start_steps();
  if (!started) {
    stop();
    return Error(started.error().code, options_.interface_name + ": " + started.error().message);
  }
  return {};
}

Result<void> TunnelEndpoint::start_steps() {
  if (!config_.interface.private_key)
    return Error(ErrorCode::invalid_argument, "[Interface] has no PrivateKey");
  if (auto r = bind_sockets(); !r) return r;

  tunnel::DeviceOptions device_options;
  device_options.listen_port = udp4_->local_endpoint().port();
  device_options.mtu = std::size_t(config_.interface.mtu.value_or(TunnelDeviceConfig{}.mtu));
  device_options.under_load_threshold = options_.under_load_threshold;
  device_options.key_log = !options_.key_log_file.empty();
  device_options.drop_events = options_.drop_events;
  device_options.inner_filter = config_.interface.allow_inner;
  device_options.timer_profile = options_.timer_profile;
  device_ = std::make_unique<tunnel::Device>(*config_.interface.private_key, *random_, device_options);

  if (auto r = open_key_log(); !r) return r;
  if (auto r = open_interface(); !r) return r;
  if (auto r = add_peers(); !r) return r;

  timer_ = std::make_unique<DeadlineTimer>(host_, [this] { on_timer(); });
  udp4_->set_receive_handler([this](const Endpoint& from, ByteView payload) { on_datagram(from, payload); });
  if (udp6_)
    udp6_->set_receive_handler([this](const Endpoint& from, ByteView payload) { on_datagram(from, payload); });
  tun_->set_packet_handler([this](ByteView packet) { on_tun_packet(packet); });

  log_.info("up: listening on UDP port " + std::to_string(device_options.listen_port) +
            (udp6_ ? " (IPv4 and IPv6)" : " (IPv4)") + ", MTU " + std::to_string(tun_->mtu()) + ", " +
            std::to_string(peers_.size()) + (peers_.size() == 1 ? " peer" : " peers"));
  for (auto& peer : peers_)
    if (peer->by_name) resolve(*peer, "start");
  rearm();
  return {};
}

Result<void> TunnelEndpoint::bind_sockets() {
  const std::uint16_t port = config_.interface.listen_port.value_or(0);
  auto v4 = host_.udp_bind(Endpoint(IpAddress::any(IpAddress::Family::v4), port));
  if (!v4) return Error(v4.error().code, "cannot bind UDP port " + std::to_string(port) + ": " + v4.error().message);
  udp4_ = std::move(*v4);
  // The same port on IPv6, as wg does; a host without IPv6 (or with the
  // port taken there) still runs the tunnel over IPv4.
  const std::uint16_t chosen = udp4_->local_endpoint().port();
  auto v6 = host_.udp_bind(Endpoint(IpAddress::any(IpAddress::Family::v6), chosen));
  if (v6)
    udp6_ = std::move(*v6);
  else
    log_.debug("no IPv6 socket on UDP port " + std::to_string(chosen) + ": " + v6.error().message);
  return {};
}

Result<void> TunnelEndpoint::open_key_log() {
  if (options_.key_log_file.empty()) return {};
  std::filesystem::path path = options_.key_log_file;
  if (path.is_relative()) path = host_.storage_root() / path;
  std::error_code ignored;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ignored);
  key_log_fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (key_log_fd_ < 0)
    return Error(ErrorCode::io, "cannot open key log " + path.string() + ": " + errno_text(errno));
  log_.warning("writing session keys to " + path.string() + " (anyone who reads it can decrypt the tunnel)");
  return {};
}

Result<void> TunnelEndpoint::open_interface() {
  TunnelDeviceConfig device_config;
  device_config.name = options_.interface_name;
  device_config.addresses = config_.interface.addresses;
  if (config_.interface.mtu) device_config.mtu = *config_.interface.mtu;
  auto opened = host_.open_tunnel(device_config);
  if (!opened) return opened.error();
  tun_ = std::move(*opened);

  // wg-quick routes each peer's AllowedIPs through the interface, once each.
  std::vector<IpPrefix> routed;
  for (const tunnel::PeerSection& peer : config_.peers) {
    for (const IpPrefix& allowed : peer.allowed_ips) {
      const IpPrefix network = allowed.network();
      if (std::find(routed.begin(), routed.end(), network) != routed.end()) continue;
      routed.push_back(network);
      if (network.length() == 0) {
        // wg-quick needs fwmark policy routing for this, so that the tunnel's
        // own datagrams do not go into the tunnel; a plain default route
        // would replace the host's and cut the tunnel off.
        log_.warning("AllowedIPs " + network.to_string() +
                     ": no default route added (wg-quick's fwmark policy routing is not done here); "
                     "packets for it are still accepted from the peer");
        continue;
      }
      if (auto r = tun_->add_route(network); !r) return r;
    }
  }
  return {};
}

Result<void> TunnelEndpoint::add_peers() {
  const Time now = host_.now();
  for (const tunnel::PeerSection& section : config_.peers)
    if (auto r = add_peer(section, now); !r) return r;
  return {};
}

Result<void> TunnelEndpoint::add_peer(const tunnel::PeerSection& section, Time now) {
  const crypto::PublicKey own = crypto::derive_public_key(*config_.interface.private_key);
  const std::string where = "peer " + tunnel::short_key(section.public_key) + " (line " +
                            std::to_string(section.line) + ")";
  if (section.public_key == own) {
    log_.warning(where + " has this interface's own public key; ignored, as wg does");
    return {};
  }
  auto state = std::make_unique<PeerState>();
  state->key = section.public_key;
  state->short_key = tunnel::short_key(section.public_key);
  state->spec = section.endpoint;
  state->by_name = section.endpoint && !section.endpoint->address;
  state->persistent_keepalive = section.persistent_keepalive;
  state->backoff = options_.resolve_retry_initial;

  tunnel::PeerConfig peer;
  peer.public_key = section.public_key;
  peer.preshared_key = section.preshared_key;
  if (section.endpoint && section.endpoint->address)
    peer.endpoint = Endpoint(*section.endpoint->address, section.endpoint->port);
  peer.allowed_ips = section.allowed_ips;
  peer.persistent_keepalive = state->by_name ? 0 : section.persistent_keepalive;
  state->keepalive_started = !state->by_name;
  if (auto r = device_->add_peer(peer, now); !r) return Error(r.error().code, where + ": " + r.error().message);
  peers_.push_back(std::move(state));
  return {};
}

void TunnelEndpoint::stop() {
  if (!device_ && !udp4_ && !tun_) return;
  const bool was_running = device_ != nullptr && tun_ != nullptr && timer_ != nullptr;
  // Lookups and the timer first, so nothing calls back into a half-torn-down endpoint.
  peers_.clear();
  timer_.reset();
  udp6_.reset();
  udp4_.reset();
  tun_.reset();  // removes the interface and its routes
  device_.reset();
  if (key_log_fd_ >= 0) {
    ::close(key_log_fd_);
    key_log_fd_ = -1;
  }
  if (was_running) log_.info("down");
}

TunnelEndpoint::SubscriptionId TunnelEndpoint::subscribe(EventHandler handler) {
  return subscribers_.subscribe(std::move(handler));
}

void TunnelEndpoint::unsubscribe(SubscriptionId id) { subscribers_.unsubscribe(id); }

std::optional<Endpoint> TunnelEndpoint::local_endpoint(IpAddress::Family family) const {
  const auto& socket = family == IpAddress::Family::v4 ? udp4_ : udp6_;
  if (!socket) return std::nullopt;
  return socket->local_endpoint();
}

// --- input ---

void TunnelEndpoint::on_datagram(const Endpoint& from, ByteView datagram) {
  if (!device_) return;
  tunnel::Output out;
  device_->handle_datagram(from, datagram, host_.now(), host_.wall_now(), out);
  act(out);
}

void TunnelEndpoint::on_tun_packet(ByteView packet) {
  if (!device_) return;
  tunnel::Output out;
  device_->handle_tun_packet(packet, host_.now(), host_.wall_now(), out);
  act(out);
}

void TunnelEndpoint::on_timer() {
  if (!device_) return;
  const Time now = host_.now();
  if (device_->next_deadline() <= now) {
    tunnel::Output out;
    device_->handle_deadline(now, host_.wall_now(), out);
    if (!act(out)) return;
  }
  for (auto& peer : peers_) {
    if (peer->retry_at <= now) {
      peer->retry_at = Time::never();
      resolve(*peer, "retry");
    }
  }
  rearm();
}

bool TunnelEndpoint::act(tunnel::Output& out) {
  // Keys before packets, so a capture being decoded live has them in time.
  if (key_log_fd_ >= 0) {
    for (const std::string& line : out.key_log) {
      std::string text = line + "\n";
      if (::write(key_log_fd_, text.data(), text.size()) != ssize_t(text.size()))
        log_.warning("cannot append to the key log: " + errno_text(errno));
    }
  }
  for (const tunnel::Datagram& datagram : out.datagrams) send(datagram);
  for (const Bytes& packet : out.packets)
    if (auto r = tun_->write_packet(packet); !r) log_.debug("inner packet not delivered: " + r.error().message);
  for (const tunnel::Event& event : out.events) {
    log_event(event);
    if (event.peer && (event.kind == tunnel::EventKind::handshake_sent ||
                       event.kind == tunnel::EventKind::handshake_given_up))
      on_handshake_trouble(event);
  }
  rearm();

  // Subscribers last: they may stop or destroy the endpoint.
  for (const tunnel::Event& event : out.events)
    if (!subscribers_.emit(event, [this] { return device_ != nullptr; })) return false;
  return true;
}

void TunnelEndpoint::send(const tunnel::Datagram& datagram) {
  UdpSocket* socket = datagram.to.address().is_v4() ? udp4_.get() : udp6_.get();
  Result<void> sent = socket ? socket->send_to(datagram.to, datagram.bytes)
                             : Result<void>(Error(ErrorCode::unsupported,
                                                  "cannot send to " + datagram.to.to_string() + ": no IPv6 socket"));
  if (sent) {
    last_send_error_.clear();
    return;
  }
  // A peer out of reach fails every datagram the same way: say it once.
  const std::string& why = sent.error().message;
  if (why != last_send_error_) {
    log_.warning(why);
    last_send_error_ = why;
  } else {
    log_.debug(why);
  }
}

void TunnelEndpoint::log_event(const tunnel::Event& event) const {
  const LogLevel level = level_of(event.kind);
  if (!log_.enabled(level)) return;
  // The logger stamps the time itself.
  std::string text = event.to_string();
  const auto space = text.find(' ');
  log_.log(level, space == std::string::npos ? text : text.substr(space + 1));
}

void TunnelEndpoint::rearm() {
  if (!device_ || !timer_) return;
  Time deadline = device_->next_deadline();
  for (const auto& peer : peers_) deadline = std::min(deadline, peer->retry_at);
  timer_->arm_at(deadline);
}

// --- DNS ---

TunnelEndpoint::PeerState* TunnelEndpoint::peer_state(const crypto::PublicKey& key) {
  for (auto& peer : peers_)
    if (peer->key == key) return peer.get();
  return nullptr;
}

void TunnelEndpoint::on_handshake_trouble(const tunnel::Event& event) {
  PeerState* peer = peer_state(*event.peer);
  if (!peer || !peer->by_name) return;
  if (event.kind == tunnel::EventKind::handshake_given_up) {
    resolve(*peer, "handshake given up");
    return;
  }
  // Attempt k goes out when attempt k-1 timed out: k-1 unanswered so far.
  const int n = options_.reresolve_after_attempts;
  const int unanswered = event.attempt - 1;
  if (n > 0 && unanswered > 0 && unanswered % n == 0)
    resolve(*peer, (std::to_string(unanswered) + " handshakes unanswered").c_str());
}

bool TunnelEndpoint::reresolve(const crypto::PublicKey& key) {
  PeerState* peer = peer_state(key);
  if (!peer || !peer->by_name || !device_) return false;
  resolve(*peer, "asked to");
  return true;
}

DnsRecordType TunnelEndpoint::first_record_type() const { return udp4_ ? DnsRecordType::a : DnsRecordType::aaaa; }

void TunnelEndpoint::resolve(PeerState& peer, const char* why) {
  if (!peer.by_name || peer.lookup) return;  // one lookup at a time
  peer.retry_at = Time::never();
  ++peer.lookups;
  log_.info("peer " + peer.short_key + ": resolving " + peer.spec->host + " (" + why + ")");
  lookup(peer, first_record_type());
}

void TunnelEndpoint::lookup(PeerState& peer, DnsRecordType type) {
  PeerState* p = &peer;  // peers_ owns it; clearing peers_ cancels the lookup
  peer.lookup = host_.dns_lookup(peer.spec->host, type,
                                 [this, p, type](Result<DnsAnswer> answer) { on_lookup(*p, type, std::move(answer)); });
}

void TunnelEndpoint::on_lookup(PeerState& peer, DnsRecordType type, Result<DnsAnswer> answer) {
  // Kept until this returns: it is the object whose callback is running.
  std::unique_ptr<DnsLookup> finished = std::move(peer.lookup);
  if (!device_) return;
  std::vector<IpAddress> usable;
  if (answer)
    for (const IpAddress& a : answer->addresses)
      if ((a.is_v4() && udp4_) || (a.is_v6() && udp6_)) usable.push_back(a);

  if (usable.empty()) {
    if (type == DnsRecordType::a && udp6_) {
      lookup(peer, DnsRecordType::aaaa);
      return;
    }
    lookup_failed(peer, answer ? "no usable address in the answer" : answer.error().message);
    return;
  }

  // Stay on the current address while the name still lists it: a name with
  // several addresses must not make the endpoint hop on every lookup.
  auto stats = device_->peer_stats(peer.key, host_.now());
  std::optional<Endpoint> current = stats ? stats->endpoint : std::nullopt;
  Endpoint chosen(usable.front(), peer.spec->port);
  for (const IpAddress& a : usable)
    if (current && current->address() == a && current->port() == peer.spec->port) chosen = *current;

  peer.last_resolved = host_.wall_now();
  peer.last_error.clear();
  peer.backoff = options_.resolve_retry_initial;
  if (!current || *current != chosen) {
    device_->set_peer_endpoint(peer.key, chosen);
    log_.info("peer " + peer.short_key + ": " + peer.spec->host + " is " + chosen.to_string() +
              (current ? " (was " + current->to_string() + ")" : std::string()));
  } else {
    log_.debug("peer " + peer.short_key + ": " + peer.spec->host + " is still " + chosen.to_string());
  }
  if (!peer.keepalive_started) {
    peer.keepalive_started = true;
    if (peer.persistent_keepalive) device_->set_persistent_keepalive(peer.key, peer.persistent_keepalive, host_.now());
  }
  rearm();
}

void TunnelEndpoint::lookup_failed(PeerState& peer, const std::string& why) {
  peer.last_error = why;
  peer.retry_at = host_.now() + peer.backoff;
  log_.warning("peer " + peer.short_key + ": cannot resolve " + peer.spec->host + ": " + why + "; retrying in " +
               format_duration(peer.backoff));
  peer.backoff = std::min(peer.backoff * 2, options_.resolve_retry_max);
  rearm();
}

// --- inspection ---

TunnelStatus TunnelEndpoint::status() const {
  TunnelStatus status;
  status.interface_name = options_.interface_name;
  if (config_.interface.private_key) status.public_key = crypto::derive_public_key(*config_.interface.private_key);
  status.listen_port = udp4_ ? udp4_->local_endpoint().port() : config_.interface.listen_port.value_or(0);
  status.wall_now = host_.wall_now();
  const Time now = host_.now();
  for (const auto& peer : peers_) {
    TunnelPeerStatus p;
    if (device_)
      if (auto stats = device_->peer_stats(peer->key, now)) p.stats = *stats;
    p.stats.public_key = peer->key;
    // A named peer's keepalive is configured but waits for an address.
    if (!peer->keepalive_started) p.stats.persistent_keepalive = peer->persistent_keepalive;
    p.configured_endpoint = peer->spec;
    p.endpoint_is_name = peer->by_name;
    p.lookups = peer->lookups;
    p.last_resolved = peer->last_resolved;
    p.last_lookup_error = peer->last_error;
    status.peers.push_back(std::move(p));
  }
  if (device_) {
    status.drops = device_->drops();
    status.counters = device_->counters();
  }
  return status;
}

}  // namespace tether::node
