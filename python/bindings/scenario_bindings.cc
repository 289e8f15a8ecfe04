// tether._tether.load_scenario: a scenario file read by the same parser,
// with the same validation and `--set` overrides, as tether-sim's; what
// Python's tether.Scenario keeps of it (scenario.py). Errors are returned,
// not raised: Python turns the parser's "FILE:LINE: field: message" lines
// into a ScenarioError with its fields.

#include "python/bindings/scenario_bindings.h"

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "scenario/scenario_parser.h"

namespace tether::python {

namespace py = pybind11;

namespace {

py::dict describe(const scenario::Scenario& s) {
  py::dict info;
  info["name"] = s.name;
  info["seed"] = s.seed;
  info["duration_ns"] = s.duration.ns();
  info["epoch_unix_ns"] = s.epoch.unix_ns();
  py::list hosts, config_files;
  for (const scenario::HostSpec& h : s.hosts) {
    hosts.append(h.name);
    // The files the world builder reads: a change in them changes the run.
    if (!h.tunnel.empty()) config_files.append(h.tunnel.string());
    if (!h.smtpd.empty()) config_files.append(h.smtpd.string());
  }
  info["hosts"] = hosts;
  info["config_files"] = config_files;
  info["outputs_dir"] = s.outputs.dir.string();
  return info;
}

}  // namespace

void bind_scenario(py::module_& m) {
  m.def(
      "load_scenario",
      [](const std::filesystem::path& path, const std::vector<std::string>& overrides) {
        scenario::ScenarioParse parsed = scenario::load_scenario(path, overrides);
        py::dict out;
        out["errors"] = parsed.errors;
        out["info"] = parsed.ok() ? py::object(describe(parsed.scenario)) : py::object(py::none());
        return out;
      },
      py::arg("path"), py::arg("overrides") = std::vector<std::string>{},
      "Reads and checks a scenario file with `--set` overrides: {'errors': [lines], 'info': dict or None}.");
}

}  // namespace tether::python
