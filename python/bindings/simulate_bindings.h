#pragma once
// The simulation part of tether._tether (simulate_bindings.cc).

#include <pybind11/pybind11.h>

namespace tether::python {

void bind_simulate(pybind11::module_& m);

}  // namespace tether::python
