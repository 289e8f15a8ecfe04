#include "sim/scenario_world.h"

#include <ns3/simulator.h>

#include "sim/host/ns3_address.h"
#include "sim/host/seeded_random.h"

namespace tether::sim {
namespace {

// The clocks' own random streams, apart from the nodes' random_bytes
// streams, so that drawing a clock moves no other draw.
constexpr std::uint64_t kClockStreamBase = 0x636c6f636b000000;  // "clock"

// A node's clock: its OS's tick, its rate error (fixed, or drawn from
// the seed within clocks.ppm) and where in a tick it starts.
ClockModel node_clock(const Scenario& scenario, const HostSpec& spec, std::uint64_t stream) {
  ClockModel m = spec.os == HostOs::openbsd ? ClockModel::openbsd_ticks() : ClockModel::linux_jiffies();
  SeededRandom random(scenario.seed, kClockStreamBase + stream);
  std::uint8_t bytes[16];
  random.fill(MutableByteView(bytes, sizeof bytes));
  const std::uint64_t r1 = load_le64(bytes), r2 = load_le64(bytes + 8);
  if (spec.clock_ppm) {
    m.rate_error_ppb = std::int64_t(*spec.clock_ppm * 1000.0);
  } else {
    const auto range = std::uint64_t(scenario.clocks.ppm * 1000.0);  // ppb either side
    m.rate_error_ppb = std::int64_t(r1 % (2 * range + 1)) - std::int64_t(range);
  }
  m.tick_offset = Duration::nanoseconds(std::int64_t(r2 % std::uint64_t(m.tick.ns())));
  return m;
}

}  // namespace

ScenarioWorld::ScenarioWorld(const Scenario& scenario, WorldOptions options)
    : scenario_(scenario), options_(std::move(options)) {}

ScenarioWorld::~ScenarioWorld() {
  for (auto& n : nodes_) {
    n->route_link.reset();
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

Result<std::unique_ptr<ScenarioWorld>> ScenarioWorld::build(const Scenario& scenario, WorldOptions options) {
  std::unique_ptr<ScenarioWorld> world(new ScenarioWorld(scenario, std::move(options)));
  if (auto r = world->build_topology(); !r.ok()) return r.error();
  // Time-0 events: every node's initialisation. Hosts only on booted nodes.
  ns3::Simulator::Stop(ns3::Seconds(0));
  ns3::Simulator::Run();
  if (auto r = world->create_hosts(); !r.ok()) return r.error();
  for (auto& n : world->nodes_)
    if (auto r = world->start_apps(*n); !r.ok()) return r.error();
  return world;
}

Result<void> ScenarioWorld::create_hosts() {
  std::uint64_t stream = 1;
  auto make = [&](ns3::Ptr<ns3::Node> node, const std::string& dir, const std::string& hostname,
                  const HostSpec* spec) -> Result<std::unique_ptr<Ns3Host>> {
    Ns3HostOptions o;
    // A sender's submission node is the world's own instrument (it stamps
    // the submissions latency is measured from): its clock is true time.
    if (spec) o.clock = node_clock(scenario_, *spec, stream);
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
    auto host = make(n->node, n->spec->name, n->spec->hostname, n->spec);
    if (!host.ok()) return Error(ErrorCode::internal, "hosts." + n->spec->name + ": " + host.error().to_string());
    n->host = std::move(*host);
    if (n->submitter) {
      auto s = make(n->submitter, n->spec->name + "-submission", "submission." + n->spec->hostname, nullptr);
      if (!s.ok()) return s.error();
      n->submitter_host = std::move(*s);
    }
  }
  return {};
}

void ScenarioWorld::stop_node(WorldNode& n) {
  if (n.stopped) return;
  stop_apps(n);
  if (n.link) n.link->down();
  n.stopped = true;
  note("node-stopped", n.spec->name);
}

Result<void> ScenarioWorld::start_node(WorldNode& n) {
  if (!n.stopped) return {};
  if (n.link) n.link->up();
  n.stopped = false;
  note("node-started", n.spec->name);
  return start_apps(n);
}

WorldNode* ScenarioWorld::node(const std::string& name) {
  for (auto& n : nodes_)
    if (n->spec->name == name) return n.get();
  return nullptr;
}

void ScenarioWorld::note(const std::string& what, const std::string& target, const std::string& detail) {
  if (options_.hooks.world_event) options_.hooks.world_event(what, target, detail);
}

void ScenarioWorld::apply(const EventSpec& e) {
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
        if (!e.value.empty()) to = to_ns3_v4(*IpAddress::parse(e.value));
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
