// The scenario world's topology (the fixed shape of scenario/scenario.h),
// built in steps: the DNS zone, the nodes, the links, the IP stacks, the
// addresses and routes, the NAT and the ISP lines, IPv6, the captures.
// ns-3 numbers nodes, devices and random streams in creation order, so the
// order of the steps is part of what makes a run a function of its seed.

#include <algorithm>
#include <set>
#include <sstream>

#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4.h>
#include <ns3/ipv6-list-routing-helper.h>
#include <ns3/ipv6-static-routing-helper.h>
#include <ns3/node-container.h>

#include "sim/host/ns3_address.h"
#include "sim/scenario_world.h"
#include "sim/world/static_routes.h"
#include "sim/world/wall_clock_pcap.h"

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

// The scenario's link between `key` and the internet (or the home and the
// gateway), over the world's default for it (scenario/world_links.h, which
// the lab reads too).
LinkConfig link_config(const Scenario& scenario, const std::string& key) {
  return LinkConfig::from(scenario::world_link(scenario, key));
}

}  // namespace

Result<void> ScenarioWorld::build_topology() {
  build_dns();
  create_nodes();
  build_links();
  install_stacks();
  assign_public_addresses();
  if (home_)
    if (auto r = build_home_uplinks(assign_home_addresses()); !r.ok()) return r;
  if (!scenario_.isp.prefix_pool.empty())
    if (auto r = build_ipv6(); !r.ok()) return r;
  return enable_captures();
}

void ScenarioWorld::build_dns() {
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
}

void ScenarioWorld::create_nodes() {
  with_lte_ = std::any_of(scenario_.links.begin(), scenario_.links.end(), [](const LinkSpec& l) { return l.lte; });
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
}

void ScenarioWorld::build_links() {
  std::int64_t stream = 1000;
  for (auto& n : nodes_) {
    if (n->spec->role == HostRole::home) continue;
    access_links_.push_back(build_point_to_point_link(n->node, internet_, link_config(scenario_, n->spec->name), stream += 4));
    n->link = access_links_.back().outage.get();
    if (n->spec->role == HostRole::sender) {
      n->submitter = ns3::CreateObject<ns3::Node>();
      access_links_.push_back(build_point_to_point_link(n->submitter, n->node, LinkConfig{"1Gbps", Duration::microseconds(100)}, stream += 4));
    }
  }
  if (home_) {
    lan_ = build_point_to_point_link(home_->node, gateway_, link_config(scenario_, "lan"), stream += 4);
    home_->link = lan_.outage.get();
    uplink_ = build_point_to_point_link(gateway_, internet_, link_config(scenario_, "uplink"), stream += 4);
    if (with_lte_) lte_ = build_point_to_point_link(gateway_, internet_, link_config(scenario_, "lte"), stream += 4);
  }
}

void ScenarioWorld::install_stacks() {
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
}

// Each public host on its /24 behind the internet router (x.y.z.1), and a
// sender's hidden submission node on 10.255.N.0/24.
void ScenarioWorld::assign_public_addresses() {
  std::size_t link_index = 0;
  int submit_net = 0;
  for (auto& n : nodes_) {
    if (n->spec->role == HostRole::home) continue;
    const PointToPointLink& link = access_links_[link_index++];
    const IpAddress router = first_of_24(n->spec->address);
    configure(n->node, link.device(0), n->spec->address, "255.255.255.0");
    configure(internet_, link.device(1), router, "255.255.255.0");
    set_default_route(n->node, 1, to_ns3_v4(router));
    n->egress.push_back(n->spec->address);
    if (n->submitter) {
      const PointToPointLink& s = access_links_[link_index++];
      ++submit_net;
      const std::string base = "10.255." + std::to_string(submit_net) + ".";
      configure(n->submitter, s.device(0), *IpAddress::parse(base + "1"), "255.255.255.0");
      configure(n->node, s.device(1), *IpAddress::parse(base + "2"), "255.255.255.0");
      n->submission = Endpoint(*IpAddress::parse(base + "2"), 25);
      n->egress.push_back(*IpAddress::parse(base + "2"));
    }
  }
}

ScenarioWorld::UplinkInterfaces ScenarioWorld::assign_home_addresses() {
  UplinkInterfaces uplinks;
  const IpAddress lan_gw = first_of_24(home_->spec->address);
  configure(home_->node, lan_.device(0), home_->spec->address, "255.255.255.0");
  configure(gateway_, lan_.device(1), lan_gw, "255.255.255.0");
  set_default_route(home_->node, 1, to_ns3_v4(lan_gw));
  home_->egress.push_back(home_->spec->address);
  uplinks.wan = configure(gateway_, uplink_.device(0), std::nullopt, nullptr);
  uplinks.isp = configure(internet_, uplink_.device(1), *IpAddress::parse("100.64.0.1"), "255.255.255.255");
  if (with_lte_) {
    uplinks.lte_wan = configure(gateway_, lte_.device(0), std::nullopt, nullptr);
    uplinks.isp_lte = configure(internet_, lte_.device(1), *IpAddress::parse("100.64.1.1"), "255.255.255.255");
  }
  return uplinks;
}

Result<void> ScenarioWorld::build_home_uplinks(const UplinkInterfaces& uplinks) {
  NatConfig nat_config;
  static_cast<NatTableConfig&>(nat_config) = scenario_.nat.table;
  nat_config.seed = scenario_.seed;
  std::vector<std::uint32_t> wans{uplinks.wan};
  if (with_lte_) wans.push_back(uplinks.lte_wan);
  auto nat = Nat::create(gateway_, wans, nat_config);
  if (!nat.ok()) return Error(ErrorCode::internal, "nat: " + nat.error().to_string());
  nat_ = std::move(*nat);
  if (options_.hooks.nat_event) nat_->add_event_handler(options_.hooks.nat_event);

  IspConfig line;
  for (const IpAddress& a : scenario_.isp.pool) line.pool.push_back(to_ns3_v4(a));
  line.gateway = ns3::Ipv4Address("100.64.0.1");
  line.seed = scenario_.seed;
  line.change_every = scenario_.isp.change_every;
  line.first_change = scenario_.isp.first_change;
  line.set_default_route = !with_lte_;
  auto isp = Isp::create({internet_, uplinks.isp, gateway_, uplinks.wan, nat_.get()}, line);
  if (!isp.ok()) return Error(ErrorCode::internal, "isp: " + isp.error().to_string());
  isp_line_ = std::move(*isp);
  isp_line_->add_change_handler([this](ns3::Ipv4Address old_address, ns3::Ipv4Address new_address) {
    std::ostringstream s;
    s << old_address << " -> " << new_address;
    note("isp-address", "uplink", s.str());
  });
  if (with_lte_) {
    IspConfig carrier;
    for (const IpAddress& a : scenario_.isp.lte_pool) carrier.pool.push_back(to_ns3_v4(a));
    carrier.gateway = ns3::Ipv4Address("100.64.1.1");
    carrier.seed = scenario_.seed;
    carrier.set_default_route = false;
    auto lte = Isp::create({internet_, uplinks.isp_lte, gateway_, uplinks.lte_wan, nat_.get()}, carrier);
    if (!lte.ok()) return Error(ErrorCode::internal, "isp (4G): " + lte.error().to_string());
    lte_line_ = std::move(*lte);
    UplinkFailoverConfig fc;
    fc.detect_down = fc.detect_up = scenario_.nat.failover_detection;
    failover_ = std::make_unique<UplinkFailover>(
        gateway_, Uplink{uplinks.wan, ns3::Ipv4Address("100.64.0.1"), uplink_.outage.get()},
        Uplink{uplinks.lte_wan, ns3::Ipv4Address("100.64.1.1"), lte_.outage.get()}, fc, nat_.get());
    failover_->add_switch_handler([this](bool to_backup) {
      note("uplink-switch", "gateway", to_backup ? "to 4G" : "to the wired line");
    });
  }
  return {};
}

Result<void> ScenarioWorld::enable_captures() {
  if (options_.pcap_dir.empty()) return {};
  if (kLastPcapTime < scenario_.epoch + scenario_.duration)
    return Error(ErrorCode::invalid_argument,
                 "epoch: pcap captures (--pcap, outputs.pcap) cannot stamp times after 2106-02-07T06:28:15Z "
                 "(classic pcap's 32-bit seconds), and epoch + duration is later");
  std::filesystem::create_directories(options_.pcap_dir);
  auto capture = [&](const PointToPointLink& link, const std::string& name) -> Result<void> {
    for (std::size_t end = 0; end < 2; ++end) {
      const auto file = options_.pcap_dir / (name + "-" + std::to_string(end) + ".pcap");
      if (auto r = capture_at_wall_clock(link.device(end), file, scenario_.epoch); !r.ok()) return r;
    }
    return {};
  };
  std::size_t i = 0;
  for (auto& n : nodes_) {
    if (n->spec->role == HostRole::home) continue;
    if (auto r = capture(access_links_[i++], n->spec->name); !r.ok()) return r;
    if (n->submitter)
      if (auto r = capture(access_links_[i++], n->spec->name + "-submission"); !r.ok()) return r;
  }
  if (home_) {
    if (auto r = capture(lan_, "lan"); !r.ok()) return r;
    if (auto r = capture(uplink_, "uplink"); !r.ok()) return r;
    if (with_lte_)
      if (auto r = capture(lte_, "lte"); !r.ok()) return r;
  }
  return {};
}

}  // namespace tether::sim
