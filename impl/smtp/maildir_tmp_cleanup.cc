#include "smtp/maildir_tmp_cleanup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tether::smtp {

namespace fs = std::filesystem;

MaildirTmpCleanup clean_maildir_tmp(const fs::path& maildir, WallTime now, Duration dead_after) {
  MaildirTmpCleanup out;
  const std::int64_t cutoff = (now + -dead_after).unix_seconds();
  std::error_code ec;
  for (fs::directory_iterator it(maildir / "tmp", ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path path = it->path();
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (st.st_atime >= cutoff || st.st_mtime >= cutoff) continue;
    if (::unlink(path.c_str()) == 0)
      ++out.removed;
    else if (errno != ENOENT)
      out.errors.push_back("unlink " + path.string() + ": " + std::strerror(errno));
  }
  return out;
}

}  // namespace tether::smtp
