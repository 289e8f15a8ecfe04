#include "lab/world/lab_world.h"

#include <fstream>

#include "lab/world/signal_cleanup.h"
#include "lab/world/zone_config.h"

namespace tether::lab {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> ip_in(const std::string& ns, std::vector<std::string> args) {
  std::vector<std::string> argv{"ip", "-n", ns};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

Result<void> write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Error(ErrorCode::io, path.string() + ": cannot write");
  return {};
}

Result<std::string> run_prefix(const LabWorldOptions& options) {
  const std::string prefix = options.prefix.empty() ? new_run_prefix() : options.prefix;
  if (!is_run_prefix(prefix))
    return Error(ErrorCode::invalid_argument, "lab: '" + prefix + "' is not a run's prefix (new_run_prefix() makes one)");
  return prefix;
}

}  // namespace

Result<std::unique_ptr<LabWorld>> LabWorld::build(const scenario::Scenario& scenario, LabWorldOptions options) {
  auto copy = std::make_unique<scenario::Scenario>(scenario);
  auto prefix = run_prefix(options);
  if (!prefix.ok()) return prefix.error();
  auto plan = plan_world(*copy, *prefix);
  if (!plan.ok()) return plan.error();
  std::optional<NatPlan> nat;
  if (const PlannedNode* gateway = plan->node("gateway")) {
    std::vector<std::string> uplinks;
    for (const PlannedLink& l : plan->links)
      if (l.node[0] == gateway->name && l.node[1] == "internet") uplinks.push_back(l.interface[0]);
    auto planned = plan_nat(*copy, uplinks);
    if (!planned.ok()) return planned.error();
    nat = std::move(*planned);
  }
  return make(std::move(copy), std::move(*plan), std::move(nat), options);
}

Result<std::unique_ptr<LabWorld>> LabWorld::build(const HandPlan& hand, LabWorldOptions options) {
  auto prefix = run_prefix(options);
  if (!prefix.ok()) return prefix.error();
  auto plan = hand.plan(*prefix);
  if (!plan.ok()) return plan.error();
  options.serve_dns = options.serve_dns && hand.serves_dns();
  return make(std::make_unique<scenario::Scenario>(hand.zone()), std::move(*plan), hand.nat_plan(), options);
}

Result<std::unique_ptr<LabWorld>> LabWorld::make(std::unique_ptr<scenario::Scenario> scenario, WorldPlan plan,
                                                 std::optional<NatPlan> nat, const LabWorldOptions& options) {
  const std::string prefix = plan.prefix;
  std::unique_ptr<LabWorld> world(
      new LabWorld(std::move(scenario), std::move(plan), std::move(nat), std::make_unique<WorldRecord>(prefix)));
  SignalCleanup::watch(world->record_.get());
  Result<void> made = world->record_->open();
  if (made.ok()) made = world->make_namespaces();
  if (made.ok()) made = world->make_links();
  if (made.ok()) made = world->number_nodes();
  if (made.ok()) made = world->shape_links(options);
  if (made.ok()) made = world->make_nat();
  if (made.ok() && options.serve_dns) made = world->serve_zone();
  if (!made.ok()) {
    // A signal's clean-up removing the world under the build makes any
    // step fail; the process is ending by that signal, not by this error.
    SignalCleanup::finish_if_ending();
    return made.error();  // the destructor removes what was made
  }
  return world;
}

LabWorld::LabWorld(std::unique_ptr<scenario::Scenario> scenario, WorldPlan plan, std::optional<NatPlan> nat,
                   std::unique_ptr<WorldRecord> record)
    : scenario_(std::move(scenario)), plan_(std::move(plan)), nat_(std::move(nat)), record_(std::move(record)) {}

LabWorld::~LabWorld() { tear_down(); }

std::vector<std::string> LabWorld::tear_down() {
  SignalCleanup::forget(record_.get());
  return record_->remove_all();
}

CommandResult LabWorld::run_in(const std::string& node, const std::vector<std::string>& argv) const {
  const std::string ns = namespace_of(node);
  if (ns.empty()) return CommandResult{-1, "lab: no node '" + node + "' in this world"};
  return run_command(in_namespace(ns, argv));
}

Result<void> LabWorld::run(const std::vector<std::string>& argv, const std::string& step) const {
  const CommandResult r = run_command(argv);
  if (!r.ok()) return Error(ErrorCode::internal, "lab: " + step + ": " + r.describe(argv));
  return {};
}

// Each namespace with its loopback up (dnsmasq listens there) and its own
// resolv.conf, recorded before it exists.
Result<void> LabWorld::make_namespaces() {
  for (const PlannedNode& n : plan_.nodes) {
    if (auto r = record_->make("netns", n.ns, [&] { return run({"ip", "netns", "add", n.ns}, "namespace of " + n.name); });
        !r.ok())
      return r;
    if (auto r = run(ip_in(n.ns, {"link", "set", "lo", "up"}), "loopback of " + n.name); !r.ok()) return r;
    const fs::path etc = fs::path("/etc/netns") / n.ns;
    const auto make_resolv_conf = [&]() -> Result<void> {
      std::error_code ec;
      fs::create_directories(etc, ec);
      if (ec) return Error(ErrorCode::io, etc.string() + ": " + ec.message());
      return write_file(etc / "resolv.conf", "nameserver 127.0.0.1\n");
    };
    if (auto r = record_->make("path", etc.string(), make_resolv_conf); !r.ok()) return r;
    // No duplicate address detection on the veths made next (they take
    // the namespace's defaults): in the simulation addresses, link-local
    // ones included, are usable at once, and a world's first second would
    // otherwise lose IPv6 packets to tentative addresses.
    std::vector<const char*> keys{"net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"};
    if (n.forwards) keys.insert(keys.end(), {"net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"});
    for (const char* key : keys)
      if (auto r = run(in_namespace(n.ns, {"sysctl", "-q", "-w", key}), "sysctls of " + n.name); !r.ok()) return r;
  }
  return {};
}

// Each veth pair is made with its ends already in their namespaces, so it
// never appears in the machine's own namespace, and goes with them.
Result<void> LabWorld::make_links() {
  for (const PlannedLink& l : plan_.links) {
    const std::string ns0 = namespace_of(l.node[0]), ns1 = namespace_of(l.node[1]);
    if (auto r = run({"ip", "link", "add", l.interface[0], "netns", ns0, "type", "veth", "peer", "name", l.interface[1],
                      "netns", ns1},
                     "link " + l.name);
        !r.ok())
      return r;
    for (int end = 0; end < 2; ++end)
      if (auto r = run(ip_in(end ? ns1 : ns0, {"link", "set", l.interface[end], "up"}), "link " + l.name); !r.ok())
        return r;
  }
  return {};
}

// Addresses first (every node's), then routes, whose next hops must be on
// a numbered link by then. IPv6 addresses skip duplicate address detection:
// the simulation's are usable at once, and no one else is on a veth.
Result<void> LabWorld::number_nodes() {
  for (const PlannedNode& n : plan_.nodes)
    for (const PlannedAddress& a : n.addresses) {
      std::vector<std::string> args{"addr", "add", a.address.to_string(), "dev", a.interface};
      if (!a.address.address().is_v4()) args.push_back("nodad");
      if (auto r = run(ip_in(n.ns, args), "address of " + n.name); !r.ok()) return r;
    }
  for (const PlannedNode& n : plan_.nodes)
    for (const PlannedRoute& route : n.routes) {
      std::vector<std::string> args;
      if (route.ipv6) args.push_back("-6");
      args.insert(args.end(), {"route", "add"});
      if (route.blackhole) args.push_back("blackhole");
      args.push_back(route.destination);
      if (route.via) args.insert(args.end(), {"via", route.via->to_string()});
      if (!route.device.empty()) args.insert(args.end(), {"dev", route.device});
      if (route.onlink) args.push_back("onlink");
      if (auto r = run(ip_in(n.ns, args), "route of " + n.name); !r.ok()) return r;
    }
  return {};
}

Result<void> LabWorld::shape_links(const LabWorldOptions& options) {
  if (!options.shape_link) return {};
  for (const PlannedLink& l : plan_.links)
    if (auto r = options.shape_link(*this, l); !r.ok()) return r;
  return {};
}

// The table first: conntrack's sysctls appear in a namespace once it
// tracks (the masquerade rule loads it).
Result<void> LabWorld::make_nat() {
  if (!nat_) return {};
  const std::string ns = namespace_of("gateway");
  const fs::path rules = record_->directory() / "nat.nft";
  if (auto r = write_file(rules, nat_->ruleset); !r.ok()) return r;
  if (auto r = record_->make("nft", ns + " " + nat_->table,
                             [&] { return run(in_namespace(ns, {"nft", "-f", rules.string()}), "the gateway's NAT"); });
      !r.ok())
    return r;
  for (const auto& [key, value] : nat_->sysctls)
    if (auto r = run(in_namespace(ns, {"sysctl", "-q", "-w", key + "=" + value}), "the gateway's NAT timeouts"); !r.ok())
      return r;
  return {};
}

// One dnsmasq per host namespace, all on the same zone file; each writes
// its pid file in the run's directory, which its command line names (how
// clean-up knows the process is still this run's).
Result<void> LabWorld::serve_zone() {
  const fs::path config = zone_config_path();
  if (auto r = write_file(config, dnsmasq_zone_config(*scenario_)); !r.ok()) return r;
  for (const PlannedNode& n : plan_.nodes) {
    if (n.kind != NodeKind::host) continue;
    const fs::path pidfile = dnsmasq_pidfile(n.name);
    const std::vector<std::string> argv =
        in_namespace(n.ns, {"dnsmasq", "--conf-file=" + config.string(), "--pid-file=" + pidfile.string()});
    if (auto r = record_->make("pidfile", pidfile.string(), [&] { return run(argv, "the zone's dnsmasq in " + n.name); });
        !r.ok())
      return r;
  }
  return {};
}

}  // namespace tether::lab
