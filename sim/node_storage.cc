#include "sim/node_storage.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace tether::sim {
namespace fs = std::filesystem;

namespace {

constexpr long kTmpfsMagic = 0x01021994;  // linux/magic.h TMPFS_MAGIC
const fs::path kShm = "/dev/shm";
const std::string kPrefix = "tether-sim-nodes-";

// Scratch directories of runs whose process is gone (killed mid-run).
void remove_abandoned() {
  std::error_code ec;
  for (fs::directory_iterator it(kShm, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(kPrefix, 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + kPrefix.size(), nullptr, 10);
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(pid_t(pid), 0) != 0 && errno == ESRCH) {
      std::error_code ignored;
      fs::remove_all(it->path(), ignored);
    }
  }
}

}  // namespace

bool on_tmpfs(const fs::path& path) {
  fs::path probe = fs::absolute(path);
  std::error_code ec;
  while (!probe.empty() && !fs::exists(probe, ec) && probe != probe.parent_path()) probe = probe.parent_path();
  struct statfs info {};
  return ::statfs(probe.c_str(), &info) == 0 && long(info.f_type) == kTmpfsMagic;
}

Result<NodeStorage> NodeStorage::prepare(const fs::path& destination) {
  const fs::path target = fs::absolute(destination);
  std::error_code ec;
  fs::remove_all(target, ec);
  if (ec) return Error(ErrorCode::io, target.string() + ": " + ec.message());
  if (on_tmpfs(target) || !on_tmpfs(kShm) || ::access(kShm.c_str(), W_OK) != 0) return NodeStorage(target, target);
  remove_abandoned();
  std::string pattern = (kShm / (kPrefix + std::to_string(::getpid()) + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) return NodeStorage(target, target);  // no room: work in place
  return NodeStorage(target, fs::path(pattern));
}

NodeStorage::NodeStorage(NodeStorage&& other) noexcept
    : destination_(std::move(other.destination_)), root_(std::move(other.root_)), finished_(other.finished_) {
  other.finished_ = true;
}

NodeStorage::~NodeStorage() { (void)finish(); }

Result<void> NodeStorage::finish() {
  if (finished_ || !scratch()) return {};
  finished_ = true;
  std::error_code ec;
  fs::create_directories(destination_.parent_path(), ec);
  if (!ec) fs::copy(root_, destination_, fs::copy_options::recursive, ec);
  std::error_code ignored;
  fs::remove_all(root_, ignored);
  if (ec) return Error(ErrorCode::io, "cannot move the nodes' files to " + destination_.string() + ": " + ec.message());
  return {};
}

}  // namespace tether::sim
