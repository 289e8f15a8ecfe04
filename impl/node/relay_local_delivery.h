#pragma once
// Local delivery of one queued envelope for a `maildir` or `mbox` action:
// who the recipient is (the action's `alias` or `virtual` table, else the
// local part as a user name), where that user's mail goes (delivery_path.h,
// the user from the injected UserDatabase), and the write itself
// (maildir_delivery.h, mbox_delivery.h). Synchronous file calls: the relay
// runs a bounded number of them per turn of its loop.
//
// An envelope whose expansion names more than one target, or an address to
// route again, is not delivered here: the result lists the targets, and the
// relay queues one envelope per target (as OpenSMTPD's lka expands before
// queueing), so a partial failure never delivers anyone twice. An envelope
// whose `dest` is a bare user name (no '@') is such an expanded one: it is
// delivered to that user without expanding again.

#include <filesystem>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/time.h"
#include "node/maildir_tmp_sweeps.h"
#include "smtp/alias_expansion.h"
#include "smtp/config.h"
#include "smtp/durable_file.h"
#include "smtp/envelope.h"
#include "smtp/user_database.h"

namespace tether::node {

struct LocalDeliveryContext {
  const smtp::Config* config = nullptr;
  const smtp::UserDatabase* users = nullptr;
  std::filesystem::path mbox_spool;  // mbox actions: SPOOL/username
  std::string hostname;              // maildir unique names
  // Files and directories delivery creates belong to the recipient (their
  // uid/gid from the user database), as with OpenSMTPD's mda, which runs as
  // the user. Only a root daemon can; the simulated world's users are not
  // system users, so it leaves this off.
  bool give_to_recipient = false;
  // Every sync of the delivery goes through it: the Host's (the relay sets
  // it), so the simulated world does not wait for the machine's disk.
  const Durability* durability = &smtp::fsync_durability();
  // Maildirs whose tmp/ is cleaned before their first delivery since the
  // relay started (maildir_tmp_sweeps.h); null: none is.
  MaildirTmpSweeps* tmp_sweeps = nullptr;
};

struct LocalDeliveryResult {
  enum class Status { delivered, temporary, permanent, expanded };
  Status status = Status::temporary;
  std::string error;                     // temporary/permanent: an SMTP-style reason
  std::filesystem::path path;            // delivered: the file in new/, or the mbox
  std::string user;                      // delivered: to whom
  std::vector<smtp::AliasTarget> targets;  // expanded
  std::vector<smtp::RefusedAliasTarget> refused;  // targets that cannot be delivered (logged)
  // The maildir whose tmp/ this delivery cleaned first (empty: none), how
  // many dead files went, and the files that would not go.
  std::filesystem::path swept_maildir;
  std::size_t tmp_files_removed = 0;
  std::vector<std::string> sweep_errors;
};

LocalDeliveryResult deliver_locally(const LocalDeliveryContext& context, const smtp::Action& action,
                                    const smtp::Envelope& envelope, ByteView message, WallTime now);

// The simulated world's users (and the default when the app gives none):
// every valid user name is a user whose home is ROOT/home/<name>, so a node's
// maildirs stay inside its own storage. Names are 1-32 of [a-z0-9._-], not
// starting with '.' or '-'.
class StorageUserDatabase : public smtp::UserDatabase {
 public:
  explicit StorageUserDatabase(std::filesystem::path root) : root_(std::move(root)) {}
  std::optional<smtp::UserRecord> find(std::string_view username) const override;

 private:
  std::filesystem::path root_;
};

}  // namespace tether::node
