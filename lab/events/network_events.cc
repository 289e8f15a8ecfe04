#include "lab/events/network_events.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "lab/events/conntrack_event.h"
#include "lab/world/sim_draws.h"
#include "lab/world/world_record.h"
#include "lab/world/zone_config.h"

namespace tether::lab {
namespace {

using scenario::EventAction;

// The blackhole's table at one end of a link (nft names: letters, digits, _).
std::string blackhole_table(const std::string& interface) {
  std::string name = "tether_lab_down_" + interface;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

NetworkEvents::NetworkEvents(LabWorld& world, EventSink& sink, Now now, Defer defer)
    : world_(world), sink_(sink), now_(std::move(now)), defer_(std::move(defer)), zone_(world.scenario().dns) {
  const scenario::Scenario& s = world.scenario();
  const std::uint64_t gateway_id = simulated_gateway_node_id(s);
  if (world.plan().isp_address) {
    isp_address_ = *world.plan().isp_address;
    address_draws_.emplace(s.isp.pool, s.seed, gateway_id);
  }
  if (world.plan().delegated_prefix) {
    prefix_ = world.plan().delegated_prefix;
    prefix_draws_.emplace(s.isp.prefix_pool, s.seed, gateway_id);
  }
}

bool NetworkEvents::handles(EventAction action) {
  switch (action) {
    case EventAction::link_down:
    case EventAction::link_up:
    case EventAction::isp_change:
    case EventAction::nat_flush:
    case EventAction::dns_set:
    case EventAction::dns_remove:
      return true;
    default:
      return false;
  }
}

void NetworkEvents::apply(const scenario::EventSpec& e) {
  switch (e.action) {
    case EventAction::link_down:
    case EventAction::link_up:
      set_link_down(e.target, e.action == EventAction::link_down);
      return;
    case EventAction::isp_change: {
      if (!world_.plan().isp_address) return;  // no home: the simulation has no line either
      std::optional<IpAddress> to;
      if (!e.value.empty()) to = *IpAddress::parse(e.value);  // the parser checked it
      change_isp_address(to);
      return;
    }
    case EventAction::nat_flush:
      if (world_.nat()) flush_flows(std::nullopt, "flush");
      sink_.world_event(now_(), "nat-flush", "gateway", "");
      return;
    case EventAction::dns_set:
    case EventAction::dns_remove:
      set_dns(e);
      sink_.world_event(now_(), to_string(e.action), e.name, e.value);
      return;
    default:
      return;
  }
}

bool NetworkEvents::run(const std::string& node, const std::vector<std::string>& argv) {
  const CommandResult r = world_.run_in(node, argv);
  if (r.ok()) return true;
  problems_.push_back(node + ": " + r.describe(argv));
  sink_.world_event(now_(), "event-failed", node, r.describe(argv));
  return false;
}

const PlannedLink* NetworkEvents::link_of(const std::string& target) const {
  const WorldPlan& plan = world_.plan();
  if (target == "uplink" || target == "lte" || target == "lan") return plan.link(target);
  const PlannedNode* node = plan.node(target);
  if (!node || node->kind != NodeKind::host) return nullptr;
  // The home's link is its LAN (sim: home_->link = lan_.outage).
  return node->host && node->host->role == scenario::HostRole::home ? plan.link("lan") : plan.link(target);
}

// Both ends drop what arrives: packets in flight when the link goes down
// are lost as in the simulation's receive-side error model, and neither
// interface changes state.
//
// Neighbour discovery still passes (ARP, IPv6 NS/NA): the simulation's
// links are point-to-point and resolve nobody (ns-3's
// PointToPointNetDevice::NeedsArp is false), so across its blackhole a
// packet just vanishes and nothing answers. A veth runs ARP: with it
// dropped, the router's neighbour entry for the far end fails and Linux
// returns ICMP host unreachable for the packets queued on it (arp.c,
// arp_error_report), which aborts a connect in SYN_SENT at once (tcp_ipv4.c,
// tcp_v4_err) instead of letting it wait out its SYN retries. Keeping the
// neighbours resolved makes both worlds lose the packets silently; a
// powered-off VM behind a cloud's virtual network, whose ARP the network
// itself answers, looks the same from outside.
void NetworkEvents::set_link_down(const std::string& target, bool down) {
  const PlannedLink* link = link_of(target);
  const char* action = down ? "link-down" : "link-up";
  if (!link) {
    sink_.world_event(now_(), "event-ignored", target, std::string(action) + ": no such link");
    return;
  }
  // A link already in that state: only the row (LinkOutage::set is a no-op,
  // and its failover daemon hears nothing).
  const bool changes = down ? down_.insert(link->name).second : down_.erase(link->name) > 0;
  if (!changes) {
    sink_.world_event(now_(), action, target, "");
    return;
  }
  for (int end = 0; end < 2; ++end) {
    const std::string table = blackhole_table(link->interface[end]);
    const std::string& node = link->node[end];
    if (down) {
      run(node, {"nft", "add", "table", "netdev", table});
      run(node, {"nft", "add", "chain", "netdev", table, "drop_all",
                 "{ type filter hook ingress device \"" + link->interface[end] + "\" priority -500; policy drop; }"});
      run(node, {"nft", "add", "rule", "netdev", table, "drop_all", "ether", "type", "arp", "accept"});
      run(node, {"nft", "add", "rule", "netdev", table, "drop_all", "icmpv6", "type",
                 "{ nd-neighbor-solicit, nd-neighbor-advert }", "accept"});
    } else {
      run(node, {"nft", "delete", "table", "netdev", table});
    }
  }
  sink_.world_event(now_(), action, target, "");
  if (link->name == "uplink" && world_.plan().link("lte")) on_uplink_state(!down);
}

// sim/world/isp.cc, change_address: the NAT's flows go with the old address
// (before it does, so the kernel's own masquerade clean-up has nothing left
// to report as an expiry), the ISP router's routes move, then the prefix.
void NetworkEvents::change_isp_address(std::optional<IpAddress> to) {
  const IpAddress old = isp_address_;
  const IpAddress next = to ? *to : address_draws_->next_other(old);
  if (next == old) return;
  const PlannedLink* up = world_.plan().link("uplink");
  flush_flows(old, "address-change");
  run("gateway", {"ip", "addr", "add", IpPrefix(next, 32).to_string(), "dev", up->interface[0]});
  run("gateway", {"ip", "addr", "del", IpPrefix(old, 32).to_string(), "dev", up->interface[0]});
  if (!on_backup_)
    run("gateway", {"ip", "route", "replace", "default", "via", "100.64.0.1", "dev", up->interface[0], "onlink"});
  run("internet", {"ip", "route", "replace", "blackhole", IpPrefix(old, 32).to_string()});
  run("internet", {"ip", "route", "replace", IpPrefix(next, 32).to_string(), "dev", up->interface[1]});
  isp_address_ = next;
  sink_.world_event(now_(), "isp-address", "uplink", old.to_string() + " -> " + next.to_string());
  if (prefix_) change_prefix();
}

// sim/world/isp_prefix.cc, assign: the gateway's LAN address and the
// home's move to the new /64 (same interface ids), the home's default
// route follows the gateway's address, the router routes the new prefix
// to the gateway and blackholes the old one.
void NetworkEvents::change_prefix() {
  const IpPrefix old = *prefix_;
  const IpPrefix next = prefix_draws_->next_other(old);
  if (next == old) return;
  const PlannedLink* lan = world_.plan().link("lan");
  const PlannedLink* up = world_.plan().link("uplink");
  const scenario::HostSpec* home = world_.scenario().first_with_role(scenario::HostRole::home);
  const std::string home_name = home->name;
  const std::uint64_t id = home->interface_id.value_or(1);
  for (const auto& [node, end, interface_id] :
       {std::tuple(std::string("gateway"), 1, std::uint64_t(1)), std::tuple(home_name, 0, id)}) {
    run(node, {"ip", "-6", "addr", "del", IpPrefix(in_first_64(old.address(), interface_id), 64).to_string(), "dev",
               lan->interface[end]});
    run(node, {"ip", "-6", "addr", "add", IpPrefix(in_first_64(next.address(), interface_id), 64).to_string(), "dev",
               lan->interface[end], "nodad"});
  }
  run(home_name, {"ip", "-6", "route", "replace", "default", "via", in_first_64(next.address(), 1).to_string(), "dev",
                  lan->interface[0]});
  run("internet", {"ip", "-6", "route", "replace", "blackhole", old.to_string()});
  run("internet", {"ip", "-6", "route", "replace", next.to_string(), "via", "fe80::2", "dev", up->interface[1]});
  prefix_ = next;
  sink_.world_event(now_(), "isp-prefix", "uplink", old.to_string() + " -> " + next.to_string());
}

void NetworkEvents::flush_flows(const std::optional<IpAddress>& reply_destination, const std::string& cause) {
  std::vector<std::string> list{"conntrack", "-L"};
  if (reply_destination) list.insert(list.end(), {"--reply-dst", reply_destination->to_string()});
  const CommandResult listed = world_.run_in("gateway", list);
  const Time at = now_();
  std::istringstream lines(listed.output);
  for (std::string line; std::getline(lines, line);) {
    auto flow = parse_conntrack_line(line);  // conntrack's own summary line does not parse
    if (flow.ok() && flow->translated()) sink_.nat(flushed_observation(*flow, at, cause));
  }
  std::vector<std::string> remove{"conntrack"};
  if (reply_destination) remove.insert(remove.end(), {"-D", "--reply-dst", reply_destination->to_string()});
  else remove.push_back("-F");
  const CommandResult r = world_.run_in("gateway", remove);
  // -D exits 1 when nothing matched, which is no failure.
  if (!r.ok() && !(reply_destination && r.exit_code == 1)) {
    problems_.push_back("gateway: " + r.describe(remove));
    sink_.world_event(now_(), "event-failed", "gateway", r.describe(remove));
  }
}

// sim/world/uplink_failover.cc: the daemon acts once the line has been in
// its new state for the detection time; a change back before then cancels.
void NetworkEvents::on_uplink_state(bool up) {
  const std::uint64_t generation = ++failover_generation_;
  if (up != on_backup_) return;
  const Duration wait = world_.scenario().nat.failover_detection;
  defer_(wait, [this, generation, up] {
    if (generation == failover_generation_) use_lte(!up);
  });
}

void NetworkEvents::use_lte(bool backup) {
  if (backup == on_backup_) return;
  on_backup_ = backup;
  const PlannedLink* to = world_.plan().link(backup ? "lte" : "uplink");
  run("gateway", {"ip", "route", "replace", "default", "via", backup ? "100.64.1.1" : "100.64.0.1", "dev",
                  to->interface[0], "onlink"});
  const std::optional<IpAddress> left = backup ? std::optional<IpAddress>(isp_address_) : world_.plan().lte_address;
  if (left) flush_flows(left, "uplink-change");
  sink_.world_event(now_(), "uplink-switch", "gateway", backup ? "to 4G" : "to the wired line");
}

// sim/scenario_world.cc: every record of that type at the name goes; a
// dns-set adds the new one with the zone's default TTL (300 s).
void NetworkEvents::set_dns(const scenario::EventSpec& e) {
  const std::string name = lower(e.name);
  zone_.erase(std::remove_if(zone_.begin(), zone_.end(),
                             [&](const scenario::DnsRecordSpec& r) { return lower(r.name) == name && r.type == e.type; }),
              zone_.end());
  if (e.action == EventAction::dns_set) {
    scenario::DnsRecordSpec r;
    r.name = e.name;
    r.type = e.type;
    if (e.type == scenario::DnsRecordSpec::Type::mx) {
      std::istringstream in(e.value);
      unsigned preference = 0;
      in >> preference >> r.exchange;
      r.preference = std::uint16_t(preference);
    } else {
      r.address = *IpAddress::parse(e.value);  // the parser checked it
    }
    zone_.push_back(r);
  }
  restart_zone();
}

// The zone file rewritten, then each host's dnsmasq ended by its recorded
// PID (if its command line still names the run) and started again on it.
void NetworkEvents::restart_zone() {
  scenario::Scenario changed = world_.scenario();
  changed.dns = zone_;
  {
    std::ofstream out(world_.zone_config_path(), std::ios::trunc);
    out << dnsmasq_zone_config(changed);
  }
  for (const PlannedNode& n : world_.plan().nodes) {
    if (n.kind != NodeKind::host) continue;
    const auto pidfile = world_.dnsmasq_pidfile(n.name);
    for (const std::string& problem : end_recorded_daemon(pidfile)) {
      problems_.push_back(n.name + ": " + problem);
      sink_.world_event(now_(), "event-failed", n.name, problem);
    }
    run(n.name, {"dnsmasq", "--conf-file=" + world_.zone_config_path().string(), "--pid-file=" + pidfile.string()});
  }
}

}  // namespace tether::lab
