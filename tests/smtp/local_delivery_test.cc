// Maildir and mbox delivery on the real file system, each test in its own
// temporary directory. Write failures are real ones: a file size limit
// (RLIMIT_FSIZE) cuts a write short, and a read-only directory refuses a link
// (with CAP_DAC_OVERRIDE dropped when the tests run as root).

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "smtp/delivery_test_files.h"
#include "smtp/maildir_delivery.h"
#include "smtp/mbox_delivery.h"

using namespace tether;
using namespace tether::smtp;
using namespace tether::smtp::testing;
namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

std::size_t count_files(const fs::path& dir) {
  std::size_t n = 0;
  for (auto& entry : fs::directory_iterator(dir)) n += entry.is_regular_file() ? 1 : 0;
  return n;
}

// Files may grow to `limit` bytes in this scope; writes beyond fail with
// EFBIG (SIGXFSZ ignored so that the process is not killed instead).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t limit) {
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &old_);
    struct rlimit now = old_;
    now.rlim_cur = limit;
    BOOST_REQUIRE(::setrlimit(RLIMIT_FSIZE, &now) == 0);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }

 private:
  struct rlimit old_ {};
  void (*old_handler_)(int) = nullptr;
};

// Root ignores permission bits; drop the capabilities that let it, for this
// thread and this scope, so a read-only directory is read-only to us too.
class WithoutDacOverride {
 public:
  WithoutDacOverride() {
    if (::syscall(SYS_capget, &header_, saved_) != 0) return;
    __user_cap_data_struct reduced[2] = {saved_[0], saved_[1]};
    reduced[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH) | (1u << CAP_FOWNER));
    active_ = ::syscall(SYS_capset, &header_, reduced) == 0;
  }
  ~WithoutDacOverride() {
    if (active_) ::syscall(SYS_capset, &header_, saved_);
  }

 private:
  __user_cap_header_struct header_{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct saved_[2] = {};
  bool active_ = false;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(maildir_delivery)

BOOST_AUTO_TEST_CASE(unique_names_follow_the_maildir_convention) {
  Result<std::string> name = maildir_unique_name(kWhen, "Q1a2-3_", "mx/one:two");
  BOOST_REQUIRE(name.ok());
  BOOST_TEST(*name == "1795257720.M123456TQ1a2-3_.mx\\057one\\072two");
  BOOST_TEST(!maildir_unique_name(kWhen, "bad/token", "mx").ok());
  BOOST_TEST(!maildir_unique_name(kWhen, "", "mx").ok());
}

BOOST_AUTO_TEST_CASE(message_lands_in_new_with_its_bytes) {
  TempDir dir;
  fs::path maildir = dir.path() / "home/jay/Maildir";  // created on the way
  std::string message = "From: a@example.net\r\nSubject: hi\r\n\r\nbody\r\n.dot\r\nlone\rcr\r\n";
  Result<fs::path> delivered = deliver_to_maildir(maildir, bytes(message), kWhen, "env1", "mx.example.org");
  BOOST_REQUIRE_MESSAGE(delivered.ok(), (delivered.ok() ? "" : delivered.error().to_string()));
  BOOST_TEST(delivered->parent_path() == maildir / "new");
  BOOST_TEST(read(*delivered) == "From: a@example.net\nSubject: hi\n\nbody\n.dot\nlone\rcr\n");
  BOOST_TEST(fs::is_directory(maildir / "cur"));
  BOOST_TEST(count_files(maildir / "tmp") == 0u);
  BOOST_TEST(((fs::status(*delivered).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write)));

  MaildirDeliveryOptions exact;
  exact.crlf_to_lf = false;
  Result<fs::path> raw = deliver_to_maildir(maildir, bytes(message), kWhen, "env2", "mx.example.org", exact);
  BOOST_REQUIRE(raw.ok());
  BOOST_TEST(read(*raw) == message);
}

BOOST_AUTO_TEST_CASE(a_thousand_deliveries_a_thousand_files) {
  TempDir dir;
  std::set<fs::path> paths;
  for (int i = 0; i < 1000; ++i) {
    // The same instant every time: the token alone keeps names apart.
    Result<fs::path> p =
        deliver_to_maildir(dir.path() / "Maildir", bytes("n=" + std::to_string(i) + "\n"), kWhen,
                           "msg" + std::to_string(i), "mx.example.org");
    BOOST_REQUIRE(p.ok());
    paths.insert(*p);
  }
  BOOST_TEST(paths.size() == 1000u);
  BOOST_TEST(count_files(dir.path() / "Maildir/new") == 1000u);
  BOOST_TEST(read(dir.path() / "Maildir/new" / *maildir_unique_name(kWhen, "msg517", "mx.example.org")) == "n=517\n");
}

BOOST_AUTO_TEST_CASE(a_name_in_use_is_never_overwritten) {
  TempDir dir;
  BOOST_REQUIRE(deliver_to_maildir(dir.path(), bytes("first\n"), kWhen, "same", "mx").ok());
  Result<fs::path> again = deliver_to_maildir(dir.path(), bytes("second\n"), kWhen, "same", "mx");
  BOOST_TEST(!again.ok());
  BOOST_TEST(again.error().code == ErrorCode::io);
  BOOST_TEST(count_files(dir.path() / "new") == 1u);
  BOOST_TEST(read(dir.path() / "new" / *maildir_unique_name(kWhen, "same", "mx")) == "first\n");
  BOOST_TEST(count_files(dir.path() / "tmp") == 0u);
}

BOOST_AUTO_TEST_CASE(a_short_write_leaves_nothing_in_new) {
  TempDir dir;
  BOOST_REQUIRE(deliver_to_maildir(dir.path(), bytes("warm-up\n"), kWhen, "a", "mx").ok());
  Result<fs::path> failed = [&] {
    FileSizeLimit limit(4096);
    return deliver_to_maildir(dir.path(), Bytes(100000, 'x'), kWhen, "b", "mx");
  }();
  BOOST_REQUIRE(!failed.ok());
  BOOST_TEST(failed.error().code == ErrorCode::io);
  BOOST_CHECK_MESSAGE(failed.error().message.find("cannot write") != std::string::npos, failed.error().message);
  BOOST_TEST(count_files(dir.path() / "new") == 1u);  // only the warm-up
  BOOST_TEST(count_files(dir.path() / "tmp") == 0u);
}

BOOST_AUTO_TEST_CASE(a_read_only_new_leaves_nothing_behind) {
  TempDir dir;
  BOOST_REQUIRE(deliver_to_maildir(dir.path(), bytes("warm-up\n"), kWhen, "a", "mx").ok());
  fs::permissions(dir.path() / "new", fs::perms::owner_read | fs::perms::owner_exec);
  Result<fs::path> failed = [&] {
    WithoutDacOverride as_an_ordinary_user;
    return deliver_to_maildir(dir.path(), bytes("hello\n"), kWhen, "b", "mx");
  }();
  BOOST_REQUIRE(!failed.ok());
  BOOST_CHECK_MESSAGE(failed.error().message.find("cannot link into") != std::string::npos, failed.error().message);
  BOOST_TEST(count_files(dir.path() / "new") == 1u);
  BOOST_TEST(count_files(dir.path() / "tmp") == 0u);
}

BOOST_AUTO_TEST_CASE(new_that_is_not_a_directory_is_an_error) {
  TempDir dir;
  write(dir.path() / "new", "not a directory");
  Result<fs::path> failed = deliver_to_maildir(dir.path(), bytes("hello\n"), kWhen, "a", "mx");
  BOOST_REQUIRE(!failed.ok());
  BOOST_CHECK_MESSAGE(failed.error().message.find("is not a directory") != std::string::npos, failed.error().message);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(mbox_delivery)

BOOST_AUTO_TEST_CASE(from_line) {
  BOOST_TEST(mbox_from_line("jay@example.org", kWhen) == "From jay@example.org Sat Nov 21 10:42:00 2026\n");
  BOOST_TEST(mbox_from_line("", WallTime::from_unix_seconds(0)) == "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n");
  BOOST_TEST(mbox_from_line("odd name@example.org", kWhen).find("From odd_name@example.org ") == 0u);
}

BOOST_AUTO_TEST_CASE(two_deliveries_are_appended_with_quoting) {
  TempDir dir;
  fs::path mbox = dir.path() / "spool/jay";
  std::string first = "From: a@example.net\r\nSubject: one\r\n\r\nFrom here on\r\n>From stays\r\nnot From at start\r\nFrom";
  std::string second = "Subject: two\n\nbody\n";
  BOOST_REQUIRE(deliver_to_mbox(mbox, "a@example.net", kWhen, bytes(first)).ok());
  BOOST_REQUIRE(deliver_to_mbox(mbox, "", kWhen + Duration::seconds(61), bytes(second)).ok());
  BOOST_TEST(read(mbox) ==
             "From a@example.net Sat Nov 21 10:42:00 2026\n"
             "From: a@example.net\n"
             "Subject: one\n"
             "\n"
             ">From here on\n"
             ">From stays\n"
             "not From at start\n"
             "From\n"
             "\n"
             "From MAILER-DAEMON Sat Nov 21 10:43:01 2026\n"
             "Subject: two\n"
             "\n"
             "body\n"
             "\n");
}

BOOST_AUTO_TEST_CASE(an_unterminated_previous_entry_gets_its_blank_line) {
  TempDir dir;
  fs::path mbox = dir.path() / "jay";
  write(mbox, "From x Sat Nov 21 10:00:00 2026\nSubject: careless\n\nno end");
  BOOST_REQUIRE(deliver_to_mbox(mbox, "a@example.net", kWhen, bytes("Subject: ok\n\nhi\n")).ok());
  BOOST_TEST(read(mbox) ==
             "From x Sat Nov 21 10:00:00 2026\nSubject: careless\n\nno end\n\n"
             "From a@example.net Sat Nov 21 10:42:00 2026\nSubject: ok\n\nhi\n\n");
}

BOOST_AUTO_TEST_CASE(a_failed_write_leaves_the_mbox_as_it_was) {
  TempDir dir;
  fs::path mbox = dir.path() / "jay";
  BOOST_REQUIRE(deliver_to_mbox(mbox, "a@example.net", kWhen, bytes("Subject: one\n\nbody\n")).ok());
  const std::string before = read(mbox);
  Result<void> failed = [&] {
    FileSizeLimit limit(before.size() + 100);  // room for part of the next entry only
    return deliver_to_mbox(mbox, "b@example.net", kWhen, Bytes(100000, 'x'));
  }();
  BOOST_REQUIRE(!failed.ok());
  BOOST_TEST(failed.error().code == ErrorCode::io);
  BOOST_TEST(read(mbox) == before);
  BOOST_REQUIRE(deliver_to_mbox(mbox, "c@example.net", kWhen, bytes("Subject: three\n\nok\n")).ok());
  BOOST_TEST(read(mbox).find("From c@example.net") == before.size());
}

BOOST_AUTO_TEST_CASE(a_locked_mbox_is_a_temporary_failure) {
  TempDir dir;
  fs::path mbox = dir.path() / "jay";
  write(mbox, "");
  int locked[2];
  int release[2];
  BOOST_REQUIRE(::pipe(locked) == 0);
  BOOST_REQUIRE(::pipe(release) == 0);
  pid_t child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    // A mail reader holding the lock (fcntl locks belong to processes).
    int fd = ::open(mbox.c_str(), O_RDWR);
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    if (fd < 0 || ::fcntl(fd, F_SETLKW, &lock) != 0) ::_exit(1);
    char c = 'L';
    if (::write(locked[1], &c, 1) != 1) ::_exit(1);
    ssize_t got = ::read(release[0], &c, 1);
    ::_exit(got == 1 ? 0 : 1);
  }
  char c = 0;
  BOOST_REQUIRE(::read(locked[0], &c, 1) == 1);
  MboxDeliveryOptions options;
  options.lock_attempts = 3;
  options.lock_retry_interval = Duration::milliseconds(5);
  Result<void> busy = deliver_to_mbox(mbox, "a@example.net", kWhen, bytes("Subject: x\n\nx\n"), options);
  BOOST_TEST(!busy.ok());
  if (!busy.ok()) {
    BOOST_TEST(busy.error().code == ErrorCode::io);
    BOOST_TEST(busy.error().message.find("locked by another process") != std::string::npos);
  }
  BOOST_TEST(read(mbox) == "");
  BOOST_REQUIRE(::write(release[1], "R", 1) == 1);
  int status = 0;
  ::waitpid(child, &status, 0);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
  for (int fd : {locked[0], locked[1], release[0], release[1]}) ::close(fd);
  BOOST_TEST(deliver_to_mbox(mbox, "a@example.net", kWhen, bytes("Subject: x\n\nx\n"), options).ok());
}

BOOST_AUTO_TEST_CASE(only_regular_files) {
  TempDir dir;
  fs::create_directory(dir.path() / "jay");
  Result<void> r = deliver_to_mbox(dir.path() / "jay", "a@example.net", kWhen, bytes("x\n"));
  BOOST_TEST(!r.ok());
  fs::create_symlink(dir.path() / "elsewhere", dir.path() / "link");
  BOOST_TEST(!deliver_to_mbox(dir.path() / "link", "a@example.net", kWhen, bytes("x\n")).ok());
  BOOST_TEST(!fs::exists(dir.path() / "elsewhere"));
}

BOOST_AUTO_TEST_SUITE_END()
