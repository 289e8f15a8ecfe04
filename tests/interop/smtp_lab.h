#pragma once
// The SMTP interop lab: tetherd --relay, Debian's OpenSMTPD 6.8 and swaks
// in a network namespace the lab's LabWorld makes from a hand-written plan
// (lab/world/hand_plan.h: one node, its loopback only), on loopback
// addresses of that namespace only. `ip netns exec` gives every program
// there the namespace's own resolv.conf (nameserver 127.0.0.1, where the
// world's dnsmasq serves the plan's records, or nothing listens and lookups
// fail at once), so nothing asks the sandbox's flaky resolver. OpenSMTPD
// also gets a private /run and /var/spool, since it allows one instance per
// machine (fixed control socket and spool) and a system one may be
// running. Every process is started and ended by its PID (SIGTERM, then
// SIGKILL). Declare servers after the world they run in, so they end
// before its namespace goes.

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/time.h"
#include "interop/interop_lab.h"
#include "lab/world/lab_world.h"
#include "support/run_process.h"
#include "support/child_process.h"

namespace tether::testing::smtp_lab {

// Boost.Test precondition: root, swaks with TLS support (Net::SSLeay),
// OpenSMTPD's smtpd, dnsmasq, mount and python3, each looked up on
// PATH and in the sbin directories; the skip message names what is missing
// and the Debian package that has it.
boost::test_tools::assertion_result needs_smtp_peers(boost::unit_test::test_unit_id);

using interop::contains;

// A self-signed EC certificate for `name` (the project's own
// crypto::make_self_signed_certificate), written as DIR/NAME.crt and
// DIR/NAME.key (0600), and the smtpd.conf lines declaring it as pki NAME.
std::string write_pki(const TestDirectory& dir, const std::string& name);

// The lab's world of one namespace ("smtp"), with `records` served there.
std::unique_ptr<lab::LabWorld> smtp_world(lab::HandPlan records = {});

// tetherd --relay DIR/NAME.conf, with its state and control socket in DIR.
// Ready once it prints "ready: "; SIGTERM on destruction.
class RelayDaemon {
 public:
  RelayDaemon(const std::string& ns, const TestDirectory& dir, const std::string& name,
              const std::string& config);
  ~RelayDaemon();
  RelayDaemon(const RelayDaemon&) = delete;
  RelayDaemon& operator=(const RelayDaemon&) = delete;

  // tetherctl --control SOCKET WORDS...
  ProcessResult ctl(const std::vector<std::string>& words);
  std::string log() { return process_->output(); }

 private:
  std::string control_;
  std::unique_ptr<ChildProcess> process_;
};

// OpenSMTPD (`smtpd -d -f DIR/opensmtpd.conf`) with a private /run and
// /var/spool; ready once it answers on `address`:`port`.
class OpenSmtpd {
 public:
  OpenSmtpd(const std::string& ns, const TestDirectory& dir, const std::string& config,
            const std::string& address, int port);
  ~OpenSmtpd();
  OpenSmtpd(const OpenSmtpd&) = delete;
  OpenSmtpd& operator=(const OpenSmtpd&) = delete;

  std::string log() { return process_->output(); }

 private:
  std::unique_ptr<ChildProcess> process_;
};

// swaks --server ADDRESS --port PORT ARGS... run in `ns`.
ProcessResult swaks(const std::string& ns, const std::string& address, int port,
                    const std::vector<std::string>& args, Duration limit = Duration::seconds(30));

// The DATA a test sends: headers and a body with the cases byte-for-byte
// delivery can get wrong (a leading dot, two dots, trailing white space, a
// tab, an empty line, no final line break: swaks adds CRLF.CRLF itself),
// CRLF line endings. `tag` goes into the Subject.
std::string message_data(const std::string& tag);
// What a maildir file holds after the trace fields for `data` sent as above:
// LF line endings (maildir is a Unix format) and the final line break.
std::string stored_form(const std::string& data);

// A delivered maildir file split into the trace fields at its top
// (Return-Path, Delivered-To, Received, each with its folded lines) and the
// message as it was sent.
struct DeliveredMessage {
  std::vector<std::string> received;  // Received fields, newest (top) first, unfolded
  std::vector<std::string> other_trace;
  std::string rest;
};
DeliveredMessage split_trace(const std::string& file);

// The files in MAILDIR/new, waiting up to `limit` until there are at least
// `count`; sorted by name.
std::vector<std::filesystem::path> wait_for_mail(const std::filesystem::path& maildir, std::size_t count,
                                                 Duration limit);
std::vector<std::filesystem::path> mail_in(const std::filesystem::path& maildir);

// Polls `condition` every 100 ms for up to `limit`; true once it held.
bool eventually(const std::function<bool()>& condition, Duration limit);

}  // namespace tether::testing::smtp_lab
