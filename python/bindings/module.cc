// tether._tether: the C++ half of `import tether`. The pure-Python package
// (python/tether/) is the API users see; this module only exposes the
// project's libraries, each part bound in its own file.

#include <pybind11/pybind11.h>

#include "python/bindings/pcap_bindings.h"
#include "python/bindings/scenario_bindings.h"
#include "python/bindings/simulate_bindings.h"

PYBIND11_MODULE(_tether, m) {
  m.doc() = "tether's C++ libraries (use the `tether` package, not this module)";
  tether::python::bind_scenario(m);
  tether::python::bind_simulate(m);
  tether::python::bind_pcap(m);
}
