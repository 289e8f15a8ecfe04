#include "smtp/queue_file_jobs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "smtp/durable_file.h"

namespace tether::smtp {

namespace fs = std::filesystem;

namespace {

ByteView bytes_of(std::string_view text) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

// An fsync of a directory that a concurrent removal of the same message has
// already deleted has nothing left to make durable.
Result<void> sync_directory_if_present(const Durability& durability, const fs::path& dir) {
  Result<void> synced = durability.sync_directory(dir);
  std::error_code ec;
  if (!synced && !fs::exists(dir, ec) && !ec) return {};
  return synced;
}

Result<void> unlink_if_present(const fs::path& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_error("cannot unlink", path, errno);
  return {};
}

}  // namespace

// ---- CommitJob ----

CommitJob::~CommitJob() {
  if (fd_ >= 0) ::close(fd_);
}

void CommitJob::run() {
  ran_ = true;
  Result<void> done = write_and_rename();
  if (done) return;
  error_ = done.error();
  if (!renamed_) {
    // Never committed, so never acknowledged: nothing of it may stay.
    std::error_code ignored;
    fs::remove_all(incoming_dir_, ignored);
  }
}

Result<void> CommitJob::write_and_rename() {
  const fs::path message = incoming_dir_ / "message";
  Result<void> written = write_all(fd_, bytes_of(unflushed_), message);
  unflushed_.clear();
  if (written && durability_) written = durability_->sync_file(fd_, message);
  const int closed = ::close(fd_);
  fd_ = -1;
  if (!written) return written;
  if (closed != 0) return errno_error("cannot close", message, errno);

  for (std::size_t i = 0; i < envelopes_.size(); ++i) {
    // In incoming/ nobody can see a half-written file, so no temporary name.
    const fs::path path = incoming_dir_ / format_envelope_id(envelopes_[i].id);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return errno_error("cannot create", path, errno);
    Result<void> r = write_all(fd, bytes_of(envelope_texts_[i]), path);
    if (r && durability_) r = durability_->sync_file(fd, path);
    ::close(fd);
    if (!r) return r;
  }
  if (durability_) {
    if (auto r = durability_->sync_directory(incoming_dir_); !r) return r;
  }

  if (::mkdir(bucket_.c_str(), 0700) == 0 || (errno == EEXIST && !bucket_known_durable_)) {
    if (durability_) {
      if (auto r = durability_->sync_directory(bucket_.parent_path()); !r) return r;
    }
  } else if (errno != EEXIST) {
    return errno_error("cannot create directory", bucket_, errno);
  }
  if (::rename(incoming_dir_.c_str(), target_.c_str()) != 0) return errno_error("cannot rename", incoming_dir_, errno);
  renamed_ = true;
  if (!durability_) return {};
  if (auto r = durability_->sync_directory(bucket_); !r) return r;
  return durability_->sync_directory(incoming_dir_.parent_path());
}

// ---- RemovalJob ----

void RemovalJob::run() {
  ran_ = true;
  if (Result<void> done = unlink_files(); !done) error_ = done.error();
}

Result<void> RemovalJob::unlink_envelope_now() { return unlink_if_present(dir_ / format_envelope_id(id_)); }

Result<void> RemovalJob::unlink_files() {
  if (auto r = unlink_if_present(dir_ / format_envelope_id(id_)); !r) return r;
  if (!last_) return durability_ ? sync_directory_if_present(*durability_, dir_) : Result<void>();

  // Envelope files first (those of removals still to run, and updates a
  // crash left behind), then the message: a crash in between must never
  // leave an envelope without its message. A directory with a message and
  // no envelope is what recovery removes.
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename() == "message") continue;
    if (auto r = unlink_if_present(it->path()); !r) return r;
  }
  if (ec && ec != std::errc::no_such_file_or_directory)
    return Error(ErrorCode::io, "cannot list '" + dir_.string() + "': " + ec.message());
  if (auto r = unlink_if_present(dir_ / "message"); !r) return r;
  if (::rmdir(dir_.c_str()) != 0 && errno != ENOENT) return errno_error("cannot remove directory", dir_, errno);
  return durability_ ? durability_->sync_directory(dir_.parent_path()) : Result<void>();
}

}  // namespace tether::smtp
