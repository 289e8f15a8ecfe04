#pragma once
// Delivery by appending to an mbox file, as mail.local(8) does:
//
//   From jay@example.org Thu Nov 21 10:42:00 2026     separator (UTC, asctime layout)
//   <the message, LF line ends, lines starting "From " written ">From ">
//   <a blank line>
//
// The quoting is mboxo's (mail.local's); readers do not unquote, so a
// ">From " already in the message stays as it is.
//
// Locking: an fcntl write lock on the whole file, the lock every mbox reader
// on Linux honours. It is taken with F_SETLK (non-blocking) rather than
// F_SETLKW, because an unbounded wait would stall the relay's single event
// loop behind a mail reader: the wait is bounded by lock_attempts tries,
// lock_retry_interval apart (the thread sleeps in between). The relay uses one
// attempt, and a locked mbox is a temporary failure that the queue retries
// (local delivery backs off from 10 s). No dot-lock file is made.
//
// Durability and atomicity: the whole entry is written with one append after
// the lock is held and fsynced; if anything fails the file is truncated back
// to its length before the delivery (and fsynced), so the mbox is never left
// with half a message.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"
#include "core/time.h"
#include "smtp/durable_file.h"

namespace tether::smtp {

struct MboxDeliveryOptions {
  int lock_attempts = 1;
  Duration lock_retry_interval = Duration::milliseconds(100);
  unsigned file_mode = 0600;
  unsigned directory_mode = 0755;  // for a spool directory created on the way
  // The recipient: an mbox file we create is theirs (needs root); the spool
  // directory and an existing mbox are left as they are.
  std::optional<FileOwner> owner;
  // The append's syncs, and the spool directory's if made (the Host's).
  const Durability* durability = &fsync_durability();
};

// "From jay@example.org Thu Nov 21 10:42:00 2026\n"; the null sender is
// MAILER-DAEMON; spaces and controls in the sender become '_'.
std::string mbox_from_line(std::string_view sender, WallTime when);

// The separator, the quoted message and the blank line that ends it.
Bytes mbox_entry(std::string_view sender, WallTime when, ByteView message);

// Appends `message` to the mbox at `path` (creating the file and its
// directory if needed). Errors: ErrorCode::io for I/O failures and a busy
// lock (temporary, retry later), invalid_argument if the path is not a
// regular file.
Result<void> deliver_to_mbox(const std::filesystem::path& path, std::string_view sender, WallTime when,
                             ByteView message, const MboxDeliveryOptions& options = {});

}  // namespace tether::smtp
