#include "posix/system_user_database.h"

#include <pwd.h>
#include <cerrno>
#include <unistd.h>

#include <string>
#include <vector>

namespace tether::posix {

std::optional<smtp::UserRecord> SystemUserDatabase::find(std::string_view username) const {
  const std::string name(username);
  if (name.empty() || name.find('/') != std::string::npos) return std::nullopt;
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<std::size_t>(size) : 16384);
  struct passwd entry {};
  struct passwd* found = nullptr;
  while (::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) == ERANGE)
    buffer.resize(buffer.size() * 2);
  if (!found || !found->pw_dir || found->pw_dir[0] != '/') return std::nullopt;
  smtp::UserRecord user;
  user.username = found->pw_name;
  user.directory = found->pw_dir;
  user.uid = found->pw_uid;
  user.gid = found->pw_gid;
  return user;
}

}  // namespace tether::posix
