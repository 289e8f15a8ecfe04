#include "relay_e2e/relay_lab.h"

#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/network_namespace.h"

namespace tether::testing::relay_e2e {
namespace {

const std::string kTetherd = TETHERD_PATH;
const std::string kTetherctl = TETHERCTL_PATH;

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
  return n;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

boost::test_tools::assertion_result needs_root_and_tetherd(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result result(true);
  if (!running_as_root()) {
    result = boost::test_tools::assertion_result(false);
    result.message() << "SKIPPED: needs root for a network namespace of its own";
    return result;
  }
  for (const std::string& binary : {kTetherd, kTetherctl}) {
    if (::access(binary.c_str(), X_OK) != 0) {
      result = boost::test_tools::assertion_result(false);
      result.message() << "SKIPPED: " << binary << " is not built";
      return result;
    }
  }
  return result;
}

RelayDaemon::RelayDaemon(const TestDirectory& dir, const std::string& config)
    : config_(dir / "smtpd.conf"), state_(dir / "state"), log_(dir / "tetherd.log"), control_(dir / "tetherd.sock") {
  write_file(config_, config, 0644);
}

RelayDaemon::~RelayDaemon() { kill_hard(); }

bool RelayDaemon::start(std::string* why, Duration limit) {
  kill_hard();
  const std::size_t ready_before = count_of(log(), "ready: ");
  // sh opens the log for appending and becomes tetherd (exec): the PID the
  // ChildProcess holds is tetherd's own.
  auto spawned = ChildProcess::spawn({"/bin/sh", "-c", "log=$1; shift; exec \"$@\" >>\"$log\" 2>&1", "sh",
                                      log_.string(), kTetherd, "--relay", config_.string(), "--state",
                                      state_.string(), "--control", control_.string()});
  if (!spawned) {
    if (why) *why = spawned.error().to_string();
    return false;
  }
  process_ = std::move(*spawned);
  ++starts_;
  const auto end = std::chrono::steady_clock::now() + std::chrono::nanoseconds(limit.ns());
  while (std::chrono::steady_clock::now() < end) {
    if (count_of(log(), "ready: ") > ready_before) return true;
    if (process_->exited()) break;
    pause_for(Duration::milliseconds(10));
  }
  if (why) *why = "tetherd did not become ready; its log:\n" + log();
  return false;
}

void RelayDaemon::kill_hard() {
  if (!process_) return;
  if (!process_->exited()) ::kill(process_->pid(), SIGKILL);
  process_->wait_exit(Duration::seconds(10));
  process_.reset();
}

bool RelayDaemon::running() { return process_ && !process_->exited(); }

pid_t RelayDaemon::pid() const { return process_ ? process_->pid() : -1; }

std::string RelayDaemon::log() const { return read_text(log_); }

ProcessResult RelayDaemon::ctl(const std::vector<std::string>& words, Duration limit) {
  std::vector<std::string> argv{kTetherctl, "--control", control_.string()};
  argv.insert(argv.end(), words.begin(), words.end());
  return run_process(argv, "", limit);
}

bool RelayDaemon::wait_queue_empty(Duration limit) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::nanoseconds(limit.ns());
  while (std::chrono::steady_clock::now() < end) {
    ProcessResult r = ctl({"show", "queue"});
    if (r.exit_code == 0 && r.out.empty()) return true;
    pause_for(Duration::milliseconds(100));
  }
  return false;
}

std::map<std::string, int> message_ids_in(const std::filesystem::path& maildir) {
  std::map<std::string, int> ids;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(maildir / "new", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::ifstream in(it->path(), std::ios::binary);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) break;  // end of the header section
      if (lower(line.substr(0, 11)) == "message-id:") {
        std::string value = line.substr(11);
        value.erase(0, value.find_first_not_of(" \t"));
        ++ids[value];
        break;
      }
    }
  }
  return ids;
}

std::size_t count_files(const std::filesystem::path& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec))
    if (it->is_regular_file()) ++n;
  return n;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void pause_for(Duration span) { std::this_thread::sleep_for(std::chrono::nanoseconds(span.ns())); }

}  // namespace tether::testing::relay_e2e
