#include "sim/world_builder.h"

#include <set>
#include <sstream>

#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4.h>
#include <ns3/ipv6-list-routing-helper.h>
#include <ns3/ipv6-static-routing-helper.h>
#include <ns3/node-container.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/simulator.h>

#include "sim/node_config_files.h"
#include "sim/ns3_address.h"
#include "sim/static_routes.h"

namespace tether::sim {
namespace {

std::uint32_t configure(const ns3::Ptr<ns3::Node>& node, const ns3::Ptr<ns3::NetDevice>& device,
                        std::optional<IpAddress> address, const char* mask) {
  auto ipv4 = node->GetObject<ns3::Ipv4>();
  std::int32_t interface = ipv4->GetInterfaceForDevice(device);
  if (interface < 0) interface = std::int32_t(ipv4->AddInterface(device));
  if (address)
    ipv4->AddAddress(std::uint32_t(interface),
                     ns3::Ipv4InterfaceAddress(ns3::Ipv4Address(address->to_string().c_str()), ns3::Ipv4Mask(mask)));
  ipv4->SetUp(std::uint32_t(interface));
  return std::uint32_t(interface);
}

// x.y.z.w -> x.y.z.1
IpAddress first_of_24(const IpAddress& a) {
  IpPrefix net = IpPrefix(a, 24).network();
  std::string text = net.address().to_string();
  return *IpAddress::parse(text.substr(0, text.rfind('.')) + ".1");
}

ns3::Ipv4Address v4(const IpAddress& a) { return ns3::Ipv4Address(a.to_string().c_str()); }

LinkConfig link_config(const LinkSpec& spec) {
  LinkConfig c;
  c.data_rate = spec.rate;
  c.delay = spec.delay;
  c.loss = spec.loss;
  return c;
}

}  // namespace

World::World(const Scenario& scenario, WorldOptions options) : scenario_(scenario), options_(std::move(options)) {}

World::~World() {
  for (auto& n : nodes_) {
    n->relay.reset();
    n->tunnel.reset();
    n->host.reset();
    n->submitter_host.reset();
  }
  failover_.reset();
  lte_line_.reset();
  prefix_.reset();
  isp_line_.reset();
  nat_.reset();
}

Result<std::unique_ptr<World>> World::build(const Scenario& scenario, WorldOptions options) {
  std::unique_ptr<World> world(new World(scenario, std::move(options)));
  if (auto r = world->build_topology(); !r.ok()) return r.error();
  // Time-0 events: every node's initialisation. Hosts only on booted nodes.
  ns3::Simulator::Stop(ns3::Seconds(0));
  ns3::Simulator::Run();
  if (auto r = world->create_hosts(); !r.ok()) return r.error();
  for (auto& n : world->nodes_)
    if (auto r = world->start_apps(*n); !r.ok()) return r.error();
  return world;
}

Result<void> World::build_topology() {
  // Every address gets one PTR record: the first A/AAAA name that leads to
  // it, else the name of the host that has it. The relays look them up and
  // forward-confirm them like any reverse name.
  std::set<IpAddress> named;
  for (const DnsRecordSpec& r : scenario_.dns) {
    if (r.type == DnsRecordSpec::Type::mx) zone_->add_mx(r.name, r.preference, r.exchange, r.ttl);
    else {
      zone_->add_address(r.name, r.address, r.ttl);
      if (named.insert(r.address).second) zone_->add_ptr(r.address, r.name, r.ttl);
    }
  }
  for (const HostSpec& h : scenario_.hosts)
    if (named.insert(h.address).second) zone_->add_ptr(h.address, h.hostname);

  auto find_link = [&](const std::string& key) -> LinkSpec {
    for (const LinkSpec& l : scenario_.links) {
      if (key == "uplink" && l.a == "gateway" && l.b == "internet" && !l.lte) return l;
      if (key == "lte" && l.lte) return l;
      if (key == "lan" && l.b == "gateway" && l.a != "internet") return l;
      if (l.a == key && l.b == "internet") return l;
    }
    LinkSpec d;
    if (key == "lan") d.rate = "1Gbps", d.delay = Duration::milliseconds(1);
    if (key == "uplink") d.rate = "50Mbps", d.delay = Duration::milliseconds(10);
    return d;
  };
  const bool with_lte = std::any_of(scenario_.links.begin(), scenario_.links.end(), [](const LinkSpec& l) { return l.lte; });

  internet_ = ns3::CreateObject<ns3::Node>();
  for (const HostSpec& h : scenario_.hosts) {
    auto n = std::make_unique<WorldNode>();
    n->spec = &h;
    n->tunnel_file = h.tunnel;
    n->smtpd_file = h.smtpd;
    n->keepalive_override = h.persistent_keepalive;
    n->node = ns3::CreateObject<ns3::Node>();
    if (h.role == HostRole::home) home_ = n.get();
    nodes_.push_back(std::move(n));
  }
  if (home_) gateway_ = ns3::CreateObject<ns3::Node>();

  std::int64_t stream = 1000;
  std::vector<std::uint32_t> access_if;
  for (auto& n : nodes_) {
    if (n->spec->role == HostRole::home) continue;
    access_links_.push_back(build_point_to_point_link(n->node, internet_, link_config(find_link(n->spec->name)), stream += 2));
    n->link = access_links_.back().outage.get();
    if (n->spec->role == HostRole::sender) {
      n->submitter = ns3::CreateObject<ns3::Node>();
      access_links_.push_back(build_point_to_point_link(n->submitter, n->node, LinkConfig{"1Gbps", Duration::microseconds(100)}, stream += 2));
    }
  }
  if (home_) {
    lan_ = build_point_to_point_link(home_->node, gateway_, link_config(find_link("lan")), stream += 2);
    home_->link = lan_.outage.get();
    uplink_ = build_point_to_point_link(gateway_, internet_, link_config(find_link("uplink")), stream += 2);
    if (with_lte) lte_ = build_point_to_point_link(gateway_, internet_, link_config(find_link("lte")), stream += 2);
  }

  // The internet router routes IPv6 as a list (static routing in it), so
  // the ISP's IPv6 null route can sit above static routing.
  ns3::InternetStackHelper router_stack;
  ns3::Ipv6ListRoutingHelper router_routing6;
  router_routing6.Add(ns3::Ipv6StaticRoutingHelper(), 0);
  router_stack.SetRoutingHelper(router_routing6);
  router_stack.Install(internet_);
  ns3::InternetStackHelper internet;
  ns3::NodeContainer plain;
  for (auto& n : nodes_) {
    plain.Add(n->node);
    if (n->submitter) plain.Add(n->submitter);
  }
  internet.Install(plain);
  if (gateway_) install_nat_internet_stack(gateway_);
  internet.AssignStreams(ns3::NodeContainer::GetGlobal(), 0);

  // Addresses and routes.
  std::size_t link_index = 0;
  int submit_net = 0;
  for (auto& n : nodes_) {
    if (n->spec->role == HostRole::home) continue;
    const PointToPointLink& link = access_links_[link_index++];
    const IpAddress router = first_of_24(n->spec->address);
    configure(n->node, link.device(0), n->spec->address, "255.255.255.0");
    configure(internet_, link.device(1), router, "255.255.255.0");
    set_default_route(n->node, 1, v4(router));
    n->egress.push_back(n->spec->address);
    if (n->submitter) {
      const PointToPointLink& s = access_links_[link_index++];
      ++submit_net;
      const std::string base = "10.255." + std::to_string(submit_net) + ".";
      configure(n->submitter, s.device(0), *IpAddress::parse(base + "1"), "255.255.255.0");
      const std::uint32_t side = configure(n->node, s.device(1), *IpAddress::parse(base + "2"), "255.255.255.0");
      (void)side;
      n->submission = Endpoint(*IpAddress::parse(base + "2"), 25);
      n->egress.push_back(*IpAddress::parse(base + "2"));
    }
  }
  if (home_) {
    const IpAddress lan_gw = first_of_24(home_->spec->address);
    configure(home_->node, lan_.device(0), home_->spec->address, "255.255.255.0");
    configure(gateway_, lan_.device(1), lan_gw, "255.255.255.0");
    set_default_route(home_->node, 1, v4(lan_gw));
    home_->egress.push_back(home_->spec->address);
    const std::uint32_t wan = configure(gateway_, uplink_.device(0), std::nullopt, nullptr);
    const std::uint32_t isp_if = configure(internet_, uplink_.device(1), *IpAddress::parse("100.64.0.1"), "255.255.255.255");
    std::uint32_t lte_wan = 0, isp_lte_if = 0;
    if (with_lte) {
      lte_wan = configure(gateway_, lte_.device(0), std::nullopt, nullptr);
      isp_lte_if = configure(internet_, lte_.device(1), *IpAddress::parse("100.64.1.1"), "255.255.255.255");
    }
    NatConfig nat_config;
    static_cast<NatTableConfig&>(nat_config) = scenario_.nat.table;
    nat_config.seed = scenario_.seed;
    std::vector<std::uint32_t> wans{wan};
    if (with_lte) wans.push_back(lte_wan);
    auto nat = Nat::create(gateway_, wans, nat_config);
    if (!nat.ok()) return Error(ErrorCode::internal, "nat: " + nat.error().to_string());
    nat_ = std::move(*nat);
    if (options_.hooks.nat_event) nat_->add_event_handler(options_.hooks.nat_event);

    IspConfig line;
    for (const IpAddress& a : scenario_.isp.pool) line.pool.push_back(v4(a));
    line.gateway = ns3::Ipv4Address("100.64.0.1");
    line.seed = scenario_.seed;
    line.change_every = scenario_.isp.change_every;
    line.first_change = scenario_.isp.first_change;
    line.set_default_route = !with_lte;
    auto isp = Isp::create({internet_, isp_if, gateway_, wan, nat_.get()}, line);
    if (!isp.ok()) return Error(ErrorCode::internal, "isp: " + isp.error().to_string());
    isp_line_ = std::move(*isp);
    isp_line_->add_change_handler([this](ns3::Ipv4Address old_address, ns3::Ipv4Address new_address) {
      std::ostringstream s;
      s << old_address << " -> " << new_address;
      note("isp-address", "uplink", s.str());
    });
    if (with_lte) {
      IspConfig carrier;
      for (const IpAddress& a : scenario_.isp.lte_pool) carrier.pool.push_back(v4(a));
      carrier.gateway = ns3::Ipv4Address("100.64.1.1");
      carrier.seed = scenario_.seed;
      carrier.set_default_route = false;
      auto lte = Isp::create({internet_, isp_lte_if, gateway_, lte_wan, nat_.get()}, carrier);
      if (!lte.ok()) return Error(ErrorCode::internal, "isp (4G): " + lte.error().to_string());
      lte_line_ = std::move(*lte);
      UplinkFailoverConfig fc;
      fc.detect_down = fc.detect_up = scenario_.nat.failover_detection;
      failover_ = std::make_unique<UplinkFailover>(
          gateway_, Uplink{wan, ns3::Ipv4Address("100.64.0.1"), uplink_.outage.get()},
          Uplink{lte_wan, ns3::Ipv4Address("100.64.1.1"), lte_.outage.get()}, fc, nat_.get());
      failover_->add_switch_handler([this](bool to_backup) {
        note("uplink-switch", "gateway", to_backup ? "to 4G" : "to the wired line");
      });
    }
  }

  if (!scenario_.isp.prefix_pool.empty())
    if (auto r = build_ipv6(); !r.ok()) return r;

  if (!options_.pcap_dir.empty()) {
    std::filesystem::create_directories(options_.pcap_dir);
    ns3::PointToPointHelper p2p;
    auto capture = [&](const PointToPointLink& link, const std::string& name) {
      for (std::size_t end = 0; end < 2; ++end)
        p2p.EnablePcap((options_.pcap_dir / (name + "-" + std::to_string(end) + ".pcap")).string(), link.device(end),
                       false, true);
    };
    std::size_t i = 0;
    for (auto& n : nodes_) {
      if (n->spec->role == HostRole::home) continue;
      capture(access_links_[i++], n->spec->name);
      if (n->submitter) capture(access_links_[i++], n->spec->name + "-submission");
    }
    if (home_) {
      capture(lan_, "lan");
      capture(uplink_, "uplink");
      if (with_lte) capture(lte_, "lte");
    }
  }
  return {};
}

Result<void> World::create_hosts() {
  std::uint64_t stream = 1;
  auto make = [&](ns3::Ptr<ns3::Node> node, const std::string& dir, const std::string& hostname)
      -> Result<std::unique_ptr<Ns3Host>> {
    Ns3HostOptions o;
    o.storage_root = options_.storage_root / dir;
    o.hostname = hostname;
    o.seed = scenario_.seed;
    o.random_stream = stream++;
    o.epoch = scenario_.epoch;
    o.log_threshold = options_.log_threshold;
    o.log_sink = options_.log_sink ? options_.log_sink : Logger::Sink([](const LogRecord&) {});
    o.dns_zone = zone_;
    std::filesystem::create_directories(o.storage_root);
    return Ns3Host::create(node, o);
  };
  for (auto& n : nodes_) {
    auto host = make(n->node, n->spec->name, n->spec->hostname);
    if (!host.ok()) return Error(ErrorCode::internal, "hosts." + n->spec->name + ": " + host.error().to_string());
    n->host = std::move(*host);
    if (n->submitter) {
      auto s = make(n->submitter, n->spec->name + "-submission", "submission." + n->spec->hostname);
      if (!s.ok()) return s.error();
      n->submitter_host = std::move(*s);
    }
  }
  return {};
}

Result<void> World::start_apps(WorldNode& n) {
  const HostSpec& spec = *n.spec;
  node::MailRelayOptions relay_options;
  relay_options.interface_addresses["egress"] = n.egress;
  if (!n.tunnel_file.empty()) {
    auto config = load_tunnel_file(n.tunnel_file, "hosts." + spec.name + ".tunnel", n.keepalive_override);
    if (!config.ok()) return config.error();
    std::vector<IpAddress> inner;
    for (const IpPrefix& p : config->interface.addresses) inner.push_back(p.address());
    relay_options.interface_addresses[spec.interface_name] = inner;
    node::TunnelEndpointOptions options;
    options.interface_name = spec.interface_name;
    // With captures on, each tunnel writes a Wireshark key log beside them
    // (tshark -o wg.keylog_file:F decrypts the tunnel in the pcaps).
    if (!options_.pcap_dir.empty())
      options.key_log_file = std::filesystem::absolute(options_.pcap_dir / (spec.name + "-wg-keys.log"));
    n.tunnel = std::make_unique<node::TunnelEndpoint>(*n.host, std::move(*config), options);
    WorldNode* self = &n;
    n.tunnel->subscribe([this, self](const tunnel::Event& e) {
      if (e.kind == tunnel::EventKind::handshake_completed && self->relay && self->tunnel && e.peer) {
        for (const auto& peer : self->tunnel->config().peers)
          if (peer.public_key == *e.peer) self->relay->route_up_within(peer.allowed_ips);
      }
      if (options_.hooks.tunnel_event) options_.hooks.tunnel_event(*self, e);
    });
    if (auto r = n.tunnel->start(); !r.ok())
      return Error(ErrorCode::internal, "hosts." + spec.name + ": tunnel: " + r.error().to_string());
  }
  if (!n.smtpd_file.empty()) {
    auto loaded = load_smtpd_file(n.smtpd_file, "hosts." + spec.name + ".smtpd");
    if (!loaded.ok()) return loaded.error();
    relay_options.config_root = loaded->root;
    n.relay = std::make_unique<node::MailRelay>(*n.host, loaded->config, relay_options);
    WorldNode* self = &n;
    n.relay->subscribe([this, self](const node::MailRelayEvent& e) {
      if (options_.hooks.relay_event) options_.hooks.relay_event(*self, e);
    });
    if (auto r = n.relay->start(); !r.ok())
      return Error(ErrorCode::internal, "hosts." + spec.name + ": smtpd: " + r.error().to_string());
  }
  return {};
}

void World::stop_apps(WorldNode& n) {
  if (n.relay) {
    const auto& c = n.relay->counters();
    n.relay_before_stop.messages_accepted += c.messages_accepted;
    n.relay_before_stop.attempts += c.attempts;
    n.relay_before_stop.delivered += c.delivered;
    n.relay_before_stop.temporary_failures += c.temporary_failures;
    n.relay_before_stop.permanent_failures += c.permanent_failures;
    n.relay->stop();
    n.relay.reset();
  }
  if (n.tunnel) {
    for (const auto& p : n.tunnel->status().peers) n.keepalives_before_stop += p.stats.keepalives_sent;
    n.tunnel->stop();
    n.tunnel.reset();
  }
}

void World::stop_node(WorldNode& n) {
  if (n.stopped) return;
  stop_apps(n);
  if (n.link) n.link->down();
  n.stopped = true;
  note("node-stopped", n.spec->name);
}

Result<void> World::start_node(WorldNode& n) {
  if (!n.stopped) return {};
  if (n.link) n.link->up();
  n.stopped = false;
  note("node-started", n.spec->name);
  return start_apps(n);
}

WorldNode* World::node(const std::string& name) {
  for (auto& n : nodes_)
    if (n->spec->name == name) return n.get();
  return nullptr;
}

void World::note(const std::string& what, const std::string& target, const std::string& detail) {
  if (options_.hooks.world_event) options_.hooks.world_event(what, target, detail);
}

void World::apply(const EventSpec& e) {
  WorldNode* n = node(e.target);
  switch (e.action) {
    case EventAction::link_down:
    case EventAction::link_up: {
      LinkOutage* link = e.target == "uplink" ? uplink_.outage.get()
                         : e.target == "lte"  ? lte_.outage.get()
                         : e.target == "lan"  ? lan_.outage.get()
                         : n                  ? n->link
                                              : nullptr;
      if (!link) {
        note("event-ignored", e.target, std::string(to_string(e.action)) + ": no such link");
        return;
      }
      if (e.action == EventAction::link_down) link->down();
      else link->up();
      note(to_string(e.action), e.target);
      return;
    }
    case EventAction::pause_smtp:
    case EventAction::resume_smtp: {
      if (!n || !n->relay) {
        note("event-ignored", e.target, std::string(to_string(e.action)) + ": no smtpd running");
        return;
      }
      auto r = e.action == EventAction::pause_smtp ? n->relay->pause_smtp() : n->relay->resume_smtp();
      note(to_string(e.action), e.target, r.ok() ? "" : r.error().to_string());
      return;
    }
    case EventAction::stop_node:
      if (n) stop_node(*n);
      return;
    case EventAction::start_node:
      if (n) {
        auto r = start_node(*n);
        if (!r.ok()) note("start-failed", e.target, r.error().to_string());
      }
      return;
    case EventAction::isp_change:
      if (isp_line_) {
        std::optional<ns3::Ipv4Address> to;
        if (!e.value.empty()) to = v4(*IpAddress::parse(e.value));
        isp_line_->change_address(to);
      }
      return;
    case EventAction::change_config:
      if (n) {
        auto r = change_config(*n, e);
        if (!r.ok()) note("change-config-failed", e.target, r.error().to_string());
      }
      return;
    case EventAction::nat_flush:
      if (nat_) nat_->flush_mappings();
      note("nat-flush", "gateway");
      return;
    case EventAction::dns_set:
    case EventAction::dns_remove: {
      const DnsRecordType type = e.type == DnsRecordSpec::Type::mx   ? DnsRecordType::mx
                                 : e.type == DnsRecordSpec::Type::aaaa ? DnsRecordType::aaaa
                                                                       : DnsRecordType::a;
      zone_->remove(e.name, type);
      if (e.action == EventAction::dns_set) {
        if (e.type == DnsRecordSpec::Type::mx) {
          std::istringstream in(e.value);
          unsigned pref = 0;
          std::string exchange;
          in >> pref >> exchange;
          zone_->add_mx(e.name, std::uint16_t(pref), exchange);
        } else {
          zone_->add_address(e.name, *IpAddress::parse(e.value));
        }
      }
      note(to_string(e.action), e.name, e.value);
      return;
    }
  }
}

}  // namespace tether::sim
