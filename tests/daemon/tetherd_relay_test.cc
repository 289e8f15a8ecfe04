// tetherd --relay: `-n` on the seeds' smtpd.conf files (tables read below
// their folder with --config-root) and on broken ones; `tetherctl encrypt`
// against crypto::verify_password; and, as root, a relay in a network
// namespace of its own: mail in over SMTP (a tiny smtplib client run in the
// namespace), delivered to a maildir, and tetherctl's show queue, monitor,
// pause/resume smtp, schedule and remove on a live queue; `tetherctl
// reload` and SIGHUP with an edited config.

#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "crypto/bcrypt.h"
#include "support/run_process.h"
#include "support/child_process.h"
#include "support/root_precondition.h"
#include "seed_config_copy.h"

using namespace tether;
using namespace tether::testing;

namespace {

const std::string kTetherd = TETHERD_PATH;
const std::string kTetherctl = TETHERCTL_PATH;
const std::string kSeeds = SEED_CONFIG_DIR;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator(); ++it)
    out.push_back(it->path());
  return out;
}

// Sends one message with Python's smtplib from inside the namespace; prints
// "sent" or the exception.
ProcessResult smtp_send(const std::string& ns, int port, const std::string& to, const std::string& body) {
  const std::string script =
      "import smtplib, sys\n"
      "try:\n"
      "    s = smtplib.SMTP('127.0.0.1', " + std::to_string(port) + ", local_hostname='client.test', timeout=10)\n"
      "    s.sendmail('alice@example.net', [sys.argv[1]], sys.stdin.read().encode())\n"
      "    s.quit()\n"
      "    print('sent')\n"
      "except Exception as e:\n"
      "    print('failed:', type(e).__name__, e)\n";
  return run_process({"ip", "netns", "exec", ns, "/usr/bin/python3", "-c", script, to}, body);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tetherd_relay)

BOOST_AUTO_TEST_CASE(check_mode_accepts_every_seed_config) {
  // With their pki files made (tetherd -n loads them, as smtpd -n does).
  // mx2's `relay backup` makes -n ask the DNS for its MX list: it is
  // checked in a namespace of its own (tetherd_backup_mx_check_test.cc).
  TestDirectory copies("tetherd-seeds");
  for (const char* machine : {"namorar", "carinho", "mimando", "lan-collector", "lan-client"}) {
    const std::string dir = copy_seed_with_pki(kSeeds + "/" + machine, copies / machine).string();
    ProcessResult r = run_process({kTetherd, "-n", "--relay", dir + "/smtpd.conf", "--config-root", dir});
    BOOST_TEST(r.exit_code == 0, machine << ": " << r.describe());
    BOOST_TEST(r.out == "configuration OK\n", machine << ": " << r.describe());
  }
  // Without the root, namorar's file: table is looked for in the real /etc.
  ProcessResult unrooted = run_process({kTetherd, "-n", "--relay", kSeeds + "/namorar/smtpd.conf", "--config-root",
                                        kSeeds + "/mimando"});
  BOOST_TEST(unrooted.exit_code == 1, unrooted.describe());
  BOOST_TEST(has(unrooted.err, "/etc/mail/secrets"), unrooted.describe());
}

BOOST_AUTO_TEST_CASE(check_mode_names_file_and_line) {
  TestDirectory dir("tetherd-relay-check");
  const std::string file = (dir / "smtpd.conf").string();
  write_file(file,
             "listen on 127.0.0.1\n"
             "action \"local\" maildir\n"
             "action \"out\" relya host smtp://example.net\n"
             "match from any for domain \"example.org\" action \"missing\"\n",
             0644);
  ProcessResult r = run_process({kTetherd, "-n", "--relay", file});
  BOOST_TEST(r.exit_code == 1, r.describe());
  BOOST_TEST(r.out.empty(), r.describe());
  BOOST_TEST(has(r.err, file + ":3: "), r.describe());
  BOOST_TEST(has(r.err, "relya"), r.describe());
  BOOST_TEST(has(r.err, file + ":4: "), r.describe());
  ProcessResult missing = run_process({kTetherd, "-n", "--relay", (dir / "nothing.conf").string()});
  BOOST_TEST(missing.exit_code == 1);
  BOOST_TEST(has(missing.err, "nothing.conf"), missing.describe());
  ProcessResult usage = run_process({kTetherd, "-n"});
  BOOST_TEST(usage.exit_code == 1);
  BOOST_TEST(has(usage.err, "--tunnel FILE.conf or --relay SMTPD.CONF is required"), usage.describe());
}

BOOST_AUTO_TEST_CASE(encrypt_makes_a_bcrypt_line_that_verifies) {
  ProcessResult r = run_process({kTetherctl, "encrypt", "foobar"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.describe());
  BOOST_TEST_REQUIRE(r.out.size() == 61u, r.describe());  // 60 characters and '\n'
  BOOST_TEST(r.out.rfind("$2b$10$", 0) == 0, r.out);
  const std::string hash = r.out.substr(0, 60);
  BOOST_TEST(*crypto::verify_password("foobar", hash));
  BOOST_TEST(!*crypto::verify_password("foobaz", hash));
  // From stdin, as smtpctl encrypt reads it; a fresh salt each time.
  ProcessResult piped = run_process({kTetherctl, "encrypt"}, "foobar\n");
  BOOST_TEST_REQUIRE(piped.exit_code == 0, piped.describe());
  BOOST_TEST(*crypto::verify_password("foobar", piped.out.substr(0, 60)));
  BOOST_TEST(piped.out != r.out);
  BOOST_TEST(run_process({kTetherctl, "encrypt"}, "").exit_code == 1);
  // The seed's known answer checks out with the same verifier.
  BOOST_TEST(*crypto::verify_password("foobar", "$2b$10$TMCTeP.xVdU8YLGJkyJrTOz6VU0.xWRXFvCp90vGfNGFmvBDLC9P6"));
}

BOOST_AUTO_TEST_CASE(relay_in_a_namespace_delivers_and_answers_tetherctl, *boost::unit_test::precondition(needs_root) * boost::unit_test::label("root")) {
  TestDirectory dir("tetherd-relay");
  NamedNamespace ns("tthd-relay");
  BOOST_TEST_REQUIRE(ns.created());
  BOOST_TEST_REQUIRE(run_process({"ip", "-n", ns.name(), "link", "set", "lo", "up"}).exit_code == 0);

  const std::filesystem::path maildir = dir / "Maildir";
  write_file(dir / "smtpd.conf",
             "# a loopback relay on a high port\n"
             "listen on 127.0.0.1 port 2525\n"
             "queue retry constant 60s\n"
             "action \"local\" maildir \"" + maildir.string() + "\"\n"
             "action \"out\" relay host smtp://[127.0.0.1]:2626\n"
             "match from any for domain \"example.org\" action \"local\"\n"
             "match from any for domain \"example.com\" action \"out\"\n",
             0644);
  const std::string control = (dir / "tetherd.sock").string();
  auto spawned = ChildProcess::spawn({"ip", "netns", "exec", ns.name(), kTetherd, "--relay", (dir / "smtpd.conf").string(),
                                      "--control", control, "--state", (dir / "state").string()});
  BOOST_TEST_REQUIRE(spawned.ok(), (spawned.ok() ? "" : spawned.error().to_string()));
  std::unique_ptr<ChildProcess> tetherd = std::move(*spawned);
  BOOST_TEST_REQUIRE(tetherd->wait_for_output("ready: ", Duration::seconds(10)), tetherd->output());
  BOOST_TEST(has(tetherd->output(), "relay on 127.0.0.1:2525"), tetherd->output());
  auto ctl = [&](const std::vector<std::string>& words, Duration limit = Duration::seconds(20)) {
    std::vector<std::string> argv{kTetherctl, "--control", control};
    argv.insert(argv.end(), words.begin(), words.end());
    return run_process(argv, "", limit);
  };

  // A message for example.org lands in the maildir, byte for byte.
  const std::string body = "Subject: hello\r\n\r\nfirst line\r\n.dotted\r\nlast line\r\n";
  ProcessResult sent = smtp_send(ns.name(), 2525, "root@example.org", body);
  BOOST_TEST_REQUIRE(sent.out == "sent\n", sent.describe() + tetherd->output());
  std::vector<std::filesystem::path> delivered;
  for (int i = 0; i < 50 && delivered.empty(); ++i) {
    delivered = files_in(maildir / "new");
    if (delivered.empty()) run_process({"sleep", "0.1"});
  }
  BOOST_TEST_REQUIRE(delivered.size() == 1u, tetherd->output());
  const std::string file = read_file(delivered.front());
  BOOST_TEST(has(file, "Subject: hello\n\nfirst line\n.dotted\nlast line\n"), file);
  BOOST_TEST(file.rfind("Received: from client.test (", 0) == 0, file);

  // A message for example.com waits: its relay host refuses connections.
  BOOST_TEST_REQUIRE(smtp_send(ns.name(), 2525, "bob@example.com", body).out == "sent\n");
  ProcessResult queue;
  for (int i = 0; i < 50; ++i) {
    queue = ctl({"show", "queue"});
    if (has(queue.out, "|pending|")) break;
    run_process({"sleep", "0.1"});
  }
  BOOST_TEST_REQUIRE(queue.exit_code == 0, queue.describe());
  BOOST_TEST(has(queue.out, "|inet4|mta||alice@example.net|bob@example.com|bob@example.com|"), queue.describe());
  BOOST_TEST(has(queue.out, "|1|pending|"), queue.describe());
  BOOST_TEST(has(queue.out, "refused"), queue.describe());
  const std::string evpid = queue.out.substr(0, 16);

  // monitor streams a header and a row a second until the client goes.
  ProcessResult monitor = ctl({"monitor"}, Duration::milliseconds(2500));
  BOOST_TEST(has(monitor.out, "curr conn disc  curr  enq  deq   ok tmpfail prmfail loop expire remove bounce\n"),
             monitor.describe());
  BOOST_TEST(std::count(monitor.out.begin(), monitor.out.end(), '\n') >= 4, monitor.describe());

  // pause smtp: connections are turned away with a 421; resume smtp: accepted again.
  ProcessResult paused = ctl({"pause", "smtp"});
  BOOST_TEST(paused.out == "command succeeded\n", paused.describe());
  ProcessResult turned_away = smtp_send(ns.name(), 2525, "root@example.org", body);
  BOOST_TEST(has(turned_away.out, "failed: SMTPConnectError (421"), turned_away.describe());
  BOOST_TEST(has(turned_away.out, "Service paused"), turned_away.describe());
  BOOST_TEST(ctl({"resume", "smtp"}).out == "command succeeded\n");
  BOOST_TEST(smtp_send(ns.name(), 2525, "root@example.org", body).out == "sent\n");

  BOOST_TEST(ctl({"schedule", "all"}).out == "1 envelope scheduled\n");
  ProcessResult removed = ctl({"remove", evpid});
  BOOST_TEST(removed.out == "1 envelope removed\n", removed.describe());
  for (int i = 0; i < 50 && !ctl({"show", "queue"}).out.empty(); ++i) run_process({"sleep", "0.1"});
  BOOST_TEST(ctl({"show", "queue"}).out.empty());
  ProcessResult bad = ctl({"remove", "nonsense"});
  BOOST_TEST(bad.exit_code == 1);
  BOOST_TEST(has(bad.err, "invalid msgid/evpid"), bad.describe());

  BOOST_TEST_REQUIRE(::kill(tetherd->pid(), SIGTERM) == 0);
  BOOST_TEST_REQUIRE(tetherd->wait_exit(Duration::seconds(10)), tetherd->output());
  BOOST_TEST(*tetherd->exit_code() == 0, tetherd->output());
  BOOST_TEST(files_in(maildir / "new").size() == 2u);
}

// tetherd runs as root; a user's mail must still be the user's to read, as
// OpenSMTPD's mda (which runs as the user) leaves it.
BOOST_AUTO_TEST_CASE(local_deliveries_belong_to_the_recipient, *boost::unit_test::precondition(needs_root) * boost::unit_test::label("root")) {
  TestDirectory dir("tetherd-owner");
  NamedNamespace ns("tthd-owner");
  BOOST_TEST_REQUIRE(ns.created());
  BOOST_TEST_REQUIRE(run_process({"ip", "-n", ns.name(), "link", "set", "lo", "up"}).exit_code == 0);
  const std::filesystem::path home = dir / "home/jay";
  std::filesystem::create_directories(home);
  ::chown(home.c_str(), 54321, 54322);  // as useradd leaves a home
  write_file(dir / "smtpd.conf",
             "table users { jay = \"54321:54322:" + home.string() + "\" }\n"
             "listen on 127.0.0.1 port 2525\n"
             "action \"local\" maildir userbase <users>\n"
             "match from any for domain \"example.org\" action \"local\"\n",
             0644);
  auto spawned = ChildProcess::spawn({"ip", "netns", "exec", ns.name(), kTetherd, "--relay", (dir / "smtpd.conf").string(),
                                      "--control", (dir / "tetherd.sock").string(), "--state", (dir / "state").string()});
  BOOST_TEST_REQUIRE(spawned.ok(), (spawned.ok() ? "" : spawned.error().to_string()));
  std::unique_ptr<ChildProcess> tetherd = std::move(*spawned);
  BOOST_TEST_REQUIRE(tetherd->wait_for_output("ready: ", Duration::seconds(10)), tetherd->output());
  BOOST_TEST_REQUIRE(smtp_send(ns.name(), 2525, "jay@example.org", "Subject: mine\r\n\r\nx\r\n").out == "sent\n",
                     tetherd->output());
  std::vector<std::filesystem::path> delivered;
  for (int i = 0; i < 50 && delivered.empty(); ++i) {
    delivered = files_in(home / "Maildir/new");
    if (delivered.empty()) run_process({"sleep", "0.1"});
  }
  BOOST_TEST_REQUIRE(delivered.size() == 1u, tetherd->output());
  for (const std::filesystem::path& p : {delivered.front(), home / "Maildir", home / "Maildir/new"}) {
    struct stat st {};
    BOOST_TEST_REQUIRE(::stat(p.c_str(), &st) == 0);
    BOOST_TEST(st.st_uid == 54321u, p.string());
    BOOST_TEST(st.st_gid == 54322u, p.string());
  }
  BOOST_TEST_REQUIRE(::kill(tetherd->pid(), SIGTERM) == 0);
  BOOST_TEST(tetherd->wait_exit(Duration::seconds(10)), tetherd->output());
}

// An edited smtpd.conf applied by `tetherctl reload` and by SIGHUP; an edit
// with an error changes nothing and says where the error is.
BOOST_AUTO_TEST_CASE(reload_and_sighup_apply_an_edited_config, *boost::unit_test::precondition(needs_root) * boost::unit_test::label("root")) {
  TestDirectory dir("tetherd-reload");
  NamedNamespace ns("tthd-reload");
  BOOST_TEST_REQUIRE(ns.created());
  BOOST_TEST_REQUIRE(run_process({"ip", "-n", ns.name(), "link", "set", "lo", "up"}).exit_code == 0);
  const std::filesystem::path maildir = dir / "Maildir";
  auto conf = [&](const std::string& listen) {
    return listen + "action \"local\" maildir \"" + maildir.string() + "\"\n"
           "match from any for domain \"example.org\" action \"local\"\n";
  };
  const std::string file = (dir / "smtpd.conf").string();
  write_file(file, conf("listen on 127.0.0.1 port 2525\n"), 0644);
  const std::string control = (dir / "tetherd.sock").string();
  auto spawned = ChildProcess::spawn({"ip", "netns", "exec", ns.name(), kTetherd, "--relay", file, "--control", control,
                                      "--state", (dir / "state").string()});
  BOOST_TEST_REQUIRE(spawned.ok(), (spawned.ok() ? "" : spawned.error().to_string()));
  std::unique_ptr<ChildProcess> tetherd = std::move(*spawned);
  BOOST_TEST_REQUIRE(tetherd->wait_for_output("ready: ", Duration::seconds(10)), tetherd->output());
  const std::string body = "Subject: reload\r\n\r\nbody\r\n";
  BOOST_TEST(has(smtp_send(ns.name(), 2526, "root@example.org", body).out, "failed:"));

  write_file(file, conf("listen on 127.0.0.1 port 2525\nlisten on 127.0.0.1 port 2526\n"), 0644);
  ProcessResult reloaded = run_process({kTetherctl, "--control", control, "reload"});
  BOOST_TEST_REQUIRE(reloaded.exit_code == 0, reloaded.describe() + tetherd->output());
  BOOST_TEST(has(reloaded.out, file + ": reload"), reloaded.describe());
  BOOST_TEST_REQUIRE(tetherd->wait_for_output("listening on 127.0.0.1:2525, 127.0.0.1:2526", Duration::seconds(10)),
                     tetherd->output());
  BOOST_TEST(smtp_send(ns.name(), 2526, "root@example.org", body).out == "sent\n", tetherd->output());

  write_file(file, conf("listen on 127.0.0.1 port 2525\nlisten on 127.0.0.1 port 2527\nmatch nonsense\n"), 0644);
  ProcessResult refused = run_process({kTetherctl, "--control", control, "reload"});
  BOOST_TEST(refused.exit_code == 1, refused.describe());
  BOOST_TEST(has(refused.err, file + ":3: "), refused.describe());
  BOOST_TEST(has(refused.err, "nothing changed"), refused.describe());
  BOOST_TEST(smtp_send(ns.name(), 2526, "root@example.org", body).out == "sent\n", tetherd->output());

  write_file(file, conf("listen on 127.0.0.1 port 2527\n"), 0644);
  BOOST_TEST_REQUIRE(::kill(tetherd->pid(), SIGHUP) == 0);
  BOOST_TEST_REQUIRE(tetherd->wait_for_output("listening on 127.0.0.1:2527\n", Duration::seconds(10)), tetherd->output());
  BOOST_TEST(smtp_send(ns.name(), 2527, "root@example.org", body).out == "sent\n", tetherd->output());
  BOOST_TEST(has(smtp_send(ns.name(), 2526, "root@example.org", body).out, "failed:"));
  std::size_t delivered = 0;
  for (int i = 0; i < 50 && (delivered = files_in(maildir / "new").size()) < 3; ++i) run_process({"sleep", "0.1"});
  BOOST_TEST(delivered == 3u, delivered << " files\n" << tetherd->output());

  BOOST_TEST_REQUIRE(::kill(tetherd->pid(), SIGTERM) == 0);
  BOOST_TEST_REQUIRE(tetherd->wait_exit(Duration::seconds(10)), tetherd->output());
  BOOST_TEST(*tetherd->exit_code() == 0, tetherd->output());
}

BOOST_AUTO_TEST_SUITE_END()
