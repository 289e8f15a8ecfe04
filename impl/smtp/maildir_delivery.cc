#include "smtp/maildir_delivery.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "smtp/durable_file.h"

namespace tether::smtp {

Result<std::string> maildir_unique_name(WallTime when, std::string_view token, std::string_view hostname) {
  if (token.empty() || token.size() > 128)
    return Error(ErrorCode::invalid_argument, "maildir unique token must have 1 to 128 characters");
  for (char c : token) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return Error(ErrorCode::invalid_argument, "maildir unique token '" + std::string(token) + "' has '" +
                                                           std::string(1, c) + "'");
  }
  if (hostname.empty()) return Error(ErrorCode::invalid_argument, "maildir unique name needs a host name");
  std::string host;
  for (char c : hostname) {
    if (c == '/') host += "\\057";
    else if (c == ':') host += "\\072";
    else host += c;
  }
  std::int64_t ns = when.unix_ns();
  std::int64_t seconds = ns / 1000'000'000;
  std::int64_t micros = (ns % 1000'000'000) / 1000;
  if (micros < 0) micros = 0;
  char stamp[48];
  std::snprintf(stamp, sizeof stamp, "%lld.M%06lldT", static_cast<long long>(seconds),
                static_cast<long long>(micros));
  return std::string(stamp) + std::string(token) + "." + host;
}

Result<std::filesystem::path> deliver_to_maildir(const std::filesystem::path& maildir, ByteView message,
                                                 WallTime when, std::string_view unique_token,
                                                 std::string_view hostname, const MaildirDeliveryOptions& options) {
  Result<std::string> name = maildir_unique_name(when, unique_token, hostname);
  if (!name) return name.error();
  for (const char* sub : {"tmp", "new", "cur"}) {
    Result<void> made = make_directories(maildir / sub, options.directory_mode, *options.durability, options.owner);
    if (!made) return made.error();
  }
  const std::filesystem::path tmp_path = maildir / "tmp" / *name;
  const std::filesystem::path new_path = maildir / "new" / *name;

  int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, options.file_mode);
  if (fd < 0) return errno_error("cannot create", tmp_path, errno);
  auto abandon = [&](Error error) {
    ::unlink(tmp_path.c_str());
    return error;
  };

  Bytes converted;
  ByteView bytes = message;
  if (options.crlf_to_lf) {
    converted = crlf_to_lf(message);
    bytes = converted;
  }
  Result<void> written = options.owner ? give_to(fd, *options.owner, tmp_path) : Result<void>();
  if (written) written = write_all(fd, bytes, tmp_path);
  if (written) written = options.durability->sync_file(fd, tmp_path);
  // close() can report a deferred write error (NFS); it counts.
  if (::close(fd) != 0 && written) written = errno_error("cannot close", tmp_path, errno);
  if (!written) return abandon(written.error());

  // link, not rename: a name already in new/ is an error, never overwritten.
  if (::link(tmp_path.c_str(), new_path.c_str()) != 0) return abandon(errno_error("cannot link into", new_path, errno));
  Result<void> synced = options.durability->sync_directory(maildir / "new");
  if (!synced) {
    // Not known to be durable, so not delivered: the caller will try again,
    // and a second copy beats a lost one.
    ::unlink(new_path.c_str());
    return abandon(synced.error());
  }
  ::unlink(tmp_path.c_str());  // a leftover in tmp/ is harmless
  return new_path;
}

}  // namespace tether::smtp
