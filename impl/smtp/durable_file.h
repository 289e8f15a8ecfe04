#pragma once
// The POSIX file steps local delivery (maildir, mbox) shares: errno turned
// into tether errors, complete writes, fsync of files and directories.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "core/bytes.h"
#include "core/error.h"

namespace tether::smtp {

// ErrorCode::io with "what 'path': strerror(errno)".
Error errno_error(const std::string& what, const std::filesystem::path& path, int error_number);

// Writes all of `bytes` (retrying short writes and EINTR).
Result<void> write_all(int fd, ByteView bytes, const std::filesystem::path& path);

Result<void> fsync_fd(int fd, const std::filesystem::path& path);
// Opens the directory read-only and fsyncs it, so entries added to it last.
Result<void> fsync_directory(const std::filesystem::path& directory);

// Whom a delivered file belongs to: the recipient, as OpenSMTPD's mda runs
// as the user, so that a daemon running as root does not leave a user's
// mail readable only by root.
struct FileOwner {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
};

// mkdir -p, each directory it creates made durable in its parent and, with
// an owner, given to that owner (directories that exist are left as they are).
Result<void> make_directories(const std::filesystem::path& directory, unsigned mode,
                              const std::optional<FileOwner>& owner = std::nullopt);
// fchown, with an error that names the file.
Result<void> give_to(int fd, const FileOwner& owner, const std::filesystem::path& path);

// CRLF -> LF, lone CRs kept.
Bytes crlf_to_lf(ByteView bytes);

}  // namespace tether::smtp
