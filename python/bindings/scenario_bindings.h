#pragma once
// The scenario part of tether._tether (scenario_bindings.cc).

#include <pybind11/pybind11.h>

namespace tether::python {

void bind_scenario(pybind11::module_& m);

}  // namespace tether::python
