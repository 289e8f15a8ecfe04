// Local delivery by a root daemon: files it creates belong to the
// recipient. Root only (to chown), so these cases carry the root label and
// run as smtp_test_root.

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "smtp/delivery_test_files.h"
#include "smtp/maildir_delivery.h"
#include "smtp/mbox_delivery.h"
#include "support/preconditions.h"

using namespace tether;
using namespace tether::smtp;
using namespace tether::smtp::testing;
using boost::unit_test::label;
using boost::unit_test::precondition;
using tether::testing::needs_root_to_chown;

namespace {

// A uid/gid that is nobody's on the test machine.
const FileOwner kRecipient{54321, 54322};

void write(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(maildir_delivery)

// A root daemon delivers as the recipient: the message and the maildir
// directories it had to create are theirs; what existed stays as it was.
BOOST_AUTO_TEST_CASE(files_are_given_to_the_recipient, *precondition(needs_root_to_chown) * label("root")) {
  TempDir dir;
  fs::create_directories(dir.path() / "home/jay");
  MaildirDeliveryOptions options;
  options.owner = kRecipient;
  Result<fs::path> delivered =
      deliver_to_maildir(dir.path() / "home/jay/Maildir", bytes("hello\n"), kWhen, "env1", "mx", options);
  BOOST_REQUIRE_MESSAGE(delivered.ok(), (delivered.ok() ? std::string() : delivered.error().to_string()));
  for (const fs::path& p : {*delivered, dir.path() / "home/jay/Maildir", dir.path() / "home/jay/Maildir/new",
                            dir.path() / "home/jay/Maildir/cur", dir.path() / "home/jay/Maildir/tmp"}) {
    BOOST_TEST(stat_of(p).st_uid == kRecipient.uid, p.string());
    BOOST_TEST(stat_of(p).st_gid == kRecipient.gid, p.string());
  }
  BOOST_TEST((stat_of(*delivered).st_mode & 07777) == 0600u);
  BOOST_TEST(stat_of(dir.path() / "home/jay").st_uid == ::geteuid());  // existed: not ours to give away
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(mbox_delivery)

BOOST_AUTO_TEST_CASE(a_new_mbox_is_given_to_the_recipient, *precondition(needs_root_to_chown) * label("root")) {
  TempDir dir;
  MboxDeliveryOptions options;
  options.owner = kRecipient;
  const fs::path created = dir.path() / "spool/jay";
  BOOST_REQUIRE(deliver_to_mbox(created, "a@example.net", kWhen, bytes("Subject: x\n\nx\n"), options).ok());
  BOOST_TEST(stat_of(created).st_uid == kRecipient.uid);
  BOOST_TEST(stat_of(created).st_gid == kRecipient.gid);
  BOOST_TEST(stat_of(dir.path() / "spool").st_uid == ::geteuid());  // the spool stays the system's
  // An mbox that exists keeps its owner, whoever that is.
  const fs::path existing = dir.path() / "spool/kim";
  write(existing, "");
  BOOST_REQUIRE(deliver_to_mbox(existing, "a@example.net", kWhen, bytes("Subject: y\n\ny\n"), options).ok());
  BOOST_TEST(stat_of(existing).st_uid == ::geteuid());
}

BOOST_AUTO_TEST_SUITE_END()
