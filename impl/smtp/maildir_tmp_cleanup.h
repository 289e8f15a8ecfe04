#pragma once
// Files a delivery left in a maildir's tmp/ when it died between writing
// and linking into new/ (a SIGKILL, a power cut): nobody will ever link
// them, so they only take space. The Maildir convention
// (cr.yp.to/proto/maildir.html) lets a reader delete a tmp/ file that has
// not been accessed for 36 hours; Dovecot does so when it opens a maildir
// (maildir_tmp_cleanup -> unlink_old_files, MAILDIR_TMP_DELETE_SECS, on
// atime and ctime). Here a file must be that old by both its atime (nobody
// read it) and its mtime (nobody is still writing it: every write moves
// it), so a delivery in progress is never touched.
//
// No clock is read: the caller passes the wall time.

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "core/time.h"

namespace tether::smtp {

inline constexpr Duration kMaildirTmpDeadAfter = Duration::hours(36);

struct MaildirTmpCleanup {
  std::size_t removed = 0;
  std::vector<std::string> errors;  // "unlink PATH: reason", one per file that would not go
};

// Removes the regular files in `maildir`/tmp whose atime and mtime are both
// older than `now` - `dead_after`. A maildir without tmp/ has nothing to clean.
MaildirTmpCleanup clean_maildir_tmp(const std::filesystem::path& maildir, WallTime now,
                                    Duration dead_after = kMaildirTmpDeadAfter);

}  // namespace tether::smtp
