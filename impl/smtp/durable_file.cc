#include "smtp/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <string>

namespace tether::smtp {

Error errno_error(const std::string& what, const std::filesystem::path& path, int error_number) {
  return Error(ErrorCode::io, what + " '" + path.string() + "': " + std::strerror(error_number));
}

Result<void> write_all(int fd, ByteView bytes, const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("cannot write", path, errno);
    }
    done += std::size_t(n);
  }
  return {};
}

namespace {

class FsyncDurability final : public Durability {
 public:
  Result<void> sync_file(int fd, const std::filesystem::path& path) const override {
    if (::fsync(fd) != 0) return errno_error("cannot fsync", path, errno);
    return {};
  }
  Result<void> sync_directory(const std::filesystem::path& directory) const override {
    int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno_error("cannot open directory", directory, errno);
    Result<void> synced = sync_file(fd, directory);
    ::close(fd);
    return synced;
  }
};

}  // namespace

const Durability& fsync_durability() {
  static const FsyncDurability instance;
  return instance;
}

Result<void> give_to(int fd, const FileOwner& owner, const std::filesystem::path& path) {
  if (::fchown(fd, owner.uid, owner.gid) != 0) return errno_error("cannot give to uid " + std::to_string(owner.uid), path, errno);
  return {};
}

Result<void> make_directories(const std::filesystem::path& directory, unsigned mode, const Durability& durability,
                              const std::optional<FileOwner>& owner) {
  // Nearly every call finds the directory there (a maildir's tmp, new and
  // cur at each delivery): one stat, not a mkdir and a stat per component.
  // Deliveries run on several threads (Host::run_blocking): one that finds a
  // directory another has just made must not go on before that directory's
  // entry is fsynced in its parent, or a message written into it could be
  // lost with the directory. So creation holds the lock exclusively until
  // its fsyncs are done, and the quick look shares it.
  static std::shared_mutex creating;
  {
    std::shared_lock<std::shared_mutex> look(creating);
    struct stat existing {};
    if (::stat(directory.c_str(), &existing) == 0 && S_ISDIR(existing.st_mode)) return {};
  }
  std::unique_lock<std::shared_mutex> create(creating);
  std::filesystem::path so_far;
  for (const std::filesystem::path& part : directory) {
    so_far /= part;
    if (part.empty() || part == "/" || part == ".") continue;
    if (::mkdir(so_far.c_str(), mode) == 0) {
      if (owner && ::chown(so_far.c_str(), owner->uid, owner->gid) != 0)
        return errno_error("cannot give to uid " + std::to_string(owner->uid), so_far, errno);
      std::filesystem::path parent = so_far.parent_path();
      Result<void> synced = durability.sync_directory(parent.empty() ? std::filesystem::path(".") : parent);
      if (!synced) return synced;
      continue;
    }
    if (errno != EEXIST) return errno_error("cannot create directory", so_far, errno);
    struct stat st {};
    if (::stat(so_far.c_str(), &st) != 0) return errno_error("cannot stat", so_far, errno);
    if (!S_ISDIR(st.st_mode)) return Error(ErrorCode::io, "'" + so_far.string() + "' is not a directory");
  }
  return {};
}

Bytes crlf_to_lf(ByteView bytes) {
  Bytes out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') continue;
    out.push_back(bytes[i]);
  }
  return out;
}

}  // namespace tether::smtp
