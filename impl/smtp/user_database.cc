#include "smtp/user_database.h"

#include <charconv>

namespace tether::smtp {

namespace {

bool parse_id(std::string_view text, std::uint32_t& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

void StaticUserDatabase::add(UserRecord user) {
  std::string name = user.username;
  users_[name] = std::move(user);
}

std::optional<UserRecord> StaticUserDatabase::find(std::string_view username) const {
  auto it = users_.find(username);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

std::optional<UserRecord> TableUserDatabase::find(std::string_view username) const {
  const TableEntry* entry = table_.find(username);
  if (!entry) return std::nullopt;
  Result<UserRecord> user = parse_userinfo(entry->key, entry->value);
  if (!user) return std::nullopt;
  return std::move(user).value();
}

Result<UserRecord> parse_userinfo(std::string_view username, std::string_view value) {
  auto bad = [&](const char* why) {
    return Error(ErrorCode::invalid_argument,
                 "userinfo for '" + std::string(username) + "' ('" + std::string(value) + "'): " + why);
  };
  std::size_t first = value.find(':');
  std::size_t second = first == std::string_view::npos ? first : value.find(':', first + 1);
  if (second == std::string_view::npos) return bad("expected uid:gid:directory");
  UserRecord user;
  user.username = std::string(username);
  if (!parse_id(value.substr(0, first), user.uid)) return bad("bad uid");
  if (!parse_id(value.substr(first + 1, second - first - 1), user.gid)) return bad("bad gid");
  user.directory = std::string(value.substr(second + 1));
  if (user.directory.empty() || user.directory.front() != '/') return bad("the directory must be absolute");
  return user;
}

}  // namespace tether::smtp
