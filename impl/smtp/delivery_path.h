#pragma once
// Where local delivery writes: smtpd.conf(5) format specifiers in a maildir
// (or mbox) path, expanded for one envelope and one user, as OpenSMTPD's
// mda_expand_format() does:
//
//   %{sender} %{sender.user} %{sender.domain}   the envelope sender
//   %{rcpt} %{rcpt.user} %{rcpt.domain}         the recipient as given in RCPT TO
//   %{dest} %{dest.user} %{dest.domain}         the recipient after alias/virtual expansion
//   %{user.username} %{user.directory}          the local user it is delivered to
//   %{mbox.from}                                the sender, or MAILER-DAEMON for bounces
//   %{token:lowercase|uppercase|strip}          modifiers, left to right
//   %{token[2]} %{token[0:3]} %{token[-3:]}     characters by index, end inclusive
//   ~/ (at the start)                           the user's home
//   %%                                          a '%'
//
// Values that come from the envelope are made safe for a path as OpenSMTPD
// makes them: each of !#$%&'*/?^`{|}~ (and any control character) becomes
// ':', so "../x" in a local part cannot climb out of the maildir. Only
// %{user.directory} is taken as it is. The result must be absolute and may
// not contain a ".." component. Where OpenSMTPD differs: a negative end
// index counts from the end (OpenSMTPD's is off by one), and `raw` still
// escapes '/'.

#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.h"
#include "smtp/user_database.h"

namespace tether::smtp {

struct DeliveryEnvelope {
  std::string sender;  // MAIL FROM; "" for bounces
  std::string rcpt;    // the recipient the client gave
  std::string dest;    // the recipient after alias / virtual expansion
};

// Errors (invalid_argument) name the specifier or modifier at fault.
Result<std::string> expand_delivery_format(std::string_view format, const DeliveryEnvelope& envelope,
                                           const UserRecord& user, char subaddress_delimiter = '+');

// The maildir of a `maildir [path]` action: the path expanded, or
// OpenSMTPD's default "~/Maildir" when the action gives none.
Result<std::filesystem::path> maildir_path(std::string_view configured_path, const DeliveryEnvelope& envelope,
                                           const UserRecord& user, char subaddress_delimiter = '+');

// The mbox of an `mbox` action: SPOOL/username, as mail.local writes
// /var/mail/username. The spool is the caller's (a node directory in
// simulation).
Result<std::filesystem::path> mbox_path(const std::filesystem::path& spool, const UserRecord& user);

}  // namespace tether::smtp
