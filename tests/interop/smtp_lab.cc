#include "interop/smtp_lab.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "crypto/self_signed_certificate.h"
#include "support/network_namespace.h"

namespace tether::testing::smtp_lab {
namespace {

const std::string kTetherd = TETHERD_PATH;
const std::string kTetherctl = TETHERCTL_PATH;

std::unique_ptr<ChildProcess> spawn(const std::vector<std::string>& argv) {
  auto child = ChildProcess::spawn(argv);
  BOOST_TEST_REQUIRE(child.ok(), (child.ok() ? "" : child.error().to_string()));
  return std::move(*child);
}

// SIGTERM, a few seconds to go, then the ChildProcess's SIGKILL.
void stop(std::unique_ptr<ChildProcess>& process, Duration grace) {
  if (!process) return;
  if (!process->exited()) {
    ::kill(process->pid(), SIGTERM);
    process->wait_exit(grace);
  }
  process.reset();
}

// Where needs_smtp_peers found it; the precondition has already checked
// that it is there.
std::string program_path(const std::string& name) { return find_program(name).value_or(name); }

bool is_trace_field(const std::string& line) {
  for (const char* name : {"Received:", "Return-Path:", "Delivered-To:"})
    if (line.rfind(name, 0) == 0) return true;
  return false;
}

}  // namespace

boost::test_tools::assertion_result needs_smtp_peers(boost::unit_test::test_unit_id) {
  if (!running_as_root()) {
    boost::test_tools::assertion_result result(false);
    result.message() << "SKIPPED: needs root (network and mount namespaces)";
    return result;
  }
  std::string missing;
  auto need = [&](bool ok, const std::string& what) {
    if (!ok) missing += (missing.empty() ? "" : ", ") + what;
  };
  need(program_exists("swaks"), "swaks (package swaks)");
  need(program_exists("smtpd"), "smtpd (package opensmtpd)");
  need(program_exists("dnsmasq"), "dnsmasq (package dnsmasq-base)");
  need(program_exists("mount"), "mount (package mount)");
  need(program_exists("python3"), "python3");
  // swaks's STARTTLS needs the Perl module it names in its own table of
  // optional features ("TLS => req Net::SSLeay"): ask Perl for it.
  need(program_exists("perl") && run_process({"perl", "-MNet::SSLeay", "-e", "1"}).exit_code == 0,
       "Net::SSLeay for swaks's STARTTLS (package libnet-ssleay-perl)");
  boost::test_tools::assertion_result result(missing.empty());
  result.message() << "SKIPPED: not installed: " << missing
                   << " (scripts/packages.txt; scripts/setup installs them)";
  return result;
}

std::string write_pki(const TestDirectory& dir, const std::string& name) {
  crypto::SelfSignedCertificateOptions options;
  options.common_name = name;
  auto made = crypto::make_self_signed_certificate(options);
  BOOST_TEST_REQUIRE(made.ok(), (made.ok() ? "" : made.error().to_string()));
  const auto cert = dir / (name + ".crt");
  const auto key = dir / (name + ".key");
  write_file(cert, made->certificate_pem, 0644);
  write_file(key, made->private_key_pem, 0600);
  return "pki " + name + " cert \"" + cert.string() + "\"\n" + "pki " + name + " key \"" + key.string() +
         "\"\n";
}

std::unique_ptr<lab::LabWorld> smtp_world(lab::HandPlan records) {
  return interop::build_world(records.node("smtp"));
}

// --- tetherd ---

RelayDaemon::RelayDaemon(const std::string& ns, const TestDirectory& dir, const std::string& name,
                         const std::string& config)
    : control_((dir / (name + ".sock")).string()) {
  const std::string conf = (dir / (name + ".conf")).string();
  write_file(conf, config, 0644);
  process_ = spawn({"ip", "netns", "exec", ns, kTetherd, "--relay", conf, "--control", control_, "--state",
                    (dir / (name + "-state")).string()});
  BOOST_TEST_REQUIRE(process_->wait_for_output("ready: ", Duration::seconds(10)),
                     name + ":\n" + process_->output());
}

RelayDaemon::~RelayDaemon() {
  stop(process_, Duration::seconds(10));
}

ProcessResult RelayDaemon::ctl(const std::vector<std::string>& words) {
  std::vector<std::string> argv{kTetherctl, "--control", control_};
  argv.insert(argv.end(), words.begin(), words.end());
  return run_process(argv);
}

// --- OpenSMTPD ---

OpenSmtpd::OpenSmtpd(const std::string& ns, const TestDirectory& dir, const std::string& config,
                     const std::string& address, int port) {
  const std::string conf = (dir / "opensmtpd.conf").string();
  write_file(conf, config, 0644);
  ProcessResult check = run_process({program_path("smtpd"), "-n", "-f", conf});
  BOOST_TEST_REQUIRE(check.exit_code == 0, "smtpd -n: " + check.describe() + "\n" + config);
  // A tmpfs over /var/spool rather than /var/spool/smtpd: the latter exists
  // only once a system smtpd has run; smtpd makes it with the modes it wants.
  // `ip netns exec` has already given the shell a mount namespace of its
  // own whose mounts stay there (iproute2's netns_switch, lib/namespace.c:
  // unshare(CLONE_NEWNS), then / made a slave; checked here) with the
  // namespace's resolv.conf bound over /etc/resolv.conf. Where that is a
  // symlink into /run (systemd-resolved), the tmpfs hides the binding:
  // make the target again and bind the namespace's file onto it.
  const std::string script =
      "mount -t tmpfs -o mode=755 tmpfs /run && mount -t tmpfs -o mode=755 tmpfs /var/spool && "
      "t=$(readlink -m /etc/resolv.conf) && "
      "{ [ -e \"$t\" ] || { mkdir -p \"$(dirname \"$t\")\" && : > \"$t\" && "
      "mount --bind /etc/netns/" + ns + "/resolv.conf \"$t\"; }; } && exec \"$@\"";
  // ip netns exec and sh both exec: the PID the test holds is smtpd's.
  process_ = spawn({"ip", "netns", "exec", ns, "sh", "-c", script, "sh", program_path("smtpd"), "-d", "-f", conf});
  // Ready when it greets: swaks stops right after the banner.
  const bool up = eventually(
      [&] {
        if (process_->exited()) return true;
        return swaks(ns, address, port, {"--quit-after", "CONNECT", "--timeout", "2"}, Duration::seconds(5))
                   .exit_code == 0;
      },
      Duration::seconds(15));
  BOOST_TEST_REQUIRE((up && !process_->exited()), "OpenSMTPD did not start:\n" + process_->output());
}

OpenSmtpd::~OpenSmtpd() {
  stop(process_, Duration::seconds(5));
}

// --- swaks and messages ---

ProcessResult swaks(const std::string& ns, const std::string& address, int port,
                    const std::vector<std::string>& args, Duration limit) {
  std::vector<std::string> argv{"ip",       "netns", "exec",   ns, "swaks",
                                "--server", address, "--port", std::to_string(port)};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, "", limit);
}

std::string message_data(const std::string& tag) {
  return "From: Alice <alice@example.net>\r\n"
         "To: <someone@example.org>\r\n"
         "Subject: tether interop: " +
         tag +
         "\r\n"
         "Message-ID: <" +
         tag +
         ".interop@example.net>\r\n"
         "\r\n"
         "first line\r\n"
         ".a line that starts with a dot\r\n"
         "..and one with two\r\n"
         "trailing spaces   \r\n"
         "\ta tab\r\n"
         "\r\n"
         "last line, no line break";
}

std::string stored_form(const std::string& data) {
  std::string out;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '\r' && i + 1 < data.size() && data[i + 1] == '\n') continue;
    out += data[i];
  }
  return out + "\n";
}

DeliveredMessage split_trace(const std::string& file) {
  DeliveredMessage m;
  std::size_t pos = 0;
  while (pos < file.size()) {
    std::size_t end = file.find('\n', pos);
    if (end == std::string::npos) break;
    const std::string line = file.substr(pos, end - pos);
    if (is_trace_field(line)) {
      std::string field = line;
      std::size_t next = end + 1;
      // Folded lines start with white space.
      while (next < file.size() && (file[next] == ' ' || file[next] == '\t')) {
        std::size_t fold_end = file.find('\n', next);
        if (fold_end == std::string::npos) fold_end = file.size();
        field += " " + file.substr(next + 1, fold_end - next - 1);
        next = fold_end + 1;
      }
      (line.rfind("Received:", 0) == 0 ? m.received : m.other_trace).push_back(field);
      pos = next;
    } else {
      break;
    }
  }
  m.rest = file.substr(std::min(pos, file.size()));
  return m;
}

std::vector<std::filesystem::path> mail_in(const std::filesystem::path& maildir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(maildir / "new", ec);
       !ec && it != std::filesystem::directory_iterator(); ++it)
    out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::filesystem::path> wait_for_mail(const std::filesystem::path& maildir, std::size_t count,
                                                 Duration limit) {
  std::vector<std::filesystem::path> files;
  eventually(
      [&] {
        files = mail_in(maildir);
        return files.size() >= count;
      },
      limit);
  return files;
}

bool eventually(const std::function<bool()>& condition, Duration limit) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(limit.ns());
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace tether::testing::smtp_lab
