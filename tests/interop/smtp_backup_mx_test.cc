// The experiment of backup-relay-mx.txt ("Second Experiment"), with three
// tetherd relays and a real DNS server, in one namespace:
//
//   dnsmasq  127.0.0.1:53 example.org MX 10 primary.example.org, MX 100 mx2.example.org
//                         (the lab world's zone, lab/world/hand_plan.h)
//   sender   127.0.0.1    relays example.org by MX (the seed's websteading.net)
//   primary  127.0.0.10   delivers example.org to its maildir (mail.example.org)
//   mx2      127.0.0.100  the seed's mx2 smtpd.conf: `relay backup`, with
//                         `backup mx mx2.example.org` (the lab's host name is
//                         not mx2's) and `queue retry constant 5s`; without its
//                         rdns filters, which tether cannot evaluate yet
//
// Every relay reads /etc/resolv.conf (tetherd's default: the system resolver
// for A, resolv.conf's first nameserver for MX) and sees the namespace's,
// which names dnsmasq (`ip netns exec` binds /etc/netns/NS/resolv.conf).
//
// 1. The primary is paused (`tetherctl pause smtp`, answering 421): the
//    sender's mail goes to mx2, which holds it (`tetherctl show queue`) and
//    keeps trying the primary only.
// 2. The primary resumes: mx2 delivers it, and it lands in the primary's
//    maildir byte for byte, with the three hops in its Received fields.

#include <algorithm>
#include <boost/test/unit_test.hpp>

#include "interop/smtp_lab.h"

using namespace tether;
using namespace tether::testing;
using namespace tether::testing::smtp_lab;

BOOST_AUTO_TEST_SUITE(smtp_interop_backup_mx, *boost::unit_test::precondition(needs_smtp_peers))

BOOST_AUTO_TEST_CASE(paused_primary_mail_waits_on_mx2_then_arrives) {
  TestDirectory dir("tether-smtp-backup-mx");
  const auto world = smtp_world(lab::HandPlan()
                                    .mx_record("example.org", "primary.example.org", 10)
                                    .mx_record("example.org", "mx2.example.org", 100)
                                    .address_record("primary.example.org", "127.0.0.10")
                                    .address_record("mx2.example.org", "127.0.0.100"));
  const std::string ns = world->namespace_of("smtp");
  const auto primary_maildir = dir / "primary-Maildir";

  // clang-format off
  RelayDaemon primary(ns, dir, "primary",
                      write_pki(dir, "primary.example.org") +
                          "listen on 127.0.0.10 tls pki primary.example.org hostname primary.example.org\n"
                          "action \"local\" maildir \"" + primary_maildir.string() + "\"\n"
                          "match from any for domain \"example.org\" action \"local\"\n");
  // clang-format on
  RelayDaemon mx2(ns, dir, "mx2",
                  write_pki(dir, "mx2.example.org") +
                      "table domains { example.org }\n"
                      "listen on 127.0.0.100 tls pki mx2.example.org auth-optional hostname mx2.example.org\n"
                      "queue retry constant 5s\n"
                      "action \"local_mail\" relay backup mx mx2.example.org\n"
                      "match from any for domain <domains> action \"local_mail\"\n");
  RelayDaemon sender(ns, dir, "sender",
                     "listen on 127.0.0.1 hostname sender.example.net\n"
                     "queue retry constant 5s\n"
                     "action \"out\" relay\n"
                     "match from any for domain \"example.org\" action \"out\"\n");
  auto logs = [&] {
    return "--- sender ---\n" + sender.log() + "--- mx2 ---\n" + mx2.log() + "--- primary ---\n" +
           primary.log();
  };

  // 1. The primary is paused; the sender falls through the MX list to mx2.
  ProcessResult paused = primary.ctl({"pause", "smtp"});
  BOOST_TEST_REQUIRE(paused.out == "command succeeded\n", paused.describe());
  const std::string data_file = (dir / "backup-mx.eml").string();
  write_file(data_file, message_data("backup-mx"), 0644);
  ProcessResult sent = swaks(ns, "127.0.0.1", 25,
                             {"--helo", "client.test", "--from", "alice@example.net", "--to",
                              "root@example.org", "--data", "@" + data_file, "--timeout", "10"});
  BOOST_TEST_REQUIRE(sent.exit_code == 0, sent.describe() + logs());

  // mx2 holds it, deferred by the primary's 421; the sender has handed it on.
  ProcessResult mx2_queue, sender_queue;
  const bool held = eventually(
      [&] {
        mx2_queue = mx2.ctl({"show", "queue"});
        sender_queue = sender.ctl({"show", "queue"});
        return contains(mx2_queue.out, "|alice@example.net|root@example.org|root@example.org|") &&
               contains(mx2_queue.out, "421 4.3.2 primary.example.org Service paused") &&
               sender_queue.out.empty();
      },
      Duration::seconds(15));
  BOOST_TEST_REQUIRE(held, "mx2: " + mx2_queue.describe() + "sender: " + sender_queue.describe() + logs());
  BOOST_TEST(contains(mx2_queue.out, "|inet4|mta|"), mx2_queue.out);
  BOOST_TEST(std::count(mx2_queue.out.begin(), mx2_queue.out.end(), '\n') == 1, mx2_queue.out);
  BOOST_TEST(
      contains(sender.log(), "primary.example.org [127.0.0.10:25] failed for example.org: greeting: 421"),
      sender.log());
  BOOST_TEST(contains(sender.log(), "mx2.example.org [127.0.0.100:25]: 250 "), sender.log());
  BOOST_TEST(mail_in(primary_maildir).empty());

  // 2. The primary resumes; mx2's next try (5 s) delivers.
  ProcessResult resumed = primary.ctl({"resume", "smtp"});
  BOOST_TEST_REQUIRE(resumed.out == "command succeeded\n", resumed.describe());
  auto files = wait_for_mail(primary_maildir, 1, Duration::seconds(20));
  BOOST_TEST_REQUIRE(files.size() == 1u, logs());
  BOOST_TEST(eventually(
                 [&] {
                   return mx2.ctl({"show", "queue"}).out.empty();
                 },
                 Duration::seconds(10)),
             logs());

  const std::string file = read_file(files.front());
  DeliveredMessage m = split_trace(file);
  BOOST_TEST(m.rest == stored_form(message_data("backup-mx")), file);
  BOOST_TEST_REQUIRE(m.received.size() == 3u, file);
  // Newest first: primary from mx2, mx2 from the sender (both over the
  // opportunistic STARTTLS tetherd offers and takes), the sender from swaks.
  BOOST_TEST(contains(m.received[0], "by primary.example.org (tether) with ESMTPS id "), m.received[0]);
  BOOST_TEST(contains(m.received[0], "(TLSv1."), m.received[0]);
  BOOST_TEST(contains(m.received[1], "by mx2.example.org (tether) with ESMTPS id "), m.received[1]);
  BOOST_TEST(contains(m.received[1], "(TLSv1."), m.received[1]);
  BOOST_TEST(m.received[2].rfind("Received: from client.test (", 0) == 0, m.received[2]);
  BOOST_TEST(contains(m.received[2], "by sender.example.net (tether) with ESMTP id "), m.received[2]);
  // mx2 only ever offered it to the better MX, never to itself.
  BOOST_TEST(!contains(mx2.log(), "[127.0.0.100:25]"), mx2.log());
}

BOOST_AUTO_TEST_SUITE_END()
