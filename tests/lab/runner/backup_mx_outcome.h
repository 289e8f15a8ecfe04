#pragma once
// scenarios/lab/backup-mx-fallback.yaml's promised outcome, checked on a lab
// run and a simulated run of the same file and seed (tether-compare's
// OUT/lab and OUT/sim): the relay VM, namorar, is off while the second
// message is sent; the sender waits out its connect timeout on it (a
// blackhole: no ICMP comes back), hands the message to mx2, and mx2 passes
// it on once namorar is back. Asserted (Boost.Test checks, so a caller's
// test case reports each): both messages delivered once, the second through
// mx2 (via_backup, mx2 once in its path: no loop) after namorar's
// start-node, no tunnel while namorar is off (availability), and the same
// counts and paths as the simulation. Latencies are not compared here (real
// time on a shared machine): tether-compare's table reports them.

#include <filesystem>

namespace tether::lab::testing {

void check_backup_mx_fallback_outcome(const std::filesystem::path& lab, const std::filesystem::path& sim);

}  // namespace tether::lab::testing
