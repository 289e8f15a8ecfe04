#pragma once
// The POSIX file steps the queue and local delivery (maildir, mbox) share:
// errno turned into tether errors, complete writes, and fsync(2) as a
// Durability (core/durability.h), the one a real machine's Host gives.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "core/bytes.h"
#include "core/durability.h"
#include "core/error.h"

namespace tether::smtp {

// ErrorCode::io with "what 'path': strerror(errno)".
Error errno_error(const std::string& what, const std::filesystem::path& path, int error_number);

// Writes all of `bytes` (retrying short writes and EINTR).
Result<void> write_all(int fd, ByteView bytes, const std::filesystem::path& path);

// fsync(2) of the file; a directory is opened read-only and fsynced, so the
// entries added to it last. What tetherd's PosixHost gives, and the default
// of QueueStoreOptions and the delivery options, so code that runs without
// a Host (tools, tests of the file formats) is as durable as a relay.
const Durability& fsync_durability();

// Whom a delivered file belongs to: the recipient, as OpenSMTPD's mda runs
// as the user, so that a daemon running as root does not leave a user's
// mail readable only by root.
struct FileOwner {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
};

// mkdir -p, each directory it creates made durable in its parent (through
// `durability`) and, with an owner, given to that owner (directories that
// exist are left as they are).
Result<void> make_directories(const std::filesystem::path& directory, unsigned mode, const Durability& durability,
                              const std::optional<FileOwner>& owner = std::nullopt);
// fchown, with an error that names the file.
Result<void> give_to(int fd, const FileOwner& owner, const std::filesystem::path& path);

// CRLF -> LF, lone CRs kept.
Bytes crlf_to_lf(ByteView bytes);

}  // namespace tether::smtp
