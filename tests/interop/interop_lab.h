#pragma once
// The interop lab: tetherd and real WireGuard (wireguard-go, configured with
// wg) in network namespaces the test describes and the lab's LabWorld makes
// (lab/world/hand_plan.h), joined by veth pairs that use documentation and
// benchmark addresses only (198.18.0.0/15, 192.0.2.0/24, 2001:db8::/32).
// Every process is started and ended by its PID; wireguard-go gets SIGTERM
// first so that it removes its UAPI socket, which lives in
// /var/run/wireguard and is shared by all namespaces (hence an interface
// name unique to this test process). Declare processes after the world
// they run in, so they end before its namespaces go.

#include <boost/test/unit_test.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/time.h"
#include "lab/world/lab_world.h"
#include "support/run_process.h"
#include "support/child_process.h"

namespace tether::testing::interop {

// Boost.Test preconditions: root plus the tools each test drives; the skip
// message names what is missing.
boost::test_tools::assertion_result needs_wireguard_go(boost::unit_test::test_unit_id);
boost::test_tools::assertion_result needs_wireguard_go_and_nftables(boost::unit_test::test_unit_id);
boost::test_tools::assertion_result needs_wireguard_go_and_tshark(boost::unit_test::test_unit_id);

struct KeyPair {
  std::string private_key, public_key;  // base64, as wg prints them
  static KeyPair generate();
};

bool contains(const std::string& text, const std::string& part);

// tshark capturing `interface` inside `ns` into `pcap` (classic pcap), ready
// once it says so; stop_capture ends it with SIGINT, so it writes what it saw.
std::unique_ptr<ChildProcess> start_capture(const std::string& ns, const std::string& interface,
                                           const std::string& pcap);
void stop_capture(ChildProcess& capture);

// `ip ARGS...`, required to succeed.
void ip(const std::vector<std::string>& args);
// argv run inside the namespace (ip netns exec).
ProcessResult run_in(const std::string& ns, const std::vector<std::string>& argv,
                     Duration limit = Duration::seconds(20));

// The world a test writes (lab/world/hand_plan.h), made by the lab's
// LabWorld (namespaces, veths, addresses, routes, NAT, zone, a resolv.conf
// per namespace; all removed with it), or the test stops there.
std::unique_ptr<lab::LabWorld> build_world(const lab::HandPlan& plan);
// The two namespaces most WireGuard tests need: home 198.18.0.1 (with
// `ipv6`, also 2001:db8:1::1/64) on "vh", relay 198.18.0.2 (2001:db8:1::2)
// on "vr", one veth between them. The namespaces are
// world->namespace_of("home") and ("relay").
std::unique_ptr<lab::LabWorld> home_and_relay(bool ipv6);

// ping -c COUNT through whatever route `to` takes in `ns`.
ProcessResult ping(const std::string& ns, const std::string& to, int count = 3);

// tetherd --tunnel DIR/NAME.conf in `ns` (interface NAME), started and
// waited for ("ready: "); SIGKILLed by the ChildProcess if still running.
class Tetherd {
 public:
  Tetherd(const std::string& ns, const TestDirectory& dir, const std::string& name,
          const std::string& config, const std::vector<std::string>& extra_args = {});
  ChildProcess& process() { return *process_; }
  std::string log() { return process_->output(); }
  // tetherctl show tunnel
  ProcessResult show();

 private:
  std::string control_;
  std::unique_ptr<ChildProcess> process_;
};

// wireguard-go -f NAME in `ns`, configured with `wg setconf` and `ip`.
class WireguardGo {
 public:
  WireguardGo(const std::string& ns, const TestDirectory& dir);
  ~WireguardGo();
  WireguardGo(const WireguardGo&) = delete;
  WireguardGo& operator=(const WireguardGo&) = delete;

  const std::string& interface_name() const { return name_; }
  // `config` in wg(8)'s setconf format; then addresses, MTU and up, as
  // wg-quick would.
  void configure(const std::string& config, const std::vector<std::string>& addresses, int mtu = 1420);
  // `wg show NAME FIELD`'s value for `peer` (endpoints, latest-handshakes,
  // transfer...), or nullopt when the peer has no line.
  std::optional<std::string> show(const std::string& field, const std::string& peer);
  // Seconds since the epoch of the latest handshake with `peer`; 0: none.
  long latest_handshake(const std::string& peer);
  // Bytes received from `peer` so far.
  long long received_from(const std::string& peer);
  std::string log() { return process_ ? process_->output() : std::string(); }

 private:
  std::string ns_;
  const TestDirectory& dir_;
  std::string name_;
  std::unique_ptr<ChildProcess> process_;
};

// iperf3 -s bound to `address` in `ns`, for the life of the object.
class IperfServer {
 public:
  IperfServer(const std::string& ns, const std::string& address);
  std::string log() { return process_->output(); }

 private:
  std::unique_ptr<ChildProcess> process_;
};

// iperf3 -c ADDRESS ARGS... from `ns`, to completion.
ProcessResult iperf_client(const std::string& ns, const std::string& address,
                           const std::vector<std::string>& args, Duration limit = Duration::seconds(30));
// What the receiver got, from iperf3's text summary, in MBytes (iperf3 -n
// counts what the sender wrote; what was still queued at the end may be
// cut off). -1 without a receiver line.
double received_mbytes(const std::string& iperf_output);

}  // namespace tether::testing::interop
