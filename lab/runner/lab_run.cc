// One scenario run in the lab (lab_run.h).

#include "lab/runner/lab_run.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "lab/events/conntrack_watcher.h"
#include "lab/events/event_scheduler.h"
#include "lab/events/event_sink.h"
#include "lab/nodes/lab_nodes.h"
#include "lab/runner/availability_samples.h"
#include "lab/runner/link_captures.h"
#include "lab/runner/node_event_handler.h"
#include "lab/runner/relay_log_events.h"
#include "lab/runner/opensmtpd_log_events.h"
#include "lab/runner/tunnel_log_events.h"
#include "lab/shaping/link_shape.h"
#include "lab/shaping/shaped_link.h"
#include "lab/workload/lab_submitter.h"
#include "lab/workload/maildir_watcher.h"
#include "lab/workload/steady_time.h"
#include "lab/workload/workload_recorder.h"
#include "lab/world/lab_world.h"
#include "scenario/metrics.h"
#include "scenario/results_writer.h"
#include "scenario/workload_plan.h"
#include "smtp/relay_profile.h"

namespace tether::lab {

namespace {

// Both directions of every link, kept for the run; the description goes to lab.json.
struct Shaping {
  std::vector<std::unique_ptr<ShapedLink>> directions;
  std::map<std::string, std::string> described;  // link -> "A->B: netem; B->A: netem"
};

// With `capture`, the delay lines copy each packet for the captures of the
// ends they deliver to (link_captures.h).
Result<void> shape_link(LabWorld& world, const PlannedLink& link, Shaping& shaping, std::uint64_t seed, bool capture) {
  if (link.shape_key.empty()) {  // a submission link: 1 Gbit/s, 100 us in the simulation; left unshaped
    shaping.described[link.name] = "none";
    return {};
  }
  auto shape = link_shape_for(world.scenario(), link.shape_key);
  if (!shape.ok()) return Error(shape.error().code, "link " + link.name + ": " + shape.error().message);
  std::string described;
  for (int d = 0; d < 2; ++d) {
    const LinkEnd from{world.namespace_of(link.node[d]), link.interface[d]};
    const LinkEnd to{world.namespace_of(link.node[1 - d]), link.interface[1 - d]};
    ShapingOptions options;
    // Each direction its own stream, as the simulation gives each its own.
    options.seed = seed * 1000003 + shaping.directions.size() + 1;
    options.first_queue = static_cast<std::uint16_t>(1000 + shaping.directions.size());
    options.copy_packets = capture;
    auto installed = ShapedLink::install(from, to, *shape, options);
    if (!installed.ok())
      return Error(installed.error().code, "shaping " + link.name + ": " + installed.error().message);
    described += (d ? "; " : "") + link.node[d] + "->" + link.node[1 - d] + ": " + (*installed)->describe() + " " +
                 shape->summary();
    shaping.directions.push_back(std::move(*installed));
  }
  shaping.described[link.name] = described;
  return {};
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out + "\"";
}

Result<void> write_lab_json(const std::filesystem::path& dir, const scenario::Scenario& s, const Shaping& shaping,
                            const std::string& prefix) {
  std::ofstream out(dir / "lab.json");
  out << "{\n  \"world\": \"lab\",\n  \"prefix\": " << json_string(prefix) << ",\n  \"links\": {";
  bool first = true;
  for (const auto& [link, how] : shaping.described) {
    out << (first ? "\n" : ",\n") << "    " << json_string(link) << ": " << json_string(how);
    first = false;
  }
  out << "\n  },\n  \"hosts\": {";
  first = true;
  for (const auto& h : s.hosts) {
    out << (first ? "\n" : ",\n") << "    " << json_string(h.name) << ": "
        << json_string(h.implementation == scenario::RelayImplementation::opensmtpd
                           ? std::string(h.tunnel.empty() ? "" : "tetherd (tunnel), ") + "Debian's OpenSMTPD 6.8 (smtpd)"
                           : std::string("tetherd (") + scenario::to_string(h.os) + " profile)");
    first = false;
  }
  out << "\n  }\n}\n";
  if (!out) return Error(ErrorCode::io, (dir / "lab.json").string() + ": cannot write");
  return {};
}

std::optional<Endpoint> submission_endpoint(const LabWorld& world, const std::string& sender) {
  const PlannedLink* link = world.plan().link(sender + "-submission");
  const PlannedNode* host = world.plan().node(sender);
  if (!link || !host) return std::nullopt;
  for (const auto& a : host->addresses)
    if (a.interface == link->interface[1]) return Endpoint(a.address.address(), 25);
  return std::nullopt;
}

// Every relay's events from its log into the metrics, and its totals
// counted from them (relay_log_events.h), in the scenario's order: tetherd's
// relay.event lines, or for a host that ran Debian's OpenSMTPD its smtpd.log
// (opensmtpd_log_events.h; its tetherd, if any, runs the tunnel only).
std::vector<scenario::RelayTotals> read_relay_events(scenario::Metrics& metrics, const LabNodes& nodes,
                                                     const scenario::HostSpec* home, Time start,
                                                     std::chrono::system_clock::time_point start_wall, Time end) {
  std::vector<scenario::RelayTotals> out;
  for (const auto& h : metrics.scenario().hosts) {
    if (h.smtpd.empty()) continue;
    scenario::RelayTotals t;
    t.host = h.name;
    t.role = scenario::to_string(h.role);
    t.profile = smtp::to_string(h.profile.value_or(smtp::RelayProfile::tether));
    if (h.implementation == scenario::RelayImplementation::opensmtpd)
      feed_relay_event_list(metrics, h, parse_opensmtpd_log(nodes.log(h.name), start_wall), end, &h == home, t);
    else
      for (const auto& problem : feed_relay_events(metrics, h, nodes.relay_events(h.name), start, end, &h == home, t))
        std::fprintf(stderr, "tether-lab: relay log: %s\n", problem.c_str());
    if (!h.tunnel.empty()) feed_route_ups(metrics, h, nodes.logged(h.name, "tetherd"), start, end);
    out.push_back(t);
  }
  return out;
}

}  // namespace

// Long: the run's steps in order, each one line or two; split, they would
// only pass the same dozen objects around.
Result<LabRunResult> run_lab(const scenario::Scenario& s, const LabRunOptions& options) {
  if (s.duration > options.max_duration)
    return Error(ErrorCode::invalid_argument, "duration " + scenario::format_seconds(s.duration) +
                                                  " is longer than --max-duration " +
                                                  scenario::format_seconds(options.max_duration) +
                                                  " (the lab runs in real time)");
  LabRunResult result;
  result.out_dir = options.out_dir.empty() ? s.outputs.dir : options.out_dir;
  if (auto w = scenario::check_results_dir(result.out_dir); !w.ok()) return w.error();

  Shaping shaping;
  LabWorldOptions world_options;
  world_options.shape_link = [&](LabWorld& w, const PlannedLink& link) {
    return shape_link(w, link, shaping, s.seed, options.pcap);
  };
  auto built = LabWorld::build(s, world_options);
  if (!built.ok()) return built.error();
  std::unique_ptr<LabWorld> world = std::move(*built);
  result.prefix = world->prefix();
  if (options.on_world_built) options.on_world_built(result.prefix);
  const scenario::Scenario& scen = world->scenario();

  LabNodesOptions node_options;
  node_options.tetherd = options.tetherd;
  node_options.tetherctl = options.tetherctl;
  node_options.log_level = "debug";  // the tunnel events (keepalives, handshakes sent) are logged at debug
  auto prepared = LabNodes::prepare(*world, node_options);
  if (!prepared.ok()) return prepared.error();
  std::unique_ptr<LabNodes> nodes = std::move(*prepared);

  scenario::Metrics metrics(scen);
  std::mutex metrics_mutex;
  MetricsSink sink(metrics, metrics_mutex);
  // Time zero is when the daemons start, as the simulation starts its apps
  // at 0: their first handshakes and the NAT's first mappings are in the run.
  const auto start_clock = std::chrono::steady_clock::now();
  const auto start_wall = std::chrono::system_clock::now();
  const Time start = Time::from_ns(
      std::chrono::duration_cast<std::chrono::nanoseconds>(start_clock.time_since_epoch()).count());
  std::unique_ptr<LinkCaptures> captures;
  if (options.pcap) {
    std::vector<ShapedLink*> delay_lines;
    for (const auto& direction : shaping.directions) delay_lines.push_back(direction.get());
    auto c = LinkCaptures::start(*world, delay_lines, result.out_dir / "pcap", start_wall);
    if (!c.ok()) return c.error();
    captures = std::move(*c);
  }
  auto conntrack = ConntrackWatcher::start(*world, sink, start_clock);
  if (!conntrack.ok()) return conntrack.error();
  if (auto r = nodes->start_all(); !r.ok()) return r.error();
  EventScheduler* scheduler_ptr = nullptr;
  LabNodeEvents node_events(*nodes, sink, [&] { return scheduler_ptr ? scheduler_ptr->now() : Time::zero(); });
  EventScheduler scheduler(*world, sink, &node_events);
  scheduler_ptr = &scheduler;

  const scenario::HostSpec* home = scen.first_with_role(scenario::HostRole::home);
  const scenario::HostSpec* sender = nullptr;
  for (const auto& h : scen.hosts)
    if (h.name == scen.workload.sender) sender = &h;
  // The recorder locks its own mutex around Metrics; the sink's rows take
  // metrics_mutex: both are held together only through with_metrics below.
  std::unique_ptr<WorkloadRecorder> recorder;
  std::unique_ptr<MaildirWatcher> watcher;
  std::unique_ptr<LabSubmitter> submitter;
  if (home) {
    recorder = std::make_unique<WorkloadRecorder>(metrics, *home, start);
    std::vector<std::filesystem::path> maildirs;
    // Every local user the home's tables deliver to (aliases lead there).
    for (const auto& user : table_users(nodes->files(home->name))) maildirs.push_back(nodes->maildir(home->name, user));
    auto w = MaildirWatcher::start(maildirs, [&](const MaildirDelivery& d) {
      std::lock_guard<std::mutex> lock(metrics_mutex);
      recorder->on_delivery(d);
    });
    if (!w.ok()) return w.error();
    watcher = std::move(*w);
  }
  scheduler.start(start_clock);
  if (sender && recorder && scen.workload.count > 0) {
    LabSubmitterOptions so;
    so.netns = world->namespace_of(sender->name + "-submission");
    auto server = submission_endpoint(*world, sender->name);
    if (!server) return Error(ErrorCode::invalid_argument, "no submission link for " + sender->name);
    so.server = *server;
    so.hostname = "submission." + sender->hostname;
    so.storage = nodes->directory(sender->name) / "submitter";
    std::filesystem::create_directories(so.storage);
    so.start = start;
    auto sub = LabSubmitter::start(so, scenario::WorkloadPlan(scen.workload, scen.seed, sender->hostname),
                                   [&](const scenario::Submission& x) {
                                     std::lock_guard<std::mutex> lock(metrics_mutex);
                                     recorder->on_submitted(x);
                                   });
    if (!sub.ok()) return sub.error();
    submitter = std::move(*sub);
  }

  std::this_thread::sleep_until(start_clock + std::chrono::nanoseconds(scen.duration.ns()));
  if (submitter) submitter->stop();
  scheduler.stop();
  if (watcher) watcher->stop();
  (*conntrack)->stop();
  if (captures) {
    for (const auto& problem : captures->stop()) std::fprintf(stderr, "tether-lab: capture: %s\n", problem.c_str());
    // Each tunnel's key log beside the captures, as the simulation names it.
    for (const auto& h : scen.hosts) {
      const auto log = nodes->directory(h.name) / "wg-keys.log";
      std::error_code ec;
      if (std::filesystem::exists(log))
        std::filesystem::copy_file(log, result.out_dir / "pcap" / (h.name + "-wg-keys.log"),
                                   std::filesystem::copy_options::overwrite_existing, ec);
    }
  }

  for (const auto& h : scen.hosts) {
    for (const auto& line : nodes->tunnel_events(h.name)) {
      auto e = parse_tunnel_log_event(line, start);
      if (!e || e->time < Time::zero() || e->time > Time::zero() + scen.duration) continue;
      metrics.on_tunnel_event(h, *e);
    }
  }
  auto relays = read_relay_events(metrics, *nodes, home, start, start_wall, Time::zero() + scen.duration);
  metrics.sort_timeline();
  sample_tunnel_availability(metrics, scen.duration);
  metrics.finish(Time::zero() + scen.duration, std::move(relays));
  if (auto w = scenario::write_results(metrics, result.out_dir); !w.ok()) return w.error();
  if (auto w = write_lab_json(result.out_dir, scen, shaping, result.prefix); !w.ok()) return w.error();
  result.summary = scenario::format_summary(metrics);

  submitter.reset();
  watcher.reset();
  if (options.keep) {
    // Left standing: the daemons and the world outlive the process.
    (void)nodes.release();
    (void)world.release();
    shaping.directions.clear();  // the delayers are this process's threads; the shaping goes with them
    result.kept = true;
  }
  return result;
}

}  // namespace tether::lab
