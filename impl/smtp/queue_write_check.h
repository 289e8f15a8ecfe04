#pragma once
// Can the queue record progress? Checked when the queue opens, before a
// single envelope is loaded: a relay that delivers mail it then cannot
// remove delivers it again at every start (issue 14, hole 2: a read-only
// state directory did exactly that). So a queue whose directories refuse
// writes is not run at all, and the error says which directory and why.
//
// Postfix's master takes a lock file in its queue directory at start
// (master.c, open_lock of pid/master.pid) and stops with a fatal error when
// it cannot, so a read-only spool never runs; OpenSMTPD's ckdir() checks
// only modes and owners. This goes further than both: a real file is
// created, written, renamed and removed in incoming/ and queue/ (the
// commit's steps; not synced, so a check costs the disk nothing and a
// simulated node's sync counts stay those of its mail), and every directory an envelope is removed from
// (queue/XX and queue/XX/<msgid>) must accept writes by this process
// (faccessat W_OK, which answers EROFS on a read-only mount even to root,
// and EPERM for an immutable directory).

#include <filesystem>

#include "core/error.h"

namespace tether::smtp {

// The file the probe writes (and removes) in a directory; recovery removes
// one a crash left behind.
inline constexpr const char* kWriteCheckName = ".write-check";

// Creates, writes, renames and unlinks a probe file in `dir`. The error
// names the step and the path ("create
// /var/lib/tether/queue/incoming/.write-check: Read-only file system").
Result<void> check_directory_records(const std::filesystem::path& dir);

// Whether this process may change the names in `dir` (no probe file).
Result<void> check_directory_writable(const std::filesystem::path& dir);

}  // namespace tether::smtp
