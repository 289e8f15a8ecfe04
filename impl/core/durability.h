#pragma once
// Durability: how a machine makes what was written to its files last. Every
// sync the relay makes, in its queue (smtp/queue_store.h, queue_file_jobs.h)
// and in local delivery (maildir, mbox, the directories made on the way),
// goes through one, which the Host gives (Host::durability()):
//  - a real machine: fsync(2) (smtp::fsync_durability(), durable_file.h),
//    what tetherd uses;
//  - the ns-3 world: the files are real, so the queue code runs unchanged,
//    but the disk under them is the host machine's, not the simulated
//    node's, and the simulation must not wait for it. Its Durability
//    (sim/host/simulated_durability.h) records each sync and skips it: a
//    model of the simulated disk (what a crash keeps) plugs in there.
//
// Only an interface: core does no I/O itself.

#include <filesystem>

#include "core/error.h"

namespace tether {

class Durability {
 public:
  virtual ~Durability() = default;
  // The file's bytes are on disk once this returns. Errors are ErrorCode::io
  // naming `path` (what the file is, for the message; `fd` is what is synced).
  // Called from any thread, several at once (Host::run_blocking's work).
  virtual Result<void> sync_file(int fd, const std::filesystem::path& path) const = 0;
  // The directory's entries (names created, renamed or removed in it) are on
  // disk once this returns. A directory that does not exist is an io error.
  virtual Result<void> sync_directory(const std::filesystem::path& directory) const = 0;
};

}  // namespace tether
