#include "sim/host/simulated_durability.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace tether::sim {
namespace {

// The texts smtp::fsync_durability() gives for the same failures.
Error sync_error(const std::string& what, const std::filesystem::path& path, int error_number) {
  return Error(ErrorCode::io, what + " '" + path.string() + "': " + std::strerror(error_number));
}

}  // namespace

Result<void> SimulatedDurability::sync_file(int fd, const std::filesystem::path& path) const {
  // fsync's one failure that does not depend on the disk: a bad descriptor.
  if (::fcntl(fd, F_GETFD) < 0) return sync_error("cannot fsync", path, errno);
  files_.fetch_add(1);
  return {};
}

Result<void> SimulatedDurability::sync_directory(const std::filesystem::path& directory) const {
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sync_error("cannot open directory", directory, errno);
  ::close(fd);
  directories_.fetch_add(1);
  return {};
}

}  // namespace tether::sim
