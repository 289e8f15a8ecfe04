#pragma once
// A scenario: the world a run builds (hosts, links, NAT, ISP, DNS), the
// mail it sends through it (workload), what goes wrong when (events), and
// where results go. scenario_parser.h reads it from YAML; scenarios/README.md
// documents the schema. Everything here is validated: a world (tether-sim's
// ns-3 world, the namespace lab) can take it as it is.
//
// The topology has a fixed shape, the one every shipped scenario needs: each
// public host (sender, relay, backup) hangs off one router, "internet", by
// its own link; the home host sits on a LAN behind "gateway", a NAT router
// whose uplink (and optional 4G uplink) goes to "internet", which is also
// the ISP that numbers the uplink from its pool.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/endpoint.h"
#include "core/time.h"
#include "scenario/nat_behaviour.h"
#include "smtp/relay_profile.h"

namespace tether::scenario {

enum class HostRole : std::uint8_t { sender, relay, home, backup };
const char* to_string(HostRole role);

// The operating system a host stands for: its kernel's timer tick and its
// WireGuard's timer behaviour (sim/host/node_clock.h,
// impl/tunnel/timer_profile.h).
enum class HostOs : std::uint8_t { linux_family, openbsd };
const char* to_string(HostOs os);

// What runs a host's mail server in the lab (tether-lab): tetherd's relay,
// or Debian's real OpenSMTPD 6.8 (lab/nodes/opensmtpd_*). The simulation
// runs every relay as tetherd's MailRelay on its profile; `opensmtpd` here
// puts the host on the opensmtpd profile, so both worlds stand for it.
enum class RelayImplementation : std::uint8_t { tetherd, opensmtpd };
const char* to_string(RelayImplementation implementation);

struct HostSpec {
  std::string name;      // the scenario's key; also the node's directory name
  HostRole role = HostRole::sender;
  std::string hostname;  // the host's FQDN (smtpd's own name); default: name
  IpAddress address;     // public (sender/relay/backup) or LAN (home)
  std::filesystem::path tunnel;  // wg-quick config, absolute; empty: none
  std::filesystem::path smtpd;   // smtpd.conf, absolute; empty: no mail server
  std::string interface_name = "wg0";
  // Overrides every [Peer]'s PersistentKeepalive of the tunnel config
  // (seconds, 0 off): what `--set hosts.NAME.persistent_keepalive=25` sweeps.
  std::optional<std::uint16_t> persistent_keepalive;
  // IPv6, with isp.prefix_pool: a public host's address (its link's /64,
  // the internet router at ::1), or the home's interface id ("::10"), its
  // address then being the delegated prefix's first /64 and that id.
  std::optional<IpAddress> address6;
  std::optional<std::uint64_t> interface_id;
  // The mail server this host's relay behaves as (smtp/relay_profile.h):
  // as a `profile` line in its smtpd.conf, replacing the file's own.
  std::optional<smtp::RelayProfile> profile;
  RelayImplementation implementation = RelayImplementation::tetherd;
  HostOs os = HostOs::linux_family;
  // The clock's rate error in ppm, fixed; unset: drawn from clocks.ppm.
  std::optional<double> clock_ppm;
  int line = 0;
};

// Every node's clock runs at 1 + e against true time, e drawn from the seed
// uniformly in [-ppm, +ppm] parts per million (a host's clock_ppm fixes
// its own). Default: 20 ppm, commodity quartz.
struct ClockSpec {
  double ppm = 20.0;
};

struct LinkSpec {
  std::string a, b;  // endpoints, one of them "internet" or "gateway"
  // Unset: the world's default for this link (scenarios/README.md): the
  // 4G link's come from the seed's pings over 4G.
  std::optional<std::string> rate;
  std::optional<Duration> delay;   // one way, the mean when jittered
  // The std-dev of each packet's one-way delay, drawn per packet from the
  // run's seed (a normal distribution around `delay`, cut symmetrically so
  // a delay never goes negative).
  std::optional<Duration> jitter;
  // Jittered packets keep their order on the wire unless this is set (each
  // packet arrives no earlier than the one sent before it).
  bool reorder = false;
  double loss = 0.0;
  bool lte = false;  // the gateway's second (4G) uplink
  int line = 0;
};

struct NatSpec {
  NatTableConfig table;
  Duration failover_detection = Duration::seconds(10);  // 4G only
};

struct IspSpec {
  std::vector<IpAddress> pool;
  std::vector<IpAddress> lte_pool;
  Duration change_every = Duration::zero();  // zero: never
  std::optional<Duration> first_change;
  // Delegated IPv6 prefixes for the home (one length, /48../64); empty: no
  // IPv6. The prefix changes whenever the IPv4 address does (one reconnect).
  std::vector<IpPrefix> prefix_pool;
};

struct DnsRecordSpec {
  enum class Type : std::uint8_t { a, aaaa, mx };
  std::string name;
  Type type = Type::a;
  IpAddress address;       // A/AAAA
  std::uint16_t preference = 10;  // MX
  std::string exchange;    // MX
  Duration ttl = Duration::seconds(300);
};

// How submissions are spread in time: on a fixed grid (start + i *
// interval), or as a Poisson process (exponential gaps of mean `interval`,
// drawn from the run's seed).
enum class Arrivals : std::uint8_t { fixed, poisson };

struct WorkloadSpec {
  std::string sender;  // a host of role sender
  std::uint64_t count = 0;
  Duration interval = Duration::minutes(1);  // between submissions (the mean, with poisson)
  Arrivals arrivals = Arrivals::fixed;
  Duration start = Duration::seconds(60);
  std::size_t size = 2000;  // bytes of body, roughly
  std::string from = "alice@websteading.net";
  std::vector<std::string> recipients;
};

// Traffic the home host originates by itself through the tunnel, as real
// homes do (an NTP poll, a monitoring check): one
// small UDP datagram to `to` every `interval` from `start`. Without
// PersistentKeepalive it is all that opens the NAT mapping and brings the
// tunnel up. interval zero: none.
struct HomeActivitySpec {
  Duration interval = Duration::zero();
  Duration start = Duration::zero();
  Endpoint to;
  std::size_t size = 48;
};

enum class EventAction : std::uint8_t {
  link_down, link_up,      // target: a host name (its link), "uplink" or "lte"
  pause_smtp, resume_smtp, // target: a host
  stop_node, start_node,   // target: a host; stop loses process state and blackholes its link
  isp_change,              // value: an address of the pool, or empty (drawn)
  nat_flush,
  dns_set, dns_remove,     // name, type (A/AAAA/MX), value (address, or "PREF EXCHANGE")
  change_config,           // target: a host; tunnel and/or smtpd: the edited files
};
const char* to_string(EventAction action);

struct EventSpec {
  Duration at;
  EventAction action = EventAction::link_down;
  std::string target;
  std::string name;  // dns_*
  DnsRecordSpec::Type type = DnsRecordSpec::Type::a;
  std::string value;
  std::filesystem::path tunnel, smtpd;  // change_config, absolute; empty: unchanged
  int line = 0;
};

struct OutputSpec {
  std::filesystem::path dir = "results";
  bool pcap = false;
  // Where dir was given, for errors about the directory found later:
  // "x.yaml:75: outputs.dir" or "--set outputs.dir=...: outputs.dir".
  std::string dir_origin;
};

struct Scenario {
  std::string name;                   // file stem
  std::filesystem::path source;       // the YAML file
  std::uint64_t seed = 1;
  Duration duration = Duration::hours(1);
  WallTime epoch = WallTime::from_unix_seconds(1767225600);  // 2026-01-01T00:00:00Z
  std::vector<HostSpec> hosts;        // file order
  std::vector<LinkSpec> links;
  NatSpec nat;
  IspSpec isp;
  std::vector<DnsRecordSpec> dns;
  ClockSpec clocks;
  WorkloadSpec workload;
  HomeActivitySpec home_activity;
  std::vector<EventSpec> events;      // sorted by time, file order within a time
  OutputSpec outputs;

  const HostSpec* host(const std::string& name) const;
  const HostSpec* first_with_role(HostRole role) const;
};

}  // namespace tether::scenario
