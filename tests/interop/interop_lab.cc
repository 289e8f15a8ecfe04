#include "interop/interop_lab.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "daemon/key_commands.h"
#include "support/network_namespace.h"

namespace tether::testing::interop {
namespace {

const std::string kTetherd = TETHERD_PATH;
const std::string kTetherctl = TETHERCTL_PATH;

boost::test_tools::assertion_result needs(const std::vector<std::string>& programs) {
  std::string missing;
  for (const auto& p : programs)
    if (!program_exists(p)) missing += (missing.empty() ? "" : ", ") + p;
  if (!running_as_root()) {
    boost::test_tools::assertion_result result(false);
    result.message() << "SKIPPED: needs root (network namespaces, TUN devices)";
    return result;
  }
  boost::test_tools::assertion_result result(missing.empty());
  result.message() << "SKIPPED: not installed: " << missing
                   << " (scripts/packages.txt; scripts/setup installs them)";
  return result;
}

const std::vector<std::string> kBaseTools{"wireguard-go", "wg", "ip", "ping", "iperf3"};

std::unique_ptr<ChildProcess> spawn(const std::vector<std::string>& argv) {
  auto child = ChildProcess::spawn(argv);
  BOOST_TEST_REQUIRE(child.ok(), (child.ok() ? "" : child.error().to_string()));
  return std::move(*child);
}

}  // namespace

boost::test_tools::assertion_result needs_wireguard_go(boost::unit_test::test_unit_id) {
  return needs(kBaseTools);
}

boost::test_tools::assertion_result needs_wireguard_go_and_nftables(boost::unit_test::test_unit_id) {
  auto tools = kBaseTools;
  tools.push_back("nft");
  tools.push_back("sysctl");
  return needs(tools);
}

boost::test_tools::assertion_result needs_wireguard_go_and_tshark(boost::unit_test::test_unit_id) {
  auto tools = kBaseTools;
  tools.push_back("tshark");
  return needs(tools);
}

KeyPair KeyPair::generate() {
  KeyPair keys;
  auto private_text = control::generate_key_text(true);
  BOOST_TEST_REQUIRE(private_text.ok());
  auto public_text = control::public_key_text(*private_text);
  BOOST_TEST_REQUIRE(public_text.ok());
  keys.private_key = private_text->substr(0, private_text->size() - 1);  // the newline
  keys.public_key = public_text->substr(0, public_text->size() - 1);
  return keys;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessResult r = run_process(argv);
  BOOST_TEST_REQUIRE(r.exit_code == 0, "ip failed: " + r.describe());
}

ProcessResult run_in(const std::string& ns, const std::vector<std::string>& argv, Duration limit) {
  std::vector<std::string> full{"ip", "netns", "exec", ns};
  full.insert(full.end(), argv.begin(), argv.end());
  return run_process(full, "", limit);
}

std::unique_ptr<lab::LabWorld> build_world(const lab::HandPlan& plan) {
  auto world = lab::LabWorld::build(plan);
  BOOST_TEST_REQUIRE(world.ok(), (world.ok() ? "" : world.error().to_string()));
  return std::move(*world);
}

std::unique_ptr<lab::LabWorld> home_and_relay(bool ipv6) {
  const auto with_v6 = [&](std::vector<std::string> v4, const std::string& v6) {
    if (ipv6) v4.push_back(v6);
    return v4;
  };
  return build_world(lab::HandPlan().node("home").node("relay").link(
      "wire", {"home", "vh", with_v6({"198.18.0.1/24"}, "2001:db8:1::1/64")},
      {"relay", "vr", with_v6({"198.18.0.2/24"}, "2001:db8:1::2/64")}));
}

ProcessResult ping(const std::string& ns, const std::string& to, int count) {
  return run_in(ns, {"ping", "-n", "-c", std::to_string(count), "-i", "0.5", "-W", "2", to});
}

// --- tetherd ---

Tetherd::Tetherd(const std::string& ns, const TestDirectory& dir, const std::string& name,
                 const std::string& config, const std::vector<std::string>& extra_args)
    : control_((dir / (name + ".sock")).string()) {
  const std::string conf = (dir / (name + ".conf")).string();
  write_file(conf, config);
  std::vector<std::string> argv{"ip",
                                "netns",
                                "exec",
                                ns,
                                kTetherd,
                                "--tunnel",
                                conf,
                                "--control",
                                control_,
                                "--state",
                                (dir / (name + "-state")).string()};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_ = spawn(argv);
  BOOST_TEST_REQUIRE(process_->wait_for_output("ready: ", Duration::seconds(10)), process_->output());
}

ProcessResult Tetherd::show() {
  return run_process({kTetherctl, "--control", control_, "show", "tunnel"});
}

// --- wireguard-go ---

WireguardGo::WireguardGo(const std::string& ns, const TestDirectory& dir) : ns_(ns), dir_(dir) {
  // IFNAMSIZ allows 15 characters: "tgo" + PID (at most 7 digits) + counter.
  static std::atomic<int> counter{0};
  name_ = "tgo" + std::to_string(::getpid()) + "x" + std::to_string(counter++);
  const std::string socket = "/var/run/wireguard/" + name_ + ".sock";
  std::error_code ignored;
  std::filesystem::remove(socket, ignored);  // a stale one from a crashed run with our PID
  process_ = spawn({"ip", "netns", "exec", ns, "wireguard-go", "-f", name_});
  for (int i = 0; i < 100 && !std::filesystem::exists(socket); ++i) {
    if (process_->exited()) break;
    ::usleep(50'000);
  }
  BOOST_TEST_REQUIRE(std::filesystem::exists(socket), "wireguard-go did not open " + socket + ":\n" + log());
}

WireguardGo::~WireguardGo() {
  if (!process_) return;
  if (!process_->exited()) {
    ::kill(process_->pid(), SIGTERM);
    process_->wait_exit(Duration::seconds(3));
  }
  process_.reset();  // SIGKILL if it is still there
  std::error_code ignored;
  std::filesystem::remove("/var/run/wireguard/" + name_ + ".sock", ignored);
}

void WireguardGo::configure(const std::string& config, const std::vector<std::string>& addresses, int mtu) {
  const auto file = dir_ / (name_ + ".wgconf");
  write_file(file, config);
  ProcessResult set = run_process({"wg", "setconf", name_, file.string()});
  BOOST_TEST_REQUIRE(set.exit_code == 0, "wg setconf: " + set.describe());
  for (const auto& address : addresses) ip({"-n", ns_, "addr", "add", address, "dev", name_});
  ip({"-n", ns_, "link", "set", name_, "mtu", std::to_string(mtu), "up"});
}

std::optional<std::string> WireguardGo::show(const std::string& field, const std::string& peer) {
  ProcessResult r = run_process({"wg", "show", name_, field});
  BOOST_TEST_REQUIRE(r.exit_code == 0, "wg show: " + r.describe());
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind(peer + "\t", 0) == 0) return line.substr(peer.size() + 1);
  return std::nullopt;
}

long WireguardGo::latest_handshake(const std::string& peer) {
  auto value = show("latest-handshakes", peer);
  return value ? std::atol(value->c_str()) : 0;
}

long long WireguardGo::received_from(const std::string& peer) {
  auto value = show("transfer", peer);  // "RX\tTX"
  return value ? std::atoll(value->c_str()) : 0;
}

// --- iperf3 ---

IperfServer::IperfServer(const std::string& ns, const std::string& address) {
  process_ = spawn({"ip", "netns", "exec", ns, "iperf3", "-s", "-B", address, "--forceflush"});
  BOOST_TEST_REQUIRE(process_->wait_for_output("Server listening", Duration::seconds(10)),
                     process_->output());
}

ProcessResult iperf_client(const std::string& ns, const std::string& address,
                           const std::vector<std::string>& args, Duration limit) {
  std::vector<std::string> argv{"iperf3", "-c", address};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_in(ns, argv, limit);
}

double received_mbytes(const std::string& iperf_output) {
  std::istringstream lines(iperf_output);
  std::string line;
  while (std::getline(lines, line)) {
    if (!contains(line, " receiver")) continue;
    std::istringstream words(line);
    std::string previous, word;
    while (words >> word) {
      const double scale = word == "KBytes"   ? 1.0 / 1024
                           : word == "MBytes" ? 1.0
                           : word == "GBytes" ? 1024.0
                                              : 0.0;
      if (scale > 0) return std::atof(previous.c_str()) * scale;
      previous = word;
    }
  }
  return -1;
}

std::unique_ptr<ChildProcess> start_capture(const std::string& ns, const std::string& interface,
                                           const std::string& pcap) {
  auto spawned = ChildProcess::spawn({"ip", "netns", "exec", ns, "tshark", "-i", interface, "-F", "pcap", "-w", pcap});
  BOOST_TEST_REQUIRE(spawned.ok());
  std::unique_ptr<ChildProcess> capture = std::move(*spawned);
  BOOST_TEST_REQUIRE(capture->wait_for_output("Capturing on", Duration::seconds(20)), capture->output());
  return capture;
}

void stop_capture(ChildProcess& capture) {
  ::kill(capture.pid(), SIGINT);
  BOOST_TEST_REQUIRE(capture.wait_exit(Duration::seconds(10)), capture.output());
}

}  // namespace tether::testing::interop
