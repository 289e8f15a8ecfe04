// smtp::clean_maildir_tmp: what a dead delivery left in tmp/ goes once
// neither its atime nor its mtime moved for 36 hours; anything younger by
// either, and anything not a regular file, stays. Times are set on the
// files and `now` is passed in, so no clock is read.

#include <sys/stat.h>
#include <sys/time.h>

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include "smtp/maildir_tmp_cleanup.h"
#include "queue_test_support.h"

using namespace tether;
using namespace tether::smtp;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kNow = 1700000000;

void touch(const fs::path& path, std::int64_t atime, std::int64_t mtime) {
  std::ofstream(path) << "Subject: half a message\n";
  struct timeval times[2] = {{static_cast<time_t>(atime), 0}, {static_cast<time_t>(mtime), 0}};
  BOOST_TEST_REQUIRE(::utimes(path.c_str(), times) == 0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(maildir_tmp_cleanup)

BOOST_AUTO_TEST_CASE(only_files_untouched_for_36_hours_go) {
  testing::TempDir dir;
  const fs::path tmp = dir.path() / "tmp";
  fs::create_directories(tmp);
  const std::int64_t old = kNow - 36 * 3600 - 1;
  const std::int64_t recent = kNow - 36 * 3600 + 60;
  touch(tmp / "dead", old, old);
  touch(tmp / "still-read", recent, old);     // a reader has it open
  touch(tmp / "still-written", old, recent);  // a slow writer
  fs::create_directories(tmp / "a-directory");
  MaildirTmpCleanup cleaned = clean_maildir_tmp(dir.path(), WallTime::from_unix_seconds(kNow));
  BOOST_TEST(cleaned.removed == 1u);
  BOOST_TEST(cleaned.errors.empty());
  BOOST_TEST(!fs::exists(tmp / "dead"));
  BOOST_TEST(fs::exists(tmp / "still-read"));
  BOOST_TEST(fs::exists(tmp / "still-written"));
  BOOST_TEST(fs::is_directory(tmp / "a-directory"));
}

BOOST_AUTO_TEST_CASE(a_maildir_without_tmp_has_nothing_to_clean) {
  testing::TempDir dir;
  MaildirTmpCleanup cleaned = clean_maildir_tmp(dir.path() / "Maildir", WallTime::from_unix_seconds(kNow));
  BOOST_TEST(cleaned.removed == 0u);
  BOOST_TEST(cleaned.errors.empty());
}

BOOST_AUTO_TEST_SUITE_END()
