// tether._tether.simulate: one tether-sim run in this process. ns-3 keeps a
// simulation in process-wide singletons, so runs are serialized by one lock
// and each starts from a reset simulator (sim/scenario_runner.cc's
// reset_ns3), which is what makes runs one after another in one process
// equal to runs in separate processes (python/tests/test_simulate.py holds
// them against each other). The GIL is released while ns-3 runs, so other
// Python threads (a Dask worker's, a progress bar) go on.

#include "python/bindings/simulate_bindings.h"

#include <mutex>
#include <optional>

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "scenario/results_writer.h"
#include "scenario/scenario_parser.h"
#include "sim/scenario_runner.h"

namespace tether::python {

namespace py = pybind11;

namespace {

std::mutex& simulator_lock() {
  static std::mutex lock;
  return lock;
}

py::dict simulate(const std::filesystem::path& path, const std::vector<std::string>& overrides,
                  const std::filesystem::path& out_dir, bool pcap) {
  scenario::ScenarioParse parsed = scenario::load_scenario(path, overrides);
  py::dict out;
  out["errors"] = parsed.errors;
  if (!parsed.ok()) return out;
  if (auto writable = scenario::check_results_dir(out_dir); !writable.ok())
    throw std::runtime_error(out_dir.string() + ": " + writable.error().message);
  sim::RunOptions options;
  options.out_dir = out_dir;
  options.pcap = pcap;
  std::optional<Result<sim::RunResult>> run;
  {
    py::gil_scoped_release unlocked;
    std::lock_guard<std::mutex> one_at_a_time(simulator_lock());
    run.emplace(sim::run_scenario(parsed.scenario, options));
  }
  if (!run->ok()) throw std::runtime_error(run->error().to_string());
  out["summary_text"] = (*run)->summary;
  out["out_dir"] = (*run)->out_dir;
  out["ns3_events"] = (*run)->events;
  out["link_packets"] = (*run)->link_packets;
  return out;
}

}  // namespace

void bind_simulate(py::module_& m) {
  m.def("simulate", &simulate, py::arg("path"), py::arg("overrides"), py::arg("out_dir"), py::arg("pcap") = false,
        "Runs a scenario in the ns-3 world and writes its results to out_dir: {'errors': [lines], ...}.");
}

}  // namespace tether::python
