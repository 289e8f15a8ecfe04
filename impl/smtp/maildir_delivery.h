#pragma once
// Delivery into a Maildir (cr.yp.to/proto/maildir.html), the way that
// survives a crash at any instant: the message is written to tmp/ under a
// unique name and fsynced, hard-linked into new/ (which fails rather than
// replaces if the name exists), new/ is fsynced, and only then is the tmp/
// name removed. A reader of new/ never sees a partial message; a crash
// leaves at worst a stale file in tmp/, which the Maildir convention lets
// readers clean up after 36 hours.
//
// Plain file calls on the real file system in both worlds (the simulation
// gives each node its own directory); no clock is read: the caller passes the
// wall time and a token unique among its deliveries (queue ids serve).

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"
#include "core/time.h"
#include "smtp/durable_file.h"

namespace tether::smtp {

struct MaildirDeliveryOptions {
  // Maildir and mbox are Unix text: CRLF line ends become LF (a lone CR is
  // kept). Off: the bytes are written exactly as given.
  bool crlf_to_lf = true;
  // Permissions for a new file and for directories created on the way.
  unsigned file_mode = 0600;
  unsigned directory_mode = 0700;
  // The recipient: the new file and the directories created on the way are
  // theirs (needs root). Unset: they stay the writer's.
  std::optional<FileOwner> owner;
  // Every sync of the steps above goes through it (the Host's).
  const Durability* durability = &fsync_durability();
};

// "1700000000.M123456T<token>.<host>": seconds, microseconds and the
// caller's token, then the host name with '/' and ':' written as \057 and
// \072 as the Maildir specification asks. The token may use letters,
// digits, '-' and '_' only.
Result<std::string> maildir_unique_name(WallTime when, std::string_view token, std::string_view hostname);

// Delivers `message` into the maildir at `maildir` (creating it and its
// tmp/, new/ and cur/ as needed) and returns the path of the file in new/.
// Every failure is ErrorCode::io (temporary: try again later) and leaves
// nothing in new/.
Result<std::filesystem::path> deliver_to_maildir(const std::filesystem::path& maildir, ByteView message,
                                                 WallTime when, std::string_view unique_token,
                                                 std::string_view hostname,
                                                 const MaildirDeliveryOptions& options = {});

}  // namespace tether::smtp
