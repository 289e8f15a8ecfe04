#pragma once
// The ns-3 world's Durability (core/durability.h). A node's files are real,
// so its queue and maildirs run the same code as tetherd's; but the disk
// under them is the host machine's, not the simulated node's, and fsyncing
// it only makes the run wait for that disk: backup-mx-fallback's 5,628
// fsyncs made a run with --out on ext4 ten times slower than on tmpfs, with
// nothing in the simulated world able to tell the difference.
//
// So each sync is checked as fsync(2) would check it (the descriptor is
// open, the directory exists: the queue's error paths stay reachable),
// counted, and skipped: simulated time does not move, and neither does the
// host's disk. What a simulated crash would keep of unsynced writes is the
// simulated disk's model, not yet written; it replaces this class through
// Ns3HostOptions::durability, and the counts say what it would have seen.

#include <atomic>
#include <cstdint>
#include <filesystem>

#include "core/durability.h"

namespace tether::sim {

class SimulatedDurability final : public Durability {
 public:
  Result<void> sync_file(int fd, const std::filesystem::path& path) const override;
  Result<void> sync_directory(const std::filesystem::path& directory) const override;

  // Syncs asked for (and skipped) so far.
  std::uint64_t files_synced() const { return files_.load(); }
  std::uint64_t directories_synced() const { return directories_.load(); }

 private:
  mutable std::atomic<std::uint64_t> files_{0};
  mutable std::atomic<std::uint64_t> directories_{0};
};

}  // namespace tether::sim
