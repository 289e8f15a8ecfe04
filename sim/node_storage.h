#pragma once
// Where the nodes' files live while a scenario runs. They are real files, so
// each node's queue and maildirs run the code tetherd runs, and they are
// outputs: after the run OUT/nodes/<host> holds them.
//
// Syncs already skip the host machine's disk (sim/host/simulated_durability.h),
// but the queue's other file work still reaches it: every envelope update
// writes a new file and renames it over the old one, every message makes
// and removes a directory. On a real disk each of those costs the host
// machine far more than on tmpfs (measured here on ext4: a create, write and
// rename over an existing file ~1.4 ms, against ~0.05 ms on tmpfs; ext4
// starts writing a file back when it is renamed over another, its
// auto_da_alloc), and the simulation waits for each. So when OUT is not on
// tmpfs and /dev/shm is, the nodes work in a private directory there, and
// their tree moves to OUT/nodes when the run ends, whether it ended well or
// not. Otherwise they work in OUT/nodes directly, as before.
//
// A process killed mid-run leaves its directory behind; the next run removes
// those whose process is gone (their names carry the pid).

#include <filesystem>

#include "core/error.h"

namespace tether::sim {

class NodeStorage {
 public:
  // `destination` is OUT/nodes; it is emptied first.
  static Result<NodeStorage> prepare(const std::filesystem::path& destination);
  NodeStorage(NodeStorage&& other) noexcept;
  NodeStorage& operator=(NodeStorage&&) = delete;
  NodeStorage(const NodeStorage&) = delete;
  ~NodeStorage();  // finish(), its error ignored

  // Where the world puts each node's directory (absolute).
  const std::filesystem::path& root() const { return root_; }
  // True when root() is a scratch directory on tmpfs.
  bool scratch() const { return root_ != destination_; }
  // Moves the tree to the destination (once; nothing to do without scratch).
  Result<void> finish();

 private:
  NodeStorage(std::filesystem::path destination, std::filesystem::path root)
      : destination_(std::move(destination)), root_(std::move(root)) {}
  std::filesystem::path destination_;
  std::filesystem::path root_;
  bool finished_ = false;
};

// Whether `path` (or, while it does not exist, its nearest existing parent)
// is on tmpfs.
bool on_tmpfs(const std::filesystem::path& path);

}  // namespace tether::sim
