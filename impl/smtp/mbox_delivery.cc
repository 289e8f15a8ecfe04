#include "smtp/mbox_delivery.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

#include "smtp/durable_file.h"

namespace tether::smtp {

namespace {

bool starts_with_from(const std::uint8_t* p, std::size_t n) {
  static constexpr char kFrom[] = "From ";
  if (n < 5) return false;
  for (int i = 0; i < 5; ++i)
    if (p[i] != std::uint8_t(kFrom[i])) return false;
  return true;
}

// Non-blocking write lock, tried a bounded number of times.
Result<void> lock_mbox(int fd, const std::filesystem::path& path, const MboxDeliveryOptions& options) {
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  lock.l_start = 0;
  lock.l_len = 0;  // the whole file, however long it grows
  int attempts = options.lock_attempts < 1 ? 1 : options.lock_attempts;
  for (int i = 0; i < attempts; ++i) {
    if (::fcntl(fd, F_SETLK, &lock) == 0) return {};
    if (errno == EINTR) {
      --i;
      continue;
    }
    if (errno != EAGAIN && errno != EACCES) return errno_error("cannot lock", path, errno);
    if (i + 1 < attempts) {
      std::int64_t ns = options.lock_retry_interval.ns();
      struct timespec wait {};
      wait.tv_sec = time_t(ns / 1000'000'000);
      wait.tv_nsec = long(ns % 1000'000'000);
      while (::nanosleep(&wait, &wait) != 0 && errno == EINTR) {
      }
    }
  }
  return Error(ErrorCode::io, "mbox '" + path.string() + "' is locked by another process");
}

}  // namespace

std::string mbox_from_line(std::string_view sender, WallTime when) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::string who = sender.empty() ? std::string("MAILER-DAEMON") : std::string(sender);
  for (char& c : who)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) c = '_';
  std::time_t t = static_cast<std::time_t>(when.unix_seconds());
  std::tm tm {};
  ::gmtime_r(&t, &tm);
  char date[64];
  std::snprintf(date, sizeof date, "%s %s %2d %02d:%02d:%02d %d", kDays[tm.tm_wday % 7], kMonths[tm.tm_mon % 12],
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
  return "From " + who + " " + date + "\n";
}

Bytes mbox_entry(std::string_view sender, WallTime when, ByteView message) {
  Bytes text = crlf_to_lf(message);
  std::string from = mbox_from_line(sender, when);
  Bytes out(from.begin(), from.end());
  out.reserve(out.size() + text.size() + text.size() / 64 + 2);
  bool line_start = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (line_start && starts_with_from(text.data() + i, text.size() - i)) out.push_back('>');
    out.push_back(text[i]);
    line_start = text[i] == '\n';
  }
  if (!line_start) out.push_back('\n');
  out.push_back('\n');
  return out;
}

Result<void> deliver_to_mbox(const std::filesystem::path& path, std::string_view sender, WallTime when,
                             ByteView message, const MboxDeliveryOptions& options) {
  if (path.has_parent_path()) {
    Result<void> made = make_directories(path.parent_path(), options.directory_mode, *options.durability);
    if (!made) return made;
  }
  // O_EXCL first, to know whether the file is ours to give to the recipient.
  bool created = true;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, options.file_mode);
  if (fd < 0 && errno == EEXIST) {
    created = false;
    fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0) return errno_error("cannot open mbox", path, errno);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }  // also releases the lock
  } closer{fd};
  if (created && options.owner) {
    Result<void> given = give_to(fd, *options.owner, path);
    if (!given) return given;
  }

  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno_error("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode)) return Error(ErrorCode::invalid_argument, "mbox '" + path.string() + "' is not a regular file");
  Result<void> locked = lock_mbox(fd, path, options);
  if (!locked) return locked;
  // The length under the lock: another writer may have appended meanwhile.
  if (::fstat(fd, &st) != 0) return errno_error("cannot stat", path, errno);
  const off_t original = st.st_size;

  // The previous entry should end with a blank line; if a careless writer
  // left it without one, add it so our separator starts a line of its own.
  Bytes entry;
  if (original > 0) {
    std::uint8_t tail[2] = {0, 0};
    off_t from = original >= 2 ? original - 2 : 0;
    ssize_t got = ::pread(fd, tail, std::size_t(original - from), from);
    if (got <= 0) return got < 0 ? errno_error("cannot read", path, errno) : Error(ErrorCode::io, "mbox '" + path.string() + "' shrank while locked");
    bool one = tail[got - 1] == '\n';
    bool two = one && got == 2 && tail[0] == '\n';
    if (!two) entry.push_back('\n');
    if (!one) entry.push_back('\n');
  }
  append(entry, mbox_entry(sender, when, message));

  Result<void> written = write_all(fd, entry, path);
  if (written) written = options.durability->sync_file(fd, path);
  if (!written) {
    if (::ftruncate(fd, original) == 0) (void)options.durability->sync_file(fd, path);
    return written;
  }
  return {};
}

}  // namespace tether::smtp
