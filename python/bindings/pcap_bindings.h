#pragma once
// The capture library (pcap/) in the Python module: `tether._tether.pcap`,
// which python/tether/pcap.py wraps into DataFrames and a Comparison.

#include <pybind11/pybind11.h>

namespace tether::python {

// Adds the submodule `pcap` to `m` (the extension `tether._tether`).
void bind_pcap(pybind11::module_& m);

}  // namespace tether::python
