#include "node/relay_local_delivery.h"

#include <cctype>

#include "smtp/delivery_path.h"
#include "smtp/maildir_delivery.h"
#include "smtp/maildir_tmp_cleanup.h"
#include "smtp/mbox_delivery.h"
#include "smtp/table.h"

namespace tether::node {
namespace {

using Status = LocalDeliveryResult::Status;

LocalDeliveryResult fail(Status status, std::string error) {
  LocalDeliveryResult r;
  r.status = status;
  r.error = std::move(error);
  return r;
}

std::string refused_text(const std::vector<smtp::RefusedAliasTarget>& refused) {
  std::string out;
  for (const auto& r : refused) out += (out.empty() ? "" : "; ") + r.reason;
  return out;
}

// Who `envelope` stands for under the action's tables.
Result<smtp::AliasExpansion> expand(const smtp::Config& config, const smtp::LocalDelivery& local,
                                    const smtp::Envelope& envelope) {
  smtp::AliasOptions options;
  options.subaddress_delimiter = config.smtp.subaddress_delimiter;
  const std::string address = envelope.dest.empty() ? envelope.rcpt : envelope.dest;
  if (local.virtual_) {
    const smtp::Table* table = config.find_table(*local.virtual_);
    if (!table) return Error(ErrorCode::not_found, "virtual table '" + local.virtual_->name + "' is missing");
    return smtp::expand_virtual(*table, address, options);
  }
  const std::string local_part = smtp::split_mail_address(address).user;
  if (local.alias) {
    const smtp::Table* table = config.find_table(*local.alias);
    if (!table) return Error(ErrorCode::not_found, "alias table '" + local.alias->name + "' is missing");
    return smtp::expand_aliases(*table, local_part, options);
  }
  // No table: the local part names the user (lower-cased, +tag dropped),
  // which is what an empty aliases table answers.
  return smtp::expand_aliases(smtp::Table{}, local_part, options);
}

LocalDeliveryResult deliver_to_user(const LocalDeliveryContext& context, const smtp::Action& action,
                                    const smtp::Envelope& envelope, const std::string& username, ByteView message,
                                    WallTime now) {
  const smtp::LocalDelivery& local = action.local;
  std::optional<smtp::UserRecord> user;
  std::optional<smtp::TableUserDatabase> table_users;
  if (local.userbase) {
    if (const smtp::Table* table = context.config->find_table(*local.userbase)) table_users.emplace(*table);
  }
  const smtp::UserDatabase* users = table_users ? &*table_users : context.users;
  if (!users) return fail(Status::temporary, "451 4.3.0 no user database for local delivery");
  user = users->find(local.user.empty() ? username : local.user);
  if (!user) return fail(Status::permanent, "550 5.1.1 no such user: " + username);
  if (!local.user.empty()) user->username = username;  // deliver as `user`, but for whom it is

  smtp::DeliveryEnvelope who{envelope.sender, envelope.rcpt, envelope.dest.empty() ? envelope.rcpt : envelope.dest};
  const char delimiter = context.config->smtp.subaddress_delimiter;
  LocalDeliveryResult r;
  r.user = user->username;
  switch (local.method) {
    case smtp::LocalDelivery::Method::maildir: {
      auto dir = smtp::maildir_path(local.path, who, *user, delimiter);
      if (!dir) return fail(Status::permanent, "550 5.3.0 bad maildir path: " + dir.error().message);
      if (context.tmp_sweeps && context.tmp_sweeps->claim(*dir)) {
        smtp::MaildirTmpCleanup cleaned = smtp::clean_maildir_tmp(*dir, now);
        r.swept_maildir = *dir;
        r.tmp_files_removed = cleaned.removed;
        r.sweep_errors = std::move(cleaned.errors);
      }
      smtp::MaildirDeliveryOptions options;
      if (context.give_to_recipient) options.owner = smtp::FileOwner{user->uid, user->gid};
      options.durability = context.durability;
      auto path = smtp::deliver_to_maildir(*dir, message, now, smtp::format_envelope_id(envelope.id),
                                           context.hostname, options);
      if (!path) {
        r.status = Status::temporary;
        r.error = "451 4.3.0 maildir delivery failed: " + path.error().message;
        return r;
      }
      r.status = Status::delivered;
      r.path = *path;
      return r;
    }
    case smtp::LocalDelivery::Method::mbox: {
      auto path = smtp::mbox_path(context.mbox_spool, *user);
      if (!path) return fail(Status::permanent, "550 5.3.0 bad mbox path: " + path.error().message);
      smtp::MboxDeliveryOptions options;
      if (context.give_to_recipient) options.owner = smtp::FileOwner{user->uid, user->gid};
      options.durability = context.durability;
      auto done = smtp::deliver_to_mbox(*path, envelope.sender, now, message, options);
      if (!done)
        return fail(done.error().code == ErrorCode::invalid_argument ? Status::permanent : Status::temporary,
                    std::string(done.error().code == ErrorCode::invalid_argument ? "550 5.3.0" : "451 4.3.0") +
                        " mbox delivery failed: " + done.error().message);
      r.status = Status::delivered;
      r.path = *path;
      return r;
    }
    case smtp::LocalDelivery::Method::lmtp:
      return fail(Status::temporary, "451 4.3.0 lmtp delivery is not supported by tether");
    case smtp::LocalDelivery::Method::forward_only:
      return fail(Status::permanent, "550 5.7.1 forward-only action: no local delivery for " + username);
    case smtp::LocalDelivery::Method::expand_only:
      return fail(Status::permanent, "550 5.7.1 expand-only action: no local delivery for " + username);
  }
  return fail(Status::temporary, "451 4.3.0 unknown delivery method");
}

}  // namespace

LocalDeliveryResult deliver_locally(const LocalDeliveryContext& context, const smtp::Action& action,
                                    const smtp::Envelope& envelope, ByteView message, WallTime now) {
  if (!context.config) return fail(Status::temporary, "451 4.3.0 no configuration");
  if (!envelope.dest.empty() && envelope.dest.find('@') == std::string::npos)
    return deliver_to_user(context, action, envelope, envelope.dest, message, now);

  auto expansion = expand(*context.config, action.local, envelope);
  if (!expansion) return fail(Status::permanent, "550 5.1.1 alias expansion failed: " + expansion.error().message);
  if (expansion->targets.empty()) {
    std::string why = refused_text(expansion->refused);
    return fail(Status::permanent, "550 5.1.1 no deliverable target" + (why.empty() ? std::string() : ": " + why));
  }
  if (expansion->targets.size() == 1 && expansion->targets.front().kind == smtp::AliasTarget::Kind::local_user) {
    LocalDeliveryResult r =
        deliver_to_user(context, action, envelope, expansion->targets.front().value, message, now);
    r.refused = expansion->refused;
    return r;
  }
  LocalDeliveryResult r;
  r.status = Status::expanded;
  r.targets = std::move(expansion->targets);
  r.refused = std::move(expansion->refused);
  return r;
}

std::optional<smtp::UserRecord> StorageUserDatabase::find(std::string_view name) const {
  if (name.empty() || name.size() > 32 || name.front() == '.' || name.front() == '-') return std::nullopt;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return std::nullopt;
  }
  smtp::UserRecord user;
  user.username = std::string(name);
  user.directory = (root_ / "home" / user.username).string();
  return user;
}

}  // namespace tether::node
