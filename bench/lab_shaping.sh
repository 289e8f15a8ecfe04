#!/bin/sh
# The figures of lab/shaping/README.md, on this machine (root): the delay
# asked against the delay seen, the delayer's CPU time per packet, its
# throughput ceiling beside the unshaped veth, and why the delay is held on
# the receiving side. Run from the repository: bench/lab_shaping.sh [BUILD]
set -eu
build=${1:-build}
cmake --build "$build" --target lab_shaping_test >/dev/null
exec "$build/bin/lab_shaping_test" --run_test=shaping_bench --log_level=nothing --report_level=no
