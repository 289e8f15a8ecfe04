#include "smtp/alias_expansion.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "core/ascii.h"

namespace tether::smtp {

namespace {

std::string strip_tag(std::string_view local_part, char delimiter) {
  return std::string(local_part.substr(0, local_part.find(delimiter)));
}

std::string unquote(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return std::string(s);
}

bool is_valid_user_name(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f || ch == '/' || ch == ':' || ch == '"' || ch == ',') return false;
  }
  return true;
}

class Expander {
 public:
  Expander(const Table& table, const AliasOptions& options, bool virtual_mode)
      : table_(table), options_(options), virtual_(virtual_mode) {}

  Result<void> expand_name(std::string_view name) {
    const TableEntry* entry = table_.find(name);
    if (!entry && name.find(options_.subaddress_delimiter) != std::string_view::npos)
      entry = table_.find(strip_tag(name, options_.subaddress_delimiter));
    if (!entry) return add_user(ascii_lower(strip_tag(name, options_.subaddress_delimiter)));
    return expand_entry(*entry);
  }

  Result<void> expand_address(std::string_view address) {
    const TableEntry* entry = lookup_address(address);
    if (!entry) return add(AliasTarget::Kind::address, std::string(address));
    return expand_entry(*entry);
  }

  AliasExpansion result;

 private:
  // Virtual tables: the address, then without its tag, then the domain's
  // catch-all, then the global one.
  const TableEntry* lookup_address(std::string_view address) const {
    MailAddress a = split_mail_address(address);
    const TableEntry* e = table_.find(address);
    if (!e && a.user.find(options_.subaddress_delimiter) != std::string::npos)
      e = table_.find(strip_tag(a.user, options_.subaddress_delimiter) + "@" + a.domain);
    if (!e && !a.domain.empty()) e = table_.find("@" + a.domain);
    if (!e) e = table_.find("@");
    return e;
  }

  std::string path_to(std::string_view last) const {
    std::string via;
    for (const std::string& name : stack_) via += name + " -> ";
    return via + std::string(last);
  }

  Result<void> expand_entry(const TableEntry& entry) {
    std::string key = ascii_lower(entry.key);
    if (std::find(stack_.begin(), stack_.end(), key) != stack_.end())
      return Error(ErrorCode::invalid_argument, table_.describe() + ": alias loop " + path_to(key));
    if (expanded_.count(key)) return {};  // reached again by another way: its targets are in already
    if (int(stack_.size()) >= options_.max_depth)
      return Error(ErrorCode::invalid_argument, table_.describe() + ": aliases nested deeper than " +
                                                    std::to_string(options_.max_depth) + " levels: " + path_to(key));
    stack_.push_back(key);
    for (const std::string& written : split_alias_targets(entry.value)) {
      Result<void> done = expand_target(key, unquote(written));
      if (!done) return done;
    }
    stack_.pop_back();
    expanded_.insert(key);
    return {};
  }

  Result<void> expand_target(const std::string& key, const std::string& target) {
    auto refuse = [&](const char* why) {
      result.refused.push_back({target, "alias '" + key + "' -> '" + target + "': " + why});
      return Result<void>();
    };
    if (target.empty()) return {};
    if (target.front() == '|') return refuse("delivery to a command is not supported");
    if (target.front() == '/') return refuse("delivery to a file is not supported");
    if (ascii_istarts_with(target, ":include:")) return refuse("include files are not supported");
    if (ascii_istarts_with(target, "error:")) return refuse("error: targets are not supported");
    if (target.find('@') != std::string::npos) {
      if (!virtual_ || ascii_lower(target) == key) return add(AliasTarget::Kind::address, target);
      return expand_address(target);
    }
    if (!is_valid_user_name(target)) return refuse("not a valid user name");
    // "jay: jay, ..." keeps a copy in jay's own mailbox.
    if (virtual_ || ascii_lower(target) == key) return add_user(target);
    return expand_name(target);
  }

  Result<void> add_user(std::string name) {
    if (!is_valid_user_name(name))
      return Error(ErrorCode::invalid_argument, "'" + name + "' is not a valid user name");
    return add(AliasTarget::Kind::local_user, std::move(name));
  }

  Result<void> add(AliasTarget::Kind kind, std::string value) {
    std::string id = (kind == AliasTarget::Kind::local_user ? "u:" : "a:") + ascii_lower(value);
    if (!seen_.insert(id).second) return {};
    if (result.targets.size() >= options_.max_targets)
      return Error(ErrorCode::invalid_argument,
                   table_.describe() + ": expands to more than " + std::to_string(options_.max_targets) + " targets");
    result.targets.push_back({kind, value, path_to(value)});
    return {};
  }

  const Table& table_;
  const AliasOptions& options_;
  bool virtual_;
  std::vector<std::string> stack_;  // the entries being expanded, outermost first
  std::set<std::string> expanded_;
  std::set<std::string> seen_;
};

}  // namespace

Result<AliasExpansion> expand_aliases(const Table& aliases, std::string_view local_part,
                                      const AliasOptions& options) {
  Expander expander(aliases, options, false);
  Result<void> done = expander.expand_name(local_part);
  if (!done) return done.error();
  return std::move(expander.result);
}

Result<AliasExpansion> expand_virtual(const Table& virtual_table, std::string_view address,
                                      const AliasOptions& options) {
  Expander expander(virtual_table, options, true);
  Result<void> done = expander.expand_address(address);
  if (!done) return done.error();
  return std::move(expander.result);
}

}  // namespace tether::smtp
