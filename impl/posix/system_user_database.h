#pragma once
// The system's users for local delivery (what OpenSMTPD asks getpwnam(3)
// when an action names no `userbase`): tetherd's UserDatabase. The
// simulated world uses its own (node/relay_local_delivery.h).

#include "smtp/user_database.h"

namespace tether::posix {

class SystemUserDatabase : public smtp::UserDatabase {
 public:
  // getpwnam_r; nullopt for an unknown user, or one without an absolute home.
  std::optional<smtp::UserRecord> find(std::string_view username) const override;
};

}  // namespace tether::posix
