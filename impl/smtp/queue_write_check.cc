#include "smtp/queue_write_check.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tether::smtp {

namespace fs = std::filesystem;

namespace {

Error step_failed(const char* step, const fs::path& path, int err) {
  return make_error(ErrorCode::io, std::string(step) + " " + path.string() + ": " + std::strerror(err));
}

}  // namespace

Result<void> check_directory_records(const fs::path& dir) {
  const fs::path probe = dir / kWriteCheckName;
  const fs::path renamed = dir / (std::string(kWriteCheckName) + ".renamed");
  ::unlink(probe.c_str());  // a crash in an earlier check left it
  ::unlink(renamed.c_str());
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return step_failed("create", probe, errno);
  Result<void> r;
  if (::write(fd, "x", 1) != 1) r = step_failed("write", probe, errno);
  ::close(fd);
  if (r && ::rename(probe.c_str(), renamed.c_str()) != 0) r = step_failed("rename", probe, errno);
  const fs::path& left = r ? renamed : probe;
  if (::unlink(left.c_str()) != 0 && r) r = step_failed("remove", left, errno);
  return r;
}

Result<void> check_directory_writable(const fs::path& dir) {
  if (::faccessat(AT_FDCWD, dir.c_str(), W_OK | X_OK, AT_EACCESS) != 0) return step_failed("write into", dir, errno);
  return {};
}

}  // namespace tether::smtp
