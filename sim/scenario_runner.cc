#include "sim/scenario_runner.h"

#include <ns3/boolean.h>
#include <ns3/config.h>
#include <ns3/global-value.h>
#include <ns3/mac48-address.h>
#include <ns3/names.h>
#include <ns3/packet.h>
#include <ns3/rng-seed-manager.h>
#include <ns3/simulator.h>

#include "scenario/home_activity.h"
#include "scenario/results_writer.h"
#include "scenario/workload.h"
#include "sim/host/node_loop.h"
#include "sim/node_storage.h"
#include "sim/scenario_world.h"
#include "sim/world_metrics.h"

namespace tether::sim {

using scenario::HomeActivity;
using scenario::Metrics;
using scenario::Submission;
using scenario::Workload;
using scenario::WorkloadPlan;

namespace {

// ns-3 keeps a simulation in process-wide singletons: start each run clean,
// so a second run in one process (the determinism test) builds the same world.
void reset_ns3(std::uint64_t seed) {
  ns3::Simulator::Destroy();
  ns3::Names::Clear();
  ns3::GlobalValue::Bind("ChecksumEnabled", ns3::BooleanValue(true));
  ns3::Mac48Address::ResetAllocationIndex();
  ns3::RngSeedManager::SetSeed(1);
  ns3::RngSeedManager::SetRun(seed);
}

void count_packet(std::uint64_t* n, ns3::Ptr<const ns3::Packet>) { ++*n; }

Time sim_now() { return Time::zero() + Duration::nanoseconds(ns3::Simulator::Now().GetNanoSeconds()); }

}  // namespace

// Long: one run start to end, in the order ns-3 needs (world, traffic,
// events, sampling, the run, teardown before the simulator goes).
Result<RunResult> run_scenario(const Scenario& scenario, const RunOptions& options) {
  RunResult result;
  result.out_dir = options.out_dir.empty() ? scenario.outputs.dir : options.out_dir;
  std::error_code ec;
  std::filesystem::remove_all(result.out_dir / "pcap", ec);
  std::filesystem::create_directories(result.out_dir, ec);
  if (ec) return Error(ErrorCode::io, result.out_dir.string() + ": " + ec.message());

  reset_ns3(scenario.seed);
  result.metrics = std::make_unique<Metrics>(scenario);
  Metrics& metrics = *result.metrics;

  // On tmpfs while the run goes, moved to OUT/nodes at its end (node_storage.h).
  auto storage = NodeStorage::prepare(result.out_dir / "nodes");
  if (!storage.ok()) return storage.error();
  WorldOptions world_options;
  world_options.storage_root = storage->root();
  if (options.pcap || scenario.outputs.pcap) world_options.pcap_dir = result.out_dir / "pcap";
  // The apps stamp their events with their node's clock, which runs at its
  // own rate and tick (node_clock.h); the measurement is the world's, on
  // true time, so latencies compare one clock with itself.
  world_options.hooks.relay_event = [&](WorldNode& n, const node::MailRelayEvent& e) {
    node::MailRelayEvent observed = e;
    observed.time = sim_now();
    metrics.on_relay_event(*n.spec, observed, n.relay.get());
  };
  world_options.hooks.tunnel_event = [&](WorldNode& n, const tunnel::Event& e) {
    tunnel::Event observed = e;
    observed.time = sim_now();
    metrics.on_tunnel_event(*n.spec, observed);
  };
  world_options.hooks.nat_event = [&](const NatEvent& e) { metrics.on_nat(observe(e)); };
  world_options.hooks.world_event = [&](const std::string& what, const std::string& target, const std::string& detail) {
    metrics.on_world_event(sim_now(), what, target, detail);
  };
  auto built = ScenarioWorld::build(scenario, std::move(world_options));
  if (!built.ok()) {
    ns3::Simulator::Destroy();
    return built.error();
  }
  std::unique_ptr<ScenarioWorld> world = std::move(*built);
  std::uint64_t link_packets = 0;
  ns3::Config::ConnectWithoutContextFailSafe(
      "/NodeList/*/DeviceList/*/$ns3::PointToPointNetDevice/PhyTxEnd",
      ns3::MakeBoundCallback(&count_packet, &link_packets));

  std::unique_ptr<Workload> workload;
  if (WorldNode* sender = world->node(scenario.workload.sender); sender && scenario.workload.count > 0) {
    workload = std::make_unique<Workload>(*sender->submitter_host, *sender->submission,
                                          WorkloadPlan(scenario.workload, scenario.seed, sender->spec->hostname));
    workload->on_submitted = [&](const Submission& s) { metrics.on_submitted(s); };
    workload->start();
  }

  std::unique_ptr<HomeActivity> home_activity;
  if (WorldNode* home = world->home(); home && scenario.home_activity.interval > Duration::zero()) {
    home_activity = std::make_unique<HomeActivity>(*home->host, scenario.home_activity);
    home_activity->on_sent = [&metrics](const std::string& detail) {
      metrics.on_world_event(sim_now(), "home-activity", "home", detail);
    };
    home_activity->start();
  }

  const Time start = sim_now();
  for (const EventSpec& e : scenario.events) {
    WorldNode* target = world->node(e.target);
    const std::uint32_t context = target ? target->node->GetId() : 0;
    ns3::Simulator::ScheduleWithContext(context, to_ns3(e.at - (start - Time::zero())), [&world, &metrics, e] {
      metrics.on_world_event(sim_now(), std::string("event:") + to_string(e.action), e.target,
                             e.name.empty() ? e.value : e.name + " " + e.value);
      world->apply(e);
    });
  }
  for (const RunProbe& probe : options.probes)
    ns3::Simulator::Schedule(to_ns3(probe.at - (start - Time::zero())),
                             [&world, &probe] { probe.look(*world); });
  const Duration step = Duration::seconds(1);
  std::function<void()> sample = [&] {
    metrics.sample_availability(tunnel_available(*world, sim_now()));
    ns3::Simulator::Schedule(to_ns3(step), sample);
  };
  ns3::Simulator::Schedule(to_ns3(step), sample);

  ns3::Simulator::Stop(to_ns3(scenario.duration - (start - Time::zero())));
  ns3::Simulator::Run();
  metrics.finish(sim_now(), relay_totals(*world));
  result.events = ns3::Simulator::GetEventCount();
  result.link_packets = link_packets;

  workload.reset();
  home_activity.reset();
  world.reset();
  ns3::Simulator::Destroy();
  ns3::Names::Clear();
  if (auto moved = storage->finish(); !moved.ok()) return moved.error();

  result.summary = format_summary(metrics);
  if (options.write)
    if (auto w = write_results(metrics, result.out_dir); !w.ok()) return w.error();
  return result;
}

}  // namespace tether::sim
