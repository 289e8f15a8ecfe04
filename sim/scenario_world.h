#pragma once
// WorldBuilder: a Scenario made real on ns-3. It builds the topology (the
// fixed shape of scenario/scenario.h: public hosts on their own links to the
// "internet" router, the home on a LAN behind the "gateway" NAT, whose
// uplink the ISP numbers), the DNS zone, one Ns3Host per host with its
// storage under `storage_root`/<host>, and on each the apps its config
// files ask for: a TunnelEndpoint (wg-quick file) and a MailRelay
// (smtpd.conf), parsed as tetherd parses them. Table files the smtpd.conf
// names (`file:/etc/mail/aliases`) are read below the host's config root:
// the directory above the config's `etc/` (scenarios/<name>/<host>/).
//
// Wiring that tetherd does too: when a host runs both a tunnel and a relay,
// a completed handshake with a peer makes the relay retry the mail routed
// into that peer's AllowedIPs at once (node/tunnel_relay_link.h).
//
// Each sender also gets a hidden "submission" node on a fast link of its
// own (10.255.N.0/24) from which the workload's SMTP client connects: TCP
// between two sockets of one ns-3.37 node is not safe (see
// tests/node/mail_relay_sim_test.cc).
//
// stop_node() is a VM powered off: its apps are destroyed (process state
// lost; the queue stays on disk) and its link blackholes; start_node()
// brings the link back and starts the apps again from the config files,
// the relay recovering its queue.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ns3/node.h>

#include "core/error.h"
#include "node/mail_relay.h"
#include "node/tunnel_endpoint.h"
#include "node/tunnel_relay_link.h"
#include "sim/world/dns_zone.h"
#include "sim/world/isp.h"
#include "sim/world/isp_prefix.h"
#include "sim/world/nat.h"
#include "sim/host/ns3_host.h"
#include "sim/world/point_to_point_link.h"
#include "scenario/scenario.h"
#include "sim/world/uplink_failover.h"

namespace tether::sim {

// The scenario's vocabulary, which the world builder realises.
using scenario::DnsRecordSpec;
using scenario::EventAction;
using scenario::EventSpec;
using scenario::HostRole;
using scenario::HostOs;
using scenario::HostSpec;
using scenario::LinkSpec;
using scenario::Scenario;

struct WorldNode {
  const HostSpec* spec = nullptr;
  ns3::Ptr<ns3::Node> node;
  std::unique_ptr<Ns3Host> host;
  std::unique_ptr<node::TunnelEndpoint> tunnel;
  std::unique_ptr<node::MailRelay> relay;
  std::unique_ptr<node::TunnelRelayLink> route_link;  // with both apps; destroyed first
  // The implementation its relay last stood for (its smtpd.conf `profile`
  // or hosts.NAME.profile), kept when the relay is stopped.
  smtp::RelayProfile relay_profile = smtp::RelayProfile::tether;
  LinkOutage* link = nullptr;  // its access link (home: the LAN)
  std::vector<IpAddress> egress;
  std::optional<Endpoint> submission;  // senders: where the workload connects
  ns3::Ptr<ns3::Node> submitter;       // senders: the hidden submission node
  std::unique_ptr<Ns3Host> submitter_host;
  bool stopped = false;
  // The files the apps (re)start from: the scenario's, until a
  // change-config event hands the node edited ones (a user's edit stays
  // on disk across a restart). The scenario's keepalive sweep applies to
  // its own tunnel file only: an edited file is taken as written.
  std::filesystem::path tunnel_file, smtpd_file;
  std::optional<std::uint16_t> keepalive_override;
  // Counters of apps destroyed by stop_node, so totals survive restarts.
  node::MailRelayCounters relay_before_stop;
  std::uint64_t keepalives_before_stop = 0;
};

struct WorldHooks {
  std::function<void(WorldNode&, const node::MailRelayEvent&)> relay_event;
  std::function<void(WorldNode&, const tunnel::Event&)> tunnel_event;
  std::function<void(const NatEvent&)> nat_event;
  // A world action happened (stop, link down, ...): `what` and a detail.
  std::function<void(const std::string& what, const std::string& target, const std::string& detail)> world_event;
};

struct WorldOptions {
  std::filesystem::path storage_root;  // per-node directories go below
  std::filesystem::path pcap_dir;      // empty: no captures
  WorldHooks hooks;
  LogLevel log_threshold = LogLevel::warning;
  Logger::Sink log_sink;  // unset: discard
};

class ScenarioWorld {
 public:
  // Builds and boots the topology, then creates the hosts and starts every
  // app. Errors name the host and the config file.
  static Result<std::unique_ptr<ScenarioWorld>> build(const Scenario& scenario, WorldOptions options);
  // Apps and hosts go first, then the world models.
  ~ScenarioWorld();
  ScenarioWorld(const ScenarioWorld&) = delete;
  ScenarioWorld& operator=(const ScenarioWorld&) = delete;

  // Runs a scenario event now (call it from an ns-3 event).
  void apply(const EventSpec& event);
  Result<void> start_node(WorldNode& node);
  void stop_node(WorldNode& node);
  // change-config: the node's apps take the event's files as a user's
  // `wg syncconf` and smtpd reload would (TunnelEndpoint/MailRelay::
  // reconfigure); a stopped node starts from them later. A file that does
  // not load or start is refused, the running config stays.
  Result<void> change_config(WorldNode& node, const EventSpec& event);

  WorldNode* node(const std::string& name);
  std::vector<std::unique_ptr<WorldNode>>& nodes() { return nodes_; }
  WorldNode* home() { return home_; }
  Nat* nat() { return nat_.get(); }
  Isp* isp() { return isp_line_.get(); }
  IspPrefix* isp_prefix() { return prefix_.get(); }
  LinkOutage* uplink() { return uplink_.outage.get(); }
  const Scenario& scenario() const { return scenario_; }
  std::shared_ptr<DnsZone> zone() { return zone_; }

 private:
  ScenarioWorld(const Scenario& scenario, WorldOptions options);
  // The topology in steps (scenario_world_topology.cc).
  Result<void> build_topology();
  void build_dns();
  void create_nodes();
  void build_links();
  void install_stacks();
  void assign_public_addresses();
  // The gateway's uplink interfaces, and the ISP's ends of them.
  struct UplinkInterfaces {
    std::uint32_t wan = 0, isp = 0, lte_wan = 0, isp_lte = 0;
  };
  UplinkInterfaces assign_home_addresses();
  // The NAT, the ISP line(s) and, with 4G, the failover between them.
  Result<void> build_home_uplinks(const UplinkInterfaces& uplinks);
  // Every link to OUT/pcap, stamped with the scenario's wall clock.
  Result<void> enable_captures();
  Result<void> create_hosts();
  // With isp.prefix_pool: IPv6 on the public hosts' links and the home's
  // delegated prefix through the gateway (scenario_world_ipv6.cc).
  Result<void> build_ipv6();
  Result<void> start_apps(WorldNode& node);
  void stop_apps(WorldNode& node);
  void note(const std::string& what, const std::string& target, const std::string& detail = "");

  const Scenario& scenario_;
  WorldOptions options_;
  std::shared_ptr<DnsZone> zone_ = std::make_shared<DnsZone>();
  ns3::Ptr<ns3::Node> internet_, gateway_;
  PointToPointLink lan_, uplink_, lte_;
  std::vector<PointToPointLink> access_links_;  // one per public host, and the submission links
  std::unique_ptr<Nat> nat_;
  std::unique_ptr<Isp> isp_line_, lte_line_;
  std::unique_ptr<IspPrefix> prefix_;
  std::unique_ptr<UplinkFailover> failover_;
  std::vector<std::unique_ptr<WorldNode>> nodes_;
  WorldNode* home_ = nullptr;
  bool with_lte_ = false;  // the gateway has a second (4G) uplink
};

}  // namespace tether::sim
