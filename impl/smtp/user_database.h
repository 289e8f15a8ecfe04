#pragma once
// Who a local recipient is: the user records local delivery needs (name,
// home directory, uid/gid), behind an interface so that each world supplies
// its own. OpenSMTPD asks the system (getpwnam) unless the action names a
// `userbase <table>`; here the system database is one implementation among
// others, and the simulated world gives its nodes virtual users without
// touching /etc/passwd.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "smtp/table.h"

namespace tether::smtp {

struct UserRecord {
  std::string username;
  std::string directory;  // home: %{user.directory}, "~" in a delivery path
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
};

class UserDatabase {
 public:
  virtual ~UserDatabase() = default;
  // nullopt: no such user (a permanent failure for the recipient).
  virtual std::optional<UserRecord> find(std::string_view username) const = 0;
};

// Users given by the program: tests, and the ns-3 world's virtual users.
class StaticUserDatabase : public UserDatabase {
 public:
  void add(UserRecord user);
  std::optional<UserRecord> find(std::string_view username) const override;

 private:
  std::map<std::string, UserRecord, std::less<>> users_;
};

// A `userbase <table>` mapping in OpenSMTPD's userinfo format,
// `name  uid:gid:directory` (table(5)). The table must outlive this object.
class TableUserDatabase : public UserDatabase {
 public:
  explicit TableUserDatabase(const Table& table) : table_(table) {}
  std::optional<UserRecord> find(std::string_view username) const override;

 private:
  const Table& table_;
};

// "1000:1000:/home/jay" -> {username, "/home/jay", 1000, 1000}. The directory
// must be absolute.
Result<UserRecord> parse_userinfo(std::string_view username, std::string_view value);

}  // namespace tether::smtp
