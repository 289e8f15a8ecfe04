#pragma once
// The POSIX file steps local delivery (maildir, mbox) shares: errno turned
// into tether errors, complete writes, fsync of files and directories.

#include <filesystem>
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

// mkdir -p, each directory it creates made durable in its parent.
Result<void> make_directories(const std::filesystem::path& directory, unsigned mode);

// CRLF -> LF, lone CRs kept.
Bytes crlf_to_lf(ByteView bytes);

}  // namespace tether::smtp
