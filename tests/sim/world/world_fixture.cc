#include "sim/world/world_fixture.h"

#include <stdexcept>

#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4.h>
#include <ns3/ipv6-list-routing-helper.h>
#include <ns3/ipv6-static-routing-helper.h>
#include <ns3/node-container.h>

#include "sim/world/nat_routing.h"
#include "sim/host/ns3_address.h"
#include "sim/world/static_routes.h"

namespace tether::testing {
namespace {

std::uint32_t configure(const ns3::Ptr<ns3::Node>& node, const ns3::Ptr<ns3::NetDevice>& device, const char* address,
                        const char* mask) {
  auto ipv4 = node->GetObject<ns3::Ipv4>();
  std::int32_t interface = ipv4->GetInterfaceForDevice(device);
  if (interface < 0) interface = std::int32_t(ipv4->AddInterface(device));
  if (address) ipv4->AddAddress(std::uint32_t(interface), ns3::Ipv4InterfaceAddress(ns3::Ipv4Address(address), ns3::Ipv4Mask(mask)));
  ipv4->SetUp(std::uint32_t(interface));
  return std::uint32_t(interface);
}

std::vector<ns3::Ipv4Address> pool(const char* prefix) {
  std::vector<ns3::Ipv4Address> addresses;
  for (int i = 100; i < 110; ++i) addresses.emplace_back(ns3::Ipv4Address((std::string(prefix) + std::to_string(i)).c_str()));
  return addresses;
}

template <typename T>
T require(Result<T> result, const char* what) {
  if (!result.ok()) throw std::runtime_error(std::string(what) + ": " + result.error().to_string());
  return std::move(*result);
}

}  // namespace

std::string why(const Error& e) { return e.to_string(); }

World::World(WorldOptions opts) : options(std::move(opts)) {
  home = ns3::CreateObject<ns3::Node>();
  gateway = options.with_nat ? ns3::CreateObject<ns3::Node>() : nullptr;
  isp = ns3::CreateObject<ns3::Node>();
  relay = ns3::CreateObject<ns3::Node>();
  other = ns3::CreateObject<ns3::Node>();
  ns3::Ptr<ns3::Node> customer = options.with_nat ? gateway : home;

  std::int64_t stream = 100;
  if (options.with_nat) lan_link = sim::build_point_to_point_link(home, gateway, options.lan, stream += 2);
  uplink = sim::build_point_to_point_link(customer, isp, options.uplink, stream += 2);
  if (options.with_lte) lte_link = sim::build_point_to_point_link(customer, isp, options.lte, stream += 2);
  relay_link = sim::build_point_to_point_link(isp, relay, options.servers, stream += 2);
  other_link = sim::build_point_to_point_link(isp, other, options.servers, stream += 2);

  ns3::InternetStackHelper internet;
  // IPv6 routing as a list (static routing in it), so that the ISP's IPv6
  // null route (Ipv6BlackholeRouting) can sit above static routing.
  ns3::Ipv6ListRoutingHelper list6;
  list6.Add(ns3::Ipv6StaticRoutingHelper(), 0);
  internet.SetRoutingHelper(list6);
  ns3::NodeContainer plain;
  for (const auto& node : {home, isp, relay, other})
    if (node != gateway) plain.Add(node);
  internet.Install(plain);
  if (options.with_nat) sim::install_nat_internet_stack(gateway);
  internet.AssignStreams(ns3::NodeContainer::GetGlobal(), 0);

  if (options.with_nat) {
    configure(home, lan_link.device(0), "192.168.1.10", "255.255.255.0");
    configure(gateway, lan_link.device(1), "192.168.1.1", "255.255.255.0");
    sim::set_default_route(home, 1, ns3::Ipv4Address("192.168.1.1"));
  }
  // The customer end gets its address from the ISP model.
  const std::uint32_t customer_wan = configure(customer, uplink.device(0), nullptr, nullptr);
  const std::uint32_t isp_line_if = configure(isp, uplink.device(1), "100.64.0.1", "255.255.255.255");
  std::uint32_t customer_lte = 0, isp_lte_if = 0;
  if (options.with_lte) {
    customer_lte = configure(customer, lte_link.device(0), nullptr, nullptr);
    isp_lte_if = configure(isp, lte_link.device(1), "100.64.1.1", "255.255.255.255");
  }
  configure(isp, relay_link.device(0), "203.0.113.1", "255.255.255.0");
  configure(relay, relay_link.device(1), "203.0.113.10", "255.255.255.0");
  const std::uint32_t isp_upstream = configure(isp, other_link.device(0), "198.18.0.1", "255.255.255.0");
  configure(other, other_link.device(1), "198.18.0.10", "255.255.255.0");
  sim::set_default_route(relay, 1, ns3::Ipv4Address("203.0.113.1"));
  sim::set_default_route(other, 1, ns3::Ipv4Address("198.18.0.1"));
  sim::set_default_route(isp, isp_upstream, ns3::Ipv4Address("198.18.0.10"));
  gateway_wan = customer_wan;
  gateway_lte = customer_lte;

  if (options.with_nat) {
    std::vector<std::uint32_t> wans{customer_wan};
    if (options.with_lte) wans.push_back(customer_lte);
    sim::NatConfig nat_config = options.nat;
    nat_config.seed = options.seed;
    nat = require(sim::Nat::create(gateway, wans, nat_config), "Nat::create");
    nat->add_event_handler([this](const sim::NatEvent& e) { nat_events.push_back(e); });
  }

  sim::IspConfig line;
  line.pool = pool("198.51.100.");
  line.gateway = ns3::Ipv4Address("100.64.0.1");
  line.seed = options.seed;
  line.change_every = options.isp_change_every;
  line.set_default_route = !options.with_lte;
  isp_line = require(sim::Isp::create({isp, isp_line_if, customer, customer_wan, nat.get()}, line), "Isp::create");
  if (options.with_lte) {
    sim::IspConfig carrier;
    carrier.pool = pool("192.0.2.");
    carrier.gateway = ns3::Ipv4Address("100.64.1.1");
    carrier.seed = options.seed;
    carrier.set_default_route = false;
    lte_line = require(sim::Isp::create({isp, isp_lte_if, customer, customer_lte, nat.get()}, carrier), "Isp::create 4G");
    failover = std::make_unique<sim::UplinkFailover>(
        customer, sim::Uplink{customer_wan, ns3::Ipv4Address("100.64.0.1"), uplink.outage.get()},
        sim::Uplink{customer_lte, ns3::Ipv4Address("100.64.1.1"), lte_link.outage.get()}, options.failover,
        nat.get());
  }

  SimulationRun::boot();
  home_host = require(sim::Ns3Host::create(home, test_host_options(dir, "home", options.seed)), "home host");
  relay_host = require(sim::Ns3Host::create(relay, test_host_options(dir, "relay", options.seed)), "relay host");
  other_host = require(sim::Ns3Host::create(other, test_host_options(dir, "other", options.seed)), "other host");
}

World::~World() {
  home_host.reset();
  relay_host.reset();
  other_host.reset();
  failover.reset();
  lte_line.reset();
  isp_line.reset();
  nat.reset();
}

IpAddress World::public_address() const { return sim::from_ns3(isp_line->address()); }
IpAddress World::lte_address() const { return sim::from_ns3(lte_line->address()); }

UdpEcho::UdpEcho(Host& host, std::uint16_t port, IpAddress::Family family) {
  auto bound = host.udp_bind(Endpoint(IpAddress::any(family), port));
  if (!bound.ok()) throw std::runtime_error("UdpEcho: " + bound.error().to_string());
  socket = std::move(*bound);
  socket->set_receive_handler([this, &host](const Endpoint& from, ByteView payload) {
    seen.push_back({from, std::string(payload.as_string()), host.now()});
    if (answer) (void)socket->send_to(from, payload);
  });
}

UdpClient::UdpClient(Host& host, std::uint16_t port, IpAddress::Family family) {
  auto bound = host.udp_bind(Endpoint(IpAddress::any(family), port));
  if (!bound.ok()) throw std::runtime_error("UdpClient: " + bound.error().to_string());
  socket = std::move(*bound);
  socket->set_receive_handler([this, &host](const Endpoint& from, ByteView payload) {
    got.push_back({from, std::string(payload.as_string()), host.now()});
  });
}

void UdpClient::send(const Endpoint& to, const std::string& payload) {
  auto sent = socket->send_to(to, ByteView(std::string_view(payload)));
  if (!sent.ok()) throw std::runtime_error("UdpClient::send: " + sent.error().to_string());
}

}  // namespace tether::testing
