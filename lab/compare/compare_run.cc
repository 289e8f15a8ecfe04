// Both worlds run and compared (compare_run.h).

#include "lab/compare/compare_run.h"

#include <fstream>

#include "lab/compare/compare_report.h"
#include "lab/compare/lab_implementations.h"
#include "lab/compare/run_figures.h"
#include "lab/compare/side_by_side.h"
#include "lab/compare/uplink_comparison.h"
#include "lab/compare/world_process.h"
#include "pcap/compare_report.h"
#include "scenario/results_writer.h"
#include "scenario/scenario_parser.h"

namespace tether::lab {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> run_argv(const fs::path& program, const CompareRunOptions& o, const fs::path& out,
                                  const std::vector<std::string>& extra_overrides) {
  std::vector<std::string> argv = {program.string(), o.scenario_file.string(), "--out", out.string(), "--pcap"};
  for (const auto& list : {&o.overrides, &extra_overrides})
    for (const auto& set : *list) {
      argv.push_back("--set");
      argv.push_back(set);
    }
  return argv;
}

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::trunc) << text; }

// Runs one world's command, its output kept in OUT/NAME.log. A stop signal
// passed on to the child ends this process once the child is gone.
ProcessOutcome run_world(const std::string& name, const std::vector<std::string>& argv, const fs::path& out) {
  ProcessOutcome outcome = run_world_process(argv);
  write_text(out / (name + ".log"), outcome.output);
  if (const int signal = stop_signal_received()) die_of(signal);
  return outcome;
}

// What a bad input's run made in OUT goes: the lab's and the simulation's
// directories and logs, and OUT itself if this run made it.
void remove_run(const fs::path& out, bool made_out) {
  std::error_code ec;
  for (const char* name : {"lab", "sim", "lab.log", "sim.log", "compare.json", "uplink-compare.txt"})
    fs::remove_all(out / name, ec);
  if (made_out) fs::remove(out, ec);  // only when empty
}

Error failed(const std::string& what, const ProcessOutcome& outcome, const fs::path& log) {
  const std::string status =
      outcome.exit_code < 0 ? "could not be started" : "exited with status " + std::to_string(outcome.exit_code);
  return Error(ErrorCode::internal, what + " " + status + " (" + log.string() + "):\n" + outcome.output);
}

// The two runs' results and captures, side by side (OUT/lab and OUT/sim).
Result<CompareRunResult> compare_runs(const CompareRunOptions& o, const scenario::Scenario& s, const fs::path& out,
                                      std::vector<HostImplementation> hosts) {
  CompareRunResult result;
  result.out_dir = out;
  auto lab_figures = read_run_figures(out / "lab" / "results.json");
  if (!lab_figures.ok()) return Error(ErrorCode::internal, lab_figures.error().message);
  auto sim_figures = read_run_figures(out / "sim" / "results.json");
  if (!sim_figures.ok()) return Error(ErrorCode::internal, sim_figures.error().message);
  auto uplink = compare_uplinks(out / "lab", out / "sim", o.uplink_links, o.bounds.uplink());
  if (!uplink.ok()) return Error(ErrorCode::internal, "uplink captures: " + uplink.error().message);
  const CompareHeader header{o.scenario_file.string(),   s.seed, (out / "lab").string(), (out / "sim").string(),
                             lab_figures->latency_from, sim_figures->latency_from, std::move(hosts)};
  if (uplink->comparison)
    write_text(out / "uplink-compare.txt",
               pcap::comparison_text(*uplink->comparison, pcap::CompareNames{header.lab_dir, header.sim_dir}));
  const SideBySide table = side_by_side(*lab_figures, *sim_figures, o.bounds, *uplink);
  write_text(out / "compare.json", compare_json(header, table, *uplink));
  result.report = compare_text(header, table);
  result.outcome = table.within() ? CompareOutcome::within : CompareOutcome::outside;
  return result;
}

}  // namespace

Result<CompareRunResult> run_compare(const CompareRunOptions& o) {
  auto say = [&](const std::string& line) {
    if (o.progress) o.progress(line);
  };
  auto parsed = scenario::load_scenario(o.scenario_file, o.overrides);
  if (!parsed.ok()) return Error(ErrorCode::invalid_argument, "invalid scenario\n" + parsed.error_text());
  const scenario::Scenario& s = parsed.scenario;
  const fs::path out = o.out_dir.empty() ? s.outputs.dir : o.out_dir;
  if (o.reuse_runs) {
    auto hosts = read_lab_implementations(out / "lab" / "lab.json", s);
    if (!hosts.ok()) return Error(ErrorCode::invalid_argument, hosts.error().message);
    return compare_runs(o, s, out, std::move(*hosts));
  }
  std::error_code ec;
  const bool made_out = !fs::exists(out, ec);
  fs::create_directories(out, ec);
  if (ec || !fs::is_directory(out, ec))
    return Error(ErrorCode::invalid_argument, "--out " + out.string() + ": cannot create the directory");
  forward_stop_signals_to_children();

  say("the lab: " + scenario::format_seconds(s.duration) + " s of real time into " + (out / "lab").string());
  const ProcessOutcome lab = run_world("lab", run_argv(o.tether_lab, o, out / "lab", {}), out);
  if (lab.exit_code == 2) {  // refused before anything was made: bad input
    remove_run(out, made_out);
    return Error(ErrorCode::invalid_argument, "the lab refused the scenario:\n" + lab.output);
  }
  if (lab.exit_code != 0 && !o.keep_going) return failed("tether-lab", lab, out / "lab.log");

  std::vector<HostImplementation> hosts;
  std::vector<std::string> sim_overrides;
  if (lab.exit_code == 0) {
    auto read = read_lab_implementations(out / "lab" / "lab.json", s);
    if (!read.ok()) return Error(ErrorCode::internal, read.error().message);
    hosts = std::move(*read);
    for (const auto& h : hosts) sim_overrides.insert(sim_overrides.end(), h.sim_overrides.begin(), h.sim_overrides.end());
  }
  say("the simulation into " + (out / "sim").string());
  const ProcessOutcome sim = run_world("sim", run_argv(o.tether_sim, o, out / "sim", sim_overrides), out);
  if (lab.exit_code != 0) {
    say("the simulation's summary, the lab having failed:\n" + sim.output);
    return failed("tether-lab", lab, out / "lab.log");
  }
  if (sim.exit_code != 0) return failed("tether-sim", sim, out / "sim.log");
  return compare_runs(o, s, out, std::move(hosts));
}

}  // namespace tether::lab
