#pragma once
// TunnelEndpoint: one WireGuard interface as a node application, written
// only against the Host interface so that the same object runs in tetherd
// (PosixHost), in the ns-3 world (Ns3Host) and in unit tests (ManualHost).
//
// It does what wg-quick(8) and the kernel's wg device do between them:
//   - binds the outer UDP socket (ListenPort, or any free port), IPv4 and,
//     where the host has it, IPv6 on the same port;
//   - opens the tunnel device (interface name, Address list, MTU) and routes
//     every peer's AllowedIPs through it;
//   - feeds the sans-IO tunnel::Device with datagrams, TUN packets and
//     deadlines, through one Timer re-armed after every input, and acts on
//     its Output: datagrams sent, inner packets written to the device,
//     events logged and passed to subscribers, key-log lines appended to a
//     file when asked for.
//
// Peer endpoints written as DNS names are resolved through the Host at
// start and looked up again when handshakes to that peer keep going
// unanswered, which is what wireguard-tools' contrib/reresolve-dns does from
// cron, built in: a server whose dynamic address changed is found again
// within a few handshake retries. A lookup that fails is logged and retried
// with backoff; it never stops the tunnel.
//
// Time, randomness and wall-clock readings all come from the Host, so a
// simulation replays byte for byte from its seed.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/endpoint.h"
#include "core/error.h"
#include "core/subscribers.h"
#include "core/time.h"
#include "host/deadline_timer.h"
#include "host/host.h"
#include "tunnel/device.h"
#include "tunnel/load_detector.h"
#include "tunnel/tunnel_config.h"

namespace tether::node {

struct TunnelEndpointOptions {
  // The interface to create; wg-quick names it after the config file.
  std::string interface_name = "wg0";

  // Look a named Endpoint up again after this many initiations in a row
  // went unanswered (and after every further run of as many), and whenever
  // the handshake is given up. 0: only on give-up.
  int reresolve_after_attempts = 3;
  // A failed lookup is retried after this, doubling up to the maximum.
  Duration resolve_retry_initial = Duration::seconds(5);
  Duration resolve_retry_max = Duration::minutes(1);

  // Wireshark key log (tshark -o wg.keylog_file:FILE); it holds private
  // keys, so it is created 0600. Empty: no key log. A relative path is
  // taken under the host's storage root.
  std::filesystem::path key_log_file;

  std::uint32_t under_load_threshold = tunnel::LoadDetector::kDefaultThreshold;
  // packet_dropped events for subscribers and the debug log (the device
  // counts drops either way).
  bool drop_events = true;
  // Whose WireGuard timers the device follows (tunnel/timer_profile.h).
  const tunnel::TimerProfile* timer_profile = &tunnel::TimerProfile::linux_kernel();
};

// One peer as `tetherctl show tunnel` reports it.
struct TunnelPeerStatus {
  tunnel::PeerStats stats;
  // The Endpoint line of the config, as written (a name or an address).
  std::optional<tunnel::EndpointSpec> configured_endpoint;
  bool endpoint_is_name = false;
  std::uint64_t lookups = 0;              // lookups of the name started
  std::optional<WallTime> last_resolved;  // the latest lookup that gave an address
  std::string last_lookup_error;          // empty once a lookup succeeds
};

struct TunnelStatus {
  std::string interface_name;
  crypto::PublicKey public_key{};
  std::uint16_t listen_port = 0;
  WallTime wall_now;  // when the status was taken: "latest handshake: N seconds ago"
  std::vector<TunnelPeerStatus> peers;  // in config order
  tunnel::DropCounters drops;
  tunnel::DeviceCounters counters;
};

class TunnelEndpoint {
 public:
  using EventHandler = Subscribers<tunnel::Event>::Handler;
  using SubscriptionId = Subscribers<tunnel::Event>::Id;

  // Nothing happens until start(). `host` must outlive the endpoint.
  TunnelEndpoint(Host& host, tunnel::TunnelConfig config, TunnelEndpointOptions options = {});
  // stop(): the interface and its routes go with it.
  ~TunnelEndpoint();
  TunnelEndpoint(const TunnelEndpoint&) = delete;
  TunnelEndpoint& operator=(const TunnelEndpoint&) = delete;

  // Binds, opens the interface, adds routes and peers, starts resolving
  // names. On failure everything done so far is undone and the error says
  // which step failed; a name that does not resolve is not a failure.
  Result<void> start();
  // Closes sockets, removes the interface, cancels lookups. Idempotent.
  void stop();
  bool running() const { return device_ != nullptr; }

  // Every event of the device, in order, after it has been acted on (its
  // datagrams sent, its packets delivered). A handler may stop() or even
  // destroy the endpoint.
  SubscriptionId subscribe(EventHandler handler);
  void unsubscribe(SubscriptionId id);

  // Looks a peer's Endpoint name up now, as reresolve-dns would; false when
  // the peer is unknown or its Endpoint is an address literal.
  bool reresolve(const crypto::PublicKey& peer);

  // Applies an edited config to the running interface, as `wg syncconf`
  // does with `wg-quick strip`'s output (tunnel_reconfigure.cc): peers gone
  // from the file are removed, new ones added, and a peer whose key stays
  // keeps its session while its PersistentKeepalive, Endpoint and
  // AllowedIPs change. A different [Interface] (PrivateKey, ListenPort,
  // Address, MTU, AllowInner) cannot change under a running interface: the
  // endpoint is restarted, as `wg-quick down; wg-quick up` would, and every
  // session starts over. When that restart fails the old config is brought
  // back up and the error returned. Not running: the config is replaced
  // for the next start().
  Result<void> reconfigure(tunnel::TunnelConfig config);

  TunnelStatus status() const;
  const std::string& interface_name() const { return options_.interface_name; }
  const tunnel::TunnelConfig& config() const { return config_; }
  // The outer socket's address (port chosen when ListenPort is unset).
  std::optional<Endpoint> local_endpoint(IpAddress::Family family = IpAddress::Family::v4) const;
  // While running.
  const tunnel::Device* device() const { return device_.get(); }

 private:
  class HostRandom;
  struct PeerState;

  Result<void> start_steps();
  Result<void> bind_sockets();
  Result<void> open_interface();
  Result<void> add_peers();
  Result<void> add_peer(const tunnel::PeerSection& section, Time now);
  Result<void> restart_with(tunnel::TunnelConfig config);
  // Applies one kept peer's changed lines; true when something changed.
  bool sync_peer(PeerState& state, const tunnel::PeerSection& was, const tunnel::PeerSection& section, Time now);
  Result<void> open_key_log();

  void on_datagram(const Endpoint& from, ByteView datagram);
  void on_tun_packet(ByteView packet);
  void on_timer();
  // Acts on one step's output and re-arms the timer. Returns false when a
  // subscriber stopped or destroyed the endpoint meanwhile.
  bool act(tunnel::Output& out);
  void send(const tunnel::Datagram& datagram);
  void log_event(const tunnel::Event& event) const;
  void rearm();

  // DNS
  PeerState* peer_state(const crypto::PublicKey& key);
  void on_handshake_trouble(const tunnel::Event& event);
  void resolve(PeerState& peer, const char* why);
  void lookup(PeerState& peer, DnsRecordType type);
  void on_lookup(PeerState& peer, DnsRecordType type, Result<DnsAnswer> answer);
  void lookup_failed(PeerState& peer, const std::string& why);
  DnsRecordType first_record_type() const;

  Host& host_;
  tunnel::TunnelConfig config_;
  TunnelEndpointOptions options_;
  Logger log_;
  std::unique_ptr<HostRandom> random_;
  std::unique_ptr<tunnel::Device> device_;
  std::unique_ptr<UdpSocket> udp4_;
  std::unique_ptr<UdpSocket> udp6_;
  std::unique_ptr<TunnelDevice> tun_;
  std::unique_ptr<DeadlineTimer> timer_;
  std::vector<std::unique_ptr<PeerState>> peers_;
  int key_log_fd_ = -1;
  Subscribers<tunnel::Event> subscribers_;
  // The last send failure, logged once as a warning rather than per packet.
  std::string last_send_error_;
};

}  // namespace tether::node
